/** Fixtures for the end-to-end sync tests: connections on the simulators, calls to the functions. */
import type postgres from 'postgres';
import { SignJWT } from 'jose';
import { type ConnectionSpec, type Provisioned, provisionConnection, removeCompanies, simAdmin } from '../../../dev/demo/provision.ts';
import { sqlFor, type TestStackEnv } from '../helpers.ts';
import type { ErpAdapter, Product } from '../../functions/_shared/adapters/contract.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import type { EngineDeps } from '../../functions/_shared/sync/engine.ts';

export { simAdmin };

export function uniq(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export class Fixture {
  companies: string[] = [];
  constructor(readonly sql: postgres.Sql, readonly env: TestStackEnv) {}

  async connection(spec: Omit<ConnectionSpec, 'accountId'> & { accountId?: string }): Promise<Provisioned> {
    const p = await provisionConnection(this.sql, this.env, {
      nfeCount: 6,
      productCount: 5,
      financialCount: 6,
      ...spec,
      accountId: spec.accountId ?? uniq(`t-${spec.erp}`),
    });
    this.companies.push(p.companyId);
    return p;
  }

  async user(): Promise<string> {
    const [u] = await this.sql`insert into auth.users (email) values (${uniq('user') + '@test.local'}) returning id`;
    return u.id as string;
  }

  async userJwt(userId: string, opts: { secret?: string; expiresIn?: string; aud?: string; role?: string } = {}) {
    return await new SignJWT({ role: opts.role ?? 'authenticated' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setAudience(opts.aud ?? 'authenticated')
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '1h')
      .sign(new TextEncoder().encode(opts.secret ?? this.env.JWT_SECRET));
  }

  async autoSync(body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${this.env.ERP_AUTO_SYNC_SECRET}` }) {
    const res = await fetch(`${this.env.FUNCTIONS_URL}/erp-auto-sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async syncNow(connectionId: unknown, jwt: string | null) {
    const res = await fetch(`${this.env.FUNCTIONS_URL}/erp-sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(jwt ? { Authorization: `Bearer ${jwt}` } : {}) },
      body: JSON.stringify({ connection_id: connectionId }),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async logs(connectionId: string) {
    return await this.sql`select * from public.erp_sync_logs where connection_id = ${connectionId} order by started_at`;
  }

  async conn(connectionId: string) {
    const [c] = await this.sql`select * from public.erp_connections where id = ${connectionId}`;
    return c;
  }

  async cleanup() {
    await removeCompanies(this.sql, this.companies);
  }
}

/** A pool of `poolMax` connections and a Fixture on the stack's database for `body`; what it created is deleted after. */
export async function withFixture(
  env: TestStackEnv,
  poolMax: number | undefined,
  body: (sql: postgres.Sql, f: Fixture) => Promise<void>,
): Promise<void> {
  const sql = sqlFor(env, poolMax);
  const f = new Fixture(sql, env);
  try {
    await body(sql, f);
  } finally {
    await f.cleanup();
    await sql.end();
  }
}

export function nextMidnightUtc(after: Date): string {
  return new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate() + 1)).toISOString();
}

// --- engine tests on the stack's database: an adapter of product pages and the engine's dependencies ---------

export const product = (id: string): Product => ({
  externalId: id,
  code: id,
  name: `Produto ${id}`,
  ncm: '61091000',
  cest: null,
  unit: 'UN',
  price: '10.00',
  active: true,
});


/** An Omie adapter that lists products only: `products` is its page iterator. */
export const productsOnly = (products: ErpAdapter['products']): ErpAdapter => ({
  erp: 'omie',
  capabilities: { nfeIssued: false, nfeReceived: false, products: true, financials: false, profile: false },
  nfe: () => (async function* () {})(),
  financials: () => (async function* () {})(),
  profile: () => Promise.reject(new Error('not used')),
  products,
});

/** Engine dependencies on the test database, follow-up triggers answered at once. */
export const testDeps = (sql: unknown, owner: string, adapterFor: EngineDeps['adapterFor'], o: Partial<EngineDeps> = {}): EngineDeps => ({
  sql: sql as never,
  now: () => new Date(),
  adapterFor,
  importNfe: importNfeDocuments,
  trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 200 }),
  leaseSeconds: 60,
  owner,
  ...o,
});

/** Connections that sync products only (the other entities switched off). */
export const PRODUCTS_ONLY = { syncConfig: { entities: { nfe: false, financials: false, profile: false } } };

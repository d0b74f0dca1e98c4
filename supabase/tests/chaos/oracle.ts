/**
 * What a clean, complete sync of a connection must have stored: the connection's adapter, built in the test
 * process against the simulator's real origin (never a fault proxy) with the connection's own Vault
 * credentials, lists the whole NF-e window, every product and the financial window. The "no lost data"
 * invariant compares the database with this, key by key (access keys with their item counts, product and
 * financial external ids). Refreshes go through the same Vault store and advisory lock as the functions, so a
 * rotated token is persisted for the connection.
 */
import type postgres from 'postgres';
import { createAdapter } from '../../functions/_shared/adapters/registry.ts';
import type { ErpType } from '../../functions/_shared/adapters/contract.ts';
import { vaultCredentialStore } from '../../functions/_shared/db/credentials.ts';
import type { Sql } from '../../functions/_shared/db/client.ts';
import { parseNfeDocument } from '../../functions/_shared/nfe/mod.ts';
import { parseSyncConfig } from '../../functions/_shared/sync/config.ts';
import { financialsWindow, nfeWindow } from '../../functions/_shared/sync/window.ts';
import { SIM_API_PATHS, simOrigin } from '../../../dev/demo/provision.ts';
import type { TestStackEnv } from '../helpers.ts';

/** The OAuth apps the test stack's functions use (dev/stack/config.ts functionsEnv). */
const OAUTH_CLIENTS: Partial<Record<ErpType, { clientId: string; clientSecret: string }>> = {
  bling: { clientId: 'bling-client-id', clientSecret: 'bling-client-secret' },
  conta_azul: { clientId: 'conta_azul-client-id', clientSecret: 'conta_azul-client-secret' },
};

export function oauthClientSecrets(): string[] {
  return Object.values(OAUTH_CLIENTS).map((c) => c!.clientSecret);
}

export interface Expected {
  /** access key → number of items */
  notes: Map<string, number>;
  products: Set<string>;
  financials: Set<string>;
  /** Records the adapter itself could not read (the oracle is then inconclusive). */
  unreadable: number;
}

export interface OracleConnection {
  id: string;
  erp_type: ErpType;
  account_key: string;
  credentials_secret_id: string | null;
  sync_config: Record<string, unknown>;
}

/**
 * Omie refuses an identical call within 60 s ("consumo redundante"), which is what the oracle's listing right
 * after a sync would be: Omie connections are verified only when their last sync is older than that.
 */
export function oracleCanRead(erp: ErpType, lastSyncAt: Date | null, now = new Date()): boolean {
  if (erp !== 'omie') return true;
  return !lastSyncAt || now.getTime() - lastSyncAt.getTime() > 65_000;
}

export async function expectedData(
  sql: postgres.Sql,
  env: TestStackEnv,
  conn: OracleConnection,
): Promise<Expected> {
  const origin = simOrigin(env, conn.erp_type);
  const paths = SIM_API_PATHS[conn.erp_type];
  const adapter = createAdapter(conn.erp_type, {
    connectionId: conn.id,
    accountKey: conn.account_key,
    baseUrl: origin + paths.api,
    authUrl: paths.auth !== undefined ? origin + paths.auth : undefined,
    credentials: vaultCredentialStore(sql as unknown as Sql, conn.credentials_secret_id),
    oauthClient: OAUTH_CLIENTS[conn.erp_type],
  });
  const cfg = parseSyncConfig(conn.sync_config);
  const full = { ...cfg, full_resync: true };
  const now = new Date();
  const out: Expected = { notes: new Map(), products: new Set(), financials: new Set(), unreadable: 0 };
  if (cfg.entities.nfe !== false) {
    for await (const page of adapter.nfe(nfeWindow(now, full, null), null)) {
      out.unreadable += page.failed.length;
      for (const d of page.records) {
        const doc = parseNfeDocument(d.xml);
        for (const n of doc.notes) out.notes.set(n.accessKey, n.items.length);
      }
    }
  }
  if (cfg.entities.products !== false && adapter.capabilities.products) {
    for await (const page of adapter.products(null)) {
      out.unreadable += page.failed.length;
      for (const p of page.records) out.products.add(p.externalId);
    }
  }
  if (cfg.entities.financials !== false && adapter.capabilities.financials) {
    for await (const page of adapter.financials(financialsWindow(now, full, null), null)) {
      out.unreadable += page.failed.length;
      for (const e of page.records) out.financials.add(e.externalId);
    }
  }
  return out;
}

export interface Stored {
  notes: Map<string, number>;
  products: Set<string>;
  financials: Set<string>;
}

export async function storedData(
  sql: postgres.Sql,
  companyId: string,
  connectionId: string,
): Promise<Stored> {
  const notes =
    await sql`select x.access_key, (select count(*)::int from public.xml_import_items i where i.xml_import_id = x.id) as items
                          from public.xml_imports x where x.company_id = ${companyId}`;
  const products =
    await sql`select external_id from public.company_products where connection_id = ${connectionId}`;
  const fin =
    await sql`select external_id from public.company_financial_entries where connection_id = ${connectionId}`;
  return {
    notes: new Map(notes.map((r) => [r.access_key as string, r.items as number])),
    products: new Set(products.map((r) => r.external_id as string)),
    financials: new Set(fin.map((r) => r.external_id as string)),
  };
}

/** Differences between what a clean sync must store and what is stored (empty = nothing lost, nothing extra). */
export function diffData(want: Expected, got: Stored): string[] {
  const out: string[] = [];
  const missingNotes = [...want.notes.keys()].filter((k) => !got.notes.has(k));
  const extraNotes = [...got.notes.keys()].filter((k) => !want.notes.has(k));
  const badItems = [...want.notes].filter(([k, n]) => got.notes.has(k) && got.notes.get(k) !== n);
  const missingProducts = [...want.products].filter((k) => !got.products.has(k));
  const extraProducts = [...got.products].filter((k) => !want.products.has(k));
  const missingFin = [...want.financials].filter((k) => !got.financials.has(k));
  const extraFin = [...got.financials].filter((k) => !want.financials.has(k));
  const fmt = (what: string, xs: string[], total?: number) =>
    xs.length
      ? [
        `${what} ${xs.length}${total !== undefined ? `/${total}` : ''} (${xs.slice(0, 3).join(', ')}${
          xs.length > 3 ? ', …' : ''
        })`,
      ]
      : [];
  out.push(...fmt('missing NF-e', missingNotes.map((k) => `…${k.slice(-10)}`), want.notes.size));
  out.push(...fmt('unexpected NF-e', extraNotes.map((k) => `…${k.slice(-10)}`)));
  out.push(
    ...fmt(
      'NF-e with a wrong item count',
      badItems.map(([k, n]) => `…${k.slice(-8)} ${got.notes.get(k)}≠${n}`),
    ),
  );
  out.push(...fmt('missing products', missingProducts, want.products.size));
  out.push(...fmt('unexpected products', extraProducts));
  out.push(...fmt('missing financial entries', missingFin, want.financials.size));
  out.push(...fmt('unexpected financial entries', extraFin));
  return out;
}

/**
 * Provisions companies with ERP connections against the local simulators: an account on the simulator
 * (POST /__admin/accounts), the company and its member, the credentials in Vault, the erp_connections row
 * pointing at the simulator. Used by the demo, the end-to-end tests and the benchmark.
 */
import type postgres from 'postgres';
import type { ErpType } from '../../supabase/functions/_shared/adapters/contract.ts';
import { API_PATHS, type SimName } from '../simulators/serve.ts';

export { API_PATHS as SIM_API_PATHS, type SimName };

export interface SimUrls {
  BLING_URL: string;
  OMIE_URL: string;
  TINY_URL: string;
  CONTA_AZUL_URL: string;
  TINY_V3_URL: string;
}

export function simOrigin(env: SimUrls, sim: SimName): string {
  return {
    bling: env.BLING_URL,
    omie: env.OMIE_URL,
    tiny: env.TINY_URL,
    conta_azul: env.CONTA_AZUL_URL,
    tiny_v3: env.TINY_V3_URL,
  }[sim];
}

/** The simulator serving a connection: Tiny's API v3 has its own. */
export function simFor(spec: { erp: ErpType; apiVersion?: 'v2' | 'v3' }): SimName {
  return spec.erp === 'tiny' && spec.apiVersion === 'v3' ? 'tiny_v3' : spec.erp;
}

export interface ConnectionSpec {
  erp: ErpType;
  /** erp_connections.api_version: 'v3' for Tiny's OAuth2 API v3 (default: the ERP's only/legacy API). */
  apiVersion?: 'v2' | 'v3';
  accountId: string;
  companyName?: string;
  nfeCount?: number;
  productCount?: number;
  financialCount?: number;
  crt?: 1 | 2 | 3 | 4;
  autoSync?: boolean;
  syncConfig?: Record<string, unknown>;
  /** Members of the company (auth.users ids). */
  memberIds?: string[];
  seed?: number;
}

export interface Provisioned {
  connectionId: string;
  companyId: string;
  accountId: string;
  erp: ErpType;
  cnpj: string;
  counts: { nfe: number; products: number; financials: number };
}

export async function simAdmin(env: SimUrls, erp: SimName, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${simOrigin(env, erp)}/__admin/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${erp} /__admin/${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

export async function provisionConnection(sql: postgres.Sql, env: SimUrls, spec: ConnectionSpec): Promise<Provisioned> {
  const sim = simFor(spec);
  const acc = await simAdmin(env, sim, 'accounts', {
    accountId: spec.accountId,
    nfeCount: spec.nfeCount,
    productCount: spec.productCount,
    financialCount: spec.financialCount,
    crt: spec.crt,
    seed: spec.seed,
  });
  const origin = simOrigin(env, sim);
  const paths = API_PATHS[sim];
  const cnpj: string = acc.company.cnpj;
  return await sql.begin(async (tx) => {
    const [company] = await tx`
      insert into public.companies (name, cnpj) values (${spec.companyName ?? acc.company.tradeName ?? acc.company.legalName}, ${cnpj})
      returning id`;
    for (const userId of spec.memberIds ?? []) {
      await tx`insert into public.company_members (company_id, user_id, role) values (${company.id}, ${userId}, 'owner')
               on conflict do nothing`;
    }
    const [secret] = await tx`select vault.create_secret(${JSON.stringify(acc.credentials)},
      ${`erp-credentials:${sim}:${spec.accountId}:${company.id}`}) as id`;
    const config = { auto_sync: spec.autoSync ?? true, ...(spec.syncConfig ?? {}) };
    const [conn] = await tx`
      insert into public.erp_connections (company_id, erp_type, api_version, name, status, sync_config, api_base_url,
        auth_base_url, account_key, credentials_secret_id)
      values (${company.id}, ${spec.erp}, ${spec.apiVersion ?? null}, ${acc.company.tradeName ?? spec.erp}, 'active',
        ${tx.json(config)}, ${origin + paths.api}, ${paths.auth !== undefined ? origin + paths.auth : null},
        ${`${sim}:${spec.accountId}`}, ${secret.id})
      returning id`;
    return {
      connectionId: conn.id as string,
      companyId: company.id as string,
      accountId: spec.accountId,
      erp: spec.erp,
      cnpj,
      counts: acc.counts,
    };
  });
}

/** Removes provisioned companies (cascades to their connections and synced data) and their Vault secrets. */
export async function removeCompanies(sql: postgres.Sql, companyIds: string[]): Promise<void> {
  if (!companyIds.length) return;
  await sql`delete from vault.secrets where id in (select credentials_secret_id from public.erp_connections
            where company_id = any(${companyIds}::uuid[]))`;
  await sql`delete from public.companies where id = any(${companyIds}::uuid[])`;
}

/**
 * Bulk seeding of the bench's own companies, Vault secrets, connections and yesterday's checkpoints, and the cleanup
 * that deletes exactly those ids.
 */
import type postgres from 'postgres';
import { brDay } from './profiles.ts';
import type { BenchAccount } from './sims.ts';

type Sql = postgres.Sql<Record<string, never>>;

export interface SeededConnection {
  id: string;
  companyId: string;
  secretId: string;
  account: BenchAccount;
}

const CHUNK = 2000;

export class Seeder {
  readonly companyIds: string[] = [];
  readonly secretIds: string[] = [];
  readonly runIds = new Set<string>();

  constructor(readonly sql: Sql, readonly tag: string) {}

  /**
   * Inserts one connection per account. `nextSyncAt`: the slot the connection is due at (null = due now, a
   * future date = not due yet).
   */
  async seed(accounts: BenchAccount[], nowMs: number, nextSyncAt: Date | null): Promise<SeededConnection[]> {
    const out: SeededConnection[] = [];
    for (let i = 0; i < accounts.length; i += CHUNK) {
      out.push(...await this.seedChunk(accounts.slice(i, i + CHUNK), nowMs, nextSyncAt));
    }
    return out;
  }

  private async seedChunk(accounts: BenchAccount[], nowMs: number, nextSyncAt: Date | null): Promise<SeededConnection[]> {
    const rows = accounts.map((a) => ({
      id: crypto.randomUUID(),
      companyId: crypto.randomUUID(),
      secretId: crypto.randomUUID(),
      account: a,
    }));
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await this.sql.begin(async (tx) => {
      await tx`
        insert into public.companies (id, name, cnpj)
        select * from unnest(${col((r) => r.companyId)}::uuid[],
                             ${col((r) => `bench ${this.tag} ${r.account.erp} ${r.account.accountId}`)}::text[],
                             ${col((r) => r.account.account.company.cnpj)}::text[])`;
      await tx`
        insert into vault.secrets (id, secret, name)
        select id, vault._encrypt(s), n from unnest(${col((r) => r.secretId)}::uuid[],
          ${col((r) => JSON.stringify(r.account.account.credentials))}::text[],
          ${col((r) => `erp-credentials:bench-${this.tag}:${r.account.erp}:${r.account.accountId}`)}::text[]) as t(id, s, n)`;
      await tx`
        insert into public.erp_connections (id, company_id, erp_type, name, status, sync_config, api_base_url,
          auth_base_url, account_key, credentials_secret_id, next_sync_at, last_sync_at)
        select id, company_id, erp, name, 'active', '{"auto_sync": true}'::jsonb, api, auth, akey, secret,
               ${nextSyncAt}::timestamptz, case when profile = 'nightly' then ${new Date(nowMs - 86_400_000)}::timestamptz end
        from unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.companyId)}::uuid[], ${col((r) => r.account.erp)}::text[],
                    ${col((r) => `bench ${r.account.erp}`)}::text[], ${col((r) => r.account.baseUrl)}::text[],
                    ${col((r) => r.account.authUrl ?? null)}::text[],
                    ${col((r) => `${r.account.erp}:bench-${this.tag}:${r.account.accountId}`)}::text[],
                    ${col((r) => r.secretId)}::uuid[], ${col((r) => r.account.profile)}::text[])
          as t(id, company_id, erp, name, api, auth, akey, secret, profile)`;
      // The previous night: NF-e and financials synced through yesterday (incremental windows tonight).
      const nightly = rows.filter((r) => r.account.profile === 'nightly');
      if (nightly.length) {
        const through = brDay(nowMs, -1);
        await tx`
          insert into public.erp_sync_checkpoints (connection_id, entity, checkpoint, synced_through)
          select c, e, jsonb_build_object('done', true), ${through}::date
          from unnest(${nightly.map((r) => r.id)}::uuid[]) as c cross join (values ('nfe'), ('financials')) as v(e)`;
      }
    });
    this.companyIds.push(...rows.map((r) => r.companyId));
    this.secretIds.push(...rows.map((r) => r.secretId));
    return rows;
  }

  async cleanup(): Promise<{ companies: number; secrets: number; runs: number }> {
    let companies = 0, secrets = 0, runs = 0;
    for (let i = 0; i < this.secretIds.length; i += CHUNK) {
      const r = await this.sql`delete from vault.secrets where id = any(${this.secretIds.slice(i, i + CHUNK)}::uuid[])`;
      secrets += r.count;
    }
    for (let i = 0; i < this.companyIds.length; i += 500) {
      const r = await this.sql`delete from public.companies where id = any(${this.companyIds.slice(i, i + 500)}::uuid[])`;
      companies += r.count;
    }
    const ids = [...this.runIds];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const r = await this.sql`delete from public.erp_sync_runs where id = any(${ids.slice(i, i + CHUNK)}::uuid[])`;
      runs += r.count;
    }
    return { companies, secrets, runs };
  }
}

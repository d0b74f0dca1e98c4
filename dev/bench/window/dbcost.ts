/**
 * Database cost at each night size on the bench's own rows: claim (rolled back), countDue, the recovery predicates,
 * table sizes and bytes written per connection-night.
 */
import type postgres from 'postgres';
import type { Sql as AppSql } from '../../../supabase/functions/_shared/db/client.ts';
import { claimNextDue, countDue } from '../../../supabase/functions/_shared/db/connections.ts';
import { realNow } from './clock.ts';

type Sql = postgres.Sql<Record<string, never>>;

class Rollback extends Error {}

export interface DbCostPoint {
  n: number;
  claimRestrictedMs: number;
  claimUnrestrictedMs: number | null;
  countDueMs: number;
  recoveryMs: number;
  tables: Record<string, { totalBytes: number; rows: number }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/** Connections outside `mine` that are due now (the unrestricted claim is only safe when this is 0). */
export async function foreignDue(sql: Sql, mine: string[]): Promise<number> {
  const [r] = await sql`
    select count(*)::int as n from public.erp_connections c
    where c.status = 'active' and (c.sync_config ->> 'auto_sync') = 'true'
      and (c.next_sync_at is null or c.next_sync_at <= now())
      and not (c.id = any(${mine}::uuid[]))`;
  return r.n as number;
}

/** Marks the first `n` of `ids` due (a past slot) and the rest not due (tomorrow). Only the bench's rows. */
export async function setDue(sql: Sql, ids: string[], n: number, dueAt: Date, notDueAt: Date) {
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    const due = chunk.slice(0, Math.max(0, n - i));
    const later = chunk.slice(Math.max(0, n - i));
    if (due.length) await sql`update public.erp_connections set next_sync_at = ${dueAt} where id = any(${due}::uuid[])`;
    if (later.length) await sql`update public.erp_connections set next_sync_at = ${notDueAt} where id = any(${later}::uuid[])`;
  }
}

/**
 * Claim latency: each claim in its own transaction (as in production, where every claim is one statement),
 * with 16 due rows leased (syncs in flight) and 20 excluded (taken earlier by the run), rolled back after.
 */
async function timeClaims(sql: Sql, ids: string[] | undefined, dueIds: string[], reps: number): Promise<number> {
  const samples: number[] = [];
  for (let i = -1; i < reps; i++) {
    await sql.begin(async (tx) => {
      const t = tx as unknown as AppSql;
      await tx`update public.erp_connections set lease_owner = 'bench-probe', lease_expires_at = now() + interval '5 minutes'
               where id = any(${dueIds.slice(0, 16)}::uuid[])`;
      const t0 = realNow();
      await claimNextDue(t, new Date(), 'bench-probe', 60, { ids, exclude: dueIds.slice(16, 36) });
      if (i >= 0) samples.push(realNow() - t0); // the first one warms caches
      throw new Rollback();
    }).catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  }
  return median(samples);
}

export async function measureDbCost(
  sql: Sql,
  ids: string[],
  n: number,
  opts: { unrestricted: boolean; reps?: number },
): Promise<DbCostPoint> {
  const reps = opts.reps ?? 15;
  const due = ids.slice(0, n);
  const app = sql as unknown as AppSql;
  const claimRestrictedMs = await timeClaims(sql, due, due, reps);
  const claimUnrestrictedMs = opts.unrestricted ? await timeClaims(sql, undefined, due, reps) : null;
  const counts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = realNow();
    await countDue(app, new Date(), due);
    counts.push(realNow() - t0);
  }
  const rec: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = realNow();
    const stale = new Date(Date.now() - 120_000);
    await sql`select count(*) from public.erp_sync_logs where status = 'running' and heartbeat_at < ${stale}`;
    await sql`select count(*) from public.erp_connections where lease_owner is not null and lease_expires_at < ${new Date()}`;
    rec.push(realNow() - t0);
  }
  const tables: DbCostPoint['tables'] = {};
  const rows = await sql`
    select c.relname as name, pg_total_relation_size(c.oid)::bigint as bytes, c.reltuples::bigint as rows
    from pg_class c join pg_namespace s on s.oid = c.relnamespace
    where s.nspname = 'public' and c.relkind = 'r'
      and c.relname in ('erp_connections', 'erp_sync_logs', 'erp_sync_checkpoints', 'erp_sync_runs', 'xml_imports',
                        'xml_import_items', 'company_products', 'company_financial_entries', 'company_dre')`;
  for (const r of rows) tables[r.name as string] = { totalBytes: Number(r.bytes), rows: Number(r.rows) };
  return {
    n,
    claimRestrictedMs,
    claimUnrestrictedMs,
    countDueMs: median(counts),
    recoveryMs: median(rec),
    tables,
  };
}

/** Bytes and rows one night writes per connection (the bench's companies only; heap row sizes). */
export async function bytesPerConnection(sql: Sql, companyIds: string[], connIds: string[], runIds: string[]) {
  const q = async (table: string, col: string, ids: string[]) => {
    const [r] = await sql.unsafe(
      `select count(*)::bigint as rows, coalesce(sum(pg_column_size(t.*)), 0)::bigint as bytes
       from public.${table} t where ${col} = any($1::uuid[])`,
      [ids],
    );
    return { rows: Number(r.rows), bytes: Number(r.bytes) };
  };
  const out: Record<string, { rows: number; bytes: number }> = {
    xml_imports: await q('xml_imports', 'company_id', companyIds),
    xml_import_items: await q('xml_import_items', 'company_id', companyIds),
    xml_import_events: await q('xml_import_events', 'company_id', companyIds),
    company_products: await q('company_products', 'company_id', companyIds),
    company_financial_entries: await q('company_financial_entries', 'company_id', companyIds),
    company_dre: await q('company_dre', 'company_id', companyIds),
    company_profile: await q('company_profile', 'company_id', companyIds),
    erp_sync_logs: await q('erp_sync_logs', 'connection_id', connIds),
    erp_sync_checkpoints: await q('erp_sync_checkpoints', 'connection_id', connIds),
    erp_sync_runs: await q('erp_sync_runs', 'id', runIds),
  };
  return out;
}

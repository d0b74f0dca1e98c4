/** erp_sync_logs (one row per connection sync) and erp_sync_runs (one per orchestrator invocation). */
import type { Sql } from './client.ts';

export interface SyncLogRow {
  id: string;
  connection_id: string;
  company_id: string;
  sync_type: 'auto' | 'manual';
  status: 'running' | 'success' | 'partial' | 'error' | 'interrupted';
  started_at: Date;
  completed_at: Date | null;
  records_synced: number;
  records_failed: number;
  duration_ms: number | null;
  details: Record<string, unknown>;
  error_message: string | null;
}

/** Opens a running log; null when the connection already has one (the one-running-per-connection index). */
export async function openLog(
  sql: Sql,
  a: { connectionId: string; companyId: string; syncType: 'auto' | 'manual'; runId: string | null; startedAt: Date },
): Promise<SyncLogRow | null> {
  const rows = await sql`
    insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, heartbeat_at)
    values (${a.connectionId}, ${a.companyId}, ${a.runId}, ${a.syncType}, 'running', ${a.startedAt}, ${a.startedAt})
    on conflict (connection_id) where status = 'running' do nothing
    returning *`;
  return (rows[0] as unknown as SyncLogRow) ?? null;
}

export async function runningLog(sql: Sql, connectionId: string): Promise<SyncLogRow | null> {
  const rows = await sql`select * from public.erp_sync_logs where connection_id = ${connectionId} and status = 'running'`;
  return (rows[0] as unknown as SyncLogRow) ?? null;
}

/**
 * When the last completed manual sync of a connection started. Interrupted ones never completed, and a running
 * one is either live (the caller met the lease first) or a crashed leftover about to become 'interrupted'.
 */
export async function lastManualStart(sql: Sql, connectionId: string): Promise<Date | null> {
  const [r] = await sql`select max(started_at) as at from public.erp_sync_logs
                        where connection_id = ${connectionId} and sync_type = 'manual' and status not in ('running', 'interrupted')`;
  return (r?.at as Date | null) ?? null;
}

/** Progress: counts and per-entity details so far, and the heartbeat the recovery sweep looks at. */
export async function updateLogProgress(
  sql: Sql,
  id: string,
  p: { recordsSynced: number; recordsFailed: number; details: Record<string, unknown> },
): Promise<void> {
  await sql`update public.erp_sync_logs set records_synced = ${p.recordsSynced}, records_failed = ${p.recordsFailed},
            details = ${sql.json(p.details as never)}, heartbeat_at = now()
            where id = ${id} and status = 'running'`;
}

export async function heartbeat(sql: Sql, id: string): Promise<void> {
  await sql`update public.erp_sync_logs set heartbeat_at = now() where id = ${id} and status = 'running'`;
}

export async function closeLog(
  sql: Sql,
  id: string,
  c: {
    status: 'success' | 'partial' | 'error' | 'interrupted';
    completedAt: Date;
    recordsSynced: number;
    recordsFailed: number;
    durationMs: number;
    details: Record<string, unknown>;
    errorMessage: string | null;
  },
): Promise<void> {
  await sql`update public.erp_sync_logs set status = ${c.status}, completed_at = ${c.completedAt},
            records_synced = ${c.recordsSynced}, records_failed = ${c.recordsFailed}, duration_ms = ${c.durationMs},
            details = ${sql.json(c.details as never)}, error_message = ${c.errorMessage?.slice(0, 2000) ?? null}
            where id = ${id} and status = 'running'`;
}

/**
 * A running log left by a holder whose lease expired (we hold the lease now): it can no longer finish, so it
 * becomes 'interrupted'. Its holder, if still alive, sees the lost lease at its next heartbeat and stops.
 */
export async function interruptRunningLog(sql: Sql, connectionId: string): Promise<number> {
  const rows = await sql`
    update public.erp_sync_logs set status = 'interrupted', completed_at = now(),
      duration_ms = (extract(epoch from (now() - started_at)) * 1000)::int,
      error_message = 'Sincronização interrompida (o processo parou antes de concluir). Ela será retomada do último ponto salvo.'
    where connection_id = ${connectionId} and status = 'running'
    returning id`;
  return rows.length;
}

/** Running logs whose heartbeat stopped (their process died) become 'interrupted'. */
export async function interruptStaleLogs(sql: Sql, staleBefore: Date): Promise<number> {
  const rows = await sql`
    update public.erp_sync_logs set status = 'interrupted', completed_at = now(),
      duration_ms = (extract(epoch from (now() - started_at)) * 1000)::int,
      error_message = 'Sincronização interrompida (o processo parou antes de concluir). Ela será retomada do último ponto salvo.'
    where status = 'running' and heartbeat_at < ${staleBefore}
    returning id`;
  return rows.length;
}

// --- runs ------------------------------------------------------------------------------------------------

/** Run rows whose invocation died (still 'running' long after any invocation could live) become 'failed'. */
export async function failAbandonedRuns(sql: Sql, startedBefore: Date): Promise<number> {
  const rows = await sql`
    update public.erp_sync_runs set status = 'failed', completed_at = now(),
      details = details || '{"reason": "the invocation ended before closing its run"}'::jsonb
    where status = 'running' and started_at < ${startedBefore}
    returning id`;
  return rows.length;
}

export async function openRun(
  sql: Sql,
  r: { source: 'cron' | 'ops' | 'continuation'; parentRunId: string | null; dryRun: boolean; recovered: number },
): Promise<string> {
  const [row] = await sql`insert into public.erp_sync_runs (source, parent_run_id, dry_run, recovered)
                          values (${r.source}, ${r.parentRunId}, ${r.dryRun}, ${r.recovered}) returning id`;
  return row.id as string;
}

export async function closeRun(
  sql: Sql,
  id: string,
  r: { processed: number; succeeded: number; failed: number; remaining: number; durationMs: number; details: Record<string, unknown> },
): Promise<void> {
  await sql`update public.erp_sync_runs set status = 'completed', completed_at = now(), processed = ${r.processed},
            succeeded = ${r.succeeded}, failed = ${r.failed}, remaining = ${r.remaining}, duration_ms = ${r.durationMs},
            details = ${sql.json(r.details as never)} where id = ${id}`;
}

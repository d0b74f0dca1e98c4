/**
 * erp_sync_logs (one row per connection sync) and erp_sync_runs (one per orchestrator invocation).
 * A sync's bookkeeping is two statements: openLog (insert the running log, read the checkpoints) and closeLog
 * (close the log, write the checkpoints, update the connection and release its lease), plus a progress update
 * at most every few seconds while it runs.
 */
import type { Entity } from '../adapters/contract.ts';
import { type CheckpointRow, checkpointMap, checkpointsJson, checkpointUpserts, type CheckpointWrite } from './checkpoints.ts';
import type postgres from 'postgres';
import type { Sql } from './client.ts';

type Fragment = postgres.PendingQuery<any>;

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

/**
 * Opens a running log and reads the connection's checkpoints, in one statement; null when the connection
 * already has a running log (the one-running-per-connection index).
 */
export async function openLog(
  sql: Sql,
  a: { connectionId: string; companyId: string; syncType: 'auto' | 'manual'; runId: string | null; startedAt: Date },
): Promise<(SyncLogRow & { checkpoints: Map<Entity, CheckpointRow> }) | null> {
  const rows = await sql`
    with l as (
      insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, heartbeat_at)
      values (${a.connectionId}, ${a.companyId}, ${a.runId}, ${a.syncType}, 'running', ${a.startedAt}, ${a.startedAt})
      on conflict (connection_id) where status = 'running' do nothing
      returning *
    )
    select l.*, ${checkpointsJson(sql, a.connectionId)} as checkpoints from l`;
  if (!rows[0]) return null;
  const row = rows[0] as unknown as SyncLogRow & { checkpoints: never };
  return { ...row, checkpoints: checkpointMap(row.checkpoints) };
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

/**
 * Progress: counts and per-entity details so far, the heartbeat the recovery sweep looks at, and the checkpoints
 * reached since the last progress write, in one statement.
 */
export async function updateLogProgress(
  sql: Sql,
  id: string,
  p: { recordsSynced: number; recordsFailed: number; details: Record<string, unknown> },
  with_: { connectionId?: string; checkpoints?: CheckpointWrite[] } = {},
): Promise<void> {
  const cps = with_.connectionId && with_.checkpoints?.length
    ? sql`with cps as (${checkpointUpserts(sql, with_.connectionId, with_.checkpoints)})`
    : sql``;
  await sql`${cps}
    update public.erp_sync_logs set records_synced = ${p.recordsSynced}, records_failed = ${p.recordsFailed},
      details = ${sql.json(p.details as never)}, heartbeat_at = now()
    where id = ${id} and status = 'running'`;
}

export async function heartbeat(sql: Sql, id: string): Promise<void> {
  await sql`update public.erp_sync_logs set heartbeat_at = now() where id = ${id} and status = 'running'`;
}

/**
 * Closes a running log, in one statement with what goes with it: the entities' checkpoints and the connection's
 * update (a fragment from connections.ts: its new state and the lease released, or only the lease released).
 */
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
  with_: { connectionId?: string; checkpoints?: CheckpointWrite[]; connection?: Fragment | null } = {},
): Promise<void> {
  const cps = with_.connectionId && with_.checkpoints?.length
    ? sql`, cps as (${checkpointUpserts(sql, with_.connectionId, with_.checkpoints)})`
    : sql``;
  const conn = with_.connection ? sql`, conn as (${with_.connection})` : sql``;
  await sql`
    with log as (
      update public.erp_sync_logs set status = ${c.status}, completed_at = ${c.completedAt},
        records_synced = ${c.recordsSynced}, records_failed = ${c.recordsFailed}, duration_ms = ${c.durationMs},
        details = ${sql.json(c.details as never)}, error_message = ${c.errorMessage?.slice(0, 2000) ?? null}
      where id = ${id} and status = 'running'
      returning id
    )${cps}${conn}
    select count(*) from log`;
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

/**
 * Opens a run row: the invocation's admission ticket. Under an advisory lock (so two invocations starting at
 * once count each other), it counts the invocations alive (background runs still running, started after
 * `aliveAfter`; synchronous ops runs are not counted) and opens ours only when they are fewer than `ceiling`
 * (null: always). The count is a statement after the lock, so it sees every run admitted before. Returns our id
 * and how many runs are alive with ours, or null when refused.
 */
export async function openRun(
  sql: Sql,
  r: {
    source: 'cron' | 'ops' | 'continuation';
    parentRunId: string | null;
    dryRun: boolean;
    recovered: number;
    ceiling?: number | null;
    aliveAfter?: Date;
  },
): Promise<{ id: string; alive: number } | null> {
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended('erp-auto-sync:admission', 0))`;
    const [{ n }] = await tx`select count(*)::int as n from public.erp_sync_runs
                             where status = 'running' and not dry_run and source <> 'ops'
                               and started_at > ${r.aliveAfter ?? new Date(0)}`;
    if (r.ceiling != null && n >= r.ceiling) return null;
    const [row] = await tx`insert into public.erp_sync_runs (source, parent_run_id, dry_run, recovered)
                           values (${r.source}, ${r.parentRunId}, ${r.dryRun}, ${r.recovered}) returning id`;
    return { id: row.id as string, alive: n + 1 };
  }) as { id: string; alive: number } | null;
}

export async function closeRun(
  sql: Sql,
  id: string,
  r: {
    processed: number;
    recovered: number;
    succeeded: number;
    failed: number;
    remaining: number;
    durationMs: number;
    details: Record<string, unknown>;
  },
): Promise<void> {
  await sql`update public.erp_sync_runs set status = 'completed', completed_at = now(), processed = ${r.processed},
            recovered = ${r.recovered},
            succeeded = ${r.succeeded}, failed = ${r.failed}, remaining = ${r.remaining}, duration_ms = ${r.durationMs},
            details = ${sql.json(r.details as never)} where id = ${id}`;
}

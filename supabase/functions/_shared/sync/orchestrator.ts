/**
 * The nightly orchestrator behind erp-auto-sync, for one invocation:
 *   recover (stale running logs → 'interrupted', expired leases released) → open an erp_sync_runs row →
 *   workers (bounded concurrency) claim due connections one at a time and sync each → stop claiming when the
 *   wall-clock budget is spent → close the run with what remains due, so the caller can hand it on.
 * A dry run lists what would run and writes nothing.
 */
import pLimit from 'p-limit';
import type { Sql } from '../db/client.ts';
import { claimNextDue, countDue, listDue, releaseExpiredLeases } from '../db/connections.ts';
import { closeRun, failAbandonedRuns, interruptStaleLogs, openRun } from '../db/sync-logs.ts';
import { type EngineDeps, persistently, type SyncOutcome, syncConnection } from './engine.ts';

export interface RunRequest {
  source: 'cron' | 'ops';
  connectionIds?: string[];
  dryRun?: boolean;
  concurrency?: number;
  /** Set when this invocation continues an earlier one. */
  continuationOf?: string;
}

export interface RunSummary {
  run_id: string | null;
  processed: number;
  succeeded: number;
  failed: number;
  remaining: number;
  duration_ms: number;
  recovered?: number;
  dry_run?: boolean;
  results: Array<{
    connection_id: string;
    success: boolean;
    status: SyncOutcome['status'];
    records_synced: number;
    records_failed?: number;
    log_id?: string | null;
    error?: string;
  }>;
  would_run?: Array<{ connection_id: string; erp_type: string; company_id: string; next_sync_at: Date | null }>;
}

export interface OrchestratorOptions {
  /** Stop claiming new connections after this much wall clock (the platform kills the worker later). */
  budgetMs: number;
  maxConcurrency: number;
  /**
   * Stop claiming after this many connections (the 2 s CPU budget of a request: each sync costs the isolate
   * roughly 150-250 ms of CPU, see dev/bench). Undefined = no cap (synchronous ops runs).
   */
  maxConnections?: number;
}

export async function openAutoSyncRun(sql: Sql, req: RunRequest, now: Date, leaseSeconds: number): Promise<{ runId: string; recovered: number }> {
  const staleBefore = new Date(now.getTime() - leaseSeconds * 1000);
  const recovered = (await interruptStaleLogs(sql, staleBefore)) + (await releaseExpiredLeases(sql, now));
  // No invocation outlives the platform's wall clock (400 s on paid plans): older running rows are dead.
  await failAbandonedRuns(sql, new Date(now.getTime() - 15 * 60_000));
  const runId = await openRun(sql, {
    source: req.continuationOf ? 'continuation' : req.source,
    parentRunId: req.continuationOf ?? null,
    dryRun: false,
    recovered,
  });
  return { runId, recovered };
}

export async function dryRun(sql: Sql, req: RunRequest, now: Date): Promise<RunSummary> {
  const t0 = performance.now();
  const due = await listDue(sql, now, req.connectionIds);
  return {
    run_id: null,
    dry_run: true,
    processed: 0,
    succeeded: 0,
    failed: 0,
    remaining: due.length,
    duration_ms: Math.round(performance.now() - t0),
    results: [],
    would_run: due.map((c) => ({ connection_id: c.id, erp_type: c.erp_type, company_id: c.company_id, next_sync_at: c.next_sync_at })),
  };
}

export async function executeRun(
  deps: EngineDeps,
  runId: string,
  recovered: number,
  req: RunRequest,
  opts: OrchestratorOptions,
): Promise<RunSummary> {
  const t0 = performance.now();
  const concurrency = Math.max(1, Math.min(req.concurrency ?? 1, opts.maxConcurrency));
  const results: RunSummary['results'] = [];
  let outOfBudget = false;
  const taken = new Set<string>();

  const worker = async () => {
    while (true) {
      if (performance.now() - t0 >= opts.budgetMs || taken.size >= (opts.maxConnections ?? Infinity)) {
        outOfBudget = true;
        return;
      }
      let conn;
      try {
        conn = await claimNextDue(deps.sql, deps.now(), deps.owner, deps.leaseSeconds, {
          ids: req.connectionIds,
          exclude: [...taken],
        });
      } catch (e) {
        // The database is unreachable: stop claiming; what is still due is reported and handed on.
        console.error('erp-auto-sync: claim failed:', e instanceof Error ? e.message : e);
        return;
      }
      if (!conn) return;
      taken.add(conn.id);
      let outcome: SyncOutcome;
      try {
        outcome = await syncConnection(deps, conn, { syncType: 'auto', runId });
      } catch (e) {
        // The engine closes its own log; reaching here means the database itself failed for this connection.
        outcome = {
          connectionId: conn.id,
          logId: null,
          status: 'error',
          recordsSynced: 0,
          recordsFailed: 0,
          durationMs: 0,
          error: e instanceof Error ? e.message : String(e),
          entities: {},
        };
      }
      if (outcome.status === 'already_running') continue; // someone else is on it: not ours to report
      results.push({
        connection_id: outcome.connectionId,
        success: outcome.status === 'success',
        status: outcome.status,
        records_synced: outcome.recordsSynced,
        records_failed: outcome.recordsFailed,
        log_id: outcome.logId,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    }
  };
  const limit = pLimit(concurrency);
  await Promise.all(Array.from({ length: concurrency }, () => limit(worker)));

  const remaining = await persistently(() => countDue(deps.sql, deps.now(), req.connectionIds));
  const summary: RunSummary = {
    run_id: runId,
    processed: results.length,
    succeeded: results.filter((r) => r.success).length,
    failed: results.filter((r) => !r.success).length,
    remaining,
    duration_ms: Math.round(performance.now() - t0),
    recovered,
    results,
  };
  await persistently(() => closeRun(deps.sql, runId, {
    processed: summary.processed,
    succeeded: summary.succeeded,
    failed: summary.failed,
    remaining,
    durationMs: summary.duration_ms,
    details: { source: req.source, concurrency, out_of_budget: outOfBudget, statuses: countBy(results.map((r) => r.status)) },
  }));
  return summary;
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/**
 * How many invocations should work side by side on a night of `due` connections: enough that each handles
 * about `perInvocation` of them, at most `maxParallel` (each continues itself until nothing is left).
 */
export function parallelInvocations(due: number, perInvocation: number, maxParallel: number): number {
  return Math.max(1, Math.min(maxParallel, Math.ceil(due / Math.max(1, perInvocation))));
}

/** Whether this run should hand the remaining due connections to another invocation. */
export function shouldContinue(summary: RunSummary, req: RunRequest): boolean {
  // Only when this run made progress (otherwise what remains is leased elsewhere or blocked), and not for
  // runs restricted to given connections.
  return summary.remaining > 0 && summary.processed > 0 && !req.connectionIds && !req.dryRun;
}

/**
 * The nightly orchestrator behind erp-auto-sync, for one invocation:
 *   recover (stale running logs → 'interrupted', expired leases released) → admission: open an erp_sync_runs row
 *   unless the invocations alive already fill the ceiling → workers (bounded concurrency) claim due connections one
 *   at a time and sync each, every sync with a deadline under the invocation's wall clock → when the claim
 *   budget (wall clock or CPU) is spent: hand the rest of the night to a continuation at once, let the syncs in
 *   flight finish → close the run.
 *
 * A chain is a sequence of invocations, each continuing the previous one. Every invocation holds a database pool
 * until it ends, its syncs in flight included, so admission counts every background run row still running (the
 * chains' heads and the tails still finishing their syncs) under the ceiling set by the database connection
 * budget. A continuation refused there is asked for again when the invocation ends, after its own run row
 * closed. The cron call and each sweep start as many chains as the free due rows need, minus the invocations
 * alive: a backlog night converges, it never multiplies. The decisions are pure functions below (tested on a
 * fake clock); the effects are in executeRun.
 * A dry run lists what would run and writes nothing.
 */
import pLimit from 'p-limit';
import { persistently, retryOnSessionEnd, type Sql } from '../db/client.ts';
import { claimNextDue, countDue, listDue, liveLeases, releaseExpiredLeases } from '../db/connections.ts';
import { closeRun, failAbandonedRuns, interruptStaleLogs, openRun } from '../db/sync-logs.ts';
import { type EngineDeps, type SyncOutcome, syncConnection } from './engine.ts';

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
  /** Why this invocation stopped claiming, and whether it handed the rest on. */
  stopped_by?: ClaimVerdict;
  handed_on?: boolean;
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

/** What one invocation may spend (see runtime.ts for the defaults and the platform limits behind them). */
export interface InvocationLimits {
  /** The platform's wall clock for one invocation; syncs get a deadline under it. */
  wallMs: number;
  /** Stop claiming after this much wall clock. */
  claimMs: number;
  /** Time a sync needs to close after its deadline (save, close the log, release the lease). */
  closeMarginMs: number;
  /** The platform's CPU time per request (start-up counted); undefined = not enforced (synchronous ops runs). */
  cpuMs?: number;
  maxConcurrency: number;
  /** Syncs in flight at most, all chains together (live leases): the night's parallelism; see claimNextDue. */
  maxInFlight?: number;
  /** Background invocations alive at most; see invocationCeiling. */
  ceiling: number;
  /** Connections one invocation is expected to get through: sizes the fan-out. */
  perInvocation: number;
  /** A fixed cap on the connections one invocation takes (when its CPU cannot be measured). */
  maxConnections?: number;
}

// --- pure decisions ----------------------------------------------------------------------------------------

/**
 * How many background invocations may be alive at once: each holds up to `poolPerIsolate` database connections
 * until it ends, whether it still claims (a chain's head) or only finishes its syncs in flight (a tail).
 */
export function invocationCeiling(dbConnections: number, poolPerIsolate: number): number {
  return Math.max(1, Math.floor(dbConnections / Math.max(1, poolPerIsolate)));
}

/** The deadline of every sync of an invocation that started at `startedAt` (epoch ms). */
export function syncDeadline(startedAt: number, limits: Pick<InvocationLimits, 'wallMs' | 'closeMarginMs'>): number {
  return startedAt + limits.wallMs - limits.closeMarginMs;
}

export type ClaimVerdict = 'claim' | 'wall' | 'cpu' | 'cap';

/** Share of the CPU budget an invocation plans to use (the rest absorbs the estimate's error). */
export const CPU_USE = 0.8;
/**
 * Share of the CPU budget at which the syncs in flight stop at their next page (checkpoint saved, resumed later):
 * the rest leaves room for the page being written (an NF-e page costs up to ~250 ms, dev/bench).
 */
export const CPU_STOP = 0.85;
/** How often an invocation whose claims meet a full in-flight cap tries again. */
export const CAP_POLL_MS = 2000;
/** CPU of one sync before any was measured in this invocation (measured by dev/bench). */
export const CPU_PER_SYNC_PRIOR_MS = 150;

/**
 * Whether a worker may claim one more connection: not past the claim budget, and the CPU used so far plus
 * what the syncs in flight and this one will use stays inside the CPU budget. The first claim is always
 * allowed by the CPU rule (a chain must make progress).
 */
export function claimVerdict(s: {
  elapsedMs: number;
  cpuMs: number;
  cpuPerSyncMs: number;
  inFlight: number;
  taken: number;
  limits: Pick<InvocationLimits, 'claimMs' | 'cpuMs' | 'maxConnections'>;
}): ClaimVerdict {
  if (s.elapsedMs >= s.limits.claimMs) return 'wall';
  if (s.taken >= (s.limits.maxConnections ?? Infinity)) return 'cap';
  if (s.taken > 0 && s.limits.cpuMs !== undefined && s.cpuMs + (s.inFlight + 1) * s.cpuPerSyncMs > s.limits.cpuMs * CPU_USE) return 'cpu';
  return 'claim';
}

/** CPU per sync: what the invocation spent since its first claim over the syncs finished, or the prior. */
export function cpuPerSync(cpuSinceFirstClaimMs: number, finished: number): number {
  return finished > 0 ? Math.max(1, cpuSinceFirstClaimMs / finished) : CPU_PER_SYNC_PRIOR_MS;
}

/**
 * How many more chains a cron or sweep call starts besides itself: as many as the free due rows need (one per
 * `perInvocation`), minus the invocations alive (this one included), under the ceiling.
 */
export function chainsToStart(s: { freeDue: number; alive: number; perInvocation: number; ceiling: number }): number {
  const wanted = Math.min(s.ceiling, Math.ceil(s.freeDue / Math.max(1, s.perInvocation)));
  return Math.max(0, wanted - s.alive);
}

/** Whether the syncs of an invocation must stop now to keep it inside its CPU budget. */
export function outOfCpu(cpuMs: number, limits: Pick<InvocationLimits, 'cpuMs'>): boolean {
  return limits.cpuMs !== undefined && cpuMs >= limits.cpuMs * CPU_STOP;
}

/**
 * Whether this invocation hands the rest of the night on: free due rows are left, it took at least one or only
 * the in-flight cap held it back (so what is left is not blocked elsewhere), it has not handed on yet, and it is
 * not restricted to given ids.
 */
export function shouldHandOn(
  s: { freeDue: number; taken: number; capBlocked?: boolean; handedOn: boolean; restricted: boolean },
): boolean {
  return s.freeDue > 0 && (s.taken > 0 || s.capBlocked === true) && !s.handedOn && !s.restricted;
}

/**
 * When an invocation hands the rest of the night on, at each moment that can decide it:
 * - a worker stops claiming: at the claim budget (or the fixed cap) at once; at the CPU budget once half of the
 *   invocation's syncs ended, at once if half already did. At the CPU budget its syncs are young: waiting for half
 *   starts fewer invocations (each with its database pool) than one every few connections would;
 * - a sync ends while the invocation waits for half: at once when half ended;
 * - the invocation ends: if it never handed on (or its continuation was refused at admission), or again if some
 *   of its syncs stopped early (their connections are still due, and its continuation may have ended while they
 *   were leased here). That hand-on is sent after the run row closed, so it never waits for its own slot.
 * Whether anything is left to hand on is shouldHandOn's question, asked at that moment.
 */
export type HandOnMoment =
  | { at: 'stop'; verdict: Exclude<ClaimVerdict, 'claim'>; inFlight: number; taken: number }
  | { at: 'sync-end'; waitingForHalf: boolean; inFlight: number; taken: number }
  | { at: 'end'; handedOn: boolean; stoppedEarly: number };

export function handOnWhen(m: HandOnMoment): 'now' | 'at-half' | 'not-yet' {
  switch (m.at) {
    case 'stop':
      return m.verdict === 'cpu' && m.inFlight > m.taken / 2 ? 'at-half' : 'now';
    case 'sync-end':
      return m.waitingForHalf && m.inFlight <= m.taken / 2 ? 'now' : 'not-yet';
    case 'end':
      return !m.handedOn || m.stoppedEarly > 0 ? 'now' : 'not-yet';
  }
}

// --- effects -----------------------------------------------------------------------------------------------

export async function recover(sql: Sql, now: Date, leaseSeconds: number): Promise<number> {
  const staleBefore = new Date(now.getTime() - leaseSeconds * 1000);
  const recovered = (await interruptStaleLogs(sql, staleBefore)) + (await releaseExpiredLeases(sql, now));
  // No invocation outlives the platform's wall clock (400 s on paid plans): older running rows are dead.
  await failAbandonedRuns(sql, new Date(now.getTime() - 15 * 60_000));
  return recovered;
}

/**
 * Recovery, then the run row. Background invocations are admitted under the invocation ceiling (null =
 * refused); ops runs always are. `alive` counts the invocations alive with this one.
 */
export async function openAutoSyncRun(
  sql: Sql,
  req: RunRequest,
  now: Date,
  leaseSeconds: number,
  admission?: Pick<InvocationLimits, 'ceiling' | 'wallMs'>,
): Promise<{ runId: string; recovered: number; alive: number } | null> {
  // The recovery statements and the admission transaction: sent again when a database restart ended their session.
  return await retryOnSessionEnd(async () => {
    const recovered = await recover(sql, now, leaseSeconds);
    const run = await openRun(sql, {
      source: req.continuationOf ? 'continuation' : req.source,
      parentRunId: req.continuationOf ?? null,
      dryRun: false,
      recovered,
      ceiling: admission?.ceiling ?? null,
      aliveAfter: admission ? new Date(now.getTime() - admission.wallMs) : undefined,
    });
    return run && { runId: run.id, recovered, alive: run.alive };
  });
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

export interface RunHooks {
  /** Starts the continuation (another invocation); false when it could not. */
  handOn?: () => Promise<boolean>;
  /** The invocation's CPU time so far, ms (start-up counted); undefined = not measured. */
  cpuMs?: () => number;
  /** Wall clock, epoch ms (default: the engine's clock, deps.now). */
  clock?: () => number;
  /** When the invocation started, epoch ms (default: now). */
  startedAt?: number;
  /** Waits (default: setTimeout); the bench scales them to its virtual clock. */
  sleep?: (ms: number) => Promise<void>;
}

export async function executeRun(
  deps: EngineDeps,
  runId: string,
  recovered: number,
  req: RunRequest,
  limits: Pick<InvocationLimits, 'claimMs' | 'maxConcurrency'> & Partial<InvocationLimits>,
  hooks: RunHooks = {},
): Promise<RunSummary> {
  const clock = hooks.clock ?? (() => deps.now().getTime());
  const startedAt = hooks.startedAt ?? clock();
  const t0 = performance.now();
  const concurrency = Math.max(1, Math.min(req.concurrency ?? 1, limits.maxConcurrency));
  const deadline = limits.wallMs !== undefined ? new Date(syncDeadline(startedAt, { wallMs: limits.wallMs, closeMarginMs: limits.closeMarginMs ?? 0 })) : undefined;
  const cpu = hooks.cpuMs ?? (() => 0);
  const results: RunSummary['results'] = [];
  const taken = new Set<string>();
  let inFlight = 0;
  // Claims sent and not answered yet: counted with the syncs in flight by the CPU rule (workers start together).
  let claiming = 0;
  let cpuAtFirstClaim: number | null = null;
  let finished = 0;
  let stoppedBy: ClaimVerdict = 'claim';
  let handedOn = false;
  // Connections whose sync stopped early (deadline, CPU) and were released: still due, so worth a hand-on even
  // when this invocation handed on already (its continuation may have found them leased and ended).
  let stoppedEarly = 0;
  let tookOver = 0; // dead holders' logs closed by our syncs (their lease lapsed after recovery looked)
  let capBlocked = false;
  let handOnAtHalf = false;
  let polling = false;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const stopForCpu = limits.cpuMs !== undefined ? () => outOfCpu(cpu(), limits) : undefined;
  // Without a way to hand on (ops runs, runs on given ids) nothing is handed on.
  const restricted = !hooks.handOn;

  // While it claims, an invocation asks for its continuation at most once, as soon as the decision is made (not
  // after the syncs in flight end). Refused at admission (the invocations alive fill the ceiling), it asks again
  // only at its end.
  let handing: Promise<void> | null = null;
  const handOnIfDue = () => {
    if (handing || !hooks.handOn) return handing;
    handing = (async () => {
      const freeDue = await countDue(deps.sql, deps.now(), req.connectionIds).catch(() => 0);
      if (!shouldHandOn({ freeDue, taken: taken.size, capBlocked, handedOn, restricted })) {
        handing = null;
        return;
      }
      handedOn = await hooks.handOn!();
    })();
    return handing;
  };

  // A worker whose claim comes back empty while others sync (the rows it could take were row-locked by their
  // claims, or their accounts busy) waits for one of those syncs to end and claims again, instead of stopping.
  let wake = () => {};
  let slotFreed = new Promise<void>((r) => (wake = r));
  const freed = () => {
    const w = wake;
    slotFreed = new Promise<void>((r) => (wake = r));
    w();
  };

  const worker = async () => {
    while (true) {
      const verdict = claimVerdict({
        elapsedMs: clock() - startedAt,
        cpuMs: cpu(),
        cpuPerSyncMs: cpuPerSync(cpu() - (cpuAtFirstClaim ?? cpu()), finished),
        inFlight: inFlight + claiming,
        taken: taken.size + claiming,
        limits,
      });
      if (verdict !== 'claim') {
        stoppedBy = verdict;
        const when = handOnWhen({ at: 'stop', verdict, inFlight: inFlight + claiming, taken: taken.size + claiming });
        if (when === 'at-half') handOnAtHalf = true;
        else void handOnIfDue();
        return;
      }
      let conn;
      claiming++;
      try {
        conn = await claimNextDue(deps.sql, deps.now(), deps.owner, deps.leaseSeconds, {
          ids: req.connectionIds,
          exclude: [...taken],
          maxInFlight: limits.maxInFlight,
          openLog: { runId },
        });
      } catch (e) {
        // The database is unreachable: stop claiming; what is still due is reported and handed on.
        console.error('erp-auto-sync: claim failed:', e instanceof Error ? e.message : e);
        return;
      } finally {
        claiming--;
      }
      if (!conn) {
        if (inFlight > 0) {
          await slotFreed;
          continue;
        }
        // Nothing in flight here: either nothing is claimable, or the in-flight cap is full (other chains' syncs
        // hold it). Then one worker waits and tries again, the others wait for it.
        const full = limits.maxInFlight !== undefined &&
          (await liveLeases(deps.sql, deps.now()).catch(() => 0)) >= limits.maxInFlight;
        if (!full) return;
        capBlocked = true;
        if (polling) {
          await slotFreed;
          continue;
        }
        polling = true;
        await sleep(CAP_POLL_MS);
        polling = false;
        freed();
        continue;
      }
      taken.add(conn.id);
      inFlight++;
      cpuAtFirstClaim ??= cpu();
      let outcome: SyncOutcome;
      try {
        outcome = await syncConnection(deps, conn, { syncType: 'auto', runId, deadline, stopWhen: stopForCpu, log: conn.opened ?? undefined });
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
      } finally {
        inFlight--;
        freed();
        if (handOnWhen({ at: 'sync-end', waitingForHalf: handOnAtHalf, inFlight, taken: taken.size }) === 'now') void handOnIfDue();
      }
      finished++;
      if (outcome.tookOver) tookOver++;
      if (outcome.status === 'interrupted') stoppedEarly++;
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
  await handing;

  const remaining = await persistently(() => countDue(deps.sql, deps.now(), req.connectionIds));
  // The hand-on at the end is decided now and sent once the run row is closed (admission no longer counts us).
  const handOnAtEnd = handOnWhen({ at: 'end', handedOn, stoppedEarly }) === 'now' &&
    shouldHandOn({ freeDue: remaining, taken: taken.size, capBlocked, handedOn: false, restricted });
  const recoveredAll = recovered + tookOver;
  const summary: RunSummary = {
    run_id: runId,
    processed: results.length,
    succeeded: results.filter((r) => r.success).length,
    failed: results.filter((r) => !r.success).length,
    remaining,
    duration_ms: Math.round(performance.now() - t0),
    recovered: recoveredAll,
    stopped_by: stoppedBy,
    handed_on: handedOn || handOnAtEnd,
    results,
  };
  await persistently(() => closeRun(deps.sql, runId, {
    processed: summary.processed,
    recovered: recoveredAll,
    succeeded: summary.succeeded,
    failed: summary.failed,
    remaining,
    durationMs: summary.duration_ms,
    details: {
      source: req.source,
      concurrency,
      stopped_by: stoppedBy,
      handed_on: summary.handed_on,
      cpu_ms: Math.round(cpu()),
      statuses: countBy(results.map((r) => r.status)),
    },
  }));
  if (handOnAtEnd) summary.handed_on = (await hooks.handOn!()) || handedOn;
  return summary;
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

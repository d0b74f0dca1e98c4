/**
 * The sync engine, for one connection whose lease we hold:
 *   open the log (running; the same statement reads the checkpoints; for auto syncs it is the claim's) → under the lease (withLease: heartbeat,
 *   deadline) the entities NF-e → products → financials → profile, one table of steps (STEPS), each switchable
 *   and isolated → decideOutcome (pure: entity results → status, failure count, pt-BR messages) → close the log
 *   (one statement: log, checkpoints, the connection's new state, lease released).
 * Writes are idempotent upserts and checkpoints are saved with the progress (at most every few seconds) and at
 * the close, so a run cut short (crash, lost lease, deadline) leaves data the next run completes. At the
 * deadline a sync stops, closes its log 'interrupted' and releases its lease: the connection stays due and the
 * next invocation resumes it from the checkpoint.
 */
import type {
  Capabilities,
  Checkpoint,
  DateWindow,
  Entity,
  ErpAdapter,
  ErpType,
  FailedRecord,
  Page,
} from '../adapters/contract.ts';
import { ENTITIES } from '../adapters/contract.ts';
import { persistently, type Sql } from '../db/client.ts';
import { type CheckpointRow, type CheckpointWrite, loadCheckpoints, startFullResync } from '../db/checkpoints.ts';
import { type ConnectionRow, finishConnection, type OpenedLog, releaseLease, renewLease } from '../db/connections.ts';
import { closeLog, heartbeat, interruptRunningLog, openLog, updateLogProgress } from '../db/sync-logs.ts';
import {
  duplicateNotes,
  markUnlistedProductsInactive,
  rebuildDre,
  upsertFinancialEntries,
  upsertProducts,
  upsertProfile,
} from '../db/synced-data.ts';
import { AppError, toAppError } from '../errors.ts';
import type { ImportOptions, ImportResult } from '../nfe/import.ts';
import { DEFAULT_SCHEDULE, entityEnabled, parseSyncConfig, type SyncConfig } from './config.ts';
import {
  authFailureMessage,
  configFailureMessage,
  errorSummary,
  interruptedMessage,
  logErrorMessage,
  partialMessage,
  tooManyFailuresMessage,
  transientFailureMessage,
} from './messages.ts';
import { nextSlotAfter } from './schedule.ts';
import { FOLLOW_UPS, type Trigger, type TriggerOutcome } from './triggers.ts';
import { financialsWindow, localDay, nfeWindow } from './window.ts';

export type NfeImporter = (sql: Sql, opts: ImportOptions) => Promise<ImportResult>;

export interface EngineDeps {
  sql: Sql;
  now: () => Date;
  adapterFor: (conn: ConnectionRow, signal: AbortSignal) => ErpAdapter;
  importNfe: NfeImporter;
  trigger: Trigger;
  /** Lease length; the heartbeat renews it every third of it. */
  leaseSeconds: number;
  /** Identity of this worker (the lease owner). */
  owner: string;
}

export interface SyncRequest {
  syncType: 'auto' | 'manual';
  runId: string | null;
  /** A log already opened by the caller (manual sync). */
  logId?: string;
  /** A log opened, with the checkpoints, in the claim's statement (the orchestrator's claimNextDue). */
  log?: OpenedLog;
  /** When the sync must stop, save its checkpoint and release the connection (the invocation's wall clock). */
  deadline?: Date;
  /** Checked at every page: true stops the sync as the deadline does (the invocation's CPU budget is spent). */
  stopWhen?: () => boolean;
}

export type EntityStatus = 'success' | 'error' | 'skipped' | 'not_supported';

export interface EntityReport {
  status: EntityStatus;
  synced: number;
  failed: number;
  pages: number;
  window?: { from: string; to: string; full: boolean };
  errors: Array<{ externalId?: string; code: string; message: string }>;
  error?: { kind: string; code: string; message: string };
  trigger?: TriggerOutcome;
  /** Finished by an earlier attempt of this pass (finishedThisPass): not read again. */
  finished_earlier?: true;
  duration_ms: number;
}

export interface SyncOutcome {
  connectionId: string;
  logId: string | null;
  status: 'success' | 'partial' | 'error' | 'interrupted' | 'already_running';
  recordsSynced: number;
  recordsFailed: number;
  durationMs: number;
  error?: string;
  entities: Partial<Record<Entity, EntityReport>>;
  /** The sync closed a log a dead holder had left running (a recovery, counted in its run's `recovered`). */
  tookOver?: true;
}

const MAX_ERRORS_KEPT = 20;
/** Progress (and the checkpoints reached) is written at most this often while a sync runs. */
export const PROGRESS_EVERY_MS = 3000;

// --- the outcome: a pure decision ------------------------------------------------------------------------

export type StopReason = 'lease_lost' | 'deadline';

export interface OutcomeInput {
  erp: ErpType;
  entities: Partial<Record<Entity, EntityReport>>;
  /** A failure of the whole sync (bad sync_config, the database...), outside any entity. */
  failure?: { kind: string; code: string } | null;
  /** The sync was stopped before the end. */
  stopped?: StopReason | null;
  /** The connection's count before this sync, and the limit from its sync_config. */
  consecutiveFailures: number;
  maxConsecutiveFailures: number;
}

export type ConnectionChange =
  | { kind: 'leave' } // someone else holds the connection now
  | { kind: 'release' } // lease released, schedule untouched: still due, resumed from the checkpoint
  | { kind: 'finish'; status: 'active' | 'error'; message: string | null; consecutiveFailures: number };

export interface Outcome {
  status: 'success' | 'partial' | 'error' | 'interrupted';
  /** The log's error_message (pt-BR, with the stable code). */
  logMessage: string | null;
  connection: ConnectionChange;
}

/** What a sync's entity results mean: the log's status and message, and the connection's new state. */
export function decideOutcome(i: OutcomeInput): Outcome {
  if (i.stopped) {
    return {
      status: 'interrupted',
      logMessage: interruptedMessage(i.stopped),
      connection: i.stopped === 'deadline' ? { kind: 'release' } : { kind: 'leave' },
    };
  }
  const errored = ENTITIES.filter((e) => i.entities[e]?.status === 'error');
  const attempted = ENTITIES.filter((e) => i.entities[e]?.status === 'success' || i.entities[e]?.status === 'error');
  const authEntity = errored.find((e) => i.entities[e]?.error?.kind === 'auth');
  const auth = i.failure?.kind === 'auth' ? i.failure : authEntity ? i.entities[authEntity]!.error! : null;
  const config = i.failure?.kind === 'config' ? i.failure : null;
  const status = i.failure || auth || (attempted.length > 0 && errored.length === attempted.length)
    ? 'error'
    : errored.length > 0
    ? 'partial'
    : 'success';
  const first = errored[0];
  const firstError = first ? i.entities[first]!.error : undefined;
  const logMessage = i.failure
    ? logErrorMessage(i.erp, i.failure.kind, i.failure.code)
    : auth
    ? logErrorMessage(i.erp, 'auth', auth.code)
    : firstError
    ? logErrorMessage(i.erp, firstError.kind, firstError.code, first)
    : null;
  const failures = status === 'error' ? i.consecutiveFailures + 1 : 0;
  const finish = (s: 'active' | 'error', message: string | null): Outcome => ({
    status,
    logMessage,
    connection: { kind: 'finish', status: s, message, consecutiveFailures: failures },
  });
  if (auth) return finish('error', authFailureMessage(i.erp, auth.code));
  if (config) return finish('error', configFailureMessage(i.erp));
  if (status === 'error') {
    return failures >= i.maxConsecutiveFailures
      ? finish('error', tooManyFailuresMessage(i.erp, failures))
      : finish('active', transientFailureMessage(i.erp, failures, i.maxConsecutiveFailures));
  }
  if (status === 'partial') return finish('active', partialMessage(i.erp, errored));
  return finish('active', null);
}

// --- the lease -------------------------------------------------------------------------------------------

const LEASE_LOST = () => new AppError('conflict', 'LEASE_LOST', 'the connection lease was lost');
const DEADLINE = () => new AppError('transient', 'DEADLINE', 'the invocation deadline was reached');

/** Why a signal of withLease was aborted, if it was. */
export function stopReason(signal: AbortSignal): StopReason | null {
  if (!signal.aborted) return null;
  return (signal.reason as AppError)?.code === 'DEADLINE' ? 'deadline' : 'lease_lost';
}

/**
 * Runs `fn` while holding the connection's lease: a heartbeat renews the lease (and the log's heartbeat) every
 * third of its length; the signal aborts when the lease is lost or at the deadline (a timer for waits in
 * flight, and `stopDue()`, which the page loop calls, against the engine's clock and `stopWhen`).
 * `stopDue()` throws once the lease is lost (nothing more may be written) and returns the DEADLINE error when a
 * deadline or CPU stop is due (the caller writes what it holds, then throws it); null while the sync may go on.
 */
export async function withLease<T>(
  deps: Pick<EngineDeps, 'sql' | 'now' | 'leaseSeconds' | 'owner'>,
  lease: { connectionId: string; logId: string; deadline?: Date; stopWhen?: () => boolean },
  fn: (signal: AbortSignal, stopDue: () => AppError | null) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  const stopDue = () => {
    if (!abort.signal.aborted && ((lease.deadline && deps.now() >= lease.deadline) || lease.stopWhen?.())) abort.abort(DEADLINE());
    if (stopReason(abort.signal) === 'lease_lost') throw abort.signal.reason;
    return abort.signal.aborted ? abort.signal.reason as AppError : null;
  };
  const beat = setInterval(async () => {
    try {
      const kept = await renewLease(deps.sql, lease.connectionId, deps.owner, deps.leaseSeconds);
      if (!kept) abort.abort(LEASE_LOST());
      else await heartbeat(deps.sql, lease.logId);
    } catch { /* transient db hiccup: next beat retries */ }
  }, Math.max(500, (deps.leaseSeconds * 1000) / 3));
  const timer = lease.deadline
    ? setTimeout(() => abort.abort(DEADLINE()), Math.max(0, lease.deadline.getTime() - deps.now().getTime()))
    : undefined;
  try {
    return await fn(abort.signal, stopDue);
  } finally {
    clearInterval(beat);
    clearTimeout(timer);
  }
}

// --- the entities: one table of steps --------------------------------------------------------------------

type ErrorEntry = EntityReport['errors'][number];

interface EntityRun {
  deps: EngineDeps;
  conn: ConnectionRow;
  cfg: SyncConfig;
  now: Date;
  saved: CheckpointRow | null;
  resumeFrom: Checkpoint | null;
  report: EntityReport;
  /** Every external id the ERP listed in this run (records and failed ones alike). */
  listed: Set<string>;
}

interface EntityStep {
  supported(c: Capabilities): boolean;
  /** The date window to read, when the entity has one. */
  window?(now: Date, cfg: SyncConfig, syncedThrough: string | null): DateWindow & { full: boolean };
  pages(a: ErpAdapter, w: DateWindow | undefined, resumeFrom: Checkpoint | null): AsyncIterable<Page<any>>;
  /** Stores one page's records: how many landed, which failed, and notes for the log that are not failures. */
  write(x: EntityRun, records: any[]): Promise<{ synced: number; errors: ErrorEntry[]; notes?: ErrorEntry[] }>;
  /** After the last page; `last` is the last page's checkpoint. */
  after?(x: EntityRun, w: DateWindow | undefined, last: Checkpoint | null): Promise<void>;
  /** The checkpoint the entity ends with (null: none); `last` is the last page's. */
  final(x: EntityRun, w: DateWindow | undefined, last: Checkpoint | null): { checkpoint: Checkpoint; syncedThrough: string | null } | null;
  /** Whether pages carry a checkpoint worth saving on the way. */
  resumable: boolean;
}

/** How far an entity is complete: only as far as before when some record failed (the next run reads it again). */
const through = (x: EntityRun, to: string) => (x.report.failed ? x.saved?.synced_through ?? null : to);

/** A finished window (NF-e, financials) is not resumed: the next window starts from synced_through. */
const windowDone = (x: EntityRun, w: DateWindow | undefined) => ({
  checkpoint: { done: true, from: w!.from, to: w!.to },
  syncedThrough: through(x, w!.to),
});

async function* onePage<T>(get: () => Promise<T>): AsyncIterable<Page<T>> {
  yield { records: [await get()], failed: [], checkpoint: {} };
}

const STEPS: Record<Entity, EntityStep> = {
  nfe: {
    supported: (c) => c.nfeIssued || c.nfeReceived,
    window: nfeWindow,
    pages: (a, w, from) => a.nfe(w!, from),
    write: async (x, records) => {
      const res = await x.deps.importNfe(x.deps.sql, {
        companyId: x.conn.company_id,
        companyCnpj: x.conn.company_cnpj ?? undefined,
        connectionId: x.conn.id,
        source: x.conn.erp_type,
        documents: records.map((r) => ({ externalId: r.externalId, xml: r.xml, erpCancelled: r.erpCancelled })),
      });
      return {
        synced: res.imported + res.updated + res.unchanged + res.events,
        errors: res.failed.map((f) => ({ externalId: f.externalId, code: f.code, message: f.message })),
      };
    },
    final: windowDone,
    resumable: true,
  },
  products: {
    supported: (c) => c.products,
    pages: (a, _w, from) => a.products(from),
    write: async (x, records) => {
      const notes: ErrorEntry[] = [];
      const synced = await upsertProducts(x.deps.sql, x.conn.company_id, x.conn.id, records, (ids) => notes.push(...duplicateNotes(ids)));
      return { synced, errors: [], notes };
    },
    // A complete pass read from the first page in this run: what the ERP no longer lists becomes inactive.
    after: async (x, _w, last) => {
      if (!x.resumeFrom && last?.phase === 'done') await markUnlistedProductsInactive(x.deps.sql, x.conn.id, [...x.listed]);
    },
    // The products checkpoint is the adapter's own incremental cursor, always handed back. With failed records
    // it stays where this run started, so the next run fetches them again; a finished pass without an
    // incremental cursor (phase 'done') starts over next time: products change.
    final: (x, _w, last) => {
      const next = x.report.failed ? x.resumeFrom : last?.phase === 'done' ? null : last ?? x.resumeFrom;
      return { checkpoint: next ?? {}, syncedThrough: through(x, localDay(x.now)) };
    },
    resumable: true,
  },
  financials: {
    supported: (c) => c.financials,
    window: financialsWindow,
    pages: (a, w, from) => a.financials(w!, from),
    write: async (x, records) => {
      const notes: ErrorEntry[] = [];
      const synced = await upsertFinancialEntries(x.deps.sql, x.conn.company_id, x.conn.id, records, (ids) => notes.push(...duplicateNotes(ids)));
      return { synced, errors: [], notes };
    },
    after: async (x, w) => void await rebuildDre(x.deps.sql, x.conn.company_id, w!.from, w!.to, x.conn.erp_type),
    final: windowDone,
    resumable: true,
  },
  profile: {
    supported: (c) => c.profile,
    pages: (a) => onePage(() => a.profile()),
    write: async (x, [profile]) => {
      await upsertProfile(x.deps.sql, x.conn.company_id, x.conn.erp_type, profile);
      return { synced: 1, errors: [] };
    },
    final: () => null,
    resumable: false,
  },
};

function failedToErrors(failed: FailedRecord[]): ErrorEntry[] {
  return failed.map((f) => ({ externalId: f.externalId, code: f.error.code, message: f.error.message.slice(0, 300) }));
}

/** One entity, page by page; `reached` records the checkpoint to save (with the next progress, or at the close). */
async function runEntity(
  x: EntityRun,
  entity: Entity,
  adapter: ErpAdapter,
  stopDue: () => AppError | null,
  reached: (w: CheckpointWrite) => void,
  progress: () => Promise<void>,
): Promise<void> {
  const step = STEPS[entity];
  const before = stopDue();
  if (before) throw before;
  const w = step.window?.(x.now, x.cfg, x.saved?.synced_through ?? null);
  if (w) x.report.window = w;
  let last: Checkpoint | null = null;
  for await (const page of step.pages(adapter, w, x.resumeFrom)) {
    // A page fetched is written before a deadline or CPU stop takes effect (a resumed sync would fetch it again:
    // Tiny's details of a page are a minute of its quota); after a lost lease nothing more is written.
    const stop = stopDue();
    for (const r of [...page.records, ...page.failed]) if (r.externalId) x.listed.add(r.externalId);
    const res = await step.write(x, page.records);
    const errors = [...failedToErrors(page.failed), ...res.errors];
    x.report.synced += res.synced;
    x.report.failed += errors.length;
    for (const e of [...errors, ...(res.notes ?? [])]) if (x.report.errors.length < MAX_ERRORS_KEPT) x.report.errors.push(e);
    x.report.pages++;
    last = page.checkpoint;
    if (step.resumable) reached({ entity, checkpoint: page.checkpoint });
    await progress();
    if (stop) throw stop;
  }
  await step.after?.(x, w, last);
  const end = step.final(x, w, last);
  if (end) reached({ entity, checkpoint: end.checkpoint, syncedThrough: end.syncedThrough, finishedAt: x.deps.now() });
}

/**
 * Whether an entity was finished in this pass, by an earlier attempt of a sync that then stopped (CPU budget,
 * deadline, an isolate killed): finished after the connection's last finished sync (`last_sync_at` moves only
 * when a sync finishes, never at a stop). Such an entity is not read again when the sync resumes; once the pass
 * finishes, the next one reads it as usual.
 */
export function finishedThisPass(saved: CheckpointRow | null, lastSyncAt: Date | null): boolean {
  if (!saved?.finished_at) return false;
  return lastSyncAt === null || new Date(saved.finished_at).getTime() > lastSyncAt.getTime();
}

// --- a sync ------------------------------------------------------------------------------------------------

/**
 * Opens the log (or takes over one left by a holder whose lease expired: we hold the lease now). `tookOver`: a
 * dead holder's log was closed here, because its lease lapsed after this run's recovery step looked.
 */
async function openOrTakeOver(deps: EngineDeps, conn: ConnectionRow, req: SyncRequest, startedAt: Date) {
  if (req.log) return { log: req.log, tookOver: false };
  if (req.logId) return { log: { id: req.logId, checkpoints: await loadCheckpoints(deps.sql, conn.id) }, tookOver: false };
  const open = () =>
    openLog(deps.sql, { connectionId: conn.id, companyId: conn.company_id, syncType: req.syncType, runId: req.runId, startedAt });
  const log = await open();
  if (log) return { log, tookOver: false };
  const closed = await interruptRunningLog(deps.sql, conn.id);
  return { log: await open(), tookOver: closed > 0 };
}

export async function syncConnection(deps: EngineDeps, conn: ConnectionRow, req: SyncRequest): Promise<SyncOutcome> {
  const { sql } = deps;
  const startedAt = deps.now();
  const t0 = performance.now();
  const { log, tookOver } = await openOrTakeOver(deps, conn, req, startedAt);
  if (!log) {
    await releaseLease(sql, conn.id, deps.owner);
    return { connectionId: conn.id, logId: null, status: 'already_running', recordsSynced: 0, recordsFailed: 0, durationMs: 0, entities: {} };
  }
  const logId = log.id;

  const entities: Partial<Record<Entity, EntityReport>> = {};
  const totals = () => {
    let synced = 0, failed = 0;
    for (const r of Object.values(entities)) {
      synced += r?.synced ?? 0;
      failed += r?.failed ?? 0;
    }
    return { synced, failed };
  };
  // Checkpoints reached and not yet written: they go with the next progress write, or with the close.
  const pending = new Map<Entity, CheckpointWrite>();
  const reached = (w: CheckpointWrite) => pending.set(w.entity, { ...pending.get(w.entity), ...w });
  let lastProgress = performance.now();
  const progress = async () => {
    if (performance.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = performance.now();
    const t = totals();
    const checkpoints = [...pending.values()];
    pending.clear();
    await updateLogProgress(sql, logId, { recordsSynced: t.synced, recordsFailed: t.failed, details: { entities } }, {
      connectionId: conn.id,
      checkpoints,
    });
  };

  let failure: AppError | null = null;
  let stopped: StopReason | null = null;
  let cfg: SyncConfig;
  try {
    cfg = parseSyncConfig(conn.sync_config);
    nextSlotAfter(startedAt, cfg.schedule); // a schedule that cannot be followed is a config error, found now
  } catch (e) {
    failure = new AppError('config', 'BAD_SYNC_CONFIG', `invalid sync_config: ${e instanceof Error ? e.message : e}`);
    cfg = parseSyncConfig({});
  }

  if (!failure) {
    try {
      // A sync stops for CPU only after a page landed in it: whatever the clock says, every sync makes progress.
      const stopWhen = req.stopWhen && (() => Object.values(entities).some((r) => (r?.pages ?? 0) > 0) && req.stopWhen!());
      await withLease(deps, { connectionId: conn.id, logId, deadline: req.deadline, stopWhen }, async (signal, stopDue) => {
        if (cfg.full_resync) {
          await startFullResync(sql, conn.id, deps.owner);
          log.checkpoints.clear();
        }
        const adapter = deps.adapterFor(conn, signal);
        let authError: AppError | null = null;
        for (const entity of ENTITIES) {
          const step = STEPS[entity];
          const report: EntityReport = { status: 'success', synced: 0, failed: 0, pages: 0, errors: [], duration_ms: 0 };
          entities[entity] = report;
          if (!entityEnabled(cfg, entity)) {
            report.status = 'skipped';
            continue;
          }
          if (authError) {
            report.status = 'skipped';
            report.error = errorSummary(authError);
            continue;
          }
          if (!step.supported(adapter.capabilities)) {
            report.status = 'not_supported';
            continue;
          }
          const saved = log.checkpoints.get(entity) ?? null;
          if (finishedThisPass(saved, conn.last_sync_at)) {
            // Its data and follow-up landed in that attempt: this log records it as done, with nothing new.
            report.finished_earlier = true;
            if (saved!.checkpoint.done === true) report.window = { from: String(saved!.checkpoint.from), to: String(saved!.checkpoint.to), full: false };
            continue;
          }
          // A run cut short resumes from its last saved page; a finished window is not resumed (the next window
          // is computed from synced_through).
          const finished = saved?.checkpoint?.done === true && entity !== 'products';
          const empty = !saved?.checkpoint || Object.keys(saved.checkpoint).length === 0;
          const resumeFrom = finished || empty ? null : saved!.checkpoint;
          const te = performance.now();
          try {
            await runEntity({ deps, conn, cfg, now: deps.now(), saved, resumeFrom, report, listed: new Set() }, entity, adapter, stopDue, reached, progress);
            report.trigger = await deps.trigger(FOLLOW_UPS[entity], { company_id: conn.company_id, connection_id: conn.id, log_id: logId });
          } catch (e) {
            report.status = 'error';
            if ((stopped = stopReason(signal))) {
              report.error = errorSummary(toAppError(signal.reason));
              break;
            }
            const err = toAppError(e);
            report.error = errorSummary(err);
            if (err.kind === 'auth') authError = err;
          } finally {
            report.duration_ms = Math.round(performance.now() - te);
          }
          await progress();
        }
      });
    } catch (e) {
      // Failure outside any entity (building the adapter, a progress write...): the whole sync failed.
      failure = toAppError(e);
    }
  }

  const completedAt = deps.now();
  const durationMs = Math.round(performance.now() - t0);
  const t = totals();
  const outcome = decideOutcome({
    erp: conn.erp_type,
    entities,
    failure: failure && { kind: failure.kind, code: failure.code },
    stopped,
    consecutiveFailures: conn.consecutive_failures,
    maxConsecutiveFailures: cfg.max_consecutive_failures,
  });
  const change = outcome.connection;
  await persistently(() =>
    closeLog(sql, logId, {
      status: outcome.status,
      completedAt,
      recordsSynced: t.synced,
      recordsFailed: t.failed,
      durationMs,
      details: { entities },
      errorMessage: outcome.logMessage,
    }, {
      connectionId: conn.id,
      // A lost lease belongs to someone else now, checkpoints included.
      checkpoints: change.kind === 'leave' ? [] : [...pending.values()],
      connection: change.kind === 'finish'
        ? finishConnection(sql, conn.id, deps.owner, {
          lastSyncAt: completedAt,
          nextSyncAt: failure?.code === 'BAD_SYNC_CONFIG'
            ? nextSlotAfter(completedAt, DEFAULT_SCHEDULE)
            : nextSlotAfter(completedAt, cfg.schedule),
          status: change.status,
          statusMessage: change.message,
          consecutiveFailures: change.consecutiveFailures,
        })
        : change.kind === 'release'
        ? releaseLease(sql, conn.id, deps.owner)
        : null,
    })
  );
  return {
    connectionId: conn.id,
    logId,
    status: outcome.status,
    recordsSynced: t.synced,
    recordsFailed: t.failed,
    durationMs,
    error: outcome.logMessage ?? undefined,
    entities,
    tookOver: tookOver || undefined,
  };
}

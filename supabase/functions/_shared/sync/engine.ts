/**
 * The sync engine, for one connection whose lease we hold:
 *   open an erp_sync_logs row (running) → NF-e → products → financials → profile (each switchable, each
 *   isolated: one failing makes the log 'partial', the others still run) → close the log → update the
 *   connection (last/next sync, status, message, failure count) and release the lease.
 * Checkpoints are saved after every page and writes are idempotent upserts, so a run cut short (crash,
 * lost lease, time budget) leaves data the next run completes. While it runs, a heartbeat renews the lease
 * and the log's heartbeat; if the lease is lost the run stops and its log becomes 'interrupted'.
 */
import type { Checkpoint, Entity, ErpAdapter, FailedRecord } from '../adapters/contract.ts';
import { ENTITIES } from '../adapters/contract.ts';
import type { Sql } from '../db/client.ts';
import { loadCheckpoints, saveCheckpoint } from '../db/checkpoints.ts';
import { type ConnectionRow, finishConnection, releaseLease, renewLease } from '../db/connections.ts';
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
import { entityEnabled, parseSyncConfig, type SyncConfig } from './config.ts';
import {
  authFailureMessage,
  configFailureMessage,
  errorSummary,
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
}

const MAX_ERRORS_KEPT = 20;
const PROGRESS_EVERY_MS = 3000;

/**
 * The closing writes of a sync (log, connection) retried through a short database outage (a restart, a
 * failover): the pool reconnects on the next query, and a sync that ran must not be left 'running'.
 */
export async function persistently<T>(write: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** i)));
    }
  }
}

function failedToErrors(failed: FailedRecord[]) {
  return failed.map((f) => ({ externalId: f.externalId, code: f.error.code, message: f.error.message.slice(0, 300) }));
}

export async function syncConnection(
  deps: EngineDeps,
  conn: ConnectionRow,
  opts: { syncType: 'auto' | 'manual'; runId: string | null; logId?: string },
): Promise<SyncOutcome> {
  const { sql } = deps;
  const startedAt = deps.now();
  const t0 = performance.now();
  const open = () =>
    openLog(sql, { connectionId: conn.id, companyId: conn.company_id, syncType: opts.syncType, runId: opts.runId, startedAt });
  let log = opts.logId ? { id: opts.logId } : await open();
  if (!log) {
    // We hold the lease, so a running log belongs to a holder whose lease expired (crashed or cut off).
    await interruptRunningLog(sql, conn.id);
    log = await open();
  }
  if (!log) {
    await releaseLease(sql, conn.id, deps.owner);
    return { connectionId: conn.id, logId: null, status: 'already_running', recordsSynced: 0, recordsFailed: 0, durationMs: 0, entities: {} };
  }

  const abort = new AbortController();
  const logId = log.id;
  const beat = setInterval(async () => {
    try {
      const kept = await renewLease(sql, conn.id, deps.owner, deps.leaseSeconds);
      if (!kept) abort.abort(new AppError('conflict', 'LEASE_LOST', 'the connection lease was lost'));
      else await heartbeat(sql, logId);
    } catch { /* transient db hiccup: next beat retries */ }
  }, Math.max(500, (deps.leaseSeconds * 1000) / 3));

  const entities: Partial<Record<Entity, EntityReport>> = {};
  const totals = () => {
    let synced = 0, failed = 0;
    for (const r of Object.values(entities)) {
      synced += r?.synced ?? 0;
      failed += r?.failed ?? 0;
    }
    return { synced, failed };
  };
  // Progress for the card (counts so far): after each entity, and between pages at most every few seconds.
  let lastProgress = performance.now();
  const progress = async (force = true) => {
    if (!force && performance.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = performance.now();
    const t = totals();
    await updateLogProgress(sql, logId, { recordsSynced: t.synced, recordsFailed: t.failed, details: { entities } });
  };

  let cfg: SyncConfig;
  let configError: AppError | null = null;
  try {
    cfg = parseSyncConfig(conn.sync_config);
  } catch (e) {
    configError = new AppError('config', 'BAD_SYNC_CONFIG', `invalid sync_config: ${e instanceof Error ? e.message : e}`);
    cfg = parseSyncConfig({});
  }

  let authError: AppError | null = null;
  let interrupted = false;
  try {
    const adapter = configError ? null : deps.adapterFor(conn, abort.signal);
    const checkpoints = await loadCheckpoints(sql, conn.id);
    for (const entity of ENTITIES) {
      const report: EntityReport = { status: 'success', synced: 0, failed: 0, pages: 0, errors: [], duration_ms: 0 };
      entities[entity] = report;
      const te = performance.now();
      if (!entityEnabled(cfg, entity)) {
        report.status = 'skipped';
        continue;
      }
      if (configError || authError) {
        report.status = 'skipped';
        report.error = errorSummary(configError ?? authError!);
        continue;
      }
      if (!supports(adapter!, entity)) {
        report.status = 'not_supported';
        continue;
      }
      try {
        await runEntity(deps, conn, adapter!, entity, cfg, checkpoints.get(entity) ?? null, report, abort.signal, progress);
        report.trigger = await deps.trigger(FOLLOW_UPS[entity], {
          company_id: conn.company_id,
          connection_id: conn.id,
          log_id: log.id,
        });
      } catch (e) {
        if (abort.signal.aborted) {
          interrupted = true;
          report.status = 'error';
          report.error = errorSummary(toAppError(abort.signal.reason));
          break;
        }
        const err = toAppError(e);
        report.status = 'error';
        report.error = errorSummary(err);
        if (err.kind === 'auth') authError = err;
      } finally {
        report.duration_ms = Math.round(performance.now() - te);
      }
      await progress();
    }
  } catch (e) {
    // Failure outside any entity (loading checkpoints...): the whole sync failed.
    configError ??= toAppError(e);
  } finally {
    clearInterval(beat);
  }

  const completedAt = deps.now();
  const durationMs = Math.round(performance.now() - t0);
  const t = totals();
  const reports = Object.values(entities).filter((r): r is EntityReport => !!r);
  const attempted = reports.filter((r) => r.status === 'success' || r.status === 'error');
  const erroredEntities = ENTITIES.filter((e) => entities[e]?.status === 'error');
  const status: SyncOutcome['status'] = interrupted
    ? 'interrupted'
    : configError || authError || (attempted.length > 0 && erroredEntities.length === attempted.length)
    ? 'error'
    : erroredEntities.length > 0
    ? 'partial'
    : 'success';
  // What the user reads in the history (pt-BR); the technical detail stays in details.entities.
  const firstFailed = erroredEntities[0];
  const errorMessage = configError
    ? logErrorMessage(conn.erp_type, configError.kind, configError.code)
    : authError
    ? logErrorMessage(conn.erp_type, 'auth', authError.code)
    : firstFailed
    ? logErrorMessage(conn.erp_type, entities[firstFailed]!.error!.kind, entities[firstFailed]!.error!.code, firstFailed)
    : null;

  await persistently(() => closeLog(sql, logId, {
    status,
    completedAt,
    recordsSynced: t.synced,
    recordsFailed: t.failed,
    durationMs,
    details: { entities },
    errorMessage,
  }));

  if (interrupted) {
    // Someone else holds the connection now: leave it to them.
    return { connectionId: conn.id, logId: log.id, status, recordsSynced: t.synced, recordsFailed: t.failed, durationMs, error: errorMessage ?? undefined, entities };
  }

  // The connection's new state.
  const failures = status === 'error' ? conn.consecutive_failures + 1 : 0;
  let connStatus: 'active' | 'error' = 'active';
  let message: string | null = null;
  if (authError) {
    connStatus = 'error';
    message = authFailureMessage(conn.erp_type, authError.code);
  } else if (configError) {
    connStatus = 'error';
    message = configFailureMessage(conn.erp_type);
  } else if (status === 'error') {
    if (failures >= cfg.max_consecutive_failures) {
      connStatus = 'error';
      message = tooManyFailuresMessage(conn.erp_type, failures);
    } else {
      message = transientFailureMessage(conn.erp_type, failures, cfg.max_consecutive_failures);
    }
  } else if (status === 'partial') {
    message = partialMessage(conn.erp_type, erroredEntities);
  }
  await persistently(() => finishConnection(sql, conn.id, deps.owner, {
    lastSyncAt: completedAt,
    nextSyncAt: nextSlotAfter(completedAt, cfg.schedule),
    status: connStatus,
    statusMessage: message,
    consecutiveFailures: failures,
    clearFullResync: cfg.full_resync && status === 'success',
  }));

  return { connectionId: conn.id, logId: log.id, status, recordsSynced: t.synced, recordsFailed: t.failed, durationMs, error: errorMessage ?? undefined, entities };
}

function supports(adapter: ErpAdapter, entity: Entity): boolean {
  const c = adapter.capabilities;
  switch (entity) {
    case 'nfe':
      return c.nfeIssued || c.nfeReceived;
    case 'products':
      return c.products;
    case 'financials':
      return c.financials;
    case 'profile':
      return c.profile;
  }
}

async function runEntity(
  deps: EngineDeps,
  conn: ConnectionRow,
  adapter: ErpAdapter,
  entity: Entity,
  cfg: SyncConfig,
  saved: { checkpoint: Checkpoint; synced_through: string | null } | null,
  report: EntityReport,
  signal: AbortSignal,
  progress: (force?: boolean) => Promise<void>,
): Promise<void> {
  const { sql } = deps;
  const now = deps.now();
  const keepErrors = (errs: EntityReport['errors']) => {
    for (const e of errs) if (report.errors.length < MAX_ERRORS_KEPT) report.errors.push(e);
  };
  // How far this entity is complete: only as far as before when some record failed.
  const syncedThrough = (to: string) => (report.failed ? saved?.synced_through ?? null : to);
  const checkAbort = () => {
    if (signal.aborted) throw signal.reason;
  };
  // A full re-sync ignores where we stopped; a run cut short resumes from its last saved page. A finished
  // window is not resumed (the next window is computed from synced_through); the products checkpoint is the
  // adapter's own incremental cursor and is always handed back.
  const finished = saved?.checkpoint?.done === true && entity !== 'products';
  const empty = !saved?.checkpoint || Object.keys(saved.checkpoint).length === 0;
  const resumeFrom = cfg.full_resync || finished || empty ? null : saved!.checkpoint;

  switch (entity) {
    case 'nfe': {
      const window = nfeWindow(now, cfg, cfg.full_resync ? null : saved?.synced_through ?? null);
      report.window = window;
      for await (const page of adapter.nfe(window, resumeFrom)) {
        checkAbort();
        const res = await deps.importNfe(sql, {
          companyId: conn.company_id,
          companyCnpj: conn.company_cnpj ?? undefined,
          connectionId: conn.id,
          source: conn.erp_type,
          documents: page.records.map((r) => ({ externalId: r.externalId, xml: r.xml, erpCancelled: r.erpCancelled })),
        });
        report.synced += res.imported + res.updated + res.unchanged + res.events;
        report.failed += page.failed.length + res.failed.length;
        keepErrors([...failedToErrors(page.failed), ...res.failed.map((f) => ({ externalId: f.externalId, code: f.code, message: f.message }))]);
        await saveCheckpoint(sql, conn.id, 'nfe', page.checkpoint);
        report.pages++;
        await progress(false);
      }
      // A window with failed records is not done: the next night reads it again (and records fail again or land).
      await saveCheckpoint(sql, conn.id, 'nfe', { done: true, from: window.from, to: window.to }, syncedThrough(window.to));
      return;
    }
    case 'products': {
      let last: Checkpoint | null = null;
      const listed = new Set<string>();
      for await (const page of adapter.products(resumeFrom)) {
        checkAbort();
        for (const r of [...page.records, ...page.failed]) if (r.externalId) listed.add(r.externalId);
        report.synced += await upsertProducts(sql, conn.company_id, conn.id, page.records, (ids) => keepErrors(duplicateNotes(ids)));
        report.failed += page.failed.length;
        keepErrors(failedToErrors(page.failed));
        await saveCheckpoint(sql, conn.id, 'products', page.checkpoint);
        last = page.checkpoint;
        report.pages++;
        await progress(false);
      }
      // With failed records the cursor stays where this run started, so the next run fetches them again. A
      // finished pass without an incremental cursor (phase 'done') starts over next time: products change.
      const next = report.failed ? resumeFrom : last?.phase === 'done' ? null : last ?? resumeFrom;
      // A complete pass read from the first page in this run: what the ERP no longer lists becomes inactive.
      if (!resumeFrom && last?.phase === 'done') await markUnlistedProductsInactive(sql, conn.id, [...listed]);
      await saveCheckpoint(sql, conn.id, 'products', next ?? {}, syncedThrough(localDay(now)));
      return;
    }
    case 'financials': {
      const window = financialsWindow(now, cfg, cfg.full_resync ? null : saved?.synced_through ?? null);
      report.window = window;
      for await (const page of adapter.financials(window, resumeFrom)) {
        checkAbort();
        report.synced += await upsertFinancialEntries(sql, conn.company_id, conn.id, page.records, (ids) => keepErrors(duplicateNotes(ids)));
        report.failed += page.failed.length;
        keepErrors(failedToErrors(page.failed));
        await saveCheckpoint(sql, conn.id, 'financials', page.checkpoint);
        report.pages++;
        await progress(false);
      }
      await rebuildDre(sql, conn.company_id, window.from, window.to, conn.erp_type);
      await saveCheckpoint(sql, conn.id, 'financials', { done: true, from: window.from, to: window.to }, syncedThrough(window.to));
      return;
    }
    case 'profile': {
      checkAbort();
      const profile = await adapter.profile();
      await upsertProfile(sql, conn.company_id, conn.erp_type, profile);
      report.synced = 1;
      report.pages = 1;
      return;
    }
  }
}

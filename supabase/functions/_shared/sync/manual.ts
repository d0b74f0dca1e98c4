/**
 * A manual sync ("Sincronizar agora"): checks membership, refuses a connection an admin switched off, takes
 * the connection's lease (409 with the running log when it is busy), applies the per-connection cooldown (429
 * with the time to wait: repeated clicks must not burn the ERP account's daily quota), opens the log before
 * answering, then runs the same engine with sync_type 'manual'.
 *
 * Holding the lease, a running log can only be a leftover of a holder whose lease expired (a crash): it becomes
 * 'interrupted' and this sync starts, as the engine does for scheduled runs.
 */
import { retryOnSessionEnd } from '../db/client.ts';
import { getConnection, leaseConnection, releaseLease } from '../db/connections.ts';
import { interruptRunningLog, lastManualStart, openLog, runningLog } from '../db/sync-logs.ts';
import { AppError } from '../errors.ts';
import { type EngineDeps, type SyncOutcome, syncConnection } from './engine.ts';
import { inactiveConnectionMessage, manualCooldownMessage } from './messages.ts';

export async function isMember(deps: EngineDeps, userId: string, companyId: string): Promise<boolean> {
  const rows = await deps.sql`select 1 from public.company_members where company_id = ${companyId} and user_id = ${userId}`;
  return rows.length > 0;
}

export interface ManualSyncOptions {
  /** Minimum time between two manual syncs of one connection (interrupted ones do not count). */
  cooldownSeconds: number;
}

/**
 * Everything before the answer is database work safe to run again on a fresh session (retryOnSessionEnd): a step
 * cut by a restart rolled back, and a lease taken before it is released below. The click right after a database
 * restart still starts the sync.
 */
export async function startManualSync(
  deps: EngineDeps,
  userId: string,
  connectionId: string,
  opts: ManualSyncOptions,
): Promise<{ logId: string; run: Promise<SyncOutcome> }> {
  return await retryOnSessionEnd(() => start(deps, userId, connectionId, opts));
}

async function start(
  deps: EngineDeps,
  userId: string,
  connectionId: string,
  opts: ManualSyncOptions,
): Promise<{ logId: string; run: Promise<SyncOutcome> }> {
  const conn = await getConnection(deps.sql, connectionId);
  if (!conn) throw new AppError('not_found', 'CONNECTION_NOT_FOUND', 'connection not found');
  if (!(await isMember(deps, userId, conn.company_id))) {
    throw new AppError('forbidden', 'NOT_A_MEMBER', 'you are not a member of this connection\'s company');
  }
  if (conn.status === 'inactive') {
    throw new AppError('conflict', 'CONNECTION_INACTIVE', inactiveConnectionMessage(conn.erp_type));
  }
  const busy = async () => {
    const running = await runningLog(deps.sql, connectionId);
    return new AppError('conflict', 'SYNC_ALREADY_RUNNING', 'a sync of this connection is already running', {
      details: running ? { log_id: running.id, sync_type: running.sync_type, started_at: running.started_at } : {},
    });
  };
  const leased = await leaseConnection(deps.sql, connectionId, deps.now(), deps.owner, deps.leaseSeconds);
  if (!leased) throw await busy();
  try {
    // Re-checked under the lease: an admin may have switched it off since the first read.
    if (leased.status === 'inactive') {
      throw new AppError('conflict', 'CONNECTION_INACTIVE', inactiveConnectionMessage(leased.erp_type));
    }
    const last = await lastManualStart(deps.sql, connectionId);
    const waitMs = last ? last.getTime() + opts.cooldownSeconds * 1000 - deps.now().getTime() : 0;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new AppError('rate_limited', 'MANUAL_SYNC_COOLDOWN', manualCooldownMessage(seconds), {
        status: 429,
        retryAfterMs: seconds * 1000,
        details: { retry_after_seconds: seconds },
      });
    }
    const open = () =>
      openLog(deps.sql, { connectionId, companyId: leased.company_id, syncType: 'manual', runId: null, startedAt: deps.now() });
    let log = await open();
    if (!log) {
      // We hold the lease: the running log belongs to a holder whose lease expired (crashed or cut off).
      await interruptRunningLog(deps.sql, connectionId);
      log = await open();
    }
    if (!log) throw await busy();
    return { logId: log.id, run: syncConnection(deps, leased, { syncType: 'manual', runId: null, logId: log.id }) };
  } catch (e) {
    await releaseLease(deps.sql, connectionId, deps.owner);
    throw e;
  }
}

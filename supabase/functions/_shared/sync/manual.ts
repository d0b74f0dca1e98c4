/**
 * A manual sync ("Sincronizar agora"): checks membership, takes the connection's lease (409 with the running
 * log when it is busy), opens the log before answering, then runs the same engine with sync_type 'manual'.
 */
import { getConnection, leaseConnection } from '../db/connections.ts';
import { openLog, runningLog } from '../db/sync-logs.ts';
import { AppError } from '../errors.ts';
import { type EngineDeps, type SyncOutcome, syncConnection } from './engine.ts';

export async function isMember(deps: EngineDeps, userId: string, companyId: string): Promise<boolean> {
  const rows = await deps.sql`select 1 from public.company_members where company_id = ${companyId} and user_id = ${userId}`;
  return rows.length > 0;
}

export async function startManualSync(
  deps: EngineDeps,
  userId: string,
  connectionId: string,
): Promise<{ logId: string; run: Promise<SyncOutcome> }> {
  const conn = await getConnection(deps.sql, connectionId);
  if (!conn) throw new AppError('not_found', 'CONNECTION_NOT_FOUND', 'connection not found');
  if (!(await isMember(deps, userId, conn.company_id))) {
    throw new AppError('forbidden', 'NOT_A_MEMBER', 'you are not a member of this connection\'s company');
  }
  const busy = async () => {
    const running = await runningLog(deps.sql, connectionId);
    return new AppError('conflict', 'SYNC_ALREADY_RUNNING', 'a sync of this connection is already running', {
      details: running ? { log_id: running.id, sync_type: running.sync_type, started_at: running.started_at } : {},
    });
  };
  const leased = await leaseConnection(deps.sql, connectionId, deps.now(), deps.owner, deps.leaseSeconds);
  if (!leased) throw await busy();
  const log = await openLog(deps.sql, {
    connectionId,
    companyId: leased.company_id,
    syncType: 'manual',
    runId: null,
    startedAt: deps.now(),
  });
  if (!log) {
    await deps.sql`update public.erp_connections set lease_owner = null, lease_expires_at = null
                   where id = ${connectionId} and lease_owner = ${deps.owner}`;
    throw await busy();
  }
  return { logId: log.id, run: syncConnection(deps, leased, { syncType: 'manual', runId: null, logId: log.id }) };
}

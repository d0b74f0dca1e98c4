/**
 * What the erp-connections function does, independent of HTTP: list the caller's connections (with their last
 * logs) and switch auto-sync on or off. The handler authenticates and parses; this module authorises and shapes.
 */
import { z } from 'zod';
import type { Sql } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { logErrorMessage } from '../sync/messages.ts';
import { autoSyncOn } from '../sync/config.ts';
import { type ConnectionRow, type LogRow, type RawEntity, selectConnectionsForUser, updateAutoSync } from './sql.ts';
import type {
  ConnectionDto,
  EntitySyncDto,
  SyncEntity,
  ConnectionStatus,
  ErpType,
  ListConnectionsResponse,
  SyncLogDto,
  SyncLogStatus,
  SyncType,
  UpdateAutoSyncResponse,
} from './types.ts';

/** PATCH body. Unknown keys are rejected: a typo must not look like a success. */
export const UpdateAutoSyncBody = z.strictObject({
  // Any Postgres uuid (not only RFC 4122 v1-v8), as the column accepts.
  connection_id: z.guid({ error: 'must be a connection id (uuid)' }),
  auto_sync: z.boolean({ error: 'must be true or false' }),
});
export type UpdateAutoSyncBody = z.infer<typeof UpdateAutoSyncBody>;

function iso(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const ENTITY_ORDER: SyncEntity[] = ['nfe', 'products', 'financials', 'profile'];
const ENTITY_STATUSES = new Set(['success', 'error', 'skipped', 'not_supported']);

/** Per entity, what a sync did, with the failure in pt-BR (built from the error kind and code, as the log's). */
export function toEntities(erp: ErpType, raw: Record<string, RawEntity> | null | undefined, completedAt: string | null): EntitySyncDto[] | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out: EntitySyncDto[] = [];
  for (const entity of ENTITY_ORDER) {
    const e = raw[entity];
    if (!e || !ENTITY_STATUSES.has(String(e.status))) continue;
    const status = e.status as EntitySyncDto['status'];
    const failed = Number(e.failed ?? 0);
    let error: string | null = null;
    if (status === 'error' && e.error?.kind && e.error.code) error = logErrorMessage(erp, e.error.kind, e.error.code, entity);
    else if (failed > 0) {
      const first = e.first_record_error;
      error = `${failed} ${failed === 1 ? 'registro falhou' : 'registros falharam'}${
        first?.code ? ` [${first.code}]${first.message ? `: ${first.message}` : ''}` : ''
      }`;
    }
    out.push({
      entity,
      status,
      synced: Number(e.synced ?? 0),
      failed,
      synced_until: status === 'success' ? (typeof e.window_to === 'string' ? e.window_to : completedAt) : null,
      error,
    });
  }
  return out;
}

function toLog(row: LogRow, erp?: ErpType): SyncLogDto {
  const completedAt = iso(row.completed_at);
  const entities = erp ? toEntities(erp, row.entities, completedAt) : undefined;
  return {
    id: row.id,
    sync_type: row.sync_type as SyncType,
    status: row.status as SyncLogStatus,
    started_at: iso(row.started_at)!,
    completed_at: completedAt,
    records_synced: Number(row.records_synced ?? 0),
    records_failed: Number(row.records_failed ?? 0),
    duration_ms: row.duration_ms === null || row.duration_ms === undefined ? null : Number(row.duration_ms),
    error_message: row.error_message ?? null,
    ...(entities ? { entities } : {}),
  };
}

/** Explicit field list: whatever the query returns, nothing else reaches the response. */
export function toConnection(row: ConnectionRow): ConnectionDto {
  const cfg = row.sync_config && typeof row.sync_config === 'object' ? row.sync_config : {};
  return {
    id: row.id,
    company_id: row.company_id,
    company_name: row.company_name,
    erp_type: row.erp_type as ErpType,
    name: row.name ?? '',
    status: row.status as ConnectionStatus,
    status_message: row.status_message ?? null,
    sync_config: cfg,
    auto_sync: autoSyncOn(cfg),
    last_sync_at: iso(row.last_sync_at),
    next_sync_at: iso(row.next_sync_at),
    running: row.running ? toLog(row.running) : null,
    logs: (row.logs ?? []).map((l) => toLog(l, row.erp_type as ErpType)),
  };
}

export async function listConnections(
  sql: Sql,
  userId: string,
  now: Date = new Date(),
): Promise<ListConnectionsResponse> {
  const rows = await selectConnectionsForUser(sql, userId);
  return { connections: rows.map(toConnection), server_time: now.toISOString() };
}

export async function setAutoSync(
  sql: Sql,
  userId: string,
  body: UpdateAutoSyncBody,
): Promise<UpdateAutoSyncResponse> {
  const result = await updateAutoSync(sql, userId, body.connection_id, body.auto_sync);
  if (result.outcome === 'not_found') {
    throw new AppError('not_found', 'CONNECTION_NOT_FOUND', 'connection not found', {
      details: { connection_id: body.connection_id },
    });
  }
  if (result.outcome === 'forbidden') {
    throw new AppError(
      'forbidden',
      'NOT_A_MEMBER',
      'this connection belongs to a company you are not a member of',
    );
  }
  const [row] = await selectConnectionsForUser(sql, userId, body.connection_id);
  if (!row) throw new AppError('internal', 'CONNECTION_VANISHED', 'connection not readable after update');
  return { connection: toConnection(row) };
}

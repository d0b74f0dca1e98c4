/**
 * The wire contract of the `erp-connections` function: what the ERPConnectionCard reads and the auto_sync
 * checkbox writes. Types only, no imports: the React app (src/lib/types.ts) imports this very file, so the
 * server and the app cannot drift apart. Timestamps are ISO-8601 strings in UTC.
 *
 * Never add credentials_secret_id, lease_owner, lease_expires_at or anything from Vault here.
 */

export type ErpType = 'bling' | 'omie' | 'tiny' | 'conta_azul';
export type ConnectionStatus = 'active' | 'inactive' | 'error';
export type SyncType = 'auto' | 'manual';
export type SyncLogStatus = 'running' | 'success' | 'partial' | 'error' | 'interrupted';

/** One row of erp_sync_logs, as the user may see it. */
export interface SyncLogDto {
  id: string;
  sync_type: SyncType;
  status: SyncLogStatus;
  started_at: string;
  completed_at: string | null;
  records_synced: number;
  records_failed: number;
  duration_ms: number | null;
  /** Redacted by the engine before it is stored. */
  error_message: string | null;
  /** What this sync did per entity (in ENTITY order; absent for logs written before entities were recorded). */
  entities?: EntitySyncDto[];
}

export type SyncEntity = 'nfe' | 'products' | 'financials' | 'profile';

/** One entity of one sync, as the card's history shows it. */
export interface EntitySyncDto {
  entity: SyncEntity;
  status: 'success' | 'error' | 'skipped' | 'not_supported';
  synced: number;
  failed: number;
  /** How far the data is synced: the window's last day (NF-e, financeiro) or when the sync ended. */
  synced_until: string | null;
  /** pt-BR, when the entity failed or some of its records did. */
  error: string | null;
}

/** The user-facing subset of sync_config (the rest of the object is passed through as-is). */
export interface SyncConfigDto {
  auto_sync?: boolean;
  [key: string]: unknown;
}

export interface ConnectionDto {
  id: string;
  company_id: string;
  company_name: string;
  erp_type: ErpType;
  name: string;
  status: ConnectionStatus;
  status_message: string | null;
  sync_config: SyncConfigDto;
  /** `sync_config.auto_sync` resolved (absent = the default, on; stored rows always carry it). */
  auto_sync: boolean;
  last_sync_at: string | null;
  /** Null with auto_sync on means "due at the next scheduler run". */
  next_sync_at: string | null;
  /** The sync in progress, if any (at most one per connection). */
  running: SyncLogDto | null;
  /** The last five logs, newest first (a running one included). */
  logs: SyncLogDto[];
}

/** GET /functions/v1/erp-connections */
export interface ListConnectionsResponse {
  connections: ConnectionDto[];
  server_time: string;
}

/** PATCH /functions/v1/erp-connections */
export interface UpdateAutoSyncRequest {
  connection_id: string;
  auto_sync: boolean;
}

export interface UpdateAutoSyncResponse {
  connection: ConnectionDto;
}

/** Every error answer of the project's functions. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** POST /functions/v1/erp-sync (built with the engine): 202 on start, 409 SYNC_ALREADY_RUNNING with details.log_id. */
export interface StartSyncResponse {
  log_id: string;
  status: 'running';
}

export const HISTORY_SIZE = 5;

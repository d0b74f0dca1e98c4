/**
 * The erp-connections / erp-sync wire contract, shared with the Edge Function (one file, no drift).
 */
export type {
  ConnectionDto,
  ConnectionStatus,
  EntitySyncDto,
  ErpType,
  ErrorBody,
  ListConnectionsResponse,
  StartSyncResponse,
  SyncConfigDto,
  SyncLogDto,
  SyncLogStatus,
  SyncType,
  UpdateAutoSyncRequest,
  UpdateAutoSyncResponse,
} from '../../supabase/functions/_shared/connections/types.ts';
export { HISTORY_SIZE } from '../../supabase/functions/_shared/connections/types.ts';

/**
 * All SQL of the erp-connections function, next to the tables it serves (erp_connections, erp_sync_logs,
 * company_members, companies).
 *
 * Reads run inside a transaction under the `authenticated` role with the caller's claims, exactly as PostgREST
 * would: row-level security limits rows to the caller's companies and the column grants make credentials and
 * lease columns unreadable, on top of the explicit membership join and column list below.
 * The auto_sync write runs with the function's own role (authenticated has no UPDATE on erp_connections), so
 * it checks membership itself, in the same statement.
 */
import type { Sql } from '../db/client.ts';
import { HISTORY_SIZE } from './types.ts';

/** Raw row shape: timestamps as Date (top level) or text (inside jsonb), normalised by service.ts. */
export interface ConnectionRow {
  id: string;
  company_id: string;
  company_name: string;
  erp_type: string;
  name: string;
  status: string;
  status_message: string | null;
  sync_config: Record<string, unknown>;
  last_sync_at: Date | null;
  next_sync_at: Date | null;
  logs: LogRow[];
  running: LogRow | null;
}

export interface LogRow {
  id: string;
  sync_type: string;
  status: string;
  started_at: string;
  completed_at: string | null;
  records_synced: number;
  records_failed: number;
  duration_ms: number | null;
  error_message: string | null;
  /** Only in `logs` (not `running`): per entity, from erp_sync_logs.details.entities. */
  entities?: Record<string, RawEntity> | null;
}

export interface RawEntity {
  status?: string;
  synced?: number;
  failed?: number;
  window_to?: string | null;
  error?: { kind?: string; code?: string; message?: string } | null;
  first_record_error?: { code?: string; message?: string } | null;
}

/** Upper bound of connections one user can list (many companies × a few ERPs each). */
export const MAX_CONNECTIONS = 500;

/**
 * The caller's connections with their last logs. `connectionId` narrows to one connection (after a write).
 */
export async function selectConnectionsForUser(
  sql: Sql,
  userId: string,
  connectionId?: string,
): Promise<ConnectionRow[]> {
  const claims = JSON.stringify({ sub: userId, role: 'authenticated', aud: 'authenticated' });
  return await sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
    const rows = await tx<ConnectionRow[]>`
      select c.id, c.company_id, co.name as company_name, c.erp_type, c.name, c.status, c.status_message,
             c.sync_config, c.last_sync_at, c.next_sync_at,
             coalesce((
               select jsonb_agg(to_jsonb(l) order by l.started_at desc, l.id)
               from (
                 select g.id, g.sync_type, g.status, g.started_at, g.completed_at, g.records_synced,
                        g.records_failed, g.duration_ms, g.error_message,
                        -- per entity, what this sync did (the engine's details, without the error lists)
                        (select jsonb_object_agg(e.key, jsonb_build_object(
                                  'status', e.value -> 'status', 'synced', e.value -> 'synced',
                                  'failed', e.value -> 'failed', 'window_to', e.value #> '{window,to}',
                                  'error', e.value -> 'error', 'first_record_error', e.value #> '{errors,0}'))
                           from jsonb_each(case when jsonb_typeof(g.details -> 'entities') = 'object'
                                                then g.details -> 'entities' else '{}'::jsonb end) e
                          where jsonb_typeof(e.value) = 'object') as entities
                 from public.erp_sync_logs g
                 where g.connection_id = c.id
                 order by g.started_at desc, g.id
                 limit ${HISTORY_SIZE}
               ) l
             ), '[]'::jsonb) as logs,
             (
               select to_jsonb(r)
               from (
                 select g.id, g.sync_type, g.status, g.started_at, g.completed_at, g.records_synced,
                        g.records_failed, g.duration_ms, g.error_message
                 from public.erp_sync_logs g
                 where g.connection_id = c.id and g.status = 'running'
                 order by g.started_at desc
                 limit 1
               ) r
             ) as running
      from public.erp_connections c
      join public.companies co on co.id = c.company_id
      join public.company_members m on m.company_id = c.company_id and m.user_id = ${userId}::uuid
      where ${connectionId ?? null}::uuid is null or c.id = ${connectionId ?? null}::uuid
      order by co.name, c.created_at, c.id
      limit ${MAX_CONNECTIONS}`;
    return [...rows];
  });
}

export type AutoSyncUpdate =
  | { outcome: 'updated' }
  | { outcome: 'not_found' }
  | { outcome: 'forbidden' };

/**
 * Sets sync_config.auto_sync (merging, the rest of the config untouched) when the user belongs to the
 * connection's company. next_sync_at is left as it is: null means "due" to the scheduler.
 */
export async function updateAutoSync(
  sql: Sql,
  userId: string,
  connectionId: string,
  autoSync: boolean,
): Promise<AutoSyncUpdate> {
  const updated = await sql`
    update public.erp_connections c
       set sync_config = c.sync_config || jsonb_build_object('auto_sync', ${autoSync}::boolean)
     where c.id = ${connectionId}::uuid
       and exists (select 1 from public.company_members m
                   where m.company_id = c.company_id and m.user_id = ${userId}::uuid)
    returning c.id`;
  if (updated.length > 0) return { outcome: 'updated' };
  const exists = await sql`select 1 from public.erp_connections where id = ${connectionId}::uuid`;
  return { outcome: exists.length > 0 ? 'forbidden' : 'not_found' };
}

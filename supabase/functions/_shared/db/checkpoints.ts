/**
 * erp_sync_checkpoints: where each entity of a connection resumes. Read when a sync opens its log (same
 * statement, see sync-logs.ts openLog, or the claim's, connections.ts claimNextDue), written while a long entity
 * runs (with the progress write, at most every few seconds) and with the log's closing statement
 * (checkpointUpserts): never a statement per page of its own.
 */
import type { Checkpoint, Entity } from '../adapters/contract.ts';
import type { Sql } from './client.ts';

export interface CheckpointRow {
  checkpoint: Checkpoint;
  synced_through: string | null; // 'YYYY-MM-DD'
  /** When the entity last finished (ISO); null while a pass is under way. */
  finished_at: string | null;
}

/**
 * A checkpoint to write; `syncedThrough` undefined keeps the stored one. `finishedAt` marks the entity's final
 * checkpoint; a write without it (a page on the way) clears the mark.
 */
export interface CheckpointWrite {
  entity: Entity;
  checkpoint: Checkpoint;
  syncedThrough?: string | null;
  finishedAt?: Date;
}

/**
 * The connection's checkpoints as one JSON array: a fragment for the statement that opens the log (openLog, or
 * the claim's). `connectionId` is a value, or a fragment naming a column of that statement.
 */
export function checkpointsJson(sql: Sql, connectionId: string | ReturnType<Sql>) {
  return sql`coalesce((select json_agg(json_build_object('entity', k.entity, 'checkpoint', k.checkpoint,
                'synced_through', to_char(k.synced_through, 'YYYY-MM-DD'), 'finished_at', k.finished_at))
              from public.erp_sync_checkpoints k where k.connection_id = ${connectionId}), '[]'::json)`;
}

export function checkpointMap(rows: Array<{ entity: Entity } & CheckpointRow>) {
  return new Map<Entity, CheckpointRow>(
    rows.map((r) => [r.entity, { checkpoint: r.checkpoint, synced_through: r.synced_through, finished_at: r.finished_at ?? null }]),
  );
}

export async function loadCheckpoints(sql: Sql, connectionId: string): Promise<Map<Entity, CheckpointRow>> {
  const [r] = await sql`select ${checkpointsJson(sql, connectionId)} as checkpoints`;
  return checkpointMap(r.checkpoints);
}

/** Upserts checkpoints (a statement, or a fragment inside another statement's CTE). */
export function checkpointUpserts(sql: Sql, connectionId: string, writes: CheckpointWrite[]) {
  const rows = writes.map((w) => ({
    entity: w.entity,
    checkpoint: w.checkpoint,
    synced_through: w.syncedThrough ?? null,
    keep: w.syncedThrough === undefined,
    finished_at: w.finishedAt?.toISOString() ?? null,
  }));
  return sql`
    insert into public.erp_sync_checkpoints (connection_id, entity, checkpoint, synced_through, finished_at)
    select ${connectionId}, x.entity, x.checkpoint,
           case when x.keep then (select k.synced_through from public.erp_sync_checkpoints k
                                  where k.connection_id = ${connectionId} and k.entity = x.entity)
                else x.synced_through::date end,
           x.finished_at::timestamptz
    from jsonb_to_recordset(${sql.json(rows as never)}) as x(entity text, checkpoint jsonb, synced_through text, keep boolean,
                                                            finished_at text)
    on conflict (connection_id, entity) do update set checkpoint = excluded.checkpoint,
      synced_through = excluded.synced_through, finished_at = excluded.finished_at, updated_at = now()`;
}

/**
 * A full re-sync starts (`sync_config.full_resync`): the connection's checkpoints are forgotten, so this sync and
 * its resumed attempts read as a first sync would (the whole 90 days / 12 months, products listed whole, resumed
 * after the last page that landed), and the request is cleared: asked for once, done once. One statement, only
 * while we hold the lease.
 */
export async function startFullResync(sql: Sql, connectionId: string, owner: string): Promise<void> {
  await sql`
    with c as (
      update public.erp_connections set sync_config = sync_config || '{"full_resync": false}'::jsonb
       where id = ${connectionId} and lease_owner = ${owner}
      returning id
    )
    delete from public.erp_sync_checkpoints k using c where k.connection_id = c.id`;
}

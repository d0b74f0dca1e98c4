/** erp_sync_checkpoints: where each entity of a connection resumes; saved after every page. */
import type { Checkpoint, Entity } from '../adapters/contract.ts';
import type { Sql } from './client.ts';

export interface CheckpointRow {
  checkpoint: Checkpoint;
  synced_through: string | null; // 'YYYY-MM-DD'
}

export async function loadCheckpoints(sql: Sql, connectionId: string): Promise<Map<Entity, CheckpointRow>> {
  const rows = await sql`select entity, checkpoint, to_char(synced_through, 'YYYY-MM-DD') as synced_through
                         from public.erp_sync_checkpoints where connection_id = ${connectionId}`;
  return new Map(rows.map((r) => [r.entity as Entity, { checkpoint: r.checkpoint, synced_through: r.synced_through }]));
}

export async function saveCheckpoint(
  sql: Sql,
  connectionId: string,
  entity: Entity,
  checkpoint: Checkpoint,
  syncedThrough?: string | null,
): Promise<void> {
  await sql`
    insert into public.erp_sync_checkpoints (connection_id, entity, checkpoint, synced_through)
    values (${connectionId}, ${entity}, ${sql.json(checkpoint as never)}, ${syncedThrough ?? null})
    on conflict (connection_id, entity) do update set checkpoint = excluded.checkpoint,
      synced_through = case when ${syncedThrough === undefined} then erp_sync_checkpoints.synced_through
                            else excluded.synced_through end, updated_at = now()`;
}

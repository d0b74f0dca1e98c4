/**
 * A connection's sync_config, with its defaults. The database validates the same shape
 * (public.erp_sync_config_is_valid); this is the typed view the engine works with.
 */
import { z } from 'zod';
import type { Entity } from '../adapters/contract.ts';

export const DEFAULT_SCHEDULE = '0 0 * * *'; // 00:00 UTC = 21:00 Brasília

export const SyncConfigSchema = z.object({
  auto_sync: z.boolean().default(true),
  full_resync: z.boolean().default(false),
  entities: z
    .object({ nfe: z.boolean(), products: z.boolean(), financials: z.boolean(), profile: z.boolean() })
    .partial()
    .default({}),
  nfe_lookback_days: z.number().int().min(1).max(366).default(90),
  nfe_overlap_days: z.number().int().min(0).max(30).default(3),
  max_consecutive_failures: z.number().int().min(1).max(60).default(3),
  schedule: z.string().default(DEFAULT_SCHEDULE),
}).strict();

export type SyncConfig = z.infer<typeof SyncConfigSchema>;

export function parseSyncConfig(raw: unknown): SyncConfig {
  return SyncConfigSchema.parse(raw ?? {});
}

export function entityEnabled(cfg: SyncConfig, entity: Entity): boolean {
  return cfg.entities[entity] ?? true;
}

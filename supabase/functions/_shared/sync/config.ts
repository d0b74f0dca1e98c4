/**
 * A connection's sync_config. The database decides and applies the defaults: a trigger normalises sync_config on
 * every write (public.erp_sync_config_normalize with public.erp_sync_config_defaults, migration 20261203001000),
 * so a stored row always carries every key and `{}` means auto_sync on for the due query, the engine and the card
 * alike. SYNC_CONFIG_DEFAULTS is the same object for code that builds a config itself (tests, the fallback of a
 * row that fails validation); supabase/tests/sync/sync_config.test.ts checks it equals the database's.
 * The database validates the same shape (public.erp_sync_config_is_valid), schedules with the same grammar.
 */
import { z } from 'zod';
import type { Entity } from '../adapters/contract.ts';
import { DEFAULT_SCHEDULE, scheduleError } from './schedule.ts';

export { DEFAULT_SCHEDULE };

export const SYNC_CONFIG_DEFAULTS = {
  auto_sync: true,
  full_resync: false,
  entities: { nfe: true, products: true, financials: true, profile: true },
  nfe_lookback_days: 90,
  nfe_overlap_days: 3,
  max_consecutive_failures: 3,
  schedule: DEFAULT_SCHEDULE,
} as const;

const D = SYNC_CONFIG_DEFAULTS;

export const SyncConfigSchema = z.object({
  auto_sync: z.boolean().default(D.auto_sync),
  full_resync: z.boolean().default(D.full_resync),
  entities: z
    .object({ nfe: z.boolean(), products: z.boolean(), financials: z.boolean(), profile: z.boolean() })
    .partial()
    .strict()
    .default({})
    .transform((e) => ({ ...D.entities, ...e })),
  nfe_lookback_days: z.number().int().min(1).max(366).default(D.nfe_lookback_days),
  nfe_overlap_days: z.number().int().min(0).max(30).default(D.nfe_overlap_days),
  max_consecutive_failures: z.number().int().min(1).max(60).default(D.max_consecutive_failures),
  schedule: z.string().default(D.schedule).superRefine((s, ctx) => {
    const error = scheduleError(s);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  }),
}).strict();

export type SyncConfig = z.infer<typeof SyncConfigSchema>;

export function parseSyncConfig(raw: unknown): SyncConfig {
  return SyncConfigSchema.parse(raw ?? {});
}

export function entityEnabled(cfg: SyncConfig, entity: Entity): boolean {
  return cfg.entities[entity];
}

/** Whether nightly syncs are on, for a stored sync_config (absent = the default). */
export function autoSyncOn(raw: unknown): boolean {
  const v = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).auto_sync : undefined;
  return typeof v === 'boolean' ? v : D.auto_sync;
}

/**
 * Load profiles and the documented per-account limits of each ERP, used for seeding and for the ideal lower
 * bound. Sources: https://developer.bling.com.br/limites (Bling), https://tiny.com.br/api-docs/api2-limites-api
 * (Tiny); Omie's and Conta Azul's as cited by their simulators (dev/simulators/omie, dev/simulators/conta_azul).
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';

export const ERPS: ErpType[] = ['bling', 'omie', 'tiny', 'conta_azul'];

export interface LoadProfile {
  name: 'nightly' | 'backfill';
  nfeCount: number;
  productCount: number;
  financialCount: number;
  /** Days of generated documents ending yesterday (Brasília). */
  days: number;
  /** true: checkpoints say the previous night synced through yesterday (an incremental run). */
  incremental: boolean;
}

/** What one night brings to an established connection. */
export const NIGHTLY: LoadProfile = {
  name: 'nightly',
  nfeCount: 20,
  productCount: 5,
  financialCount: 30,
  days: 3,
  incremental: true,
};

/** A new connection's first sync: 90 days of NF-e, the catalogue, a year of titles. */
export const BACKFILL: LoadProfile = {
  name: 'backfill',
  nfeCount: 300,
  productCount: 40,
  financialCount: 120,
  days: 90,
  incremental: false,
};

export interface RateWindowDoc {
  limit: number;
  intervalMs: number;
}

/**
 * The ERPs' DOCUMENTED per-account limits (what the simulators enforce), not the adapters' self-imposed
 * headroom (Tiny 70 % of the plan, Conta Azul 8/s and 500/min, Omie 200/min per method).
 *   Bling: 3 req/s and 120,000/day per account.  Tiny v2: the plan's limit per minute (60 for the default
 *   plan), at most plan/4 in flight.  Omie: 240/min and 4 in flight per app_key AND method.
 *   Conta Azul: 10 req/s and 600/min per account.
 */
export const DOCUMENTED_LIMITS: Record<ErpType, { windows: RateWindowDoc[]; perMethod?: boolean; maxInFlight?: number }> = {
  bling: { windows: [{ limit: 3, intervalMs: 1_000 }, { limit: 120_000, intervalMs: 86_400_000 }] },
  tiny: { windows: [{ limit: 60, intervalMs: 60_000 }], maxInFlight: 15 },
  omie: { windows: [{ limit: 240, intervalMs: 60_000 }], perMethod: true, maxInFlight: 4 },
  conta_azul: { windows: [{ limit: 10, intervalMs: 1_000 }, { limit: 600, intervalMs: 60_000 }] },
};

/** 'YYYY-MM-DD' in Brasília (UTC-3, no DST since 2019) shifted by `days`. */
export function brDay(atMs: number, days = 0): string {
  return new Date(atMs - 3 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

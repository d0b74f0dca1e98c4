/**
 * The ideal lower bound of a night's window: max(the slowest account's t_min under the documented limits, the time the
 * design's slots need for Σ t_min) (README: Definitions).
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { BLING_LIMITS } from '../../../supabase/functions/_shared/adapters/bling/client.ts';
import { CONTA_AZUL_LIMITS } from '../../../supabase/functions/_shared/adapters/conta_azul/client.ts';
import { OMIE_METHOD_LIMITS } from '../../../supabase/functions/_shared/adapters/omie/client.ts';
import { TINY_QUOTA_SHARE } from '../../../supabase/functions/_shared/adapters/tiny/client.ts';
import { DOCUMENTED_LIMITS, type RateWindowDoc } from './profiles.ts';

export type LimitTable = Record<ErpType, { windows: RateWindowDoc[]; perMethod?: boolean; maxInFlight?: number }>;

/** The adapters' own pacing (what they enforce client-side), for the diagnostic bound. */
export const ADAPTER_POLICY_LIMITS: LimitTable = {
  bling: { windows: BLING_LIMITS.windows! },
  tiny: { windows: [{ limit: Math.floor(60 * TINY_QUOTA_SHARE), intervalMs: 60_000 }], maxInFlight: 2 },
  omie: { windows: OMIE_METHOD_LIMITS.windows!, perMethod: true, maxInFlight: 4 },
  conta_azul: { windows: CONTA_AZUL_LIMITS.windows! },
};

export interface ConnWork {
  erp: ErpType;
  /** Successful API requests the sync needed. */
  requests: number;
  /** Successful requests per path (Omie limits are per method). */
  paths: Record<string, number>;
}

/**
 * A connection's figures had it taken one attempt: its own when it did, else those of its ERP's median
 * single-attempt connection by `key` (the lower middle one; its own when its ERP has none). A resumed attempt
 * fetches its page in progress again (and Tiny's details on it): work and time the design caused, which the
 * one-attempt figures must not hold. An ERP's accounts come from one profile (the same counts, dates drawn per
 * seed), so its median single-attempt connection stands in for it. Used for the ideal bound's work (idealWork)
 * and for the sync time of one attempt (bounds.ts syncTimes).
 */
export function asOneAttempt<T extends { erp: ErpType; attempts: number }>(conns: T[], key: (c: T) => number): T[] {
  const median = new Map<ErpType, T>();
  for (const erp of new Set(conns.map((c) => c.erp))) {
    const once = conns.filter((c) => c.erp === erp && c.attempts <= 1).sort((a, b) => key(a) - key(b));
    if (once.length) median.set(erp, once[Math.floor((once.length - 1) / 2)]);
  }
  return conns.map((c) => (c.attempts > 1 ? median.get(c.erp) ?? c : c));
}

/** The work each connection needs, for the ideal bound: what it requested, had it taken one attempt. */
export function idealWork(conns: Array<ConnWork & { attempts: number }>): ConnWork[] {
  return asOneAttempt(conns, (c) => c.requests).map((w) => ({ erp: w.erp, requests: w.requests, paths: w.paths }));
}

function windowsBound(requests: number, windows: RateWindowDoc[]): number {
  if (requests <= 1) return 0;
  let t = 0;
  for (const w of windows) t = Math.max(t, Math.floor((requests - 1) / w.limit) * w.intervalMs);
  return t;
}

/** Shortest possible sync time of one connection (ms) under `limits`. */
export function tMinMs(w: ConnWork, latencyMs: number, limits: LimitTable = DOCUMENTED_LIMITS): number {
  const l = limits[w.erp];
  let rate = 0;
  if (l.perMethod) {
    for (const n of Object.values(w.paths)) rate = Math.max(rate, windowsBound(n, l.windows));
  } else {
    rate = windowsBound(w.requests, l.windows);
  }
  const inFlight = l.maxInFlight ?? Infinity;
  const latencyChain = Math.max(2, Math.ceil(w.requests / inFlight)) * latencyMs;
  return Math.max(rate + latencyMs, latencyChain);
}

/** Connection slots the design runs at virtual time t (ms since the cron fired). */
export type SlotsFn = (tMs: number) => number;

export interface SweepSchedule {
  firstMs: number;
  everyMs: number;
  lastMs: number;
}

/** pg_cron: erp-auto-sync-daily at 00:00 and erp-auto-sync-sweep at 00:05, 00:15, ... 05:55 (UTC). */
export const DESIGN_SWEEPS: SweepSchedule = { firstMs: 5 * 60_000, everyMs: 10 * 60_000, lastMs: 5 * 3_600_000 + 55 * 60_000 };

export interface DesignParallelism {
  /** Syncs one invocation runs at once (the body's concurrency, under ERP_AUTO_SYNC_MAX_CONCURRENCY). */
  concurrency: number;
  sweeps: SweepSchedule | null;
  /** Chains started at 00:00 (designFanout). */
  fanout?: number;
  /** Invocations alive at most, heads and tails (invocationCeiling). */
  ceiling?: number;
  /** Syncs in flight at most, all invocations together (ERP_AUTO_SYNC_MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /**
   * With the platform's wall limit and the continuation hop, the handed-on tails count too: an invocation hands
   * on as soon as it stops claiming while its syncs in flight run on (up to the wall limit), and a chain can hand
   * on every `invokeDelayMs`, so a chain can have up to floor(wallMs / invokeDelayMs) + 1 invocations with syncs
   * in flight. Without them, one invocation per chain.
   */
  wallMs?: number;
  invokeDelayMs?: number;
}

/**
 * The design's parallelism: slots(t) = min(in-flight cap, what the invocations can have in flight): `fanout`
 * chains started at 00:00, plus one more per sweep while work is left, each with its handed-on tails (see
 * DesignParallelism.wallMs), at most `ceiling` invocations alive, each with `concurrency` syncs.
 */
export function designSlots(d: DesignParallelism): SlotsFn {
  const generations = d.wallMs === undefined ? 1 : d.invokeDelayMs ? Math.floor(d.wallMs / d.invokeDelayMs) + 1 : Infinity;
  const cap = d.maxInFlight ?? Infinity;
  return (t) => {
    let chains = d.fanout ?? 1;
    if (d.sweeps && t >= d.sweeps.firstMs) {
      chains += Math.floor((Math.min(t, d.sweeps.lastMs) - d.sweeps.firstMs) / d.sweeps.everyMs) + 1;
    }
    return Math.min(cap, d.concurrency * Math.min(d.ceiling ?? Infinity, chains * generations));
  };
}

/** The design's chains for a night of n due connections: the cron call's fan-out, under the ceiling. */
export function designFanout(n: number, perInvocation: number, ceiling: number): number {
  return Math.max(1, Math.min(ceiling, Math.ceil(n / Math.max(1, perInvocation))));
}

/** Smallest T with ∫₀ᵀ slots(t) dt ≥ workMs (slots piecewise constant; exact to `stepMs`). */
export function capacityTime(workMs: number, slots: SlotsFn, stepMs = 1000, maxMs = 7 * 86_400_000): number {
  let done = 0;
  let t = 0;
  while (done < workMs) {
    if (t > maxMs) return Infinity;
    const s = slots(t);
    if (done + s * stepMs >= workMs) return t + (workMs - done) / s;
    done += s * stepMs;
    t += stepMs;
  }
  return t;
}

export interface IdealBound {
  rateBoundMs: number;
  concurrencyBoundMs: number;
  idealMs: number;
  sumTminMs: number;
  meanTminMs: Partial<Record<ErpType, number>>;
}

export function idealBound(tmins: Array<{ erp: ErpType; tMinMs: number }>, slots: SlotsFn): IdealBound {
  let sum = 0, max = 0;
  const by: Partial<Record<ErpType, number[]>> = {};
  for (const c of tmins) {
    sum += c.tMinMs;
    max = Math.max(max, c.tMinMs);
    (by[c.erp] ??= []).push(c.tMinMs);
  }
  const conc = capacityTime(sum, slots);
  const meanTminMs: Partial<Record<ErpType, number>> = {};
  for (const [e, xs] of Object.entries(by)) meanTminMs[e as ErpType] = xs!.reduce((a, b) => a + b, 0) / xs!.length;
  return { rateBoundMs: max, concurrencyBoundMs: conc, idealMs: Math.max(max, conc), sumTminMs: sum, meanTminMs };
}

/**
 * Virtual time: waits are scaled by K (every process agrees through a shared real anchor), work is not (README: Time).
 */
import type { Clock } from '../../../supabase/functions/_shared/http/clock.ts';
import { systemClock } from '../../../supabase/functions/_shared/http/clock.ts';

/** Real epoch milliseconds with sub-millisecond resolution. */
export function realNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ScaledClock implements Clock {
  constructor(readonly t0: number, readonly scale: number) {
    if (!(scale > 0)) throw new Error(`time scale must be > 0, got ${scale}`);
  }

  /** Virtual epoch milliseconds. */
  now(): number {
    return this.t0 + (realNow() - this.t0) * this.scale;
  }

  /**
   * Sleeps `ms` virtual milliseconds. The real delay is rounded UP to whole milliseconds: timers truncate
   * fractions, and waking a fraction early would make a rate-limited request arrive before its window opens
   * (the server answers 429) — an artefact of scaling, since one real millisecond is `scale` virtual ones.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms > 0 ? Math.ceil(ms / this.scale) : 0, signal);
  }

  /** Virtual ms elapsed since t0. */
  elapsed(): number {
    return (realNow() - this.t0) * this.scale;
  }

  /** Real ms → virtual ms. */
  toVirtual(realMs: number): number {
    return realMs * this.scale;
  }

  /** Virtual ms → real ms. */
  toReal(virtualMs: number): number {
    return virtualMs / this.scale;
  }
}

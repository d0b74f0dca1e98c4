/**
 * Virtual time for the window benchmark. Virtual time runs `scale` times faster than real time, anchored at a
 * shared real instant `t0` (epoch ms), so separate processes (the bench with its simulators, the invocation
 * workers with their adapters) agree on the virtual instant without talking to each other.
 *
 * Everything that WAITS in the system under test is scaled: simulator latency (knob set to latency / scale),
 * rate-limit windows on both sides (simulators and adapter limiter read this clock), retry backoff and
 * Retry-After sleeps, the orchestrator's wall-clock budget, the lease, the sweep schedule. What RUNS (CPU, the
 * database) is not scaled: every real millisecond of work appears as `scale` virtual milliseconds, so time
 * scaling with `scale` ≥ 1 can only make our numbers worse, never better. The report states the size of that
 * inflation. A scale below 1 (e.g. 0.5: every wait lasts twice as long in real time) runs a night slower than real
 * time so the machine is not saturated; then work counts less than it costs and the report states how much the
 * windows may be optimistic.
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

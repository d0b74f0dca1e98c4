/**
 * Server-side rate limit counters (the simulator's side of "3 req/s", "60/min"): sliding log for small
 * windows, fixed (epoch-aligned) window for big ones (daily caps), on the simulator clock.
 */
import type { Clock } from '../../../supabase/functions/_shared/http/clock.ts';

export interface SimWindow {
  limit: number;
  intervalMs: number;
  /** Label returned on a hit (e.g. 'second', 'day'). */
  period: string;
}

export type LimitHit = { ok: true } | { ok: false; window: SimWindow; retryAfterMs: number };

export class SimRateLimiter {
  private readonly logs = new Map<string, number[]>();
  private readonly fixed = new Map<string, { start: number; count: number }>();

  constructor(private readonly clock: Clock) {}

  /** Counts one request for `key` against `windows`; a rejected request is not counted. */
  hit(key: string, windows: SimWindow[]): LimitHit {
    const now = this.clock.now();
    for (const w of windows) {
      const id = `${key}|${w.limit}/${w.intervalMs}`;
      if (w.limit <= 1000) {
        const log = this.logs.get(id) ?? [];
        while (log.length && log[0] <= now - w.intervalMs) log.shift();
        if (log.length >= w.limit) return { ok: false, window: w, retryAfterMs: log[0] + w.intervalMs - now };
        this.logs.set(id, log);
      } else {
        const start = Math.floor(now / w.intervalMs) * w.intervalMs;
        const f = this.fixed.get(id);
        if (f && f.start === start && f.count >= w.limit) {
          return { ok: false, window: w, retryAfterMs: start + w.intervalMs - now };
        }
      }
    }
    for (const w of windows) {
      const id = `${key}|${w.limit}/${w.intervalMs}`;
      if (w.limit <= 1000) this.logs.get(id)!.push(now);
      else {
        const start = Math.floor(now / w.intervalMs) * w.intervalMs;
        const f = this.fixed.get(id);
        if (!f || f.start !== start) this.fixed.set(id, { start, count: 1 });
        else f.count++;
      }
    }
    return { ok: true };
  }
}

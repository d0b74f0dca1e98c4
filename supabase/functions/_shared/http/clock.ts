/**
 * Time source for the http layer, the OAuth helper and the simulators. Everything that waits or reads the time
 * goes through a Clock so tests can run on virtual time (FakeClock) without real sleeps.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` (virtual ms for FakeClock); rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/**
 * Virtual clock for tests. `sleep(ms)` does not wait in real time: sleepers are kept in a timer queue and, on
 * each macrotask tick, the earliest deadline fires and the clock jumps to it. When a `busy` predicate is set
 * (e.g. "an HTTP request is in flight"), time does not advance while it returns true, so a server sharing the
 * clock sees requests at the virtual instant they were sent. Every sleep is recorded in `sleeps`.
 */
export class FakeClock implements Clock {
  private t: number;
  readonly sleeps: number[] = [];
  private readonly timers: Array<{ deadline: number; seq: number; resolve: () => void }> = [];
  private seq = 0;
  private scheduled = false;
  private busy: () => boolean = () => false;

  constructor(start: number | Date | string = Date.UTC(2026, 0, 15, 12, 0, 0)) {
    this.t = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.t;
  }

  /** Moves time forward (e.g. past a token's expiry). */
  advance(ms: number): void {
    this.t += ms;
  }

  set(ms: number | Date): void {
    this.t = typeof ms === 'number' ? ms : ms.getTime();
  }

  /** Holds virtual time while `fn()` is true (e.g. requests in flight). */
  setBusyCheck(fn: () => boolean): void {
    this.busy = fn;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const timer = { deadline: this.t + Math.max(0, ms), seq: this.seq++, resolve: () => resolve() };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
        reject(signal.reason);
      }, { once: true });
      this.schedule(0);
    });
  }

  private schedule(delay: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    if (this.busy()) {
      this.schedule(1);
      return;
    }
    this.timers.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
    const first = this.timers[0].deadline;
    if (first > this.t) this.t = first;
    while (this.timers.length && this.timers[0].deadline <= this.t) this.timers.shift()!.resolve();
    if (this.timers.length) this.schedule(0);
  }
}

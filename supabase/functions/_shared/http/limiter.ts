/**
 * Per-account rate limiting: any number of rate windows (e.g. Conta Azul 10/s AND 600/min, Bling 3/s AND
 * 120,000/day) plus an optional concurrency cap (Omie: 4 in flight per method), keyed by a string such as
 * `bling:<accountKey>` or `omie:<accountKey>:ListarNF`.
 *
 * Each window guarantees at most `limit` requests in ANY interval of `intervalMs` *as the server counts them*
 * (what "3 req/s" means to a server counting arrivals with a sliding window): windows up to 1,000 requests keep
 * a sliding log (pruned, so memory follows actual traffic); bigger ones (daily caps) use a fixed window aligned
 * to the epoch (UTC day for 24 h).
 *
 * The sliding log holds the time each request was *answered*, not sent: a request reaches the server at some
 * unknown instant between the two, so the answer is the latest it can have been counted. A request still
 * unanswered holds its slot until it is answered (`Lease.release(answeredAt)`). So the next request of a full
 * window leaves `intervalMs` after the oldest answer, and however the network delays the requests, the server
 * never sees `limit + 1` of them inside one interval. Counting from the send time instead let jitter bunch
 * three of Bling's requests sent a second apart into one of Bling's seconds: about 3 answers 429 per nightly
 * Bling connection in the 2,000-connection bench, even with the second padded to 1,150 ms.
 *
 * A request reserves its slot synchronously, so concurrent callers queue in FIFO order and never race. A key
 * can also be blocked until a point in time (after a 429 with Retry-After), which delays every later request of
 * that key.
 *
 * When the wait a request would need exceeds `maxWaitMs` (e.g. the daily cap is spent), `acquire` throws
 * AppError('rate_limited', retryAfterMs) instead of sleeping for hours: the engine reschedules.
 */
import { type Clock, systemClock } from './clock.ts';
import { limiterWaitTooLong } from './classify.ts';

export interface RateWindow {
  /** Requests allowed per interval (also the burst size). */
  limit: number;
  intervalMs: number;
}

export interface LimitPolicy {
  windows?: RateWindow[];
  /** Max requests in flight for the key. */
  maxConcurrent?: number;
}

export interface LimitSpec {
  key: string;
  policy: LimitPolicy;
}

export interface Lease {
  /** Ends the request; `answeredAt` is when its answer arrived (default: now). */
  release(answeredAt?: number): void;
}

interface WindowState {
  /** Sliding log: answer times, ascending. */
  log: number[];
  /** Sliding log: requests reserved and not yet answered (they hold their slots). */
  pending: number;
  /** Fixed window: start and count. */
  start: number;
  count: number;
}

const SLIDING_MAX = 1000;

interface KeyState {
  windows: Map<string, WindowState>;
  blockedUntil: number;
  active: number;
  queue: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
  /** Callers waiting for an answer to free a slot of a full window. */
  answerWaiters: Array<() => void>;
}

export interface RateLimiterOptions {
  clock?: Clock;
  /** Longest wait acquire() accepts before throwing rate_limited. Default 60 s. */
  maxWaitMs?: number;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export class RateLimiter {
  private readonly states = new Map<string, KeyState>();
  readonly clock: Clock;
  readonly maxWaitMs: number;

  constructor(opts: RateLimiterOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.maxWaitMs = opts.maxWaitMs ?? 60 * SECOND;
  }

  private state(key: string): KeyState {
    let s = this.states.get(key);
    if (!s) {
      s = { windows: new Map(), blockedUntil: 0, active: 0, queue: [], answerWaiters: [] };
      this.states.set(key, s);
    }
    return s;
  }

  /**
   * Waits for a concurrency slot and a rate slot on every spec, then returns a lease to release when the
   * request (including reading its body) is done.
   */
  async acquire(specs: LimitSpec[], opts: { signal?: AbortSignal; maxWaitMs?: number } = {}): Promise<Lease> {
    const maxWait = opts.maxWaitMs ?? this.maxWaitMs;
    // Concurrency first (sorted keys: no lock-order deadlocks), so rate slots are not burnt while queued.
    const sorted = [...specs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const held: KeyState[] = [];
    const reserved: WindowState[] = [];
    const releaseAll = (answeredAt: number | null) => {
      for (const s of held.splice(0)) this.releaseSlot(s);
      for (const ws of reserved.splice(0)) this.answer(ws, answeredAt);
      for (const spec of specs) this.wakeAnswerWaiters(this.state(spec.key));
    };
    try {
      for (const spec of sorted) {
        const max = spec.policy.maxConcurrent;
        if (!max || max <= 0) continue;
        const s = this.state(spec.key);
        await this.takeSlot(s, max, opts.signal);
        held.push(s);
      }
      // Rate windows: reserve the earliest instant every window and every block allows (synchronously, so
      // concurrent callers get consecutive slots). A window full of unanswered requests has no such instant yet:
      // wait for an answer and look again.
      let now: number;
      let at: number;
      for (;;) {
        now = this.clock.now();
        at = now;
        for (const spec of specs) {
          const s = this.state(spec.key);
          at = Math.max(at, s.blockedUntil);
          for (const w of spec.policy.windows ?? []) at = Math.max(at, this.allowAt(s, w, now));
        }
        if (at !== Infinity) break;
        await this.nextAnswer(specs, opts.signal);
      }
      if (at - now > maxWait) throw limiterWaitTooLong(specs[0]?.key ?? 'unknown', at - now);
      for (const spec of specs) {
        const s = this.state(spec.key);
        for (const w of spec.policy.windows ?? []) {
          const ws = this.reserve(s, w, at);
          if (ws) reserved.push(ws);
        }
      }
      if (at > now) await this.clock.sleep(at - now, opts.signal);
      // A 429 may have blocked a key while we waited: honour it (bounded).
      for (let i = 0; i < 3; i++) {
        const until = Math.max(0, ...specs.map((sp) => this.state(sp.key).blockedUntil));
        const wait = until - this.clock.now();
        if (wait <= 0) break;
        if (wait > maxWait) throw limiterWaitTooLong(specs[0]?.key ?? 'unknown', wait);
        await this.clock.sleep(wait, opts.signal);
      }
    } catch (e) {
      releaseAll(null); // never sent: the reserved slots are given back
      throw e;
    }
    let released = false;
    return {
      release: (answeredAt?: number) => {
        if (released) return;
        released = true;
        releaseAll(answeredAt ?? this.clock.now());
      },
    };
  }

  /** Delays every request of `key` until `untilMs` (after a 429 + Retry-After or a provider block). */
  block(key: string, untilMs: number): void {
    const s = this.state(key);
    if (untilMs > s.blockedUntil) s.blockedUntil = untilMs;
  }

  blockedUntil(key: string): number {
    return this.states.get(key)?.blockedUntil ?? 0;
  }

  /** In-flight requests for a key (for tests and metrics). */
  active(key: string): number {
    return this.states.get(key)?.active ?? 0;
  }

  private win(s: KeyState, w: RateWindow): WindowState {
    const id = `${w.limit}/${w.intervalMs}`;
    let ws = s.windows.get(id);
    if (!ws) {
      ws = { log: [], pending: 0, start: 0, count: 0 };
      s.windows.set(id, ws);
    }
    return ws;
  }

  private allowAt(s: KeyState, w: RateWindow, now: number): number {
    const ws = this.win(s, w);
    if (w.limit <= SLIDING_MAX) {
      let drop = 0;
      while (drop < ws.log.length && ws.log[drop] <= now - w.intervalMs) drop++;
      if (drop) ws.log.splice(0, drop);
      const occupied = ws.pending + ws.log.length;
      if (occupied < w.limit) return now;
      if (ws.pending >= w.limit) return Infinity; // every slot waits for an answer
      // The unanswered ones are the most recent: the oldest answers must leave the window.
      return Math.max(now, ws.log[occupied - w.limit] + w.intervalMs);
    }
    const start = Math.floor(now / w.intervalMs) * w.intervalMs;
    if (start > ws.start) return now; // a new fixed window
    return ws.count < w.limit ? now : ws.start + w.intervalMs;
  }

  /** Takes a slot at `at`; returns the sliding window whose slot waits for the answer. */
  private reserve(s: KeyState, w: RateWindow, at: number): WindowState | null {
    const ws = this.win(s, w);
    if (w.limit <= SLIDING_MAX) {
      ws.pending++;
      return ws;
    }
    const start = Math.floor(at / w.intervalMs) * w.intervalMs;
    if (start > ws.start) {
      ws.start = start;
      ws.count = 0;
    }
    ws.count++;
    return null;
  }

  /** A reserved request was answered at `answeredAt` (null: it was never sent). */
  private answer(ws: WindowState, answeredAt: number | null): void {
    ws.pending--;
    if (answeredAt === null) return;
    let i = ws.log.length;
    while (i > 0 && ws.log[i - 1] > answeredAt) i--;
    ws.log.splice(i, 0, answeredAt);
  }

  private nextAnswer(specs: LimitSpec[], signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      for (const spec of specs) this.state(spec.key).answerWaiters.push(wake);
    });
  }

  private wakeAnswerWaiters(s: KeyState): void {
    for (const wake of s.answerWaiters.splice(0)) wake();
  }

  private takeSlot(s: KeyState, max: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (s.active < max && s.queue.length === 0) {
      s.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = s.queue.indexOf(entry);
        if (i >= 0) s.queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      s.queue.push(entry); // releaseSlot hands the slot over (active stays counted)
    });
  }

  private releaseSlot(s: KeyState): void {
    const next = s.queue.shift();
    if (next) next.resolve(); // hand the slot over; `active` is unchanged
    else s.active--;
  }
}

/**
 * The limiter shared by every adapter of this process (so two connections of one ERP account share the
 * account's budget). Tests build their own with a FakeClock.
 */
export const sharedLimiter = new RateLimiter();

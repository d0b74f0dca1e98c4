/**
 * A discrete-event model of OUR design's night, for connection counts the benchmark does not sync for real.
 * It replays exactly the orchestration rules of erp-auto-sync + pg_cron, with the per-connection sync
 * durations MEASURED by the benchmark (sampled per ERP, with replacement) and the claim / end-of-run database
 * costs MEASURED at that table size:
 *   - the cron starts one invocation at 00:00; each sweep (00:05, 00:15, ...) starts another if work is left;
 *   - an invocation runs `concurrency` workers; a worker claims (claimMs), syncs (a sampled duration), and
 *     claims again until the budget is spent or nothing is claimable;
 *   - when its workers are done the invocation counts what is left (endMs) and, if it processed something and
 *     something is left, continues itself after `invokeDelayMs`;
 *   - the platform kills an invocation at `wallMs`: its unfinished syncs are lost, their connections become
 *     claimable again when their lease expires (`leaseMs` later) and that chain ends (a killed worker never
 *     calls its continuation).
 * The model is validated against the benchmark's measured run (same N, same durations) and the error is
 * reported next to every modelled number.
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import type { SweepSchedule } from './ideal.ts';

export interface ModelParams {
  n: number;
  /** ERP of connection i is mix[i % mix.length]. */
  mix: ErpType[];
  /** Measured sync durations per ERP (ms). */
  durations: Partial<Record<ErpType, number[]>>;
  concurrency: number;
  budgetMs: number;
  wallMs: number;
  invokeDelayMs: number;
  leaseMs: number;
  claimMs: number;
  endMs: number;
  sweeps: SweepSchedule | null;
  /** Invocations started at 00:00 (the design: 1). */
  fanout?: number;
  /**
   * Claim collisions (measured by dbcost.ts): the claim statement takes an advisory lock on every due account
   * before it picks one, so a claim that starts while another is running finds nothing and its worker stops.
   * `startCollision`: share of an invocation's first claims (fired together) that come back empty; the first
   * of them always wins (something is claimable), so each of the other c − 1 loses with
   * probability startCollision × c / (c − 1).
   */
  startCollision?: number;
  /** Later claims that start while another claim is still running can come back empty (default true) ... */
  overlapFails?: boolean;
  /** ... with this probability (measured by dbcost.ts; default 1). */
  overlapShare?: number;
  /** Replay: sync durations in claim order (validation against a measured night) instead of sampling. */
  sequence?: number[];
  seed?: number;
  /** Stop modelling after this long (ms). */
  horizonMs?: number;
}

export interface ModelResult {
  windowMs: number | null;
  completed: number;
  completionsMs: number[];
  invocations: number;
  killed: number;
  maxChains: number;
  maxSlotsBusy: number;
  /** Claims that came back empty because of another claim (workers stopped early). */
  emptyClaims: number;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Heap<T extends { t: number; seq: number }> {
  private a: T[] = [];
  get size() {
    return this.a.length;
  }
  push(x: T) {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p])) {
        [a[i], a[p]] = [a[p], a[i]];
        i = p;
      } else break;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  private less(x: T, y: T) {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
}

interface Inv {
  start: number;
  active: number;
  processed: number;
  killed: boolean;
  lastExit: number;
}

type Ev =
  | { t: number; seq: number; kind: 'start' }
  | { t: number; seq: number; kind: 'worker'; inv: Inv; finished: boolean; first: boolean; lead?: boolean }
  | { t: number; seq: number; kind: 'done'; inv: Inv }
  | { t: number; seq: number; kind: 'sweep' }
  | { t: number; seq: number; kind: 'requeue'; conn: number };

type NewEv = Ev extends infer E ? E extends Ev ? Omit<E, 'seq'> : never : never;

export function modelDesign(p: ModelParams): ModelResult {
  const rand = rng(p.seed ?? 42);
  const horizon = p.horizonMs ?? 24 * 3_600_000;
  let claimed = 0;
  const dur = (i: number) => {
    if (p.sequence?.length) return p.sequence[claimed++ % p.sequence.length];
    const erp = p.mix[i % p.mix.length];
    const xs = p.durations[erp];
    if (!xs?.length) throw new Error(`no measured durations for ${erp}`);
    return xs[Math.floor(rand() * xs.length)];
  };
  let next = 0; // connections are claimed in order (next_sync_at, id)
  const front: number[] = []; // lease expired after a kill: oldest next_sync_at, claimed first
  const completions: number[] = [];
  const ev = new Heap<Ev>();
  let seq = 0;
  let invocations = 0, killed = 0, running = 0, maxChains = 0, inflight = 0, maxBusy = 0, emptyClaims = 0;
  let claimsRunning: Array<[number, number]> = [];
  const overlaps = (t: number) => {
    claimsRunning = claimsRunning.filter(([, end]) => end > t);
    return claimsRunning.some(([start]) => start < t);
  };
  const push = (e: NewEv) => ev.push({ ...e, seq: seq++ } as Ev);
  const left = () => p.n - completions.length;
  const take = (): number | undefined => (front.length ? front.shift() : next < p.n ? next++ : undefined);

  const exitWorker = (inv: Inv, t: number) => {
    inv.active--;
    inv.lastExit = Math.max(inv.lastExit, t);
    if (inv.active === 0) push({ t: inv.killed ? inv.start + p.wallMs : inv.lastExit + p.endMs, kind: 'done', inv });
  };

  for (let f = 0; f < (p.fanout ?? 1); f++) push({ t: 0, kind: 'start' });
  if (p.sweeps) push({ t: p.sweeps.firstMs, kind: 'sweep' });

  while (ev.size) {
    const e = ev.pop()!;
    if (e.t > horizon) break;
    switch (e.kind) {
      case 'start': {
        invocations++;
        running++;
        maxChains = Math.max(maxChains, running);
        const inv: Inv = { start: e.t, active: p.concurrency, processed: 0, killed: false, lastExit: e.t };
        for (let w = 0; w < p.concurrency; w++) {
          push({ t: e.t, kind: 'worker', inv, finished: false, first: true, lead: w === 0 });
        }
        break;
      }
      case 'worker': {
        const inv = e.inv;
        if (e.finished) {
          completions.push(e.t);
          inflight--;
          inv.processed++;
        }
        if (e.t - inv.start >= p.budgetMs) {
          exitWorker(inv, e.t);
          break;
        }
        const pLose = p.concurrency > 1 ? Math.min(1, ((p.startCollision ?? 0) * p.concurrency) / (p.concurrency - 1)) : 0;
        const external = (p.overlapFails ?? true) && p.claimMs > 0 && overlaps(e.t) && rand() < (p.overlapShare ?? 1);
        const collided = external || (e.first && !e.lead && rand() < pLose);
        claimsRunning.push([e.t, e.t + p.claimMs]);
        const conn = collided ? undefined : take();
        if (conn === undefined) {
          if (collided) emptyClaims++;
          exitWorker(inv, e.t + p.claimMs);
          break;
        }
        const end = e.t + p.claimMs + dur(conn);
        if (end > inv.start + p.wallMs) {
          // The platform ends the worker mid-sync: the work is lost, the lease expires later.
          inv.killed = true;
          push({ t: inv.start + p.wallMs + p.leaseMs, kind: 'requeue', conn });
          exitWorker(inv, inv.start + p.wallMs);
          break;
        }
        inflight++;
        maxBusy = Math.max(maxBusy, inflight);
        push({ t: end, kind: 'worker', inv, finished: true, first: false });
        break;
      }
      case 'done': {
        running--;
        if (e.inv.killed) killed++;
        else if (e.inv.processed > 0 && left() > 0) push({ t: e.t + p.invokeDelayMs, kind: 'start' });
        break;
      }
      case 'sweep': {
        if (left() > 0) {
          push({ t: e.t, kind: 'start' });
          if (p.sweeps && e.t + p.sweeps.everyMs <= p.sweeps.lastMs) push({ t: e.t + p.sweeps.everyMs, kind: 'sweep' });
        }
        break;
      }
      case 'requeue':
        front.push(e.conn);
        break;
    }
  }

  completions.sort((a, b) => a - b);
  return {
    windowMs: completions.length === p.n ? completions[completions.length - 1] : null,
    completed: completions.length,
    completionsMs: completions,
    invocations,
    killed,
    maxChains,
    maxSlotsBusy: maxBusy,
    emptyClaims,
  };
}

/** Connections finished by `t` in a sorted completion list. */
export function doneBy(completionsMs: number[], t: number): number {
  let lo = 0, hi = completionsMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (completionsMs[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

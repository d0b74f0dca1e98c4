/**
 * A discrete-event model of our design's night (orchestrator.ts rules, pg_cron sweeps, the in-flight cap) fed with
 * measured sync durations and database costs, for the night sizes not synced for real (README: Measured vs modelled).
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { CAP_POLL_MS } from '../../../supabase/functions/_shared/sync/orchestrator.ts';
import type { SweepSchedule } from './ideal.ts';

export interface ModelParams {
  n: number;
  /** ERP of connection i is mix[i % mix.length]. */
  mix: ErpType[];
  /**
   * Measured connections per ERP: each one's attempt durations in order (ms). A sync stopped early (its deadline,
   * the CPU budget) releases its slot and is claimable again at once, so each attempt is its own claim.
   */
  durations: Partial<Record<ErpType, number[][]>>;
  concurrency: number;
  budgetMs: number;
  wallMs: number;
  invokeDelayMs: number;
  leaseMs: number;
  claimMs: number;
  endMs: number;
  sweeps: SweepSchedule | null;
  /** Heads started at 00:00 regardless of the fan-out rule (what-if; the ceiling grows to match). */
  fanout?: number;
  /** Syncs in flight at most, all invocations together (ERP_AUTO_SYNC_MAX_IN_FLIGHT); default unbounded. */
  maxInFlight?: number;
  /** Invocations alive at most, heads and tails (orchestrator.ts invocationCeiling); default unbounded. */
  ceiling?: number;
  /** Connections an invocation is expected to take: sizes the fan-out (default: no fan-out). */
  perInvocation?: number;
  /** Connections an invocation takes before its CPU budget is spent (default unbounded). */
  connsPerInvocation?: number;
  /** The deadline of a sync is wallMs − closeMarginMs after its invocation started (default 0). */
  closeMarginMs?: number;
  /**
   * Claim collisions, calibrated on the measured night: the share of an invocation's first claims (fired
   * together) that come back empty; the first of them always wins (something is claimable), so each of the
   * other c − 1 loses with probability startCollision × c / (c − 1).
   */
  startCollision?: number;
  /** Replay: the connections' attempt durations in the order of their first claims (validation against a measured night). */
  sequence?: number[][];
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
  /** Invocations alive at once at most. */
  maxAlive: number;
  /** Invocations refused at admission (the invocations alive filled the ceiling). */
  refused: number;
  maxSlotsBusy: number;
  /** Claims that came back empty because of another claim. */
  emptyClaims: number;
  /** Claims that came back empty because the in-flight cap was full. */
  capRefused: number;
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
  /** Syncs of this invocation in flight, and its workers waiting for one of them to end. */
  inFlight: number;
  waiting: number;
  capBlocked: boolean;
  /** One worker polls the full cap (the others wait for it): since when, and which of its poll events is live. */
  polling: boolean;
  pollFrom: number;
  pollSeq: number;
  processed: number;
  taken: number;
  handedOn: boolean;
  /** It asked for its continuation while claiming (at most once; refused, it asks again at its end). */
  asked: boolean;
  done: boolean;
  killed: boolean;
  lastExit: number;
}

type Ev =
  | { t: number; seq: number; kind: 'start'; head: boolean; from?: Inv }
  | { t: number; seq: number; kind: 'worker'; inv: Inv; finished?: number; first: boolean; lead?: boolean; poll?: number }
  | { t: number; seq: number; kind: 'done'; inv: Inv }
  | { t: number; seq: number; kind: 'sweep' }
  | { t: number; seq: number; kind: 'requeue'; conn: number; release: boolean };

type NewEv = Ev extends infer E ? E extends Ev ? Omit<E, 'seq'> : never : never;

export function modelDesign(p: ModelParams): ModelResult {
  const rand = rng(p.seed ?? 42);
  const horizon = p.horizonMs ?? 24 * 3_600_000;
  let claimed = 0;
  const draw = (i: number): number[] => {
    if (p.sequence?.length) return p.sequence[claimed++ % p.sequence.length];
    const erp = p.mix[i % p.mix.length];
    const xs = p.durations[erp];
    if (!xs?.length) throw new Error(`no measured durations for ${erp}`);
    return xs[Math.floor(rand() * xs.length)];
  };
  // The attempts a connection still has to make (drawn at its first claim).
  const attemptsLeft = new Map<number, number[]>();
  const nextAttempt = (conn: number): number => {
    let rest = attemptsLeft.get(conn);
    if (!rest) attemptsLeft.set(conn, rest = [...draw(conn)]);
    return rest[0] ?? 0;
  };
  let next = 0; // connections are claimed in order (next_sync_at, id)
  const front: number[] = []; // lease expired after a kill: oldest next_sync_at, claimed first
  const completions: number[] = [];
  const ev = new Heap<Ev>();
  let seq = 0;
  let invocations = 0, killed = 0, alive = 0, maxAlive = 0, inflight = 0, maxBusy = 0, emptyClaims = 0, refused = 0;
  let capRefused = 0;
  const cap = p.maxInFlight ?? Infinity;
  // Invocations polling the full cap. A poll can only succeed after a lease is released, so instead of an event
  // every CAP_POLL_MS each one polls at its first tick after a release (or when its claim budget is spent).
  const blocked = new Set<Inv>();
  const pollAt = (inv: Inv, t: number) => inv.pollFrom + Math.max(1, Math.ceil((t - inv.pollFrom) / CAP_POLL_MS)) * CAP_POLL_MS;
  const released = (t: number) => {
    inflight--;
    for (const b of blocked) push({ t: pollAt(b, t), kind: 'worker', inv: b, first: false, poll: b.pollSeq });
    blocked.clear();
  };
  const wake = (inv: Inv, t: number) => {
    for (; inv.waiting > 0; inv.waiting--) push({ t, kind: 'worker', inv, first: false });
  };
  const ceiling = Math.max(p.ceiling ?? Infinity, p.fanout ?? 1);
  const free = () => front.length + (p.n - next);
  // While claiming, an invocation asks for its continuation once; admission answers when it arrives.
  const handOn = (inv: Inv, t: number) => {
    if (inv.asked || inv.killed || (inv.taken === 0 && !inv.capBlocked) || free() === 0) return;
    inv.asked = inv.handedOn = true;
    push({ t: t + p.invokeDelayMs, kind: 'start', head: false, from: inv });
  };
  const push = (e: NewEv) => ev.push({ ...e, seq: seq++ } as Ev);
  const left = () => p.n - completions.length;
  const take = (): number | undefined => (front.length ? front.shift() : next < p.n ? next++ : undefined);

  const exitWorker = (inv: Inv, t: number) => {
    inv.active--;
    inv.lastExit = Math.max(inv.lastExit, t);
    if (inv.active === 0) push({ t: inv.killed ? inv.start + p.wallMs : inv.lastExit + p.endMs, kind: 'done', inv });
  };

  for (let f = 0; f < (p.fanout ?? 1); f++) push({ t: 0, kind: 'start', head: f === 0 });
  if (p.sweeps) push({ t: p.sweeps.firstMs, kind: 'sweep' });

  while (ev.size) {
    const e = ev.pop()!;
    if (e.t > horizon) break;
    switch (e.kind) {
      case 'start': {
        if (alive >= ceiling) {
          refused++;
          // A refused continuation is asked for again at its sender's end (at once if that end has passed).
          if (e.from && !e.from.done) e.from.handedOn = false;
          else if (e.from && free() > 0) push({ t: e.t + p.invokeDelayMs, kind: 'start', head: false });
          break;
        }
        invocations++;
        alive++;
        maxAlive = Math.max(maxAlive, alive);
        if (e.head && p.perInvocation) {
          const want = Math.min(ceiling, Math.ceil(free() / p.perInvocation));
          for (let k = alive; k < want; k++) push({ t: e.t + p.invokeDelayMs, kind: 'start', head: false });
        }
        const inv: Inv = {
          start: e.t,
          active: p.concurrency,
          inFlight: 0,
          waiting: 0,
          capBlocked: false,
          polling: false,
          pollFrom: 0,
          pollSeq: 0,
          processed: 0,
          taken: 0,
          handedOn: false,
          asked: false,
          done: false,
          killed: false,
          lastExit: e.t,
        };
        for (let w = 0; w < p.concurrency; w++) {
          push({ t: e.t, kind: 'worker', inv, first: true, lead: w === 0 });
        }
        break;
      }
      case 'worker': {
        const inv = e.inv;
        if (e.poll !== undefined) {
          if (e.poll !== inv.pollSeq) break; // an earlier poll of this wait already ran
          inv.pollSeq++;
          inv.polling = false;
          blocked.delete(inv);
        }
        if (e.finished !== undefined) {
          const rest = attemptsLeft.get(e.finished)!;
          rest.shift();
          if (rest.length) front.push(e.finished); // stopped early: claimable again at once, resumed by a later claim
          else completions.push(e.t);
          released(e.t);
          inv.inFlight--;
          inv.processed++;
          wake(inv, e.t); // executeRun's freed(): the workers waiting for a slot of this invocation claim again
        }
        if (e.t - inv.start >= p.budgetMs || inv.taken >= (p.connsPerInvocation ?? Infinity)) {
          handOn(inv, e.t);
          if (inv.inFlight === 0) wake(inv, e.t); // they see the same and stop
          exitWorker(inv, e.t);
          break;
        }
        const pLose = p.concurrency > 1 ? Math.min(1, ((p.startCollision ?? 0) * p.concurrency) / (p.concurrency - 1)) : 0;
        const collided = e.first && !e.lead && rand() < pLose;
        const full = inflight >= cap;
        const conn = collided || full ? undefined : take();
        if (conn === undefined) {
          if (collided) emptyClaims++;
          else if (full) capRefused++;
          if (inv.inFlight > 0 || inv.polling) inv.waiting++; // woken when a sync of this invocation ends / by the poll
          else if (full && free() > 0) {
            inv.capBlocked = true;
            inv.polling = true;
            inv.pollFrom = e.t + p.claimMs;
            blocked.add(inv);
            // the poll that finds the claim budget spent, if no lease is released before
            push({ t: pollAt(inv, inv.start + p.budgetMs), kind: 'worker', inv, first: false, poll: inv.pollSeq });
          } else exitWorker(inv, e.t + p.claimMs);
          break;
        }
        if (e.poll !== undefined) wake(inv, e.t); // the poll got a slot: the waiting workers claim too
        inv.taken++;
        inflight++; // the lease is live from the claim until the close (or its expiry after a kill)
        maxBusy = Math.max(maxBusy, inflight);
        const end = e.t + p.claimMs + nextAttempt(conn);
        const deadline = inv.start + p.wallMs - (p.closeMarginMs ?? 0);
        // A sync stopped mid-attempt resumes from its checkpoint: what it had not done is left for a later claim.
        const stopAt = (t: number) => (attemptsLeft.get(conn)![0] = end - t);
        if (p.closeMarginMs && end > deadline) {
          // Stopped at its deadline: checkpoint saved, lease released, claimable again at once.
          stopAt(deadline);
          push({ t: deadline, kind: 'requeue', conn, release: true });
          exitWorker(inv, deadline);
          break;
        }
        if (end > inv.start + p.wallMs) {
          // The platform ends the worker mid-sync (checkpoints reached are saved by the progress writes); its lease
          // expires later.
          inv.killed = true;
          stopAt(inv.start + p.wallMs);
          push({ t: inv.start + p.wallMs + p.leaseMs, kind: 'requeue', conn, release: true });
          exitWorker(inv, inv.start + p.wallMs);
          break;
        }
        inv.inFlight++;
        push({ t: end, kind: 'worker', inv, finished: conn, first: false });
        break;
      }
      case 'done': {
        // The run row closes (a killed invocation's counts until its wall limit, when this event comes), then the
        // hand-on at the end is sent.
        alive--;
        e.inv.done = true;
        if (e.inv.killed) killed++;
        else if (!e.inv.handedOn && (e.inv.taken > 0 || e.inv.capBlocked) && free() > 0) push({ t: e.t + p.invokeDelayMs, kind: 'start', head: false });
        break;
      }
      case 'sweep': {
        if (left() > 0) {
          push({ t: e.t, kind: 'start', head: true });
          if (p.sweeps && e.t + p.sweeps.everyMs <= p.sweeps.lastMs) push({ t: e.t + p.sweeps.everyMs, kind: 'sweep' });
        }
        break;
      }
      case 'requeue':
        if (e.release) released(e.t);
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
    maxAlive,
    refused,
    maxSlotsBusy: maxBusy,
    emptyClaims,
    capRefused,
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

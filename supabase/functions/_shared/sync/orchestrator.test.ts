// The orchestrator's decisions (pure): the invocation ceiling, when to stop claiming (wall clock, CPU), how many
// chains a cron or sweep call starts, when to hand on; and a backlog night replayed on a fake clock with
// exactly those rules, which converges with a bounded number of invocations alive.
import assert from 'node:assert/strict';
import {
  chainsToStart,
  claimVerdict,
  CPU_STOP,
  CPU_USE,
  cpuPerSync,
  type HandOnMoment,
  handOnWhen,
  invocationCeiling,
  outOfCpu,
  shouldHandOn,
  syncDeadline,
} from './orchestrator.ts';

Deno.test('the invocation ceiling follows the database connection budget (one pool per invocation alive)', () => {
  assert.equal(invocationCeiling(100, 5), 20);
  assert.equal(invocationCeiling(60, 5), 12);
  assert.equal(invocationCeiling(9, 5), 1);
  assert.equal(invocationCeiling(0, 5), 1, 'always one invocation');
});

Deno.test('every sync of an invocation stops before the wall clock, leaving time to close', () => {
  assert.equal(syncDeadline(1_000, { wallMs: 150_000, closeMarginMs: 10_000 }), 141_000);
});

Deno.test('claiming stops at the claim budget, at the CPU budget, or at a fixed cap', () => {
  const limits = { claimMs: 120_000, cpuMs: 2000 };
  const at = (o: Partial<Parameters<typeof claimVerdict>[0]>) =>
    claimVerdict({ elapsedMs: 0, cpuMs: 0, cpuPerSyncMs: 150, inFlight: 0, taken: 0, limits, ...o });
  assert.equal(at({}), 'claim');
  assert.equal(at({ elapsedMs: 119_999, taken: 3 }), 'claim');
  assert.equal(at({ elapsedMs: 120_000, taken: 3 }), 'wall');
  assert.equal(at({ elapsedMs: 120_000, taken: 0 }), 'wall', 'a spent budget claims nothing, even first');
  // 2000 ms × 0.8 = 1600 ms: 1000 used + (3 in flight + this one) × 150 = 1600 → still fits; one more does not.
  assert.equal(CPU_USE, 0.8);
  assert.equal(at({ cpuMs: 1000, inFlight: 3, taken: 5 }), 'claim');
  assert.equal(at({ cpuMs: 1001, inFlight: 3, taken: 5 }), 'cpu');
  assert.equal(at({ cpuMs: 1900, taken: 0 }), 'claim', 'the first claim is never refused for CPU (start-up counted)');
  assert.equal(at({ cpuMs: 1900, taken: 1 }), 'cpu');
  assert.equal(claimVerdict({ elapsedMs: 0, cpuMs: 0, cpuPerSyncMs: 1, inFlight: 0, taken: 8, limits: { claimMs: 1e9, maxConnections: 8 } }), 'cap');
  assert.equal(claimVerdict({ elapsedMs: 0, cpuMs: 1e9, cpuPerSyncMs: 1, inFlight: 0, taken: 8, limits: { claimMs: 1e9 } }), 'claim', 'CPU not measured: not enforced');
  assert.equal(cpuPerSync(0, 0), 150, 'the prior before any sync finished');
  assert.equal(cpuPerSync(900, 6), 150);
});

Deno.test('a cron or sweep call sizes the fan-out from the free due rows and the invocations alive', () => {
  const base = { perInvocation: 8, ceiling: 10 };
  assert.equal(chainsToStart({ ...base, freeDue: 0, alive: 1 }), 0);
  assert.equal(chainsToStart({ ...base, freeDue: 8, alive: 1 }), 0, 'a small night is one chain');
  assert.equal(chainsToStart({ ...base, freeDue: 20, alive: 1 }), 2);
  assert.equal(chainsToStart({ ...base, freeDue: 5000, alive: 1 }), 9, 'a backlog: up to the ceiling');
  assert.equal(chainsToStart({ ...base, freeDue: 5000, alive: 10 }), 0, 'invocations alive count: a sweep adds none');
  assert.equal(chainsToStart({ ...base, freeDue: 5000, alive: 7 }), 3, 'a sweep refills what ended');
});

Deno.test('an invocation hands on when free work is left and it made progress, once, and not for given ids', () => {
  const base = { freeDue: 5, taken: 2, handedOn: false, restricted: false };
  assert.equal(shouldHandOn(base), true);
  assert.equal(shouldHandOn({ ...base, freeDue: 0 }), false);
  assert.equal(shouldHandOn({ ...base, taken: 0 }), false, 'what is left is blocked elsewhere');
  assert.equal(shouldHandOn({ ...base, handedOn: true }), false);
  assert.equal(shouldHandOn({ ...base, restricted: true }), false);
  assert.equal(shouldHandOn({ ...base, taken: 0, capBlocked: true }), true, 'only the in-flight cap held it back');
  assert.equal(shouldHandOn({ ...base, freeDue: 0, taken: 0, capBlocked: true }), false);
});

const handOnCases: Array<[string, HandOnMoment, ReturnType<typeof handOnWhen>]> = [
  ['claim budget spent: at once', { at: 'stop', verdict: 'wall', inFlight: 16, taken: 16 }, 'now'],
  ['fixed cap reached: at once', { at: 'stop', verdict: 'cap', inFlight: 8, taken: 8 }, 'now'],
  ['CPU budget, its syncs young: once half ended', { at: 'stop', verdict: 'cpu', inFlight: 10, taken: 10 }, 'at-half'],
  ['CPU budget, more than half in flight', { at: 'stop', verdict: 'cpu', inFlight: 6, taken: 10 }, 'at-half'],
  ['CPU budget, half already ended: at once', { at: 'stop', verdict: 'cpu', inFlight: 5, taken: 10 }, 'now'],
  ['waiting for half, a sync ends leaving more than half', { at: 'sync-end', waitingForHalf: true, inFlight: 6, taken: 10 }, 'not-yet'],
  ['waiting for half, half have ended', { at: 'sync-end', waitingForHalf: true, inFlight: 5, taken: 10 }, 'now'],
  ['not waiting: a sync end decides nothing', { at: 'sync-end', waitingForHalf: false, inFlight: 0, taken: 10 }, 'not-yet'],
  ['the end, never handed on', { at: 'end', handedOn: false, stoppedEarly: 0 }, 'now'],
  ['the end, handed on, all syncs finished', { at: 'end', handedOn: true, stoppedEarly: 0 }, 'not-yet'],
  ['the end, handed on, some syncs stopped early: again', { at: 'end', handedOn: true, stoppedEarly: 2 }, 'now'],
];
for (const [name, moment, want] of handOnCases) {
  Deno.test(`hand-on timing: ${name}`, () => assert.equal(handOnWhen(moment), want));
}

Deno.test('the syncs in flight stop at 85 % of the CPU budget (the claims stopped at 80 %)', () => {
  assert.equal(CPU_STOP, 0.85);
  assert.equal(outOfCpu(1699, { cpuMs: 2000 }), false);
  assert.equal(outOfCpu(1700, { cpuMs: 2000 }), true);
  assert.equal(outOfCpu(1e9, {}), false, 'CPU not measured: not enforced');
});

/**
 * A night on a fake clock, with the orchestrator's rules and nothing else: the cron call at 0, a sweep every
 * 10 minutes, admission of every invocation under the ceiling, fan-out, claim budget, hand-on at the budget
 * (refused at admission: asked again at the invocation's end, after its run row closed), syncs of fixed length.
 */
function night(o: { due: number; ceiling: number; perInvocation: number; concurrency: number; syncMs: number; claimMs: number }) {
  const HOP_MS = 500;
  let free = o.due;
  let t = 0;
  let invocations = 0, started = 0, refused = 0, refusedContinuations = 0, maxInvocations = 0;
  type Ev = { t: number; run: () => void };
  const queue: Ev[] = [];
  const at = (when: number, run: () => void) => {
    queue.push({ t: when, run });
    queue.sort((a, b) => a.t - b.t);
  };
  const start = (head: boolean): boolean => {
    if (invocations >= o.ceiling) {
      refused++;
      if (!head) refusedContinuations++;
      return false;
    }
    invocations++, started++;
    maxInvocations = Math.max(maxInvocations, invocations);
    const t0 = t;
    if (head) {
      const extra = chainsToStart({ freeDue: free, alive: invocations, perInvocation: o.perInvocation, ceiling: o.ceiling });
      for (let i = 0; i < extra; i++) at(t + HOP_MS, () => start(false));
    }
    let taken = 0, handedOn = false, asked = false;
    const end = () => {
      invocations--; // the run row closes, then the hand-on at the end is sent
      const again = handOnWhen({ at: 'end', handedOn, stoppedEarly: 0 }) === 'now';
      if (again && shouldHandOn({ freeDue: free, taken, handedOn: false, restricted: false })) at(t + HOP_MS, () => start(false));
    };
    const round = () => {
      const verdict = claimVerdict({ elapsedMs: t - t0, cpuMs: 0, cpuPerSyncMs: 0, inFlight: 0, taken, limits: { claimMs: o.claimMs } });
      const n = verdict === 'claim' ? Math.min(o.concurrency, free) : 0;
      if (n === 0) {
        if (!asked && shouldHandOn({ freeDue: free, taken, handedOn, restricted: false })) {
          asked = true;
          at(t + HOP_MS, () => (handedOn = start(false)));
        }
        // the syncs in flight finish after the hand-on
        return at(t + (verdict === 'claim' ? 0 : o.syncMs), end);
      }
      free -= n;
      taken += n;
      at(t + o.syncMs, round);
    };
    round();
    return true;
  };
  at(0, () => start(true));
  for (let s = 5 * 60_000; s < 6 * 3600_000; s += 10 * 60_000) at(s, () => free > 0 && start(true));
  let doneAt = -1;
  while (queue.length) {
    const ev = queue.shift()!;
    t = ev.t;
    ev.run();
    if (free === 0 && doneAt < 0) doneAt = t;
  }
  return { free, doneAt, maxInvocations, started, refused, refusedContinuations, invocationsLeft: invocations };
}

Deno.test('a backlog night (5,000 due at once) converges with the invocations alive under the ceiling', () => {
  const r = night({ due: 5000, ceiling: 20, perInvocation: 8, concurrency: 4, syncMs: 2000, claimMs: 120_000 });
  assert.equal(r.free, 0, 'everything was claimed');
  assert.equal(r.invocationsLeft, 0);
  assert.ok(r.maxInvocations <= 20, `invocations at once ${r.maxInvocations}`);
  // 5,000 syncs × 2 s over 20 invocations × 4 slots = 125 s of claiming, plus hops: well inside the first half hour.
  assert.ok(r.doneAt < 30 * 60_000, `done at ${r.doneAt} ms`);
  // Invocations: each chain hands on every 120 s; nothing multiplies.
  assert.ok(r.started <= 20 * Math.ceil(r.doneAt / 120_000 + 1) + 40, `started ${r.started}`);
});

Deno.test('a night that outlasts the sweeps never grows past the ceiling; a refused hand-on is asked again at the end', () => {
  // 60 s syncs: the night lasts hours and a sweep every 10 minutes finds the invocations alive; a head's
  // continuation finds the ceiling full and is refused, then sent again when that head ends.
  const r = night({ due: 5000, ceiling: 6, perInvocation: 8, concurrency: 4, syncMs: 60_000, claimMs: 120_000 });
  assert.ok(r.maxInvocations <= 6, `invocations at once ${r.maxInvocations}`);
  assert.ok(r.refusedContinuations > 0, 'continuations were refused while the invocations were full');
  // Without the hand-on at the end only the sweeps would restart the chains: 6 invocations × 8 syncs every
  // 10 minutes, 17 h for 5,000, past the 6 h this night is given.
  assert.equal(r.free, 0, 'the night still converged');
  assert.equal(r.invocationsLeft, 0);
});

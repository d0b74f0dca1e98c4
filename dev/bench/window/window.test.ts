/**
 * Unit tests of the benchmark's pure parts (bounds, model, charts). No timing assertions, no database.
 */
import assert from 'node:assert/strict';
import { connsPerBudget, inFlightNeeded, ratioFactors, syncTimes } from './bounds.ts';
import { windowChart } from './chart.ts';
import { ScaledClock } from './clock.ts';
import { outDir } from './config.ts';
import { capacityTime, designSlots, DESIGN_SWEEPS, idealBound, idealWork, tMinMs } from './ideal.ts';
import { doneBy, modelDesign, type ModelParams } from './model.ts';
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import type { NightResult } from './runs.ts';

Deno.test('t_min follows the documented sliding windows and never beats two round trips', () => {
  // Bling 3/s: 61 requests = 21 bursts of 3 → the last burst at 20 s, + one latency
  assert.equal(tMinMs({ erp: 'bling', requests: 61, paths: {} }, 80), 20_080);
  // Tiny 60/min, 15 in flight: 60 requests fit in one minute's burst → bounded by latency (4 rounds)
  assert.equal(tMinMs({ erp: 'tiny', requests: 60, paths: {} }, 80), 320);
  // ... the 61st waits for the window
  assert.equal(tMinMs({ erp: 'tiny', requests: 61, paths: {} }, 80), 60_080);
  // Omie: per method
  assert.equal(tMinMs({ erp: 'omie', requests: 30, paths: { a: 20, b: 10 } }, 80), 8 * 80);
  assert.equal(tMinMs({ erp: 'conta_azul', requests: 1, paths: {} }, 80), 160);
});

Deno.test('the ideal bound does not credit the pages a resumed attempt fetched again', () => {
  const c = (erp: ErpType, requests: number, attempts: number) => ({ erp, requests, paths: { '/x': requests }, attempts });
  const work = idealWork([c('tiny', 40, 1), c('tiny', 44, 1), c('tiny', 48, 1), c('tiny', 90, 3), c('bling', 30, 2)]);
  assert.deepEqual(work.map((w) => w.requests), [40, 44, 48, 44, 30], "the median single-attempt Tiny; Bling has none: its own");
  assert.deepEqual(work[3].paths, { '/x': 44 });
});

Deno.test('the design adds one chain per sweep while work is left, under the in-flight cap', () => {
  const slots = designSlots({ concurrency: 4, sweeps: DESIGN_SWEEPS });
  assert.equal(slots(0), 4);
  assert.equal(slots(5 * 60_000 - 1), 4);
  assert.equal(slots(5 * 60_000), 8);
  assert.equal(slots(15 * 60_000), 12);
  assert.equal(designSlots({ concurrency: 4, sweeps: null, fanout: 3 })(3_600_000), 12);
  // handed-on tails: up to floor(wall / hop) + 1 invocations of a chain have syncs in flight
  assert.equal(designSlots({ concurrency: 4, sweeps: null, wallMs: 1_000, invokeDelayMs: 300 })(0), 16);
  assert.equal(designSlots({ concurrency: 16, sweeps: null, fanout: 10, maxInFlight: 160, wallMs: 400_000, invokeDelayMs: 300 })(0), 160);
});

Deno.test('capacity time solves ∫ slots = work', () => {
  assert.equal(capacityTime(40_000, () => 4), 10_000);
  const b = idealBound([{ erp: 'bling', tMinMs: 30_000 }, { erp: 'tiny', tMinMs: 10_000 }], () => 4);
  assert.equal(b.rateBoundMs, 30_000);
  assert.equal(b.concurrencyBoundMs, 10_000);
  assert.equal(b.idealMs, 30_000);
});

const base: ModelParams = {
  n: 8,
  mix: ['bling'],
  durations: { bling: [[10_000]] },
  concurrency: 4,
  budgetMs: 120_000,
  wallMs: 400_000,
  invokeDelayMs: 0,
  leaseMs: 120_000,
  claimMs: 0,
  endMs: 0,
  sweeps: null,
  startCollision: 0,
};

Deno.test('model: 8 syncs of 10 s on 4 slots take 20 s in one invocation', () => {
  const r = modelDesign(base);
  assert.equal(r.windowMs, 20_000);
  assert.equal(r.invocations, 1);
  assert.equal(r.completed, 8);
  assert.equal(doneBy(r.completionsMs, 10_000), 4);
});

Deno.test('model: the budget ends an invocation and a continuation takes over', () => {
  const r = modelDesign({ ...base, budgetMs: 15_000, invokeDelayMs: 1_000 });
  // first invocation: claims at 0 and 10 s, ends at 20 s; continuation at 21 s finds nothing left
  assert.equal(r.windowMs, 20_000);
  const r2 = modelDesign({ ...base, n: 12, budgetMs: 15_000, invokeDelayMs: 1_000 });
  assert.equal(r2.windowMs, 31_000);
  assert.equal(r2.invocations, 2);
});

Deno.test('model: the wall limit kills a long sync; the chain ends and a sweep resumes it after the lease', () => {
  const r = modelDesign({
    ...base,
    n: 1,
    durations: { bling: [[500_000]] },
    wallMs: 400_000,
    leaseMs: 120_000,
    sweeps: { firstMs: 300_000, everyMs: 600_000, lastMs: 6 * 3_600_000 },
  });
  assert.equal(r.killed, 1);
  // killed at 400 s, lease expires at 520 s, the 900 s sweep claims it and resumes from its checkpoint (the
  // 100 s not done): done at 1,000 s
  assert.equal(r.windowMs, 1_000_000);
});

Deno.test('model: a sync stopped early releases its slot; the rest of its attempts are later claims', () => {
  // One slot. Connection 0 is stopped after 10 s and resumed for 10 s more; connection 1 takes 5 s. Its slot is
  // free between the two attempts: connection 0 goes back to the front of the queue, connection 1 waits.
  const r = modelDesign({ ...base, n: 2, concurrency: 1, sequence: [[10_000, 10_000], [5_000]] });
  assert.equal(r.completed, 2);
  assert.deepEqual(r.completionsMs, [20_000, 25_000]);
  // With the deadline under the wall clock, a stop resumes where it was: 10 s left after a 390 s deadline.
  const d = modelDesign({ ...base, n: 1, concurrency: 1, closeMarginMs: 10_000, sequence: [[400_000]] });
  assert.equal(d.windowMs, 400_000);
});

Deno.test('model: start collisions leave the lead claimer working; the others wait for its sync and claim again', () => {
  const r = modelDesign({ ...base, startCollision: 0.75 });
  assert.equal(r.emptyClaims, 3);
  assert.equal(r.windowMs, 30_000);
});

function rng(seed: number) {
  let a = seed;
  return () => ((a = (a * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

Deno.test('model: the global in-flight cap holds whatever the chains, and never beats the ideal bound', () => {
  const erps: ErpType[] = ['bling', 'omie', 'tiny', 'conta_azul'];
  for (let night = 0; night < 40; night++) {
    const r = rng(night + 1);
    const pick = (lo: number, hi: number) => Math.round(lo + r() * (hi - lo));
    const durations: Partial<Record<ErpType, number[][]>> = {};
    const tmin: Partial<Record<ErpType, number>> = {};
    for (const e of erps) {
      // some connections stopped early and resumed (two attempts)
      durations[e] = Array.from({ length: 6 }, () => r() < 0.3 ? [pick(1_000, 45_000), pick(1_000, 45_000)] : [pick(2_000, 90_000)]);
      // t_min never above a connection's measured busy time
      tmin[e] = Math.min(...durations[e]!.map((a) => a.reduce((x, y) => x + y, 0))) * (0.3 + 0.7 * r());
    }
    const p: ModelParams = {
      n: pick(20, 1_500),
      mix: erps,
      durations,
      concurrency: pick(1, 16),
      budgetMs: pick(20_000, 120_000),
      wallMs: 400_000,
      invokeDelayMs: pick(0, 2_000),
      leaseMs: 120_000,
      claimMs: pick(0, 20),
      endMs: pick(0, 30),
      sweeps: DESIGN_SWEEPS,
      ceiling: pick(1, 12),
      perInvocation: 8,
      connsPerInvocation: pick(1, 20), // below the concurrency too: invocations that hand on at once
      maxInFlight: pick(4, 200),
      closeMarginMs: 10_000,
      startCollision: r() * 0.5,
      seed: night,
      horizonMs: 2 * 86_400_000,
    };
    const m = modelDesign(p);
    assert.ok(m.maxSlotsBusy <= p.maxInFlight!, `night ${night}: ${m.maxSlotsBusy} in flight > cap ${p.maxInFlight}`);
    const slots = designSlots({
      concurrency: p.concurrency,
      sweeps: p.sweeps,
      fanout: Math.max(1, Math.min(p.ceiling!, Math.ceil(p.n / p.perInvocation!))),
      ceiling: p.ceiling,
      maxInFlight: p.maxInFlight,
      wallMs: p.wallMs,
      invokeDelayMs: p.invokeDelayMs,
    });
    for (let t = 0; t < 6 * 3_600_000; t += 60_000) assert.ok(slots(t) <= p.maxInFlight!);
    const ideal = idealBound(Array.from({ length: p.n }, (_, i) => ({ erp: erps[i % 4], tMinMs: tmin[erps[i % 4]]! })), slots);
    if (m.windowMs !== null) assert.ok(m.windowMs >= ideal.idealMs, `night ${night}: model ${m.windowMs} < ideal ${ideal.idealMs}`);
  }
});

Deno.test('virtual clock and chart', () => {
  const c = new ScaledClock(performance.timeOrigin + performance.now(), 10);
  assert.ok(c.toReal(1000) === 100 && c.toVirtual(100) === 1000);
  // below 1: waits last longer in real time (an unsaturated night)
  const slow = new ScaledClock(performance.timeOrigin + performance.now(), 0.5);
  assert.ok(slow.toReal(1000) === 2000 && slow.toVirtual(2000) === 1000);
  assert.throws(() => new ScaledClock(0, 0));
  const svg = windowChart({
    title: 't',
    goalMinutes: 30,
    xTicks: [500, 2000],
    series: [{ name: 'a', color: '#000', points: [[500, 10, true], [2000, 40, false]] }],
  });
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
});

Deno.test('the model takes every attempt of a resumed connection, not its last attempt', async () => {
  const { modelParams } = await import('./analyze.ts');
  const { parseConfig } = await import('./config.ts');
  const conn = (erp: ErpType, attemptsMs: number[]) =>
    ({ erp, durationMs: attemptsMs.at(-1), attemptsMs, attempts: attemptsMs.length }) as unknown as NightResult['conns'][number];
  // A Tiny sync stopped for CPU after 20 s and resumed for its last 10 s held a slot twice.
  const night = { conns: [conn('tiny', [20_000, 10_000]), conn('bling', [20_000])] } as unknown as NightResult;
  const p = modelParams(parseConfig([]), night, 2, 2, 3, 0);
  assert.deepEqual(p.durations, { tiny: [[20_000, 10_000]], bling: [[20_000]] });
});

Deno.test('--out: an absolute folder is used as given, a relative one under the repository', () => {
  assert.equal(outDir('/tmp/bench-x', '/repo'), '/tmp/bench-x');
  assert.equal(outDir('bench-results/', '/repo'), '/repo/bench-results');
  assert.equal(outDir('/', '/repo'), '/');
});

Deno.test('what bounds the window: sync time counts every attempt; one attempt is the ERP\'s median single attempt', () => {
  const t = syncTimes([
    { erp: 'tiny', busyMs: 10_000, attempts: 1 },
    { erp: 'tiny', busyMs: 20_000, attempts: 1 },
    { erp: 'tiny', busyMs: 90_000, attempts: 3 },
    { erp: 'bling', busyMs: 30_000, attempts: 2 }, // no single-attempt Bling: its own
  ]);
  assert.equal(t.busyMsPerConn, 37_500);
  assert.equal(t.singleAttemptMsPerConn, (10_000 + 20_000 + 10_000 + 30_000) / 4, 'the lower middle of two');
});

Deno.test('what bounds the window: ideal / window is the product of its factors', () => {
  const cases = [
    // [S̄, S̄₁, W, Σt_min, Σt_min pacing, concurrency bound, ideal]
    { busy: 80_000, single: 24_000, windowMs: 1_080_000, sumT: 13_400_000, sumTp: 41_000_000, conc: 84_000, ideal: 84_000 },
    { busy: 10_000, single: 10_000, windowMs: 100_000, sumT: 400_000, sumTp: 400_000, conc: 10_000, ideal: 30_000 }, // one account binds
  ];
  for (const c of cases) {
    const x = ratioFactors(
      { n: 2_000, windowMs: c.windowMs, busyMsPerConn: c.busy, singleAttemptMsPerConn: c.single, aliveMean: 18, inFlightPerInvocation: 8 },
      { idealMs: c.ideal, concurrencyBoundMs: c.conc, sumTminMs: c.sumT, sumTminPolicyMs: c.sumTp },
    );
    assert.ok(Math.abs(x.rate * x.pacing * x.work * x.resumes * x.parallelism - x.ratio) < 1e-12, JSON.stringify(x));
    assert.equal(x.ratio, c.ideal / c.windowMs);
    assert.equal(x.resumes, c.single / c.busy);
    assert.equal(x.inFlight, (2_000 * c.busy) / c.windowMs);
  }
  assert.equal(inFlightNeeded(10_000, 90_000, 1_800_000), 500);
});

Deno.test('what bounds the CPU: connections an invocation takes before 80 % of its budget', () => {
  const cases: Array<[budgetMs: number, fixedMs: number, perConnMs: number, conns: number]> = [
    [4_000, 1_399, 130, 13],
    [2_000, 1_399, 130, 1],
    [2_000, 669, 118, 7],
    [2_000, 1_700, 100, 0], // the fixed part alone passes the rule: never negative
    [2_000, 100, 0, Infinity], // no per-connection cost measured
  ];
  for (const [budgetMs, fixedMs, perConnMs, conns] of cases) {
    assert.equal(connsPerBudget({ budgetMs, use: 0.8, fixedMs, perConnMs }), conns, `${budgetMs} ${fixedMs} ${perConnMs}`);
  }
});

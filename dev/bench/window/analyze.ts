/**
 * Turns the measured nights, database probes and ingest numbers into the benchmark's results: ideal bounds,
 * ratios, overhead, per-invocation resources, the calibrated model (validated against the measured night)
 * and the growth table.
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import type { BenchConfig } from './config.ts';
import type { DbCostPoint } from './dbcost.ts';
import {
  ADAPTER_POLICY_LIMITS,
  DESIGN_SWEEPS,
  designFanout,
  type DesignParallelism,
  designSlots,
  type IdealBound,
  idealBound,
  idealWork,
  tMinMs,
} from './ideal.ts';
import { doneBy, modelDesign, type ModelParams } from './model.ts';
import { CPU_USE } from '../../../supabase/functions/_shared/sync/orchestrator.ts';
import { backgroundLimits, settings } from '../../../supabase/functions/_shared/sync/runtime.ts';
import { connsPerBudget, type NightLoad, syncTimes } from './bounds.ts';
import type { IngestResult } from './nfe-ingest.ts';
import { ERPS } from './profiles.ts';
import type { InvocationSummary, NightResult } from './runs.ts';

export const NIGHT_GOAL_MS = 30 * 60_000;
export const CPU_BUDGET_MS = 2_000;
export const MEMORY_LIMIT_MB = 256;

export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
}

export interface ErpStats {
  n: number;
  notes: number;
  attempts: number;
  meanMs: number;
  p95Ms: number;
  requests: number;
  rateLimited: number;
  tMinMs: number;
  tMinPolicyMs: number;
}

export interface NightStats {
  label: string;
  design: 'ours' | 'naive';
  n: number;
  scale: number;
  windowMs: number | null;
  completed: number;
  realMs: number;
  doneBy30: number;
  ideal?: IdealBound;
  idealPolicy?: IdealBound;
  ratio?: number;
  ratioPolicy?: number;
  perErp: Partial<Record<ErpType, ErpStats>>;
  overheadRealMs: { mean: number; p50: number; p95: number };
  /** Where the overhead goes, real ms per connection (SQL summed over concurrent syncs). */
  overheadSplit: {
    bookkeepingSql: number;
    dataSql: number;
    triggers: number;
    rest: number;
    bookkeepingStatements: number;
    /** Measured in the night: steady-state claim (median, warm connection), run rows (open/close/count) per connection. */
    claimSql: number;
    /** Per invocation: the start-up claims (they open the pool's connections) + run rows, real ms. */
    invocationStartupMs: number;
  };
  claims: {
    total: number;
    empty: number;
    /** Of the claims an invocation's workers fire together at its start (invocations that had work), the share that came back empty. */
    startEmptyShare: number;
  };
  /** Syncs in flight per invocation: time-weighted mean, and the maximum seen, vs the configured concurrency. */
  inFlight: { mean: number; max: number; configured: number };
  importRealMs: number;
  adapterRealMs: number;
  notesPerConn: number;
  sqlPerConn: number;
  /**
   * Virtual ms per connection that time scaling adds at most: real non-I/O time × (scale − 1); negative below a
   * scale of 1 (work then counts less than it costs: the windows may be optimistic by that much).
   */
  inflationMs: number;
  invocations: {
    count: number;
    killed: number;
    maxPeakRssMb: number;
    maxVmHwmMb: number;
    maxHeapMb: number;
    maxCpuMs: number;
    overCpuBudget: number;
    cpuPerConnMs: number;
    cpuFixedMs: number;
    connsPerInvocation: number;
    maxWallMs: number;
    bootCpuMs: number;
    bootRssMb: number;
  };
  retriedConnections: number;
  /** Σ sync time and parallelism of the night (bounds.ts); null without a window. */
  load: NightLoad | null;
}

function linreg(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const n = xs.length;
  if (n < 2) return { slope: ys[0] / Math.max(1, xs[0] ?? 1), intercept: 0 };
  const mx = mean(xs), my = mean(ys);
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  if (den === 0) return { slope: my / Math.max(1, mx), intercept: 0 };
  const slope = num / den;
  return { slope, intercept: my - slope * mx };
}

export function nightStats(r: NightResult, cfg: BenchConfig): NightStats {
  const L = cfg.latencyMs;
  const perErp: NightStats['perErp'] = {};
  const tmins: Array<{ erp: ErpType; tMinMs: number }> = [];
  const tminsPolicy: Array<{ erp: ErpType; tMinMs: number }> = [];
  for (const w of idealWork(r.conns)) {
    tmins.push({ erp: w.erp, tMinMs: tMinMs(w, L) });
    tminsPolicy.push({ erp: w.erp, tMinMs: tMinMs(w, L, ADAPTER_POLICY_LIMITS) });
  }
  for (const erp of ERPS) {
    const cs = r.conns.filter((c) => c.erp === erp);
    if (!cs.length) continue;
    const d = cs.map((c) => c.busyMs);
    perErp[erp] = {
      n: cs.length,
      notes: mean(cs.map((c) => c.notes)),
      attempts: mean(cs.map((c) => c.attempts)),
      meanMs: mean(d),
      p95Ms: pct(d, 0.95),
      requests: mean(cs.map((c) => c.requests)),
      rateLimited: mean(cs.map((c) => c.rateLimited)),
      tMinMs: mean(tmins.filter((t) => t.erp === erp).map((t) => t.tMinMs)),
      tMinPolicyMs: mean(tminsPolicy.filter((t) => t.erp === erp).map((t) => t.tMinMs)),
    };
  }
  const inv = r.invocations;
  const reg = linreg(inv.map((i) => i.processed), inv.map((i) => i.resources.cpuMs));
  const over = r.conns.map((c) => c.overheadRealMs);
  const totalQueries = inv.reduce((a, i) => a + i.resources.queries, 0);
  const per = (x: number) => x / Math.max(1, r.completed);
  const sqlSum = (cat: keyof InvocationSummary['sql']) => inv.reduce((a, i) => a + (i.sql?.[cat]?.ms ?? 0), 0);
  const bk = per(sqlSum('bookkeeping'));
  const dt = per(sqlSum('data'));
  const tr = per(inv.reduce((a, i) => a + (i.triggerMs ?? 0), 0));
  const wallSum = inv.reduce((a, i) => a + Math.max(0, i.endMs - i.startMs), 0);
  const out: NightStats = {
    label: r.label,
    design: r.design,
    n: r.n,
    scale: r.scale,
    windowMs: r.windowMs,
    completed: r.completed,
    realMs: r.realMs,
    doneBy30: doneBy(r.completionsMs, NIGHT_GOAL_MS),
    perErp,
    overheadRealMs: { mean: mean(over), p50: pct(over, 0.5), p95: pct(over, 0.95) },
    overheadSplit: {
      bookkeepingSql: bk,
      dataSql: dt,
      triggers: tr,
      rest: Math.max(0, mean(over) - bk - dt - tr),
      bookkeepingStatements: per(inv.reduce((a, i) => a + (i.sql?.bookkeeping?.count ?? 0), 0)),
      claimSql: pct(inv.flatMap((i) => i.laterClaimMs), 0.5) || per(sqlSum('claim')),
      invocationStartupMs: mean(inv.map((i) => i.startClaims.ms / Math.max(1, i.startClaims.count) + (i.sql?.run?.ms ?? 0))),
    },
    claims: {
      total: inv.reduce((a, i) => a + i.claims, 0),
      empty: inv.reduce((a, i) => a + i.emptyClaims, 0),
      startEmptyShare: (() => {
        const withWork = inv.filter((i) => i.processed > 0 && i.startClaims.count > 1);
        const n = withWork.reduce((a, i) => a + i.startClaims.count, 0);
        return n ? withWork.reduce((a, i) => a + i.startClaims.empty, 0) / n : NaN;
      })(),
    },
    inFlight: {
      mean: wallSum > 0 ? inv.reduce((a, i) => a + (i.meanInFlight ?? 0) * Math.max(0, i.endMs - i.startMs), 0) / wallSum : NaN,
      max: Math.max(0, ...inv.map((i) => i.maxInFlight ?? 0)),
      configured: Math.min(cfg.concurrency, cfg.maxConcurrency),
    },
    importRealMs: mean(r.conns.map((c) => c.importRealMs)),
    adapterRealMs: mean(r.conns.map((c) => c.adapterRealMs)),
    notesPerConn: mean(r.conns.map((c) => c.notes)),
    sqlPerConn: totalQueries / Math.max(1, r.completed),
    inflationMs: mean(r.conns.map((c) => c.importRealMs + c.overheadRealMs)) * (r.scale - 1),
    invocations: {
      count: inv.length,
      killed: inv.filter((i) => i.killed).length,
      maxPeakRssMb: Math.max(...inv.map((i) => i.resources.peakRssMb)),
      maxVmHwmMb: Math.max(...inv.map((i) => i.resources.vmHwmMb ?? 0)),
      maxHeapMb: Math.max(...inv.map((i) => i.resources.peakHeapMb)),
      maxCpuMs: Math.max(...inv.map((i) => i.resources.cpuMs)),
      overCpuBudget: inv.filter((i) => i.resources.cpuMs > CPU_BUDGET_MS).length,
      cpuPerConnMs: reg.slope,
      cpuFixedMs: reg.intercept,
      connsPerInvocation: mean(inv.map((i) => i.processed)),
      maxWallMs: Math.max(...inv.map((i) => i.endMs - i.startMs)),
      bootCpuMs: mean(inv.map((i) => i.resources.bootCpuMs)),
      bootRssMb: mean(inv.map((i) => i.resources.bootRssMb ?? NaN)),
    },
    retriedConnections: r.conns.filter((c) => c.attempts > 1).length,
    load: null,
  };
  if (r.windowMs) {
    const times = syncTimes(r.conns);
    const invWallMs = inv.reduce((a, i) => a + Math.max(0, i.endMs - i.startMs), 0);
    out.load = {
      n: r.conns.length,
      windowMs: r.windowMs,
      ...times,
      aliveMean: invWallMs / r.windowMs,
      inFlightPerInvocation: invWallMs > 0 ? (times.busyMsPerConn * r.conns.length) / invWallMs : NaN,
    };
  }
  if (r.design === 'ours') {
    const slots = designSlots(parallelism(cfg, r.n));
    out.ideal = idealBound(tmins, slots);
    out.idealPolicy = idealBound(tminsPolicy, slots);
    if (r.windowMs) {
      out.ratio = out.ideal.idealMs / r.windowMs;
      out.ratioPolicy = out.idealPolicy.idealMs / r.windowMs;
    }
  }
  return out;
}

/** CPU per invocation ≈ fixed + slope × connections, fitted over every invocation of our design. */
export function cpuFit(nights: NightResult[]): { fixedMs: number; perConnMs: number; points: number; method: string } {
  const inv = nights.filter((n) => n.design === 'ours').flatMap((n) => n.invocations)
    .filter((i) => !i.killed && i.processed > 0);
  const xs = inv.map((i) => i.processed);
  const spread = xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
  if (inv.length >= 5 && spread >= 4) {
    const reg = linreg(xs, inv.map((i) => i.resources.cpuMs));
    if (reg.slope > 0 && reg.intercept >= 0) {
      return { fixedMs: reg.intercept, perConnMs: reg.slope, points: inv.length, method: 'least squares' };
    }
  }
  // Too few invocations for a fit: CPU per connection with the start-up folded in (an upper bound per connection).
  const per = inv.reduce((a, i) => a + i.resources.cpuMs, 0) / Math.max(1, xs.reduce((a, b) => a + b, 0));
  return { fixedMs: 0, perConnMs: per, points: inv.length, method: 'ratio (start-up included)' };
}

export interface GrowthRow {
  n: number;
  ours: {
    windowMs: number | null;
    source: 'measured' | 'model';
    invocations: number;
    killed: number;
    doneBy30: number;
    maxAlive?: number;
    emptyClaims?: number;
  };
  naive: { windowMs: number; doneBy30: number; doneByWall: number; source: string };
  ideal: IdealBound;
  idealPolicyMs: number;
  ratio: number | null;
  speedup: number | null;
  db: {
    claimMs: number | null;
    countDueMs: number | null;
    recoveryMs: number | null;
    bytesPerNight: number;
    pgCpuPerNightMs: number | null;
  };
}

export interface ModelCheck {
  n: number;
  measuredMs: number;
  modelMs: number;
  errorPct: number;
}

export function modelParams(
  cfg: BenchConfig,
  main: NightResult,
  n: number,
  claimMs: number,
  endMs: number,
  startCollision: number,
): ModelParams {
  const durations: Partial<Record<ErpType, number[][]>> = {};
  // Every attempt of a connection held a slot of its own (a sync stopped early for CPU releases its lease and is
  // resumed by a later claim): all its attempts, not only the last one's duration.
  for (const c of main.conns) (durations[c.erp] ??= []).push(c.attemptsMs);
  return {
    n,
    mix: ERPS,
    durations,
    concurrency: Math.min(cfg.concurrency, cfg.maxConcurrency),
    budgetMs: cfg.budgetMs,
    wallMs: cfg.wallMs,
    invokeDelayMs: cfg.invokeDelayMs,
    leaseMs: cfg.leaseMs,
    claimMs,
    endMs,
    startCollision: Number.isFinite(startCollision) ? startCollision : 0,
    sweeps: DESIGN_SWEEPS,
    horizonMs: 6 * 3_600_000 + 30 * 60_000,
    ceiling: DESIGN.ceiling,
    maxInFlight: cfg.maxInFlight,
    perInvocation: DESIGN.perInvocation,
    closeMarginMs: DESIGN.closeMarginMs * 1,
    connsPerInvocation: cpuCap([main]),
  };
}

/** The design's parallelism for a night of n connections (the ideal bound's slots; the model runs the same rules). */
export function parallelism(cfg: BenchConfig, n: number): DesignParallelism {
  return {
    concurrency: Math.min(cfg.concurrency, cfg.maxConcurrency),
    sweeps: DESIGN_SWEEPS,
    fanout: designFanout(n, DESIGN.perInvocation, DESIGN.ceiling),
    ceiling: DESIGN.ceiling,
    maxInFlight: cfg.maxInFlight,
    wallMs: cfg.wallMs,
    invokeDelayMs: cfg.invokeDelayMs,
  };
}

/** The design's orchestration settings the bench runs with: runtime.ts's, as a background invocation gets them. */
const LIMITS = backgroundLimits();
export const DESIGN = { ceiling: LIMITS.ceiling, perInvocation: LIMITS.perInvocation, closeMarginMs: LIMITS.closeMarginMs, cpuMs: settings.cpuMs };

/**
 * Connections an invocation takes before its CPU budget is spent (the measured CPU fit; the rule in claimVerdict).
 * The fit's fixed part stands for the start-up too: with the boot added on top, the 2,000 night's invocations
 * would take 10 connections where they took 12.7.
 */
export function cpuCap(nights: NightResult[]): number {
  return Math.max(1, connsPerBudget({ budgetMs: DESIGN.cpuMs, use: CPU_USE, ...cpuFit(nights) }));
}

function modelMean(p: ModelParams, seeds = 5) {
  const rs = Array.from({ length: seeds }, (_, i) => modelDesign({ ...p, seed: 1000 + i }));
  const windows = rs.map((r) => r.windowMs ?? Infinity);
  return {
    windowMs: windows.every(Number.isFinite) ? mean(windows) : null,
    invocations: Math.round(mean(rs.map((r) => r.invocations))),
    killed: Math.round(mean(rs.map((r) => r.killed))),
    doneBy30: Math.round(mean(rs.map((r) => doneBy(r.completionsMs, NIGHT_GOAL_MS)))),
    maxAlive: Math.max(...rs.map((r) => r.maxAlive)),
    emptyClaims: Math.round(mean(rs.map((r) => r.emptyClaims))),
    completed: Math.round(mean(rs.map((r) => r.completed))),
  };
}

/** The database point measured at n (every growth size and the sample are measured), else the nearest. */
function dbAt(points: DbCostPoint[], n: number) {
  if (!points.length) return null;
  const p = points.reduce((best, q) => (Math.abs(q.n - n) < Math.abs(best.n - n) ? q : best));
  return { claimMs: p.claimUnrestrictedMs ?? p.claimRestrictedMs, countDueMs: p.countDueMs, recoveryMs: p.recoveryMs, point: p };
}

export interface Analysis {
  main: NightStats;
  sideOurs: NightStats;
  sideNaive: NightStats;
  backfill: NightStats | null;
  sideSpeedup: number | null;
  modelCheck: ModelCheck | null;
  growth: GrowthRow[];
  night: { n: number; windowMs: number | null; source: 'measured' | 'model'; idealMs: number; ratio: number | null; doneBy30: number };
}

export function analyze(
  cfg: BenchConfig,
  m: { main: NightResult; sideOurs: NightResult; sideNaive: NightResult; backfill: NightResult | null },
  db: DbCostPoint[],
  bytesPerConn: number,
  pgCpuPerConnMs: number | null,
): Analysis {
  const main = nightStats(m.main, cfg);
  const sideOurs = nightStats(m.sideOurs, cfg);
  const sideNaive = nightStats(m.sideNaive, cfg);
  const backfill = m.backfill ? nightStats(m.backfill, cfg) : null;
  const sideSpeedup = sideOurs.windowMs && sideNaive.windowMs ? sideNaive.windowMs / sideOurs.windowMs : null;

  // The model, validated on the measured night: same n, the night's own durations, the bench's claim shape.
  // Start collisions are calibrated on the measured night (the real invocations' first claims).
  const dbMain = dbAt(db, m.main.n);
  const startShare = Number.isFinite(main.claims.startEmptyShare) ? main.claims.startEmptyShare : undefined;
  const restrictedClaim = (n: number) => {
    const d = dbAt(db, n);
    return d ? (d.point.n === n ? d.point.claimRestrictedMs : d.claimMs) : 2;
  };
  let modelCheck: ModelCheck | null = null;
  if (m.main.windowMs) {
    // Replay: the measured attempts, connections in the order of their first claims.
    const sequence = [...m.main.conns].sort((x, y) => x.firstStartMs - y.firstStartMs).map((c) => c.attemptsMs);
    const p = {
      ...modelParams(cfg, m.main, m.main.n, restrictedClaim(m.main.n), (dbMain?.countDueMs ?? 1) + 2, startShare ?? 0),
      sequence,
    };
    const r = modelMean(p);
    if (r.windowMs) {
      modelCheck = {
        n: m.main.n,
        measuredMs: m.main.windowMs,
        modelMs: r.windowMs,
        errorPct: (100 * (r.windowMs - m.main.windowMs)) / m.main.windowMs,
      };
    }
  }

  // Growth.
  const naiveMean: Partial<Record<ErpType, number>> = {};
  for (const erp of ERPS) {
    const xs = m.sideNaive.conns.filter((c) => c.erp === erp).map((c) => c.durationMs);
    if (xs.length) naiveMean[erp] = mean(xs);
  }
  const tminBy = main.perErp;
  const rateBound = Math.max(...Object.values(tminBy).map((s) => s!.tMinMs));
  const growth: GrowthRow[] = cfg.growth.map((n) => {
    const tmins: Array<{ erp: ErpType; tMinMs: number }> = [];
    let naiveSum = 0;
    const naiveEnds: number[] = [];
    for (let i = 0; i < n; i++) {
      const erp = ERPS[i % ERPS.length];
      tmins.push({ erp, tMinMs: tminBy[erp]?.tMinMs ?? 0 });
      naiveSum += naiveMean[erp] ?? 0;
      naiveEnds.push(naiveSum);
    }
    const slots = designSlots(parallelism(cfg, n));
    const ideal = idealBound(tmins, slots);
    ideal.rateBoundMs = Math.max(ideal.rateBoundMs, rateBound);
    ideal.idealMs = Math.max(ideal.rateBoundMs, ideal.concurrencyBoundMs);
    const idealPolicy = idealBound(
      tmins.map((t) => ({ erp: t.erp, tMinMs: tminBy[t.erp]?.tMinPolicyMs ?? 0 })),
      slots,
    );
    const d = dbAt(db, n);
    let ours: GrowthRow['ours'];
    if (n === m.main.n && m.main.windowMs !== null) {
      ours = {
        windowMs: m.main.windowMs,
        source: 'measured',
        invocations: main.invocations.count,
        killed: main.invocations.killed,
        doneBy30: main.doneBy30,
      };
    } else {
      const r = modelMean(
        modelParams(cfg, m.main, n, d?.claimMs ?? 2, (d?.countDueMs ?? 1) + 2, startShare ?? 0),
      );
      ours = {
        windowMs: r.windowMs,
        source: 'model',
        invocations: r.invocations,
        killed: r.killed,
        doneBy30: r.doneBy30,
        maxAlive: r.maxAlive,
        emptyClaims: r.emptyClaims,
      };
    }
    return {
      n,
      ours,
      naive: {
        windowMs: naiveSum,
        doneBy30: doneBy(naiveEnds, NIGHT_GOAL_MS),
        doneByWall: doneBy(naiveEnds, cfg.wallMs),
        source: `sum of the naive subset's mean duration per ERP (sequential)`,
      },
      ideal,
      idealPolicyMs: idealPolicy.idealMs,
      ratio: ours.windowMs ? ideal.idealMs / ours.windowMs : null,
      speedup: ours.windowMs ? naiveSum / ours.windowMs : null,
      db: {
        claimMs: d?.claimMs ?? null,
        countDueMs: d?.countDueMs ?? null,
        recoveryMs: d?.recoveryMs ?? null,
        bytesPerNight: bytesPerConn * n,
        pgCpuPerNightMs: pgCpuPerConnMs === null ? null : pgCpuPerConnMs * n,
      },
    };
  });

  const nightRow = growth.find((g) => g.n === cfg.connections)!;
  return {
    main,
    sideOurs,
    sideNaive,
    backfill,
    sideSpeedup,
    modelCheck,
    growth,
    night: {
      n: cfg.connections,
      windowMs: nightRow.ours.windowMs,
      source: nightRow.ours.source,
      idealMs: nightRow.ideal.idealMs,
      ratio: nightRow.ratio,
      doneBy30: nightRow.ours.doneBy30,
    },
  };
}

export type { IngestResult };

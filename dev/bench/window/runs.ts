/**
 * One measured night, in invocation processes: our design (cron fan-out, continuations, sweeps, admission under the
 * invocation ceiling and wall-limit kills, replayed on the virtual clock) or the naive single pass; results from the logs.
 */
import type postgres from 'postgres';
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { realNow, type ScaledClock } from './clock.ts';
import { BENCH_APPLICATION_NAME, type ConnMetrics } from './deps.ts';
import { countDue } from '../../../supabase/functions/_shared/db/connections.ts';
import { chainsToStart } from '../../../supabase/functions/_shared/sync/orchestrator.ts';
import { DESIGN_SWEEPS, type SweepSchedule } from './ideal.ts';
import type { InvocationJob, InvocationReport, Resources } from './invocation.ts';
import type { NaiveOutcome } from './naive.ts';
import type { Progress } from './progress.ts';
import { fmtDuration } from './progress.ts';
import type { SeededConnection } from './seed.ts';
import type { WorkerPool } from './workers.ts';

type Sql = postgres.Sql<Record<string, never>>;

export interface RunContext {
  sql: Sql;
  dbUrl: string;
  clock: ScaledClock;
  pool: WorkerPool;
  triggerUrl: string;
  progress: Progress;
  onRunId: (id: string) => void;
}

export interface DesignOptions {
  label: string;
  conns: SeededConnection[];
  concurrency: number;
  maxConcurrency: number;
  maxInFlight: number;
  /** Virtual milliseconds. */
  budgetMs: number;
  leaseMs: number;
  wallMs: number;
  closeMarginMs: number;
  /** Real ms of CPU per request (the platform's 2 s). */
  cpuMs: number;
  ceiling: number;
  perInvocation: number;
  invokeDelayMs: number;
  sweeps: SweepSchedule | null;
  horizonMs: number;
}

export interface InvocationSummary {
  label: string;
  runId?: string;
  /** Real ms per SQL category and in follow-up triggers, summed over the invocation's syncs. */
  sql: InvocationReport['sql'];
  triggerMs: number;
  claims: number;
  emptyClaims: number;
  /** The claims sent together when the invocation started (they also open the pool's connections): real ms. */
  startClaims: { count: number; ms: number; empty: number };
  /** Later claims, each on a warm connection: durations in real ms (up to 60), and how many came back empty. */
  laterClaimMs: number[];
  /** Syncs in flight: time-average and maximum (from the logs of this run). */
  meanInFlight?: number;
  maxInFlight?: number;
  chain: number;
  kind: 'cron' | 'continuation' | 'sweep' | 'naive';
  startMs: number; // virtual, since the night started
  endMs: number;
  processed: number;
  remaining: number;
  killed: boolean;
  statuses: Record<string, number>;
  resources: Resources;
}

export interface ConnResult {
  id: string;
  erp: ErpType;
  status: string;
  /** Virtual ms (the engine's own duration_ms, scaled). */
  durationMs: number;
  /** Real ms. */
  durationRealMs: number;
  adapterRealMs: number;
  importRealMs: number;
  overheadRealMs: number;
  notes: number;
  requests: number;
  rateLimited: number;
  paths: Record<string, number>;
  completedMs: number; // virtual, since the night started
  attempts: number;
  /** Virtual ms spent syncing it over all attempts (an attempt killed at the wall limit ends at the kill). */
  busyMs: number;
  /** Each attempt's virtual ms, in order, and when the first one started (virtual, since the night started). */
  attemptsMs: number[];
  firstStartMs: number;
}

export interface NightResult {
  label: string;
  design: 'ours' | 'naive';
  n: number;
  scale: number;
  windowMs: number | null;
  completed: number;
  completionsMs: number[];
  invocations: InvocationSummary[];
  conns: ConnResult[];
  realMs: number;
  stoppedAtHorizon: boolean;
  /**
   * Our design: the invocation ceiling, the most invocations alive at once, the invocations refused at admission, and the
   * most database connections the invocations held open at once (pg_stat_activity, sampled every 200 ms).
   */
  admission?: { ceiling: number; maxAlive: number; refused: number; maxDbConnections: number };
}

function mergeMetrics(into: Map<string, ConnMetrics>, list: ConnMetrics[]) {
  for (const m of list) {
    const prev = into.get(m.id);
    if (!prev) {
      into.set(m.id, structuredClone(m));
      continue;
    }
    prev.adapterMs += m.adapterMs;
    prev.importMs += m.importMs;
    prev.notes += m.notes;
    prev.http.ok += m.http.ok;
    prev.http.rateLimited += m.http.rateLimited;
    prev.http.failed += m.http.failed;
    for (const [k, v] of Object.entries(m.paths)) prev.paths[k] = (prev.paths[k] ?? 0) + v;
  }
}

async function collect(
  ctx: RunContext,
  conns: SeededConnection[],
  startReal: number,
  metrics: Map<string, ConnMetrics>,
  invocations: InvocationSummary[] = [],
): Promise<{ results: ConnResult[]; completions: number[] }> {
  const k = ctx.clock.scale;
  const ids = conns.map((c) => c.id);
  const erpOf = new Map(conns.map((c) => [c.id, c.account.erp]));
  const rows = await ctx.sql`
    select connection_id, status, duration_ms, extract(epoch from completed_at) * 1000 as completed, records_synced,
           extract(epoch from started_at) * 1000 as started, run_id
    from public.erp_sync_logs
    where connection_id = any(${ids}::uuid[]) and started_at >= ${new Date(startReal - 1000)}
    order by completed_at nulls last`;
  const spans = new Map<string, Array<[number, number]>>();
  const invEnd = new Map(invocations.filter((i) => i.runId).map((i) => [i.runId!, i.endMs]));
  for (const r of rows) {
    const start = (Number(r.started) - startReal) * k;
    const finished = r.status !== 'running' && r.status !== 'interrupted' && r.completed !== null;
    const end = finished ? (Number(r.completed) - startReal) * k : invEnd.get(r.run_id) ?? (r.completed === null ? start : (Number(r.completed) - startReal) * k);
    const list = spans.get(r.connection_id) ?? [];
    list.push([start, Math.max(0, end - start)]);
    spans.set(r.connection_id, list);
  }
  const results: ConnResult[] = [];
  const completions: number[] = [];
  for (const r of rows) {
    if (r.status === 'running' || r.status === 'interrupted' || r.completed === null) continue;
    const m = metrics.get(r.connection_id);
    const completedMs = (Number(r.completed) - startReal) * k;
    completions.push(completedMs);
    const dReal = Number(r.duration_ms);
    const tries = (spans.get(r.connection_id) ?? [[completedMs - dReal * k, dReal * k]]).sort((a, b) => a[0] - b[0]);
    results.push({
      id: r.connection_id,
      erp: erpOf.get(r.connection_id)!,
      status: r.status,
      durationMs: dReal * k,
      durationRealMs: dReal,
      adapterRealMs: m?.adapterMs ?? 0,
      importRealMs: m?.importMs ?? 0,
      overheadRealMs: Math.max(0, dReal - (m?.adapterMs ?? 0) - (m?.importMs ?? 0)),
      notes: m?.notes ?? 0,
      requests: m?.http.ok ?? 0,
      rateLimited: m?.http.rateLimited ?? 0,
      paths: m?.paths ?? {},
      completedMs,
      attempts: tries.length,
      busyMs: tries.reduce((a, [, d]) => a + d, 0),
      attemptsMs: tries.map(([, d]) => d),
      firstStartMs: tries[0][0],
    });
  }
  completions.sort((a, b) => a - b);
  // Syncs in flight per invocation (all attempts, finished or not), from the logs' timestamps.
  for (const inv of invocations) {
    if (!inv.runId) continue;
    const spans = rows.filter((r) => r.run_id === inv.runId).map((r) => [
      (Number(r.started) - startReal) * k,
      r.completed === null ? inv.endMs : (Number(r.completed) - startReal) * k,
    ]);
    const wall = Math.max(1, inv.endMs - inv.startMs);
    inv.meanInFlight = spans.reduce((a, [s, e]) => a + (e - s), 0) / wall;
    const edges = spans.flatMap(([s, e]) => [[s, 1], [e, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0, max = 0;
    for (const [, d] of edges) max = Math.max(max, (cur += d));
    inv.maxInFlight = max;
  }
  return { results, completions };
}

async function countDone(ctx: RunContext, ids: string[], since: Date): Promise<number> {
  const [r] = await ctx.sql`select count(*)::int as n from public.erp_connections
                            where id = any(${ids}::uuid[]) and next_sync_at > ${since}`;
  return r.n as number;
}

function splitClaims(log: Array<[number, number, boolean]>) {
  const sorted = [...log].sort((a, b) => a[0] - b[0]);
  const first = sorted[0]?.[0] ?? 0;
  const start = sorted.filter(([t]) => t - first < 5);
  const later = sorted.filter(([t]) => t - first >= 5);
  return {
    startClaims: {
      count: start.length,
      ms: start.reduce((a, [t0, t1]) => a + (t1 - t0), 0),
      empty: start.filter(([, , e]) => e).length,
    },
    laterClaimMs: later.map(([t0, t1]) => t1 - t0),
  };
}

function toSummary(
  rep: InvocationReport,
  chain: number,
  kind: InvocationSummary['kind'],
  startReal: number,
  k: number,
): InvocationSummary {
  return {
    label: rep.label,
    runId: rep.runId,
    sql: rep.sql,
    triggerMs: rep.triggerMs,
    claims: rep.claims ?? 0,
    emptyClaims: rep.emptyClaims ?? 0,
    ...splitClaims(rep.claimLog ?? []),
    chain,
    kind,
    startMs: (rep.startedAt - startReal) * k,
    endMs: (rep.endedAt - startReal) * k,
    processed: rep.processed ?? rep.metrics.length,
    remaining: rep.remaining ?? -1,
    killed: rep.type === 'killed',
    statuses: rep.statuses ?? {},
    resources: rep.resources,
  };
}

/** One night of our design over `conns`, measured. */
export async function runOurs(ctx: RunContext, o: DesignOptions): Promise<NightResult> {
  const k = ctx.clock.scale;
  const ids = o.conns.map((c) => c.id);
  const metrics = new Map<string, ConnMetrics>();
  const invocations: InvocationSummary[] = [];
  const errors: unknown[] = [];
  const startReal = realNow();
  const since = new Date(startReal);
  const vNow = () => (realNow() - startReal) * k;
  let running = 0, pending = 0, chains = 0, seq = 0, stopping = false;
  // The function's admission and fan-out rules, replayed here (the bench's runs are restricted to its own ids, so
  // they do not go through openRun's admission): the invocations alive are the bench's run rows still running
  // (a run row closes before its end-of-run hand-on, as in production) plus those admitted whose row is not open
  // yet, under the ceiling; one admission at a time, like openRun's advisory lock.
  const runIds: string[] = [];
  let starting = 0;
  let admitting: Promise<unknown> = Promise.resolve();
  const admit = (): Promise<number | null> => {
    const decision = admitting.then(async () => {
      const [{ n }] = await ctx.sql`select count(*)::int as n from public.erp_sync_runs
                                    where status = 'running' and id = any(${runIds}::uuid[])
                                      and started_at > ${new Date(realNow() - o.wallMs / k)}`;
      const alive = (n as number) + starting;
      if (stopping || alive >= o.ceiling) {
        refused++;
        return null;
      }
      starting++;
      maxAlive = Math.max(maxAlive, alive + 1);
      return alive + 1;
    });
    admitting = decision.catch(() => {});
    return decision;
  };
  const live = new Set<{ kill(): void }>();

  /** Starts an invocation; `admitted` = the invocations alive with it when admission already let it in. */
  const dispatch = async (chain: number, kind: InvocationSummary['kind'], continuationOf?: string, admitted?: number) => {
    const alive = admitted ?? await admit();
    if (alive === null) return;
    if (stopping) return void starting--;
    running++;
    if (kind !== 'continuation') {
      // A cron call or a sweep: as many chains as the free due rows need, minus the invocations alive.
      const freeDue = await countDue(ctx.sql as never, new Date(), ids);
      const extra = chainsToStart({ freeDue, alive, perInvocation: o.perInvocation, ceiling: o.ceiling });
      for (let i = 0; i < extra; i++) later(() => dispatch(++chains, 'continuation'));
    }
    const proc = ctx.pool.take();
    live.add(proc);
    let runId: string | undefined;
    const opened = () => {
      if (runId === undefined) starting--;
    };
    const job: InvocationJob = {
      mode: 'ours',
      dbUrl: ctx.dbUrl,
      t0: ctx.clock.t0,
      scale: k,
      ids,
      budgetMs: o.budgetMs / k,
      wallMs: o.wallMs / k,
      closeMarginMs: o.closeMarginMs / k,
      cpuMs: o.cpuMs,
      concurrency: o.concurrency,
      maxConcurrency: o.maxConcurrency,
      maxInFlight: o.maxInFlight,
      // whole seconds, as erp_claim_next_due takes them (rounded up: a lease is never shorter than configured)
      leaseSeconds: Math.ceil(o.leaseMs / 1000 / k),
      continuationOf,
      triggerUrl: ctx.triggerUrl,
      label: `${o.label}#${++seq}`,
    };
    proc.run(job, {
      wallLimitMs: o.wallMs / k,
      onRun: (id) => {
        opened();
        runId = id;
        runIds.push(id);
        ctx.onRunId(id);
      },
      // The invocation hands on when its claim budget (wall clock or CPU) is spent, and at its end (after closing
      // its run row) when it was refused before or syncs of its stopped early. Admission answers at once; the
      // continuation starts one hop later.
      onHandOn: async () => {
        const admittedNow = await admit();
        if (admittedNow === null) return false;
        later(() => dispatch(chain, 'continuation', runId, admittedNow));
        return true;
      },
    }).then((rep) => {
      opened();
      live.delete(proc);
      mergeMetrics(metrics, rep.metrics);
      invocations.push(toSummary(rep, chain, kind, startReal, k));
      running--;
    }).catch((e) => {
      opened();
      live.delete(proc);
      running--;
      errors.push(e);
    });
  };
  let refused = 0, maxAlive = 0;
  const later = (f: () => void) => {
    pending++;
    setTimeout(() => {
      pending--;
      f();
    }, o.invokeDelayMs / k);
  };

  // Sweeps (pg_cron job erp-auto-sync-sweep), on the virtual clock.
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let sweepsLeft = o.sweeps !== null;
  const scheduleSweep = (atMs: number) => {
    if (!o.sweeps || atMs > o.sweeps.lastMs) {
      sweepsLeft = false;
      return;
    }
    sweepTimer = setTimeout(async () => {
      const done = await countDone(ctx, ids, since);
      if (done < ids.length && !stopping) void dispatch(++chains, 'sweep');
      scheduleSweep(atMs + o.sweeps!.everyMs);
    }, Math.max(0, (atMs - vNow()) / k));
  };

  void dispatch(0, 'cron');
  if (o.sweeps) scheduleSweep(o.sweeps.firstMs);
  let done = 0, maxDbConnections = 0;
  let stoppedAtHorizon = false;
  try {
    while (true) {
      await new Promise((r) => setTimeout(r, 200));
      if (errors.length) throw errors[0];
      done = await countDone(ctx, ids, since);
      const [{ n }] = await ctx.sql`select count(*)::int as n from pg_stat_activity
                                    where application_name = ${BENCH_APPLICATION_NAME}`;
      maxDbConnections = Math.max(maxDbConnections, n as number);
      ctx.progress.update(
        done,
        ids.length,
        `night ${fmtDuration(vNow())} · invocations ${seq} (${running} running)`,
      );
      if (done >= ids.length && running === 0) break;
      if (running === 0 && pending === 0 && !sweepsLeft) break;
      if (vNow() > o.horizonMs) {
        stoppedAtHorizon = true;
        break;
      }
    }
  } finally {
    stopping = true;
    if (sweepTimer !== undefined) clearTimeout(sweepTimer);
    for (const p of live) p.kill();
    while (running > 0 && errors.length === 0) await new Promise((r) => setTimeout(r, 50));
    ctx.progress.end();
  }
  const realMs = realNow() - startReal;
  const sorted = invocations.sort((a, b) => a.startMs - b.startMs);
  const { results, completions } = await collect(ctx, o.conns, startReal, metrics, sorted);
  return {
    label: o.label,
    design: 'ours',
    n: ids.length,
    scale: k,
    windowMs: completions.length === ids.length ? completions[completions.length - 1] : null,
    completed: completions.length,
    completionsMs: completions,
    invocations: sorted,
    conns: results,
    realMs,
    stoppedAtHorizon,
    admission: { ceiling: o.ceiling, maxAlive, refused, maxDbConnections },
  };
}

/** One night of the naive design over `conns`, measured: a single invocation, never killed (see report). */
export async function runNaive(ctx: RunContext, label: string, conns: SeededConnection[]): Promise<NightResult> {
  const k = ctx.clock.scale;
  const ids = conns.map((c) => c.id);
  const startReal = realNow();
  const since = new Date(startReal);
  const proc = ctx.pool.take();
  let finished = false;
  const job: InvocationJob = {
    mode: 'naive',
    dbUrl: ctx.dbUrl,
    t0: ctx.clock.t0,
    scale: k,
    ids,
    budgetMs: 0,
    wallMs: 0,
    closeMarginMs: 0,
    cpuMs: 0,
    concurrency: 1,
    maxConcurrency: 1,
    leaseSeconds: 0,
    triggerUrl: ctx.triggerUrl,
    label,
  };
  const promise = proc.run(job).finally(() => (finished = true));
  promise.catch(() => {});
  while (!finished) {
    await new Promise((r) => setTimeout(r, 200));
    const done = await countDone(ctx, ids, since);
    ctx.progress.update(done, ids.length, `night ${fmtDuration((realNow() - startReal) * k)} · one invocation`);
  }
  ctx.progress.end();
  const rep = await promise;
  const metrics = new Map<string, ConnMetrics>();
  mergeMetrics(metrics, rep.metrics);
  const { results, completions } = await collect(ctx, conns, startReal, metrics);
  // The naive loop has no lease bookkeeping; its own per-connection timestamps are the precise ones.
  const own = new Map((rep.naive ?? []).map((x: NaiveOutcome) => [x.id, x]));
  for (const r of results) {
    const x = own.get(r.id);
    if (x) {
      r.durationRealMs = x.endedAt - x.startedAt;
      r.durationMs = r.durationRealMs * k;
      r.overheadRealMs = Math.max(0, r.durationRealMs - r.adapterRealMs - r.importRealMs);
      r.completedMs = (x.endedAt - startReal) * k;
      r.busyMs = r.durationMs;
      r.attemptsMs = [r.durationMs];
      r.firstStartMs = r.completedMs - r.durationMs;
    }
  }
  const comp = results.map((r) => r.completedMs).sort((a, b) => a - b);
  return {
    label,
    design: 'naive',
    n: ids.length,
    scale: k,
    windowMs: comp.length === ids.length ? comp[comp.length - 1] : null,
    completed: completions.length,
    completionsMs: comp,
    invocations: [toSummary(rep, 0, 'naive', startReal, k)],
    conns: results,
    realMs: realNow() - startReal,
    stoppedAtHorizon: false,
  };
}

export { DESIGN_SWEEPS };

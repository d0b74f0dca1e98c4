/**
 * Output: bench-results/window-<stamp>.json (everything), .md (the tables), -growth.svg, plus window-latest.*
 * copies. The markdown states, next to each number, whether it was measured or modelled.
 */
import { REPO_ROOT } from '../../stack/config.ts';
import { type Analysis, CPU_BUDGET_MS, cpuFit, DESIGN, MEMORY_LIMIT_MB, NIGHT_GOAL_MS, type NightStats } from './analyze.ts';
import { connsPerBudget, inFlightNeeded, ratioFactors } from './bounds.ts';
import { windowChart } from './chart.ts';
import { type BenchConfig, outDir } from './config.ts';
import type { DbCostPoint } from './dbcost.ts';
import type { IngestResult } from './nfe-ingest.ts';
import { type OverheadStats, PHASES, postgresBookkeepingMs } from './overhead.ts';
import { ERPS } from './profiles.ts';
import { TINY_QUOTA_SHARE } from '../../../supabase/functions/_shared/adapters/tiny/client.ts';
import { CPU_USE } from '../../../supabase/functions/_shared/sync/orchestrator.ts';
import { poolPerIsolate, settings } from '../../../supabase/functions/_shared/sync/runtime.ts';
import type { NightResult } from './runs.ts';

export interface ReportInput {
  cfg: BenchConfig;
  env: { profile: string; deno: string; cores: number; load: string };
  analysis: Analysis;
  db: DbCostPoint[];
  ingest: IngestResult | null;
  overhead: { ours: OverheadStats; naive: OverheadStats } | null;
  bytes: Record<string, { rows: number; bytes: number }>;
  bytesPerConn: number;
  extra: Record<string, unknown>;
  nights: { main: NightResult; sideOurs: NightResult; sideNaive: NightResult; backfill: NightResult | null };
  benchSeconds: number;
}

const min = (ms: number | null | undefined) => (ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : fmtMin(ms));
function fmtMin(ms: number): string {
  const m = ms / 60_000;
  if (m >= 120) return `${(m / 60).toFixed(1)} h`;
  if (m >= 10) return `${m.toFixed(0)} min`;
  if (m >= 1) return `${m.toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}
const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
/** Above this machine CPU use during the measured night, the report warns that durations are inflated. */
const BUSY_WARN = 0.85;
const status = (ok: boolean | null) => (ok === null ? '—' : ok ? '**met**' : '**not met**');

function goalsTable(r: ReportInput): string {
  const a = r.analysis;
  const big = a.growth[a.growth.length - 1];
  const n10k = a.growth.find((g) => g.n === 10_000) ?? big;
  const inv = a.main.invocations;
  const allInv = [a.main, a.sideOurs, ...(a.backfill ? [a.backfill] : [])];
  const maxRss = Math.max(...allInv.map((s) => s.invocations.maxVmHwmMb || s.invocations.maxPeakRssMb));
  const maxHeap = Math.max(...allInv.map((s) => s.invocations.maxHeapMb));
  const maxCpu = Math.max(...allInv.map((s) => s.invocations.maxCpuMs));
  const over = allInv.reduce((x, s) => x + s.invocations.overCpuBudget, 0);
  const count = allInv.reduce((x, s) => x + s.invocations.count, 0);
  const o = a.main.overheadSplit;
  const claimMs = o.claimSql;
  const orchestration = o.bookkeepingSql + o.triggers + o.rest + claimMs;
  const fit = cpuFit([r.nights.main, r.nights.sideOurs]);
  const fitsInBudget = Math.max(0, (CPU_BUDGET_MS - fit.fixedMs) / fit.perConnMs);
  const rows = [
    [
      `${n10k.n.toLocaleString('en-US')} connections' nightly increment inside 30 min`,
      `window ${min(n10k.ours.windowMs)} (${n10k.ours.source}); ${int(n10k.ours.doneBy30)} of ${int(n10k.n)} done by 30 min`,
      status(n10k.ours.windowMs !== null && n10k.ours.windowMs <= NIGHT_GOAL_MS),
      n10k.ours.windowMs !== null && n10k.ours.windowMs <= NIGHT_GOAL_MS ? '' : windowBoundText(a, n10k.n),
    ],
    [
      'window ≥ 0.8 × ideal',
      `${f(a.main.ratio, 2)} at ${int(a.main.n)} (measured); ${a.growth.map((g) => `${f(g.ratio, 2)} at ${int(g.n)}${g.ours.source === 'model' ? '*' : ''}`).join(', ')}`,
      status(a.main.ratio !== undefined ? a.main.ratio >= 0.8 : null),
      a.main.ratio !== undefined && a.main.ratio < 0.8 ? ratioBoundText(a) : '',
    ],
    [
      'orchestrator overhead < 5 ms per connection (probe: a sync whose ERP has nothing new, uncontended database)',
      (r.overhead
        ? `${f(r.overhead.ours.wallMs.mean, 2)} ms mean (p50 ${f(r.overhead.ours.wallMs.p50, 2)}, p95 ${f(r.overhead.ours.wallMs.p95, 2)}; ${r.overhead.ours.n} connections one at a time): ` +
          `${PHASES.map((p) => `${p} ${f(r.overhead!.ours.phases[p].ms, 2)}`).join(' + ')} + JS ${f(r.overhead.ours.jsMs, 2)} ms; ` +
          `${f(r.overhead.ours.statements, 1)} statements, ${f(r.overhead.ours.roundTrips, 1)} round trips per connection ` +
          `(naive bookkeeping: ${f(r.overhead.naive.wallMs.mean, 2)} ms, ${f(r.overhead.naive.statements, 1)} statements; ` +
          `a bare round trip timed beside them: ${f(r.overhead.ours.bareRoundTripMs.p50, 2)} ms p50). `
        : 'probe skipped (--probe 0). ') +
        `Under load (measured in the night, 2 cores shared, includes waiting for other syncs' CPU): ${f(orchestration, 1)} ms = bookkeeping SQL ${f(o.bookkeepingSql, 1)} ms ` +
        `(${f(o.bookkeepingStatements, 0)} statements) + claim ${f(claimMs, 1)} ms + triggers ${f(o.triggers, 1)} ms + JS / event loop ${f(o.rest, 1)} ms. ` +
        `Not counted anywhere: entity writes, the NF-e import and follow-up triggers (the work itself), per invocation ${f(o.invocationStartupMs, 0)} ms to connect the pool and open/close the run`,
      status(r.overhead ? r.overhead.ours.wallMs.mean < 5 : null),
      r.overhead && r.overhead.ours.wallMs.mean >= 5 ? overheadBoundText(r.overhead.ours) : '',
    ],
    [
      'NF-e import ≥ 0.5 × parse-only',
      r.ingest ? `${f(r.ingest.ratio, 2)} (${int(r.ingest.parseImport.notesPerSec)} vs ${int(r.ingest.parseOnly.notesPerSec)} notes/s)` : 'skipped',
      status(r.ingest ? r.ingest.ratio >= 0.5 : null),
      '',
    ],
    [
      `every invocation < ${MEMORY_LIMIT_MB} MB`,
      `peak RSS ${f(maxRss, 0)} MB (whole Deno process, ${f(a.main.invocations.bootRssMb, 0)} MB of it before the job), peak V8 heap ${f(maxHeap, 0)} MB, over ${count} invocations`,
      status(maxRss < MEMORY_LIMIT_MB),
      '',
    ],
    [
      `every invocation inside the ${CPU_BUDGET_MS / 1000} s CPU budget`,
      `max ${f(maxCpu / 1000, 2)} s; ${over} of ${count} invocations over; CPU ≈ ${f(fit.fixedMs, 0)} ms + ${f(fit.perConnMs, 0)} ms per nightly connection (${fit.method}, ${fit.points} invocations) → ≤ ${f(fitsInBudget, 0)} connections fit in one invocation's budget; the night's invocations processed ${f(inv.connsPerInvocation, 1)} on average`,
      status(over === 0),
      over === 0 ? '' : cpuBoundText(a),
    ],
  ];
  return table(['goal', 'result', '', 'what bounds it (arithmetic over the measured night)'], rows);
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

/** Why n connections do not fit in 30 minutes: the window identity W = n × S̄ / (A × F) (bounds.ts). */
function windowBoundText(a: Analysis, n: number): string {
  const l = a.main.load;
  if (!l) return 'the measured night did not finish';
  const inFlight = l.aliveMean * l.inFlightPerInvocation;
  const meanTmin = (a.main.ideal?.sumTminMs ?? NaN) / a.main.n;
  return `each connection took ${fmtS(l.busyMsPerConn)} of sync time (every attempt; ${fmtS(l.singleAttemptMsPerConn)} had each taken one), ` +
    `so ${int(n)} in 30 min need ${int(n)} × ${fmtS(l.busyMsPerConn)} / 30 min = ${n0(inFlightNeeded(n, l.busyMsPerConn, NIGHT_GOAL_MS))} syncs in flight. ` +
    `The measured night had ${f(l.aliveMean, 1)} invocations alive × ${f(l.inFlightPerInvocation, 1)} syncs each = ${f(inFlight, 0)} in flight ` +
    `(${int(n)} × ${fmtS(l.busyMsPerConn)} / ${f(inFlight, 0)} = ${min((n * l.busyMsPerConn) / inFlight)}). ` +
    `Invocations alive are held by the ceiling of ${DESIGN.ceiling} (ERP_AUTO_SYNC_DB_CONNECTIONS ${settings.dbConnections} / pools of ${poolPerIsolate()}); ` +
    `syncs per invocation by its CPU budget (next rows). At the documented limits (t_min ${fmtS(meanTmin)} per connection) ` +
    `${n0(inFlightNeeded(n, meanTmin, NIGHT_GOAL_MS))} in flight would do.`;
}

/**
 * The probe's figure taken apart: Postgres's execution of its statements (pg_stat_statements) and the client's
 * rest, beside a bare round trip timed before each connection (what this machine charges any statement).
 */
function overheadBoundText(o: OverheadStats): string {
  const rt = o.bareRoundTripMs.p50;
  const head = `${f(o.statements, 1)} statements per connection, the floor (a claim and a close, one round trip each)`;
  const bare = `a bare round trip (select 1) timed before each connection took ${f(rt, 2)} ms (p50)`;
  const pg = postgresBookkeepingMs(o);
  if (pg === null || !o.serverMs) return `${head}; ${bare}; pg_stat_statements is not loaded, so the split between Postgres and the client is not measured.`;
  return `${head}. Postgres executed them in ${f(pg, 2)} ms (claim ${f(o.serverMs.claim, 2)} + close ${f(o.serverMs.close, 2)}; pg_stat_statements, mean), ` +
    `so ${f(o.wallMs.mean - pg, 2)} ms of the ${f(o.wallMs.mean, 2)} are the client's: for each statement a parse, a describe round trip and ` +
    `a bind, which the transaction pooler's lack of prepared statements makes every statement pay (prepare: false), reading the answer, ` +
    `and JS ${f(o.jsMs, 2)} ms; ${bare}. Where those go is taken apart in docs/night-at-scale.md (Evidence: orchestrator overhead).`;
}

/** ideal / window as a product of factors (bounds.ts ratioFactors). */
function ratioBoundText(a: Analysis): string {
  const l = a.main.load, ideal = a.main.ideal, policy = a.main.idealPolicy;
  if (!l || !ideal || !policy) return '';
  const x = ratioFactors(l, { ...ideal, sumTminPolicyMs: policy.sumTminMs });
  return `${f(x.ratio, 2)} = ${x.rate > 1.005 ? `rate ${f(x.rate, 2)} (one account's t_min binds) × ` : ''}` +
    `pacing ${f(x.pacing, 2)} (documented limits against the adapters' own pacing: Tiny keeps to ${f(100 * TINY_QUOTA_SHARE, 0)} % of the plan's quota) × ` +
    `work ${f(x.work, 2)} (t_min at that pacing against one attempt's sync time: latency, entities in sequence, CPU and SQL on shared cores) × ` +
    `resumes ${f(x.resumes, 2)} (the sync time of attempts after a stop, beyond one attempt's: ${ERPS.filter((e) => a.main.perErp[e]).map((e) => `${e} ${f(a.main.perErp[e]!.attempts, 1)}`).join(', ')} attempts per connection) × ` +
    `parallelism ${f(x.parallelism, 2)} (${f(x.inFlight, 0)} syncs in flight on average against the ideal's ${f(x.idealSlots, 0)})`;
}

/** Connections the CPU budget holds per invocation (bounds.ts connsPerBudget), at the budget the night ran with and at the platform's. */
function cpuBoundText(a: Analysis): string {
  const i = a.main.invocations, side = a.sideOurs.invocations;
  // A fit over few invocations can give a negative fixed part: taken as none.
  const fixed = (inv: typeof i) => Math.max(0, inv.cpuFixedMs);
  const k = (inv: typeof i, budgetMs: number) => connsPerBudget({ budgetMs, use: CPU_USE, fixedMs: fixed(inv), perConnMs: inv.cpuPerConnMs });
  const at = (budgetMs: number) =>
    `(${CPU_USE} × ${n0(budgetMs)} − ${n0(fixed(i))} per invocation) / ${n0(i.cpuPerConnMs)} per connection = ${k(i, budgetMs)} connections`;
  const given = DESIGN.cpuMs !== CPU_BUDGET_MS
    ? `The invocations kept to the budget they were given (ERP_AUTO_SYNC_CPU_MS = ${DESIGN.cpuMs / 1000} s; max ${f(i.maxCpuMs / 1000, 2)} s): ` +
      `${at(DESIGN.cpuMs)} (they took ${f(i.connsPerInvocation, 1)}). At the platform's ${CPU_BUDGET_MS / 1000} s: `
    : `The hand-on rule stops claiming at ${CPU_USE} of the budget and lets the syncs in flight finish, which may pass it: `;
  return `${given}${at(CPU_BUDGET_MS)} with this night's fit; ${k(side, CPU_BUDGET_MS)} with the side-by-side night's ` +
    `(${n0(fixed(side))} + ${n0(side.cpuPerConnMs)}/conn, fewer processes sharing the ${navigator.hardwareConcurrency} cores)`;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const out = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

function perErpTable(s: NightStats): string {
  const rows = ERPS.filter((e) => s.perErp[e]).map((e) => {
    const x = s.perErp[e]!;
    return [e, x.n, f(x.notes, 0), f(x.requests, 0), f(x.rateLimited, 1), f(x.attempts, 1), fmtS(x.meanMs), fmtS(x.p95Ms), fmtS(x.tMinMs), fmtS(x.tMinPolicyMs)];
  });
  return table(['ERP', 'connections', 'NF-e docs fetched / conn', 'requests / conn', 'rate-limit answers / conn', 'attempts / conn', 'sync time mean', 'sync time p95', 'ideal t_min (documented limits)', 't_min (adapter pacing)'], rows);
}
const fmtS = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);

function invTable(name: string, s: NightStats): Array<string> {
  const i = s.invocations;
  return [
    name,
    String(i.count),
    String(i.killed),
    f(i.connsPerInvocation, 1),
    `${f(i.maxVmHwmMb || i.maxPeakRssMb, 0)} MB`,
    `${f(i.maxHeapMb, 0)} MB`,
    `${f(i.maxCpuMs / 1000, 2)} s`,
    `${f(i.cpuFixedMs, 0)} + ${f(i.cpuPerConnMs, 0)}/conn`,
    String(i.overCpuBudget),
    fmtS(i.maxWallMs),
  ];
}

export async function writeReport(r: ReportInput): Promise<{ markdown: string; paths: string[] }> {
  const { cfg, analysis: a } = r;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir = outDir(cfg.out, REPO_ROOT);
  await Deno.mkdir(dir, { recursive: true });
  const md: string[] = [];
  const sampleAll = cfg.sample === cfg.connections;
  md.push(`# Nightly window benchmark — ${new Date().toISOString().slice(0, 16)}Z${cfg.quick ? ' (quick)' : ''}`);
  md.push('');
  md.push(
    `${int(cfg.connections)} due connections (nightly increment: ~20 NF-e, 5 products, 30 financial entries each; ` +
      `the four ERPs in equal shares, one ERP account per connection), simulated ERP latency ${cfg.latencyMs} ms per request, ` +
      `documented per-account limits enforced by the simulators. Design settings: cron concurrency ${cfg.concurrency} ` +
      `(max ${cfg.maxConcurrency}), at most ${cfg.maxInFlight} syncs in flight in all (ERP_AUTO_SYNC_MAX_IN_FLIGHT), budget ${cfg.budgetMs / 1000} s, lease ${cfg.leaseMs / 1000} s, platform wall limit ${cfg.wallMs / 1000} s, ` +
      `continuation hop ${cfg.invokeDelayMs} ms, sweeps every 10 min from 00:05` +
      (DESIGN.cpuMs !== CPU_BUDGET_MS
        ? `, **CPU budget enforced by the invocations ${DESIGN.cpuMs / 1000} s** (ERP_AUTO_SYNC_CPU_MS; the platform's is ${CPU_BUDGET_MS / 1000} s, and the goal row checks that)`
        : '') +
      `. DB: ${r.env.profile} stack; Deno ${r.env.deno}; ${r.env.cores} cores; ` +
      `load ${r.env.load}; bench took ${f(r.benchSeconds, 0)} s.`,
  );
  md.push('');
  md.push(
    sampleAll
      ? `**The whole night was synced for real** (${int(cfg.sample)} connections, virtual time ×${cfg.scaleMain}).`
      : `**${int(cfg.sample)} of the ${int(cfg.connections)} connections were synced for real** (virtual time ×${cfg.scaleMain}); ` +
        `the other night sizes are **modelled** (discrete-event replay of the design's rules with the measured per-connection ` +
        `durations and the measured database costs at that size; model error on the measured night: ` +
        `${a.modelCheck ? `${f(a.modelCheck.errorPct, 1)} %` : 'n/a'}). Modelled numbers are marked *.`,
  );
  md.push('');
  md.push('## Goals');
  md.push('');
  md.push(goalsTable(r));
  md.push('');
  if (r.overhead) {
    md.push('## Orchestrator overhead probe');
    md.push('');
    md.push(
      `What the orchestration adds to a sync whose ERP has nothing new: ${r.overhead.ours.n} connections synced one at a time in process on the ` +
        `idle dev database (production claimNextDue + syncConnection; an adapter whose lists are empty and whose profile is fixed; a no-op trigger), ` +
        `then the naive design's loop over the same connections. Real ms and statements per connection; the entity writes an empty night still makes ` +
        `(DRE rebuild, profile upsert) are the work itself and excluded: ${f(r.overhead.ours.entityMs, 2)} ms (${f(r.overhead.ours.entityStatements, 1)} statements) ours, ` +
        `${f(r.overhead.naive.entityMs, 2)} ms naive.`,
    );
    md.push('');
    const row = (x: OverheadStats) => [
      x.design,
      `${f(x.wallMs.mean, 2)} / ${f(x.wallMs.p50, 2)} / ${f(x.wallMs.p95, 2)}`,
      `${f(x.statements, 1)} / ${f(x.roundTrips, 1)}`,
      ...PHASES.map((p) => `${f(x.phases[p].ms, 2)} ms (${f(x.phases[p].statements, 1)} / ${f(x.phases[p].roundTrips, 1)})`),
      f(x.jsMs, 2),
      postgresBookkeepingMs(x) === null ? '—' : f(postgresBookkeepingMs(x)!, 2),
    ];
    md.push(table(
      ['design', 'ms / connection (mean / p50 / p95)', 'statements / round trips', ...PHASES.map((p) => `${p} (st. / r.t.)`), 'JS ms', 'Postgres execution ms'],
      [row(r.overhead.ours), row(r.overhead.naive)],
    ));
    md.push('');
    md.push(
      'claim = claimNextDue as executeRun calls it (one statement: the claim, the lease, and the log opened with the checkpoints read); ' +
        'open = a log opened on its own (naive: the checkpoints read); progress = progress ' +
        'writes (none on a sync this short); close = the log close with checkpoints and the connection\'s new state (naive: its log insert and ' +
        'connection update); JS = the rest (config parsing, the entity table, decideOutcome, postgres.js); Postgres execution = ' +
        "pg_stat_statements' execution time of the bookkeeping statements, inside the phases' figures (parse, bind and the round trips come on top).",
    );
    md.push('');
  }
  md.push('## Window vs connections (growth)');
  md.push('');
  md.push(table(
    ['connections', 'ours: window', 'ideal bound', 'ideal / ours', 'naive: window', 'speedup', 'done by 30 min (ours / naive)', 'invocations (killed)', 'claim ms', 'count-due ms', 'DB bytes / night', 'Postgres CPU / night'],
    a.growth.map((g) => [
      int(g.n),
      `${min(g.ours.windowMs)}${g.ours.source === 'model' ? '*' : ''}`,
      `${min(g.ideal.idealMs)} (${g.ideal.concurrencyBoundMs >= g.ideal.rateBoundMs ? 'concurrency' : 'rate limit'})`,
      f(g.ratio, 2),
      `${min(g.naive.windowMs)}†`,
      `${f(g.speedup, 1)}×`,
      `${int(g.ours.doneBy30)} / ${int(g.naive.doneBy30)}`,
      `${g.ours.invocations} (${g.ours.killed})`,
      f(g.db.claimMs, 2),
      f(g.db.countDueMs, 2),
      mb(g.db.bytesPerNight),
      g.db.pgCpuPerNightMs === null ? '—' : fmtS(g.db.pgCpuPerNightMs),
    ]),
  ));
  md.push('');
  md.push(
    `\\* modelled. † naive = one sequential pass: the sum of the measured per-connection durations of the naive subset ` +
      `(per ERP mean × count); in production that single invocation is killed at the ${cfg.wallMs / 1000} s wall limit after ` +
      `${a.growth.map((g) => int(g.naive.doneByWall)).join(' / ')} connections. ` +
      `Claim ms = production shape (unrestricted) when no foreign row was due, else the restricted shape. ` +
      `DB bytes = heap row bytes written per connection-night (measured) × connections; indexes come on top.`,
  );
  md.push('');
  const busy = ((r.extra.cpu as any)?.machineUtilisation ?? NaN) as number;
  md.push(`## The measured night: ${int(a.main.n)} connections`);
  md.push('');
  md.push(table(['', 'value'], [
    ['window (measured)', `${min(a.main.windowMs)} (${a.main.completed} of ${a.main.n} synced; ${a.main.retriedConnections} needed a second attempt)`],
    ['ideal bound (documented limits)', `${min(a.main.ideal?.idealMs)} = max(rate-limit bound ${min(a.main.ideal?.rateBoundMs)}, concurrency bound ${min(a.main.ideal?.concurrencyBoundMs)})`],
    ['ideal / actual', `${f(a.main.ratio, 2)} (vs the adapters' own pacing: ${f(a.main.ratioPolicy, 2)})`],
    ['invocations', `${a.main.invocations.count} (${a.main.invocations.killed} killed at the wall limit)`],
    ...(r.nights.main.admission
      ? [['invocations alive (ceiling)', `max ${r.nights.main.admission.maxAlive} of ${r.nights.main.admission.ceiling}; ${r.nights.main.admission.refused} invocations refused at admission; at most ${r.nights.main.admission.maxDbConnections} database connections open at once`]]
      : []),
    ['syncs in flight per invocation', `mean ${f(a.main.inFlight.mean, 2)}, max ${a.main.inFlight.max} (configured concurrency ${a.main.inFlight.configured})`],
    ['claims', `${a.main.claims.total}, of which ${a.main.claims.empty} came back empty; of the claims an invocation's workers fire together at its start, ${f(a.main.claims.startEmptyShare * 100, 0)} % came back empty although connections were claimable (each such worker waits for one of its invocation's syncs to end, then claims again)`],
    ['beyond adapter I/O and NF-e import (real ms / connection)', `mean ${f(a.main.overheadRealMs.mean, 1)}, p50 ${f(a.main.overheadRealMs.p50, 1)}, p95 ${f(a.main.overheadRealMs.p95, 1)} = bookkeeping SQL ${f(a.main.overheadSplit.bookkeepingSql, 1)} + entity writes ${f(a.main.overheadSplit.dataSql, 1)} + triggers ${f(a.main.overheadSplit.triggers, 1)} + JS / event loop ${f(a.main.overheadSplit.rest, 1)}`],
    ['NF-e import and adapter', `import ${f(a.main.importRealMs, 1)} ms real for ${f(a.main.notesPerConn, 1)} notes; adapter ${f(a.main.adapterRealMs / 1000 * a.main.scale, 1)} s virtual`],
    a.main.inflationMs >= 0
      ? ['time-scale inflation (upper bound)', `≤ ${fmtS(a.main.inflationMs)} per connection (real non-I/O ms × (${a.main.scale} − 1)); measured windows are pessimistic by at most this per sync`]
      : ['time-scale deflation (upper bound)', `≤ ${fmtS(-a.main.inflationMs)} per connection (real non-I/O ms × (1 − ${a.main.scale})); below a scale of 1 work counts less than it costs: measured windows are optimistic by at most this per sync`],
    ['CPU per connection (real)', `invocation ${f((r.extra.cpu as any)?.invocationsMsPerConn, 0)} ms, Postgres ${f((r.extra.cpu as any)?.postgresMsPerConn, 0)} ms, simulators+bench ${f((r.extra.cpu as any)?.simulatorsAndBenchMsPerConn, 0)} ms; machine busy ${f(((r.extra.cpu as any)?.machineUtilisation ?? NaN) * 100, 0)} % of ${r.env.cores} cores`],
    ...(busy > BUSY_WARN
      ? [[
        '**warning: CPU saturated**',
        `the machine was ${f(busy * 100, 0)} % busy (over ${BUSY_WARN * 100} %): the measured durations are inflated by CPU contention (every sync's real work waits for the 2 cores and counts ×${a.main.scale} in virtual time), by at most ${fmtS(Math.max(0, a.main.inflationMs))} per connection (the inflation bound above); rerun with a lower --time-scale (e.g. 0.5) for an unsaturated night`,
      ]]
      : []),
    ['model check', a.modelCheck ? `model ${min(a.modelCheck.modelMs)} vs measured ${min(a.modelCheck.measuredMs)} (${f(a.modelCheck.errorPct, 1)} %)` : '—'],
  ]));
  md.push('');
  md.push(perErpTable(a.main));
  md.push('');
  md.push(`## Side by side: ${a.sideOurs.n} connections, ours vs the plan's naive design (twin connections, same simulators)`);
  md.push('');
  md.push(table(['design', 'window', 'invocations', 'overhead / conn (real ms)', 'SQL / conn', 'max CPU / invocation', 'peak RSS'], [
    ['ours', min(a.sideOurs.windowMs), String(a.sideOurs.invocations.count), f(a.sideOurs.overheadRealMs.mean, 1), f(a.sideOurs.sqlPerConn, 0), `${f(a.sideOurs.invocations.maxCpuMs / 1000, 2)} s`, `${f(a.sideOurs.invocations.maxVmHwmMb, 0)} MB`],
    ['naive', min(a.sideNaive.windowMs), '1 (never killed here)', f(a.sideNaive.overheadRealMs.mean, 1), f(a.sideNaive.sqlPerConn, 0), `${f(a.sideNaive.invocations.maxCpuMs / 1000, 2)} s`, `${f(a.sideNaive.invocations.maxVmHwmMb, 0)} MB`],
  ]));
  md.push('');
  md.push(`Speedup (measured, ${a.sideOurs.n} connections): **${f(a.sideSpeedup, 1)}×**. The naive pass would pass the ${cfg.wallMs / 1000} s wall limit after ${int(a.growth[0].naive.doneByWall)} connections.`);
  md.push('');
  md.push('## Per invocation (each one its own process, like an isolate)');
  md.push('');
  md.push(table(
    ['night', 'invocations', 'killed', 'connections / invocation', 'peak RSS', 'peak V8 heap', 'max CPU', 'CPU model', `over ${CPU_BUDGET_MS / 1000} s`, 'max wall'],
    [
      invTable('measured night', a.main),
      invTable('side by side (ours)', a.sideOurs),
      invTable('side by side (naive)', a.sideNaive),
      ...(a.backfill ? [invTable('backfill', a.backfill)] : []),
    ],
  ));
  md.push('');
  md.push(
    `Boot (module loading) before the job, excluded above: ${f(a.main.invocations.bootCpuMs, 0)} ms CPU, ${f(a.main.invocations.bootRssMb, 0)} MB RSS. ` +
      `Peak RSS is the whole Deno process (runtime and modules included), an upper bound for the isolate; the job itself adds peak RSS − boot RSS.`,
  );
  if (a.backfill) {
    md.push('');
    md.push(`## Backfill: first sync of one connection per ERP (90 days; 300 NF-e generated per account, 40 products, 120 financial entries)`);
    md.push('');
    md.push(`All ${a.backfill.completed} of ${a.backfill.n} done after ${min(a.backfill.windowMs)} (${a.backfill.invocations.count} invocations, ${a.backfill.invocations.killed} killed at the ${cfg.wallMs / 1000} s wall limit; their syncs resumed from their checkpoints in a later invocation once the lease expired). Sync time counts every attempt up to its kill.`);
    md.push('');
    md.push(perErpTable(a.backfill));
  }
  if (r.ingest) {
    const g = r.ingest;
    md.push('');
    md.push('## NF-e ingest (nfe-bench method)');
    md.push('');
    md.push(table(['phase', 'notes/s', '× parse only', 'CPU'], [
      ['parse only', int(g.parseOnly.notesPerSec), '1.00', `${int(g.parseOnly.cpuMs)} ms`],
      ['parse + import', int(g.parseImport.notesPerSec), f(g.ratio, 2), `${int(g.parseImport.cpuMs)} ms + Postgres ${g.parseImport.dbCpuMs === null ? '—' : `${int(g.parseImport.dbCpuMs)} ms`}`],
      ['re-import (unchanged)', int(g.reimport.notesPerSec), f(g.reimport.notesPerSec / g.parseOnly.notesPerSec, 2), ''],
    ]));
    md.push('');
    md.push(`${g.notes} notes (${f(g.itemsPerNote, 1)} items/note, ${f(g.kbPerDocument, 1)} KB/document); CPU ratio ${f(g.cpuRatio, 2)}. ${g.method}.`);
    if (g.notes < 3000) {
      md.push('');
      md.push(`Smaller than nfe-bench's 3,000-note corpus: fixed per-page and warm-up costs weigh more, so this ratio runs low; hold the full run's figure against the goal.`);
    }
  }
  md.push('');
  md.push('## Database cost by size');
  md.push('');
  md.push(table(['due connections', 'claim (production shape)', 'claim (bench shape, restricted to ids)', 'count due', 'recovery predicates', 'erp_connections size'], r.db.map((p) => [
    int(p.n),
    p.claimUnrestrictedMs === null ? '—' : `${f(p.claimUnrestrictedMs, 2)} ms`,
    `${f(p.claimRestrictedMs, 2)} ms`,
    `${f(p.countDueMs, 2)} ms`,
    `${f(p.recoveryMs, 2)} ms`,
    mb(p.tables.erp_connections?.totalBytes ?? 0),
  ])));
  md.push('');
  md.push(`One connection-night writes ${f(r.bytesPerConn / 1024, 1)} KB of rows (${Object.entries(r.bytes).filter(([, v]) => v.rows).map(([k, v]) => `${k} ${f(v.rows / Math.max(1, a.main.completed), 1)}`).join(', ')} rows per connection).`);
  md.push('');
  md.push('## How this was measured (short; details in dev/bench/README.md)');
  md.push('');
  md.push(
    [
      `- Real parts: the orchestrator (\`openRun\` + \`executeRun\`: claim with FOR UPDATE SKIP LOCKED + lease, bounded concurrency, wall-clock budget), \`syncConnection\`, the four adapters, \`importNfeDocuments\`, Vault credentials, the dev Postgres. Each invocation is its own pre-booted Deno process; an invocation hands on as soon as its claim budget or measured CPU (2 s, start-up counted) is spent, cron and sweep calls start as many chains as the free due rows need, every invocation (heads and tails) admitted under the invocation ceiling (the function's rules, replayed by the bench); pg_cron's sweep is replayed on the virtual clock; a SIGTERM at the wall limit plays the platform's kill.`,
      `- Why not the function over HTTP: erp-auto-sync claims every due connection on the database; the bench must only touch its own rows, so it calls the same orchestrator with \`connectionIds\` (the restricted claim) and skips the global recovery sweep (timed read-only instead). The continuation rule is applied by the bench, because the function's own \`shouldContinue\` refuses to continue id-restricted runs.`,
      `- Virtual time: waits are scaled (latency, rate-limit windows on both sides, backoff, budget, lease, sweeps); CPU and database work are not, so they count ×scale — an upper bound of that inflation is printed per night. Side by side ×${cfg.scaleSide}, measured night ×${cfg.scaleMain}, backfill ×${cfg.scaleBackfill}.`,
      `- Follow-up analyses are triggered through the real \`httpTrigger\` to a local stub answering 202 (they are separate functions).`,
      `- Ideal bound: documented per-account limits, perfect adapter (burst to the limit, no headroom, no sequential entities, no retries) and the design's own parallelism: slots(t) = min(the in-flight cap ${cfg.maxInFlight}, what its invocations can have in flight — concurrency × min(the invocation ceiling, chains (the cron call's fan-out, one more per sweep) × the invocations of a chain still running their handed-on syncs)). The model enforces the same cap the way the claim does.`,
    ].join('\n'),
  );
  const markdown = md.join('\n') + '\n';

  // Charts.
  const measured = (src: string) => src === 'measured';
  const growthSvg = windowChart({
    title: `Nightly window vs connections (latency ${cfg.latencyMs} ms, documented limits)`,
    goalMinutes: 30,
    xTicks: [...new Set([a.sideOurs.n, a.main.n, ...a.growth.map((g) => g.n)])].sort((x, y) => x - y),
    series: [
      {
        name: 'ours (design)',
        color: '#1f6feb',
        points: [
          ...(a.growth.some((g) => g.n === a.main.n) || !a.main.windowMs ? [] : [[a.main.n, a.main.windowMs / 60_000, true] as [number, number, boolean]]),
          ...a.growth.filter((g) => g.ours.windowMs).map((g) => [g.n, g.ours.windowMs! / 60_000, measured(g.ours.source)] as [number, number, boolean]),
        ].sort((x, y) => x[0] - y[0]),
      },
      { name: 'naive (plan)', color: '#d73a49', points: [[a.sideNaive.n, (a.sideNaive.windowMs ?? NaN) / 60_000, true], ...a.growth.map((g) => [g.n, g.naive.windowMs / 60_000, false] as [number, number, boolean])] },
      { name: 'ideal bound', color: '#2da44e', dash: '4 3', points: a.growth.map((g) => [g.n, g.ideal.idealMs / 60_000, false]) },
      { name: 'ours, side by side', color: '#8250df', points: [[a.sideOurs.n, (a.sideOurs.windowMs ?? NaN) / 60_000, true]] },
    ],
  });
  const json = {
    generatedAt: new Date().toISOString(),
    config: cfg,
    environment: r.env,
    goals: {
      nightInside30Min: a.growth.find((g) => g.n === 10_000)?.ours.windowMs ?? null,
      ratioMeasured: a.main.ratio ?? null,
      overheadMs: a.main.overheadRealMs.mean,
      overheadProbe: r.overhead,
      ingestRatio: r.ingest?.ratio ?? null,
    },
    analysis: a,
    database: r.db,
    bytesPerConnection: r.bytesPerConn,
    bytes: r.bytes,
    ingest: r.ingest,
    cpu: r.extra.cpu,
    seed: r.extra.seed,
    nights: Object.fromEntries(
      Object.entries(r.nights).filter(([, v]) => v).map(([k, v]) => [k, { ...v!, completionsMs: undefined }]),
    ),
  };
  const base = `${dir}/window-${stamp}`;
  const paths = [`${base}.json`, `${base}.md`, `${base}-growth.svg`];
  await Deno.writeTextFile(paths[0], JSON.stringify(json, null, 1));
  await Deno.writeTextFile(paths[1], markdown);
  await Deno.writeTextFile(paths[2], growthSvg);
  for (const [p, suffix] of [[paths[0], '.json'], [paths[1], '.md'], [paths[2], '-growth.svg']]) {
    await Deno.copyFile(p, `${dir}/window-latest${suffix}`);
  }
  return { markdown, paths: paths.map((p) => p.replace(`${REPO_ROOT}/`, '')) };
}

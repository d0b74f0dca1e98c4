/**
 * `npm run bench [-- --quick] [-- options]`: the nightly window at scale, our design side by side with the plan's naive
 * design and the ideal bound, on the dev stack (method and output: dev/bench/README.md).
 */
import postgres from 'postgres';
import { analyze, DESIGN } from './window/analyze.ts';
import { realNow, ScaledClock } from './window/clock.ts';
import { parseConfig } from './window/config.ts';
import { bytesPerConnection, type DbCostPoint, foreignDue, measureDbCost, setDue } from './window/dbcost.ts';
import { benchEnv, loadAvg, machineCpu, pauseAutoSyncCron, postgresCpuMs, selfCpuMs } from './window/env.ts';
import { type IngestResult, measureIngest } from './window/nfe-ingest.ts';
import { type OverheadStats, probeOverhead } from './window/overhead.ts';
import { BACKFILL, ERPS, NIGHTLY } from './window/profiles.ts';
import { Progress } from './window/progress.ts';
import { writeReport } from './window/report.ts';
import { type NightResult, type RunContext, runNaive, runOurs } from './window/runs.ts';
import { type SeededConnection, Seeder } from './window/seed.ts';
import { type BenchAccount, SimFleet } from './window/sims.ts';
import { DESIGN_SWEEPS } from './window/ideal.ts';
import { WorkerPool } from './window/workers.ts';

type Sql = postgres.Sql<Record<string, never>>;

const cfg = parseConfig(Deno.args);
const progress = new Progress();
const benchStart = realNow();
const env = await benchEnv((m) => progress.log(m));
const sql = postgres(env.dbUrl, { max: 8, prepare: false, onnotice: () => {}, connection: { application_name: 'erp-bench' } }) as unknown as Sql;
// The stack's own erp-auto-sync jobs (the minute due-check, the sweeps) would claim the bench's due rows.
const cron = await pauseAutoSyncCron(sql);
if (cron.ids.length) progress.log(`paused the stack's erp-auto-sync pg_cron jobs (${cron.ids.join(', ')}) until the end`);
const tag = `w${Date.now().toString(36)}`;
const seeder = new Seeder(sql, tag);
const fleets: SimFleet[] = [];
const pool = new WorkerPool(2);
const stub = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, async (req) => {
  await req.body?.cancel();
  return new Response(null, { status: 202 });
});
const triggerUrl = `http://127.0.0.1:${(stub.addr as Deno.NetAddr).port}`;

let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  progress.setPhase('cleanup: the benchmark\'s own rows, processes and simulators');
  await pool.close().catch(() => {});
  try {
    const r = await seeder.cleanup();
    progress.log(`  deleted ${r.companies} companies (with their connections, logs, checkpoints, synced data), ${r.secrets} Vault secrets, ${r.runs} erp_sync_runs`);
  } catch (e) {
    progress.log(`  cleanup failed: ${e instanceof Error ? e.message : e} (rows are named 'bench ${tag} ...')`);
  }
  await cron.resume().catch((e) => progress.log(`  could not resume pg_cron jobs ${cron.ids.join(', ')}: ${e} (cron.alter_job(id, active := true))`));
  for (const f of fleets) await f.close().catch(() => {});
  await stub.shutdown().catch(() => {});
  await sql.end({ timeout: 5 }).catch(() => {});
  await env.restore().catch((e) => progress.log(`  could not stop the dev stack: ${e}`));
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  Deno.addSignalListener(sig, async () => {
    progress.log(`\n${sig}: cleaning up`);
    await cleanup();
    Deno.exit(130);
  });
}

function ctxFor(clock: ScaledClock): RunContext {
  return { sql, dbUrl: env.dbUrl, clock, pool, triggerUrl, progress, onRunId: (id) => seeder.runIds.add(id) };
}

async function makeFleet(scale: number, sets = 1) {
  const clock = new ScaledClock(realNow(), scale);
  const fleet = await SimFleet.start({ sets, clock, latencyMs: cfg.latencyMs, jitterMs: cfg.jitterMs, seed: cfg.seed });
  fleets.push(fleet);
  return { clock, fleet };
}


const results: Record<string, unknown> = {};
try {
  progress.log(
    `erp-auto-sync window benchmark${cfg.quick ? ' (quick)' : ''}: ${cfg.connections.toLocaleString()} due connections, ` +
      `${cfg.sample.toLocaleString()} synced for real, latency ${cfg.latencyMs} ms, concurrency ${cfg.concurrency}, ` +
      `budget ${cfg.budgetMs / 1000} s, wall ${cfg.wallMs / 1000} s, DB ${env.profile} stack · load ${loadAvg()}`,
  );

  // --- seed ------------------------------------------------------------------------------------------------
  progress.setPhase('seed: simulator accounts and connections (bulk SQL)');
  const nowMs = Date.now();
  const tomorrow = new Date(nowMs + 86_400_000);
  const poolSize = Math.max(cfg.connections, cfg.sample, ...cfg.growth);
  const main = await makeFleet(cfg.scaleMain, 1 + Math.floor(cfg.sample / 4000));
  const side = await makeFleet(cfg.scaleSide);
  const bf = cfg.backfill ? await makeFleet(cfg.scaleBackfill) : null;
  const t0 = realNow();
  const poolAccounts: BenchAccount[] = [];
  for (let i = 0; i < poolSize; i++) {
    poolAccounts.push(main.fleet.provision(ERPS[i % ERPS.length], `n${i}`, NIGHTLY, i, cfg.seed * 100_000 + i, nowMs));
  }
  const sideOursAcc: BenchAccount[] = [], sideNaiveAcc: BenchAccount[] = [];
  for (let i = 0; i < cfg.subset; i++) {
    // twins: same ERP, same data seed → same company, documents and request pattern
    sideOursAcc.push(side.fleet.provision(ERPS[i % ERPS.length], `so${i}`, NIGHTLY, 0, cfg.seed * 100_000 + 50_000 + i, nowMs));
    sideNaiveAcc.push(side.fleet.provision(ERPS[i % ERPS.length], `sn${i}`, NIGHTLY, 0, cfg.seed * 100_000 + 50_000 + i, nowMs));
  }
  const PROBE_WARM = 10;
  const probeAcc = cfg.probe > 0
    ? Array.from({ length: cfg.probe + PROBE_WARM }, (_, i) => main.fleet.provision(ERPS[i % ERPS.length], `p${i}`, NIGHTLY, 0, cfg.seed * 100_000 + 95_000 + i, nowMs))
    : [];
  const bfAcc = bf ? ERPS.map((erp, i) => bf.fleet.provision(erp, `b${i}`, BACKFILL, 0, cfg.seed * 100_000 + 90_000 + i, nowMs)) : [];
  const poolConns = await seeder.seed(poolAccounts, nowMs, tomorrow);
  progress.update(poolConns.length, poolSize + 2 * cfg.subset + bfAcc.length, 'connections');
  const sideOurs = await seeder.seed(sideOursAcc, nowMs, tomorrow);
  const sideNaive = await seeder.seed(sideNaiveAcc, nowMs, tomorrow);
  const bfConns = bfAcc.length ? await seeder.seed(bfAcc, nowMs, tomorrow) : [];
  const probeConns = probeAcc.length ? await seeder.seed(probeAcc, nowMs, tomorrow) : [];
  const seedMs = realNow() - t0;
  progress.update(poolSize + 2 * cfg.subset + bfAcc.length, poolSize + 2 * cfg.subset + bfAcc.length, 'connections');
  progress.end();
  progress.log(`  ${(poolSize + 2 * cfg.subset + bfAcc.length).toLocaleString()} connections seeded in ${(seedMs / 1000).toFixed(1)} s`);
  results.seed = { connections: poolSize + 2 * cfg.subset + bfAcc.length, seconds: seedMs / 1000 };

  // --- database cost at the growth sizes -------------------------------------------------------------------
  const probeSizes = [...new Set([...cfg.growth, cfg.sample])].sort((x, y) => x - y);
  progress.setPhase(`database cost: claim / count / recovery queries at ${probeSizes.join(', ')} due connections`);
  const mine = [...poolConns, ...sideOurs, ...sideNaive, ...bfConns, ...probeConns].map((c) => c.id);
  const foreign = await foreignDue(sql, mine);
  if (foreign > 0) progress.log(`  ${foreign} connection(s) outside the benchmark are due: measuring the restricted claim only`);
  const poolIds = poolConns.map((c) => c.id);
  const past = new Date(nowMs - 60_000);
  const db: DbCostPoint[] = [];
  for (const [i, n] of probeSizes.entries()) {
    await setDue(sql, poolIds, n, past, tomorrow);
    db.push(
      await measureDbCost(sql, poolIds, n, {
        unrestricted: foreign === 0,
        reps: cfg.quick ? 8 : 15,
      }),
    );
    progress.update(i + 1, probeSizes.length, `n = ${n}`);
  }
  await setDue(sql, poolIds, 0, past, tomorrow);
  // The seeding and the size sweeps above rewrote every row several times in a minute; autovacuum would clean that
  // up within minutes in production (one update per connection a night). Measure on a table in that state.
  await sql`vacuum analyze public.erp_connections`;
  progress.end();

  const due = async (conns: SeededConnection[]) => {
    await setDue(sql, conns.map((c) => c.id), conns.length, new Date(Date.now() - 1000), tomorrow);
  };
  const design = {
    concurrency: cfg.concurrency,
    maxConcurrency: cfg.maxConcurrency,
    maxInFlight: cfg.maxInFlight,
    budgetMs: cfg.budgetMs,
    leaseMs: cfg.leaseMs,
    wallMs: cfg.wallMs,
    ...DESIGN,
    invokeDelayMs: cfg.invokeDelayMs,
    sweeps: DESIGN_SWEEPS,
    horizonMs: 6 * 3_600_000 + 30 * 60_000,
  };
  // --- orchestrator overhead probe (idle database, one connection at a time) ----------------------------------
  let overhead: { ours: OverheadStats; naive: OverheadStats } | null = null;
  if (probeConns.length) {
    progress.setPhase(`orchestrator overhead probe: ${cfg.probe} connections one at a time, ERP with no news, ours then naive`);
    overhead = await probeOverhead({
      dbUrl: env.dbUrl,
      sql,
      ids: probeConns.map((c) => c.id),
      // Production's claim is unrestricted: take that shape when nothing outside the bench is due.
      unrestricted: foreign === 0,
      warm: PROBE_WARM,
      notDueAt: tomorrow,
      onProgress: (d, t) => progress.update(d, t, 'syncs'),
    });
    progress.end();
    progress.log(
      `  ours ${overhead.ours.wallMs.mean.toFixed(2)} ms / connection (${overhead.ours.statements.toFixed(1)} statements, ${overhead.ours.roundTrips.toFixed(1)} round trips); ` +
        `naive ${overhead.naive.wallMs.mean.toFixed(2)} ms (${overhead.naive.statements.toFixed(1)} statements)`,
    );
  }
  await pool.warm();

  // --- side by side ----------------------------------------------------------------------------------------
  progress.setPhase(`side by side, ours: ${cfg.subset} connections (time scale ×${cfg.scaleSide})`);
  await due(sideOurs);
  const sideOursNight = await runOurs(ctxFor(side.clock), { ...design, label: 'side-ours', conns: sideOurs });
  progress.setPhase(`side by side, naive (twin connections): ${cfg.subset} connections (time scale ×${cfg.scaleSide})`);
  await due(sideNaive);
  const sideNaiveNight = await runNaive(ctxFor(side.clock), 'side-naive', sideNaive);

  // --- the measured night ----------------------------------------------------------------------------------
  const sample = poolConns.slice(0, cfg.sample);
  progress.setPhase(
    `the night, ours: ${sample.length.toLocaleString()} connections synced for real (time scale ×${cfg.scaleMain})`,
  );
  await due(sample);
  const cpu0 = { self: selfCpuMs(), pg: postgresCpuMs(env.stackDir), machine: machineCpu() };
  const mainNight: NightResult = await runOurs(ctxFor(main.clock), { ...design, label: 'night', conns: sample });
  const cpu1 = { self: selfCpuMs(), pg: postgresCpuMs(env.stackDir), machine: machineCpu() };
  const pgCpuPerConn = cpu0.pg !== null && cpu1.pg !== null ? (cpu1.pg - cpu0.pg) / Math.max(1, mainNight.completed) : null;
  const workerCpu = mainNight.invocations.reduce((a, i) => a + i.resources.cpuMs, 0);
  results.cpu = {
    simulatorsAndBenchMsPerConn: (cpu1.self - cpu0.self) / Math.max(1, mainNight.completed),
    postgresMsPerConn: pgCpuPerConn,
    invocationsMsPerConn: workerCpu / Math.max(1, mainNight.completed),
    machineUtilisation: cpu0.machine && cpu1.machine
      ? (cpu1.machine.busy - cpu0.machine.busy) / Math.max(1, cpu1.machine.total - cpu0.machine.total)
      : null,
    cores: navigator.hardwareConcurrency,
  };

  // --- backfill --------------------------------------------------------------------------------------------
  let bfNight: NightResult | null = null;
  if (bf) {
    progress.setPhase(`backfill: first sync (90 days, ${BACKFILL.nfeCount} NF-e) of one connection per ERP (time scale ×${cfg.scaleBackfill})`);
    await due(bfConns);
    bfNight = await runOurs(ctxFor(bf.clock), { ...design, label: 'backfill', conns: bfConns });
  }

  // --- bytes per connection-night (before anything is deleted) ---------------------------------------------
  const sampleIds = sample.map((c) => c.id);
  const sampleCompanies = sample.map((c) => c.companyId);
  const bytes = await bytesPerConnection(sql, sampleCompanies, sampleIds, [...seeder.runIds]);
  const totalBytes = Object.values(bytes).reduce((a, b) => a + b.bytes, 0);
  const bytesPerConn = totalBytes / Math.max(1, mainNight.completed);

  // --- NF-e ingest -----------------------------------------------------------------------------------------
  let ingest: IngestResult | null = null;
  if (cfg.nfe) {
    progress.setPhase(`NF-e ingest: parse + import vs parse only (${cfg.nfeNotes} notes, nfe-bench method)`);
    ingest = await measureIngest(
      () => postgres(env.dbUrl, { max: 1, prepare: false, onnotice: () => {} }) as unknown as Sql,
      cfg.nfeNotes,
      (id) => seeder.companyIds.push(id),
      cfg.seed,
    );
    progress.log(
      `  parse only ${ingest.parseOnly.notesPerSec.toFixed(0)} notes/s, parse + import ${ingest.parseImport.notesPerSec.toFixed(0)} notes/s → ratio ${ingest.ratio.toFixed(2)}`,
    );
  }

  // --- analysis and report ---------------------------------------------------------------------------------
  progress.setPhase('analysis: ideal bounds, model (validated on the measured night), growth, report');
  const a = analyze(cfg, { main: mainNight, sideOurs: sideOursNight, sideNaive: sideNaiveNight, backfill: bfNight }, db, bytesPerConn, pgCpuPerConn);
  const files = await writeReport({
    cfg,
    env: { profile: env.profile, deno: Deno.version.deno, cores: navigator.hardwareConcurrency, load: loadAvg() },
    analysis: a,
    db,
    ingest,
    overhead,
    bytes,
    bytesPerConn,
    extra: results,
    nights: { main: mainNight, sideOurs: sideOursNight, sideNaive: sideNaiveNight, backfill: bfNight },
    benchSeconds: (realNow() - benchStart) / 1000,
  });
  await cleanup();
  console.log(files.markdown);
  progress.log(`\nwrote ${files.paths.join(', ')} in ${((realNow() - benchStart) / 1000).toFixed(0)} s`);
} catch (e) {
  progress.log(`benchmark failed: ${String(e instanceof Error ? e.stack ?? e.message : e).slice(0, 3000)}`);
  await cleanup();
  Deno.exit(1);
} finally {
  await cleanup();
}
Deno.exit(0);

// Chaos · scale: a backlog night. Many connections fall due at once (the night after an outage: "5,000 due at
// 03:00": 5,000 with `npm run test:chaos -- --soak`, 200 in the CI-sized suite so it runs in about half a
// minute on 2 cores; CHAOS_BACKLOG_CONNECTIONS overrides). The
// real cron call goes through pg_net to erp-auto-sync, unrestricted: it sizes its fan-out from the free due rows,
// every invocation hands on when its budget is spent, and sweeps keep arriving while the chains run. Held when
// the night converges (every connection synced once, no run left open) with the invocations alive (chains' heads
// and the tails finishing their syncs) never above the ceiling and the database connections of the functions
// within their budget.
import { TEST_MAX_IN_FLIGHT } from '../../../dev/stack/config.ts';
import { invocationCeiling } from '../../functions/_shared/sync/orchestrator.ts';
import { chaosScenario, pgNetAutoSync, pgNetResponse, SOAK, waitFor } from './harness.ts';

const N = Number(Deno.env.get('CHAOS_BACKLOG_CONNECTIONS') ?? (SOAK ? 5000 : 200));
// The functions' defaults (runtime.ts): ERP_AUTO_SYNC_DB_CONNECTIONS 100, DB_POOL_MAX 5.
const CEILING = invocationCeiling(100, 5);
const DB_BUDGET = 100;

chaosScenario('scale', `backlog night: ${N} connections due at once converge under the invocation ceiling`, async (ctx) => {
  const { f, sql } = ctx;
  const erps = ['omie', 'conta_azul'] as const;
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const p = await f.connection({ erp: erps[i % erps.length], nfeCount: 1, productCount: 1, financialCount: 1 });
    ids.push(p.connectionId);
  }
  const since = await ctx.night(ids);

  // Sample the invocations and database connections while the night runs.
  let maxInvocations = 0, maxDb = 0, maxInFlight = 0, samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [r] = await sql`select
          (select count(*)::int from public.erp_sync_runs where status = 'running' and started_at >= ${since}) as invocations,
          (select count(*)::int from pg_stat_activity where application_name = 'erp-auto-sync') as db,
          (select count(*)::int from public.erp_connections where lease_owner is not null and lease_expires_at >= now()) as in_flight`;
      maxInvocations = Math.max(maxInvocations, r.invocations);
      maxDb = Math.max(maxDb, r.db);
      maxInFlight = Math.max(maxInFlight, r.in_flight);
      samples++;
      await new Promise((res) => setTimeout(res, 200));
    }
  })();

  const cron = await pgNetResponse(sql, await pgNetAutoSync(sql, ctx.scope, { source: 'cron', concurrency: 4 }));
  ctx.check('the cron call is accepted', cron.status_code === 202, `HTTP ${cron.status_code}`);
  // Sweeps arrive while the chains run (every 10 minutes in production): they must not multiply them.
  const sweeps: string[] = [];
  for (let i = 0; i < 3; i++) {
    await waitFor(async () => {
      const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs
                                where connection_id = any(${ids}::uuid[]) and status <> 'running'`;
      return n >= ((i + 1) * N) / 5;
    }, 600_000, 500);
    const r = await pgNetResponse(sql, await pgNetAutoSync(sql, ctx.scope, { source: 'cron', concurrency: 4 }));
    sweeps.push(`${r.status_code} ${JSON.parse(r.content ?? '{}').accepted === false ? 'refused' : 'admitted'}`);
  }
  await waitFor(async () => {
    const [{ done }] = await sql`select count(*)::int as done from public.erp_connections
                                 where id = any(${ids}::uuid[]) and last_sync_at >= ${since} and lease_owner is null`;
    const [{ open }] = await sql`select count(*)::int as open from public.erp_sync_runs
                                 where status = 'running' and started_at >= ${since}`;
    return done === N && open === 0;
  }, 900_000, 1000).catch(() => null);
  sampling = false;
  await sampler;

  const runs = await sql`select id, source, processed, details from public.erp_sync_runs where started_at >= ${since}`;
  for (const r of runs) ctx.scope.runIds.add(r.id);
  const logs = await sql`select connection_id, status from public.erp_sync_logs
                         where connection_id = any(${ids}::uuid[]) and started_at >= ${since}`;
  const finished = logs.filter((l) => l.status !== 'interrupted');
  const perConn = new Map<string, number>();
  for (const l of finished) perConn.set(l.connection_id, (perConn.get(l.connection_id) ?? 0) + 1);
  const [{ open }] = await sql`select count(*)::int as open from public.erp_sync_runs where status = 'running' and started_at >= ${since}`;
  const stoppedBy: Record<string, number> = {};
  for (const r of runs) stoppedBy[r.details?.stopped_by ?? '?'] = (stoppedBy[r.details?.stopped_by ?? '?'] ?? 0) + 1;

  ctx.check('converged: every connection synced', ids.every((id) => perConn.get(id) === 1), `${perConn.size} of ${N} synced`);
  ctx.check('no run left open', open === 0, `${open} running`);
  ctx.check(`invocations alive never above the ceiling (${CEILING})`, maxInvocations <= CEILING, `max ${maxInvocations} over ${samples} samples`);
  ctx.check(`database connections of the functions within the budget (${DB_BUDGET})`, maxDb <= DB_BUDGET, `max ${maxDb}`);
  // The test stack's functions run with ERP_AUTO_SYNC_MAX_IN_FLIGHT = TEST_MAX_IN_FLIGHT: 20 invocations × 4 would exceed it.
  ctx.check(`syncs in flight never above the cap (${TEST_MAX_IN_FLIGHT})`, maxInFlight <= TEST_MAX_IN_FLIGHT, `max ${maxInFlight}`);
  ctx.check(
    'sweeps during the night do not multiply the invocations',
    maxInvocations <= CEILING,
    `sweeps: ${sweeps.join(', ')}`,
  );
  ctx.note(
    `${N} due at once → ${runs.length} invocations (${runs.filter((r) => r.source === 'cron').length} cron/sweep calls), ` +
      `max ${maxInvocations} invocations / ${maxDb} DB connections / ${maxInFlight} syncs in flight; stopped by ${JSON.stringify(stoppedBy)}`,
  );
}, { invariants: { oracleSample: 10, deepScan: false, rls: false } });

// Chaos · operations: a night with faults still writes its report. ERP faults (a revoked grant, an ERP failing
// every call) end their run normally; then the night's last invocation dies mid-sync (functions process
// killed), so no run ends to trigger the report — the 10-minute check writes it once that invocation is
// past any invocation's lifetime, and the recovery run rewrites it. Ends with the shared invariants.
import { chaosScenario, latestLogs, restartFunctions, settled, simAdmin, sweepAbandonedRuns, waitFor } from './harness.ts';

chaosScenario('operations', 'a night with faults still writes its report', async (ctx) => {
  const { f, sql } = ctx;
  const revoked = await f.connection({ erp: 'conta_azul', nfeCount: 3, productCount: 2, financialCount: 2 });
  const failing = await f.connection({ erp: 'omie', nfeCount: 3, productCount: 2, financialCount: 2 });
  const killed = await f.connection({ erp: 'tiny', nfeCount: 30, productCount: 3, financialCount: 3 });
  await simAdmin(ctx.env, 'conta_azul', 'revoke', { accountId: revoked.accountId });
  await ctx.knobs('omie', { failureRate: 1 });
  await ctx.night([revoked.connectionId, failing.connectionId, killed.connectionId]);

  // 1. ERP faults: the run ends (closeRun) and the report is written by the run's end.
  const r1 = await f.ops([revoked.connectionId, failing.connectionId], { concurrency: 2 });
  ctx.check('the faulty run answered', r1.status === 200, `HTTP ${r1.status}`);
  const [run1] = await sql`select id, completed_at, public.erp_night_of(started_at) as night from public.erp_sync_runs
                           where id = ${r1.body?.run_id}`;
  const night = run1.night as Date;
  const [rep1] = await sql`select computed_at, report from public.erp_night_reports where night = ${night}`;
  ctx.check('a report row exists once the faulty run ended', !!rep1, `night ${night?.toISOString().slice(0, 10)}`);
  ctx.check('…written after that run ended', !!rep1 && rep1.computed_at >= run1.completed_at,
    `${rep1?.computed_at?.toISOString()} ≥ ${run1.completed_at?.toISOString()}`);
  const codes = Object.keys(rep1?.report?.by_error_code ?? {});
  const ours = await latestLogs(sql, [revoked.connectionId, failing.connectionId]);
  const ourCodes = [...ours.values()].flatMap((l) =>
    Object.values((l.details?.entities ?? {}) as Record<string, { status?: string; error?: { code?: string } }>)
      .filter((e) => e.status === 'error' && e.error?.code).map((e) => e.error!.code!)
  );
  ctx.check('the faults are counted by error code', ourCodes.length > 0 && ourCodes.every((c) => codes.includes(c)),
    `ours ${[...new Set(ourCodes)].join(', ')} in ${codes.join(', ')}`);
  ctx.check('the faulty connections count as failed', (rep1?.report?.totals?.failed ?? 0) >= 2,
    JSON.stringify(rep1?.report?.totals));
  await ctx.resetKnobs();

  // 2. The last invocation of the night dies mid-sync: its run row stays 'running', nothing ends.
  await ctx.knobs('tiny', { slowPageMs: 300 });
  const pending = f.ops([killed.connectionId]).catch(() => null);
  // Mid-sync = a page of notes has landed (checkpoints are written with the progress, not after every page).
  await waitFor(async () => {
    const rows = await sql`select 1 from public.xml_imports where company_id = ${killed.companyId} limit 1`;
    return rows.length > 0;
  }, 60_000, 50);
  await restartFunctions();
  await pending;
  await ctx.resetKnobs();
  const [dead] = await sql`select r.id, r.status from public.erp_sync_runs r join public.erp_sync_logs l on l.run_id = r.id
                           where l.connection_id = ${killed.connectionId} order by r.started_at desc limit 1`;
  ctx.check('the killed invocation left its run running', dead?.status === 'running', dead?.status ?? 'no run');
  // The 10-minute check (pg_cron 'erp-night-report'), as it runs once that invocation is 15+ minutes old.
  const [{ later }] = await sql`select now() + interval '16 minutes' as later`;
  await sql`select public.erp_refresh_night_reports(${later})`;
  const [rep2] = await sql`select computed_at, report from public.erp_night_reports where night = ${night}`;
  ctx.check('the check rewrote the report without the dead run ending', rep2?.computed_at?.getTime() === later.getTime(),
    `${rep2?.computed_at?.toISOString()}`);
  ctx.check('…complete, with the dead sync counted as interrupted', rep2?.report?.complete === true &&
    (rep2?.report?.totals?.interrupted ?? 0) >= 1, JSON.stringify(rep2?.report?.totals));
  ctx.check('…and the dead invocation among the night\'s invocations',
    (rep2?.report?.invocations ?? 0) >= (rep1?.report?.invocations ?? 0) + 1,
    `${rep1?.report?.invocations} → ${rep2?.report?.invocations}`);

  // 3. Recovery: the next invocations close the dead run and finish the sync; the report follows.
  await sweepAbandonedRuns(ctx, [killed.connectionId]);
  await waitFor(async () => {
    await f.ops([killed.connectionId]);
    const latest = await latestLogs(sql, [killed.connectionId]);
    return ['success', 'partial'].includes(latest.get(killed.connectionId)?.status);
  }, 90_000, 1000);
  await settled(sql, [killed.connectionId]);
  const [last] = await sql`select max(completed_at) as t from public.erp_sync_runs
                           where public.erp_night_of(started_at) = ${night} and status <> 'running'`;
  const [rep3] = await sql`select computed_at, report from public.erp_night_reports where night = ${night}`;
  ctx.check('after recovery the report is rewritten by the last run\'s end',
    !!rep3 && (rep3.computed_at >= last.t || rep3.computed_at.getTime() === later.getTime()),
    `${rep3?.computed_at?.toISOString()} vs last run end ${last.t?.toISOString()}`);
  ctx.note(`night ${night.toISOString().slice(0, 10)}: ${JSON.stringify(rep3?.report?.totals)}, ` +
    `${rep3?.report?.invocations} invocations, errors ${JSON.stringify(rep3?.report?.by_error_code)}`);
});

// Chaos · process faults: the functions process killed mid-sync, PostgreSQL restarted mid-run, pg_net giving
// up on a slow answer, two cron invocations at once and a manual sync during the nightly one. Every scenario
// ends with the shared invariants (invariants.ts).
import {
  chaosScenario,
  type Ctx,
  latestLogs,
  pgNetAutoSync,
  pgNetResponse,
  pgRestartRefusal,
  restartFunctions,
  restartPostgres,
  settled,
  STACK,
  sweepAbandonedRuns,
  waitFor,
} from './harness.ts';

/**
 * Ops runs over `ids` until none of them has a running log and each one's latest log is finished (not
 * 'interrupted'): the recovery a later nightly run (or the sweep) performs. A deadline, not a timing assertion.
 */
async function recover(ctx: Ctx, ids: string[], timeoutMs = 90_000) {
  const results: string[] = [];
  await waitFor(
    async () => {
      const r = await ctx.f.ops(ids, { concurrency: 2 });
      for (const x of r.body?.results ?? []) results.push(x.status);
      const latest = await latestLogs(ctx.sql, ids);
      return ids.every((id) => ['success', 'partial', 'error'].includes(latest.get(id)?.status));
    },
    timeoutMs,
    1000,
  );
  return results;
}

chaosScenario('process', 'functions process killed mid-sync (nightly and manual in flight)', async (ctx) => {
  const { f, sql } = ctx;
  const user = await f.user();
  const nightly = await f.connection({ erp: 'conta_azul', nfeCount: 30, productCount: 4, financialCount: 4 });
  const manual = await f.connection({
    erp: 'tiny',
    nfeCount: 12,
    productCount: 4,
    financialCount: 4,
    memberIds: [user],
  });
  await ctx.knobs('conta_azul', { slowPageMs: 300 });
  await ctx.knobs('tiny', { latencyMs: 150 });
  await ctx.night([nightly.connectionId]);
  const pending = f.ops([nightly.connectionId]).catch(() => null);
  const started = await f.syncNow(manual.connectionId, await f.userJwt(user));
  ctx.expectSynced([manual.connectionId]);
  ctx.check('manual sync accepted', started.status === 202, `HTTP ${started.status}`);
  await waitFor(
    async () => {
      // A first page of each has landed (checkpoints are written with the progress, every few seconds).
      const rows = await sql`select distinct company_id from public.xml_imports
                           where company_id = any(${[nightly.companyId, manual.companyId]}::uuid[])`;
      return rows.length === 2;
    },
    60_000,
    50,
  );
  const t0 = performance.now();
  await restartFunctions(); // SIGTERM to the process group, SIGKILL after 5 s: the syncs die with it
  ctx.note(`functions process restarted in ${Math.round(performance.now() - t0)} ms with 2 syncs in flight`);
  await pending;
  await ctx.resetKnobs();
  const logs = await latestLogs(sql, [nightly.connectionId, manual.connectionId]);
  ctx.check(
    'both dead syncs left their logs running',
    [...logs.values()].every((l) => l.status === 'running'),
    [...logs.values()].map((l) => `${l.sync_type}:${l.status}`).join(', '),
  );
  const [{ midway }] =
    await sql`select count(*)::int as midway from public.xml_imports where company_id = ${nightly.companyId}`;

  // The next runs recover (stale logs → interrupted once the lease lapses) and complete the work.
  const statuses = await recover(ctx, [nightly.connectionId, manual.connectionId]);
  ctx.note(`recovery: ${statuses.join(', ')}; ${midway} notes had landed before the kill`);
  const all = await sql`select connection_id, sync_type, status, error_message from public.erp_sync_logs
                        where connection_id = any(${[
    nightly.connectionId,
    manual.connectionId,
  ]}::uuid[]) order by started_at`;
  await sweepAbandonedRuns(ctx, [nightly.connectionId, manual.connectionId]);
  ctx.check(
    'the killed logs became interrupted with a message',
    all.filter((l) => l.status === 'interrupted').length === 2 &&
      all.filter((l) => l.status === 'interrupted').every((l) => /interrompida/.test(l.error_message ?? '')),
    all.map((l) => `${l.sync_type}:${l.status}`).join(', '),
  );
});

// Decided when registered: a restart this process may not do is reported skipped (ignored), never passed.
const pgRefusal = STACK ? await pgRestartRefusal(STACK) : null;
chaosScenario('process', 'PostgreSQL restarted mid-run', async (ctx) => {
  const { f, sql, env } = ctx;
  const slow = await f.connection({ erp: 'conta_azul', nfeCount: 30, productCount: 4, financialCount: 4 });
  const other = await f.connection({ erp: 'bling', nfeCount: 4, productCount: 3, financialCount: 3 });
  const ids = [slow.connectionId, other.connectionId];
  await ctx.knobs('conta_azul', { slowPageMs: 300 });
  await ctx.night(ids);
  const pending = f.ops(ids, { concurrency: 2 }).catch((e) => ({ status: 0, body: String(e) }));
  await waitFor(
    async () =>
      (await sql`select 1 from public.erp_sync_checkpoints where connection_id = ${slow.connectionId}`)
        .length > 0,
    60_000,
    50,
  );
  const t0 = performance.now();
  await restartPostgres(env);
  ctx.note(`PostgreSQL restarted (fast shutdown) in ${Math.round(performance.now() - t0)} ms mid-run`);
  await waitFor(async () => (await sql`select 1 as ok`)[0]?.ok === 1, 30_000, 200);
  const during = await pending;
  await ctx.resetKnobs();
  ctx.note(
    `the cut invocation answered HTTP ${during.status}: ${
      typeof during.body === 'object' && during.body && 'processed' in during.body
        ? `processed ${during.body.processed}, succeeded ${during.body.succeeded}, failed ${during.body.failed}` +
          ` (${(during.body.results ?? []).map((r: any) => r.error ?? r.status).join('; ').slice(0, 120)})`
        : JSON.stringify(during.body).slice(0, 120)
    }`,
  );
  ctx.check('the invocation answered (no hang)', during.status !== 0, String(during.status));

  // The invocation that failed is alive: once the syncs it started have ended, its run row must say so (not
  // wait for the sweep that exists for invocations that died).
  await settled(sql, ids);
  const cut = await sql`select distinct r.id, r.status from public.erp_sync_runs r
                        join public.erp_sync_logs l on l.run_id = r.id where l.connection_id = any(${ids}::uuid[])`;
  ctx.check(
    'the failed invocation closed its own run row',
    cut.every((r) => r.status !== 'running'),
    cut.map((r) => `run ${String(r.id).slice(0, 8)} ${r.status}`).join(', '),
  );

  // pg_net still delivers after the restart (its worker reconnected).
  const [q] = await sql`select net.http_get(${env.API_URL + '/health'}) as id`;
  ctx.scope.netRequestIds.add(String(q.id));
  const delivered = await pgNetResponse(sql, String(q.id), 30_000).catch(() => null);
  ctx.check(
    'pg_net delivers after the restart',
    delivered?.status_code === 200,
    `status ${delivered?.status_code}`,
  );

  // The next runs complete whatever the restart cut (a sync that survived it may still be finishing).
  const statuses = await recover(ctx, ids);
  ctx.note(`recovery runs: ${statuses.join(', ') || 'nothing left to recover'}`);
  await sweepAbandonedRuns(ctx, ids);
}, { cannotRun: pgRefusal && `PostgreSQL restart not possible here: ${pgRefusal}` });

chaosScenario('process', 'pg_net gives up on a slow answer: the run still finishes', async (ctx) => {
  const { f, sql } = ctx;
  const a = await f.connection({ erp: 'tiny', nfeCount: 4, productCount: 3, financialCount: 3 });
  const b = await f.connection({ erp: 'conta_azul', nfeCount: 4, productCount: 3, financialCount: 3 });
  const ids = [a.connectionId, b.connectionId];
  await ctx.knobs('tiny', { latencyMs: 100 });
  await ctx.night(ids);
  // An 'ops' call waits for the whole run: pg_net's 500 ms timeout fires long before the answer.
  const id = await pgNetAutoSync(sql, ctx.scope, { source: 'ops', connection_ids: ids, concurrency: 2 }, {
    timeoutMs: 500,
  });
  const resp = await pgNetResponse(sql, id);
  ctx.check(
    'pg_net recorded a timeout',
    resp.timed_out === true && resp.status_code === null,
    `${resp.error_msg}`,
  );
  await waitFor(
    async () => {
      const rows =
        await sql`select 1 from public.erp_sync_logs where connection_id = any(${ids}::uuid[]) and status <> 'running'`;
      return rows.length === 2;
    },
    90_000,
    200,
  );
  await ctx.resetKnobs();
  const logs = await latestLogs(sql, ids);
  ctx.check(
    'both connections synced anyway',
    [...logs.values()].every((l) => l.status === 'success'),
    [...logs.values()].map((l) => l.status).join(', '),
  );
  ctx.note(`pg_net: "${resp.error_msg}"; the function kept going and closed ${logs.size} logs`);
});

chaosScenario(
  'process',
  'two cron invocations at once, and a manual sync during the nightly run',
  async (ctx) => {
    const { f, sql } = ctx;
    const user = await f.user();
    const conns = [
      await f.connection({ erp: 'omie', nfeCount: 4, productCount: 3, financialCount: 3, memberIds: [user] }),
      await f.connection({ erp: 'omie', nfeCount: 4, productCount: 3, financialCount: 3, memberIds: [user] }),
      await f.connection({ erp: 'tiny', nfeCount: 4, productCount: 3, financialCount: 3, memberIds: [user] }),
      await f.connection({
        erp: 'conta_azul',
        nfeCount: 20,
        productCount: 3,
        financialCount: 3,
        memberIds: [user],
      }),
    ];
    const ids = conns.map((c) => c.connectionId);
    await ctx.knobs('conta_azul', { slowPageMs: 250 });
    await ctx.knobs('omie', { latencyMs: 40 });
    await ctx.knobs('tiny', { latencyMs: 40 });
    await ctx.night(ids);
    // Two deliveries of the nightly call at once (what a double-fired job or an overlapping sweep does).
    const body = { source: 'cron', connection_ids: ids, concurrency: 2 };
    const [r1, r2] = await Promise.all([
      pgNetAutoSync(sql, ctx.scope, body),
      pgNetAutoSync(sql, ctx.scope, body),
    ]);
    const [a1, a2] = await Promise.all([pgNetResponse(sql, r1), pgNetResponse(sql, r2)]);
    ctx.check(
      'both cron calls accepted (202)',
      a1.status_code === 202 && a2.status_code === 202,
      `${a1.status_code}, ${a2.status_code}`,
    );
    for (const a of [a1, a2]) {
      try {
        const run = JSON.parse(a.content ?? '{}').run_id;
        if (run) ctx.scope.runIds.add(run);
      } catch { /* not JSON */ }
    }

    // While the nightly runs: "Sincronizar agora" on every connection.
    const jwt = await f.userJwt(user);
    // The slow Conta Azul connection is the one surely mid-sync when we ask.
    const slowId = conns[3].connectionId;
    const busyLog = await waitFor(
      async () => {
        const [row] = await sql`select id from public.erp_sync_logs
                            where connection_id = ${slowId} and status = 'running' and sync_type = 'auto'`;
        return row ?? null;
      },
      60_000,
      20,
    );
    const manual = await f.syncNow(slowId, jwt);
    if (manual.status === 202) {
      // Only acceptable if the nightly sync had already finished (no overlap: checked by the invariants too).
      const [l] = await sql`select status from public.erp_sync_logs where id = ${busyLog.id}`;
      ctx.check(
        'manual accepted only after the nightly sync finished',
        l.status !== 'running',
        `nightly log ${l.status}`,
      );
    } else {
      ctx.check(
        'manual during the nightly sync of the same connection → 409 naming the running nightly sync',
        manual.status === 409 && manual.body?.error?.code === 'SYNC_ALREADY_RUNNING' &&
          manual.body?.error?.details?.log_id === busyLog.id &&
          manual.body?.error?.details?.sync_type === 'auto',
        `HTTP ${manual.status} ${manual.body?.error?.code} (${manual.body?.error?.details?.sync_type})`,
      );
    }
    const busy = { connection_id: slowId };
    const others = [];
    for (const id of ids.filter((x) => x !== busy.connection_id)) {
      const r = await f.syncNow(id, jwt);
      others.push(`${r.status}`);
      ctx.check(
        `manual on another connection: accepted or "already running"`,
        r.status === 202 || r.status === 409,
        `HTTP ${r.status}`,
      );
    }
    ctx.note(
      `manual syncs during the night: ${manual.status} on the busy one, ${others.join('/')} on the others`,
    );
    await settled(sql, ids);
    await ctx.resetKnobs();
    // Exactly one sync per connection this night: either run, or a manual one — never two at once.
    const logs =
      await sql`select connection_id, sync_type, status from public.erp_sync_logs where connection_id = any(${ids}::uuid[])`;
    const perConn = ids.map((id) => logs.filter((l) => l.connection_id === id));
    ctx.check(
      'at most one nightly sync per connection across both invocations',
      perConn.every((ls) => ls.filter((l) => l.sync_type === 'auto').length <= 1),
      perConn.map((ls) => ls.map((l) => `${l.sync_type[0]}:${l.status}`).join('+')).join(' | '),
    );
    const runs = await sql`select processed from public.erp_sync_runs where id = any(${[
      ...ctx.scope.runIds,
    ]}::uuid[])`;
    ctx.note(
      `runs processed ${runs.map((r) => r.processed).join(' + ')} of ${ids.length} connections; logs: ${
        perConn.map((ls) => ls.map((l) => l.sync_type[0]).join('')).join(' ')
      }`,
    );
  },
);

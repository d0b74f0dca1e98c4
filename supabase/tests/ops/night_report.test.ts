// The night report: computed in SQL from erp_sync_runs / erp_sync_logs when a night's last run ends, read by
// operations with the cron secret (erp-ops), and the Operação overview for operators only.
import assert from 'node:assert/strict';
import type postgres from 'postgres';
import { sqlFor, stackTest, type TestStackEnv, waitFor } from '../helpers.ts';
import { Fixture } from '../sync/fixtures.ts';

/** A night of its own in the past (noon-to-noon Brasília), so other tests' runs never mix in. */
function isolatedNight(): { night: string; at: (hhmm: string, plusSeconds?: number) => string } {
  const d = new Date(Date.UTC(2021, Math.floor(Math.random() * 12), 1 + Math.floor(Math.random() * 27)));
  const night = d.toISOString().slice(0, 10);
  const next = new Date(d.getTime() + 86_400_000).toISOString().slice(0, 10);
  // 00:00 UTC of the next day = 21:00 Brasília of `night`
  return { night, at: (hhmm, s = 0) => new Date(Date.parse(`${next}T${hhmm}:00Z`) + s * 1000).toISOString() };
}

interface Synthetic {
  night: string;
  companyId: string;
  runIds: string[];
  conns: Record<string, string>;
}

/**
 * One company with four connections and a night of two invocations (the cron run and its continuation):
 * bling synced (two syncs), omie partial with failing records, conta_azul failed on auth, tiny in error and
 * never attempted (skipped).
 */
async function syntheticNight(sql: postgres.Sql): Promise<Synthetic> {
  const { night, at } = isolatedNight();
  const [co] = await sql`insert into public.companies (name, created_at) values ('Noite isolada', ${at('00:00', -86400)}) returning id`;
  const conns: Record<string, string> = {};
  for (const [erp, status] of [['bling', 'active'], ['bling2', 'active'], ['omie', 'active'], ['conta_azul', 'error'], ['tiny', 'error']]) {
    const [c] = await sql`insert into public.erp_connections (company_id, erp_type, name, status, api_base_url, account_key,
                            created_at, next_sync_at)
                          values (${co.id}, ${erp.replace('2', '')}, ${erp}, ${status}, 'http://127.0.0.1:1', ${'acc-' + erp + co.id},
                                  ${at('00:00', -86400)}, now() + interval '1 day') returning id`;
    conns[erp] = c.id;
  }
  const [root] = await sql`insert into public.erp_sync_runs (source, started_at) values ('cron', ${at('00:00', 1)}) returning id`;
  const [cont] = await sql`insert into public.erp_sync_runs (source, parent_run_id, started_at)
                           values ('continuation', ${root.id}, ${at('00:02')}) returning id`;
  const log = async (conn: string, run: string, status: string, start: string, ms: number, synced: number, failed: number, details: unknown) =>
    await sql`insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, completed_at,
                duration_ms, records_synced, records_failed, details)
              values (${conn}, ${co.id}, ${run}, 'auto', ${status}, ${start}, ${new Date(Date.parse(start) + ms).toISOString()},
                      ${ms}, ${synced}, ${failed}, ${sql.json(details as never)})`;
  const ok = (n: number) => ({ status: 'success', synced: n, failed: 0 });
  await log(conns.bling, root.id, 'success', at('00:00', 2), 1000, 30, 0, { entities: { nfe: ok(20), products: ok(9), profile: ok(1) } });
  await log(conns.bling2, root.id, 'success', at('00:00', 5), 3000, 11, 0, { entities: { nfe: ok(10), profile: ok(1) } });
  await log(conns.omie, cont.id, 'partial', at('00:02', 1), 8000, 15, 2, {
    entities: {
      nfe: { status: 'success', synced: 15, failed: 2, errors: [{ code: 'NFE_INVALID_KEY', message: 'x' }, { code: 'NFE_INVALID_KEY', message: 'y' }] },
      financials: { status: 'error', synced: 0, failed: 0, error: { kind: 'transient', code: 'HTTP_503', message: 'x' } },
    },
  });
  await log(conns.conta_azul, cont.id, 'error', at('00:02', 3), 2000, 0, 0, {
    entities: { nfe: { status: 'error', synced: 0, failed: 0, error: { kind: 'auth', code: 'INVALID_GRANT', message: 'x' } } },
  });
  // The runs end (the engine's closeRun): the trigger writes the report when the last one closes.
  await sql`update public.erp_sync_runs set status = 'completed', completed_at = ${at('00:01')}, processed = 2 where id = ${root.id}`;
  await sql`update public.erp_sync_runs set status = 'completed', completed_at = ${at('00:03')}, processed = 2 where id = ${cont.id}`;
  return { night, companyId: co.id, runIds: [root.id, cont.id], conns };
}

async function dropSynthetic(sql: postgres.Sql, s: Synthetic) {
  await sql`delete from public.companies where id = ${s.companyId}`;
  await sql`delete from public.erp_sync_runs where id = any(${s.runIds}::uuid[])`;
  await sql`delete from public.erp_night_reports where night = ${s.night}`;
}

stackTest('night report: totals, by ERP, error codes, percentiles, records, window and invocations of one night', async (env) => {
  const sql = sqlFor(env);
  const s = await syntheticNight(sql);
  try {
    const [row] = await sql`select * from public.erp_night_reports where night = ${s.night}`;
    assert.ok(row, 'the report row was written when the last run of the night ended');
    const r = row.report;
    assert.deepEqual(r.totals, { due: 5, synced: 2, partial: 1, failed: 1, interrupted: 0, skipped: 1 });
    assert.equal(row.due, 5);
    assert.deepEqual(r.skipped_reasons, { in_error: 1 });
    assert.equal(r.by_erp.bling.synced, 2);
    assert.equal(r.by_erp.bling.p50_ms, 2000);
    assert.equal(r.by_erp.bling.p95_ms, 2900);
    assert.equal(r.by_erp.omie.partial, 1);
    assert.equal(r.by_erp.conta_azul.failed, 1);
    assert.equal(r.by_erp.tiny.skipped, 1);
    assert.deepEqual(r.by_error_code, { HTTP_503: 1, INVALID_GRANT: 1 });
    assert.deepEqual(r.record_error_codes, { NFE_INVALID_KEY: 2 });
    assert.deepEqual(r.records_by_entity.nfe, { synced: 45, failed: 2 });
    assert.deepEqual(r.records_by_entity.profile, { synced: 2, failed: 0 });
    assert.equal(r.invocations, 2);
    assert.equal(r.continuations, 1);
    // window: the cron run's start (00:00:01) → the last end (the continuation closed at 00:03:00)
    assert.equal(Number(r.window.seconds), 179);
    assert.equal(r.window.within_target, true);
    assert.equal(r.slowest[0].connection_id, s.conns.omie);
    assert.equal(r.slowest[0].duration_ms, 8000);
    assert.equal(r.complete, true);

    // Recomputing gives the same numbers (one row per night, rewritten in place).
    await sql`select public.erp_write_night_report(${s.night}::date)`;
    const rows = await sql`select report from public.erp_night_reports where night = ${s.night}`;
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].report.totals, r.totals);
  } finally {
    await dropSynthetic(sql, s);
    await sql.end();
  }
});

async function ops(env: TestStackEnv, path: string, headers: Record<string, string>) {
  const res = await fetch(`${env.FUNCTIONS_URL}/erp-ops${path}`, { headers });
  return { status: res.status, body: await res.json().catch(() => null) };
}

stackTest('erp-ops: the night report with the cron secret only; bad or unknown nights answered cleanly', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const s = await syntheticNight(sql);
  try {
    const secret = { Authorization: `Bearer ${env.ERP_AUTO_SYNC_SECRET}` };
    const ok = await ops(env, `?night=${s.night}`, secret);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.report.night, s.night);
    assert.deepEqual(ok.body.report.totals, { due: 5, synced: 2, partial: 1, failed: 1, interrupted: 0, skipped: 1 });
    assert.equal((await ops(env, `?night=${s.night}`, { apikey: env.ERP_AUTO_SYNC_SECRET })).status, 200);

    const user = await f.user();
    for (const [what, headers] of [
      ['no key', {}],
      ['anon key', { Authorization: `Bearer ${env.ANON_KEY}` }],
      ['a user JWT', { Authorization: `Bearer ${await f.userJwt(user)}` }],
      ['wrong secret', { Authorization: 'Bearer sb_secret_wrong_wrong_wrong_wrong' }],
    ] as Array<[string, Record<string, string>]>) {
      const r = await ops(env, `?night=${s.night}`, headers);
      assert.equal(r.status, 401, what);
      assert.ok(!JSON.stringify(r.body).includes('"totals"'), `${what}: no report data`);
    }
    const bad = await ops(env, '?night=ontem', secret);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /'night'/);
    const none = await ops(env, '?night=1999-01-01', secret);
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'NO_REPORT');
  } finally {
    await dropSynthetic(sql, s);
    await f.cleanup();
    await sql.end();
  }
});

stackTest('erp-ops overview: operators get the nights and the connections in alert; anyone else 403 and no data', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const s = await syntheticNight(sql);
  const operator = await f.user();
  try {
    const member = await f.user();
    await sql`insert into public.company_members (company_id, user_id) values (${s.companyId}, ${member})`;
    await sql`insert into public.erp_operators (user_id) values (${operator})`;
    const denied = await ops(env, '/overview', { Authorization: `Bearer ${await f.userJwt(member)}` });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'NOT_AN_OPERATOR');
    assert.equal(denied.body.nights, undefined);
    assert.equal((await ops(env, '/overview', {})).status, 401);
    assert.equal((await ops(env, '/overview', { Authorization: `Bearer ${env.ERP_AUTO_SYNC_SECRET}` })).status, 401,
      'the cron secret is not an operator');

    const r = await ops(env, '/overview', { Authorization: `Bearer ${await f.userJwt(operator)}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.nights.length >= 1);
    const mine = r.body.attention.filter((c: { connection_id: string }) => Object.values(s.conns).includes(c.connection_id));
    assert.deepEqual(mine.map((c: { connection_name: string }) => c.connection_name).sort(), ['conta_azul', 'tiny'],
      'the connections in error are listed');
  } finally {
    await sql`delete from public.erp_operators where user_id = ${operator}`;
    await dropSynthetic(sql, s);
    await f.cleanup();
    await sql.end();
  }
});

stackTest('night report: a real run writes tonight\'s report when it ends', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const p = await f.connection({ erp: 'bling', nfeCount: 2, productCount: 2, financialCount: 2 });
    const res = await f.autoSync({ source: 'ops', connection_ids: [p.connectionId] });
    assert.equal(res.status, 200);
    const [run] = await sql`select started_at, completed_at, public.erp_night_of(started_at) as night
                            from public.erp_sync_runs where id = ${res.body.run_id}`;
    const [row] = await sql`select computed_at, report from public.erp_night_reports where night = ${run.night}`;
    assert.ok(row, 'a report row for the night of the run');
    assert.ok(row.computed_at >= run.started_at, 'written after this run');
    assert.ok(row.report.syncs >= 1);
    assert.ok(row.report.by_erp.bling.synced >= 1);
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

stackTest('night report: two runs of a night ending at the same moment still write it', async (env) => {
  const sql = sqlFor(env, 4);
  const ids: string[] = [];
  try {
    const [a] = await sql`insert into public.erp_sync_runs (source) values ('ops') returning id, started_at, public.erp_night_of(started_at) as night`;
    const [b] = await sql`insert into public.erp_sync_runs (source) values ('ops') returning id`;
    ids.push(a.id, b.id);
    const [{ before }] = await sql`select clock_timestamp() as before`;
    // Each run closes in its own transaction; the first stays open while the second closes.
    const tx1 = await sql.reserve();
    const tx2 = await sql.reserve();
    try {
      await tx1`begin`;
      await tx1`update public.erp_sync_runs set status = 'completed', completed_at = now() where id = ${a.id}`;
      const [{ pid }] = await tx2`select pg_backend_pid() as pid`;
      await tx2`begin`;
      let done = false;
      const second = tx2`update public.erp_sync_runs set status = 'completed', completed_at = now() where id = ${b.id}`
        .then(() => (done = true));
      // The second close is either finished (it did not wait for the first) or waiting for the first's lock.
      await waitFor(async () => {
        const [w] = await sql`select wait_event_type from pg_stat_activity where pid = ${pid}`;
        return done || w?.wait_event_type === 'Lock';
      }, 15_000, 20);
      await tx1`commit`;
      await second;
      await tx2`commit`;
    } finally {
      tx1.release();
      tx2.release();
    }
    const [row] = await sql`select computed_at, report from public.erp_night_reports where night = ${a.night}`;
    assert.ok(row, 'a report for the night');
    assert.ok(row.computed_at >= before, `rewritten when the last of the two ended (${row.computed_at.toISOString()})`);
    assert.equal(row.report.complete, true);
  } finally {
    await sql`delete from public.erp_sync_runs where id = any(${ids}::uuid[])`;
    await sql.end();
  }
});

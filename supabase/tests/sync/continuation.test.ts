// A continuation carries the function's own secret (issue 13.7): a caller that presents the anon key as Bearer
// and the secret as apikey is authorised, and the chains it starts must be authorised too. A cron call on a
// night with more free due rows than one invocation takes starts side-by-side chains (continuations of its run).
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

stackTest('chains started by a call authorised through apikey (anon key as Bearer) are authorised too', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const [{ since }] = await sql`select now() as since`;
  try {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await f.connection({ erp: 'omie', nfeCount: 1, productCount: 1, financialCount: 1 })).connectionId);
    const r = await f.autoSync({ source: 'cron', concurrency: 1 }, {
      Authorization: `Bearer ${env.ANON_KEY}`,
      apikey: env.ERP_AUTO_SYNC_SECRET,
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const runId = r.body.run_id;
    // The side-by-side chains open their own runs, continuing this one.
    const children = await waitFor(async () => {
      const rows = await sql`select id from public.erp_sync_runs where parent_run_id = ${runId}`;
      const [{ open }] = await sql`select count(*)::int as open from public.erp_sync_runs where id = ${runId} and status = 'running'`;
      return rows.length > 0 ? rows : open === 0 ? [] : null;
    }, 60_000, 200);
    assert.ok(children.length > 0, 'the run started continuations that were admitted');
    await waitFor(async () => {
      const [{ n }] = await sql`select count(*)::int as n from public.erp_connections where id = any(${ids}::uuid[]) and last_sync_at is not null`;
      return n === ids.length;
    }, 90_000, 500);
  } finally {
    await waitFor(async () => {
      const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_runs where status = 'running' and started_at >= ${since}`;
      return n === 0;
    }, 90_000, 500).catch(() => {});
    await f.cleanup();
    await sql.end();
  }
});

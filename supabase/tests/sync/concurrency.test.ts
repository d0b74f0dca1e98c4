// Two erp-auto-sync invocations and a manual sync at once never sync one connection twice: the lease and the
// one-running-log index let exactly one of them through per connection, and no row is doubled.
import assert from 'node:assert/strict';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, simAdmin } from './fixtures.ts';

stackTest('concurrent runs and a manual sync never sync a connection twice', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const user = await f.user();
    const conns = [
      await f.connection({ erp: 'omie', memberIds: [user] }),
      await f.connection({ erp: 'omie', memberIds: [user] }),
      await f.connection({ erp: 'tiny', memberIds: [user] }),
    ];
    const ids = conns.map((c) => c.connectionId);
    await simAdmin(env, 'omie', 'knobs', { latencyMs: 40 });
    await simAdmin(env, 'tiny', 'knobs', { latencyMs: 40 });
    try {
      const jwt = await f.userJwt(user);
      const [a, b, manual] = await Promise.all([
        f.autoSync({ source: 'ops', connection_ids: ids, concurrency: 2 }),
        f.autoSync({ source: 'ops', connection_ids: ids, concurrency: 2 }),
        f.syncNow(ids[0], jwt),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.ok([202, 409].includes(manual.status), `manual: ${manual.status}`);
      // Wait for the manual one to finish if it started.
      for (let i = 0; i < 300; i++) {
        const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs where connection_id = any(${ids}::uuid[]) and status = 'running'`;
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const processed = a.body.processed + b.body.processed;
      const manualRan = manual.status === 202 ? 1 : 0;
      const logs = await sql`select connection_id, sync_type, status, started_at, completed_at from public.erp_sync_logs
                             where connection_id = any(${ids}::uuid[]) order by started_at`;
      assert.equal(logs.length, processed + manualRan, 'one log per sync that ran');
      for (const id of ids) {
        const mine = logs.filter((l) => l.connection_id === id);
        const autos = mine.filter((l) => l.sync_type === 'auto');
        assert.ok(autos.length <= 1, 'at most one nightly sync per connection');
        // Never two syncs of one connection at the same time.
        for (let i = 1; i < mine.length; i++) assert.ok(mine[i].started_at >= mine[i - 1].completed_at, 'no overlap');
        if (id !== ids[0]) assert.equal(autos.length, 1, 'every due connection was synced by one of the runs');
      }
      assert.ok(logs.every((l) => l.status === 'success'), JSON.stringify(logs.map((l) => l.status)));
      for (const c of conns) {
        const [{ n, d }] = await sql`select count(*)::int as n, count(distinct access_key)::int as d
                                     from public.xml_imports where company_id = ${c.companyId}`;
        assert.equal(n, d, 'no duplicate notes');
      }
    } finally {
      await simAdmin(env, 'omie', 'knobs', { latencyMs: 0 });
      await simAdmin(env, 'tiny', 'knobs', { latencyMs: 0 });
    }
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

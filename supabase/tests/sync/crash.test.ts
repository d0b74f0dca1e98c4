// Kill the functions process mid-sync: the next run recovers the stale log as 'interrupted', completes the
// work from the saved checkpoints, and no row is doubled.
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { Fixture, simAdmin } from './fixtures.ts';

const root = new URL('../../../', import.meta.url).pathname;

async function restartFunctions() {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${root}dev/stack/stack.ts`, '--profile', 'test', 'restart', 'functions'],
    stdout: 'null',
    stderr: 'piped',
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

stackTest('a sync killed mid-run is marked interrupted and the next run completes it without duplicates', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const p = await f.connection({ erp: 'conta_azul', nfeCount: 30 });
    await simAdmin(env, 'conta_azul', 'knobs', { latencyMs: 400 });
    let stopped = false;
    try {
      // Start the run and let it get some pages in.
      const pending = f.autoSync({ source: 'ops', connection_ids: [p.connectionId] }).catch(() => null);
      // The first page has landed (its checkpoint is saved right after it): kill now.
      await waitFor(async () => {
        const rows = await sql`select 1 from public.erp_sync_checkpoints where connection_id = ${p.connectionId}`;
        return rows.length > 0;
      }, 60_000, 50);
      await restartFunctions(); // the process dies with the sync in flight
      stopped = true;
      await pending;
    } finally {
      await simAdmin(env, 'conta_azul', 'knobs', { latencyMs: 0 });
    }
    assert.ok(stopped);
    const [stale] = await f.logs(p.connectionId);
    assert.equal(stale.status, 'running', 'the dead sync left its log running');
    const midway = (await sql`select count(*)::int as n from public.xml_imports where company_id = ${p.companyId}`)[0].n;

    // Right away the connection is still leased: nothing to do yet.
    const early = await f.autoSync({ source: 'ops', connection_ids: [p.connectionId] });
    assert.equal(early.body.processed, 0);
    const runIds: string[] = [early.body.run_id];

    // After the lease expires (10 s on the test stack), the next run recovers and completes.
    const done = await waitFor(async () => {
      const r = await f.autoSync({ source: 'ops', connection_ids: [p.connectionId] });
      runIds.push(r.body.run_id);
      return r.body.processed === 1 ? r.body : null;
    }, 60_000, 1000);
    assert.equal(done.results[0].status, 'success', JSON.stringify(done.results[0]));
    const logs = await f.logs(p.connectionId);
    assert.equal(logs.length, 2);
    assert.equal(logs[0].status, 'interrupted');
    assert.match(logs[0].error_message, /interrompida/);
    assert.equal(logs[1].status, 'success');

    const [{ n, d }] = await sql`select count(*)::int as n, count(distinct access_key)::int as d
                                 from public.xml_imports where company_id = ${p.companyId}`;
    assert.equal(n, d, 'no duplicate notes');
    assert.ok(n >= midway);
    const [{ items, distinctItems }] = await sql`
      select count(*)::int as items, count(distinct (xml_import_id, item_number))::int as "distinctItems"
      from public.xml_import_items where company_id = ${p.companyId}`;
    assert.equal(items, distinctItems, 'no duplicate items');
    // The dead log and the lapsed lease may be cleaned up by the run that completes the sync or by one just before
    // it (the lease and the heartbeat lapse a moment apart, and a run can look between them): the runs report it.
    const [{ recovered }] = await sql`select sum(recovered)::int as recovered from public.erp_sync_runs
                                       where id = any(${runIds}::uuid[])`;
    assert.ok(recovered >= 1, 'the runs report what they recovered');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

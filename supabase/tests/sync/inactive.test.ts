// The engine never switches an inactive connection back on (issue 13.2): a sync of a connection read as
// inactive, and a connection an admin switches off while its sync runs, both end 'inactive'.
import assert from 'node:assert/strict';
import { getConnection } from '../../functions/_shared/db/connections.ts';
import { adapterFor } from '../../functions/_shared/sync/adapter-context.ts';
import { type EngineDeps, syncConnection } from '../../functions/_shared/sync/engine.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

stackTest('a sync never writes active over an inactive connection', async (env) => {
  const sql = sqlFor(env, 4);
  const f = new Fixture(sql, env);
  try {
    const deps = (trigger: EngineDeps['trigger']): EngineDeps => ({
      sql: sql as never,
      now: () => new Date(),
      adapterFor: (conn, signal) => adapterFor(sql as never, conn, signal),
      importNfe: importNfeDocuments,
      trigger,
      leaseSeconds: 30,
      owner: 'inactive-test',
    });
    const ok: EngineDeps['trigger'] = (fn) => Promise.resolve({ function: fn, ok: true, status: 200 });

    // Read as inactive (a manual sync that got through, or a row switched off after the claim read it).
    const a = await f.connection({ erp: 'omie', nfeCount: 2 });
    await sql`update public.erp_connections set status = 'inactive', lease_owner = 'inactive-test',
              lease_expires_at = now() + interval '1 minute' where id = ${a.connectionId}`;
    const outA = await syncConnection(deps(ok), (await getConnection(sql as never, a.connectionId))!, { syncType: 'manual', runId: null });
    assert.equal(outA.status, 'success');
    const ca = await f.conn(a.connectionId);
    assert.equal(ca.status, 'inactive');
    assert.equal(ca.lease_owner, null, 'lease released');

    // Switched off by an admin while its sync runs (the first follow-up trigger does it).
    const b = await f.connection({ erp: 'omie', nfeCount: 2 });
    await sql`update public.erp_connections set lease_owner = 'inactive-test', lease_expires_at = now() + interval '1 minute'
              where id = ${b.connectionId}`;
    const connB = (await getConnection(sql as never, b.connectionId))!;
    assert.equal(connB.status, 'active');
    let switchedOff = false;
    const outB = await syncConnection(deps(async (fn) => {
      if (!switchedOff) {
        switchedOff = true;
        await sql`update public.erp_connections set status = 'inactive' where id = ${b.connectionId}`;
      }
      return { function: fn, ok: true, status: 200 };
    }), connB, { syncType: 'auto', runId: null });
    assert.ok(switchedOff);
    assert.equal(outB.status, 'success');
    assert.equal((await f.conn(b.connectionId)).status, 'inactive');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

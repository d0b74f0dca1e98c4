// The wall-clock budget: an invocation stops claiming when its budget is spent, reports what remains due,
// and asks to be continued; the continuation (another invocation) finishes the rest. Driven in-process
// against the test stack's database and simulators, with the engine's real dependencies.
import assert from 'node:assert/strict';
import { adapterFor } from '../../functions/_shared/sync/adapter-context.ts';
import type { EngineDeps } from '../../functions/_shared/sync/engine.ts';
import { executeRun, openAutoSyncRun, type RunRequest } from '../../functions/_shared/sync/orchestrator.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

stackTest('a spent budget hands the remaining due connections to a continuation', async (env) => {
  const sql = sqlFor(env, 4);
  const f = new Fixture(sql, env);
  try {
    const conns = [
      await f.connection({ erp: 'omie', nfeCount: 2 }),
      await f.connection({ erp: 'omie', nfeCount: 2 }),
      await f.connection({ erp: 'conta_azul', nfeCount: 2 }),
    ];
    const ids = conns.map((c) => c.connectionId);
    const deps = (owner: string): EngineDeps => ({
      sql: sql as never,
      now: () => new Date(),
      adapterFor: (conn, signal) => adapterFor(sql as never, conn, signal),
      importNfe: importNfeDocuments,
      trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 200 }),
      leaseSeconds: 30,
      owner,
    });
    // Budget of zero: the invocation claims nothing and says everything is still due.
    const req: RunRequest = { source: 'cron' };
    const first = (await openAutoSyncRun(sql as never, req, new Date(), 30))!;
    const none = await executeRun(deps('budget-0'), first.runId, 0, { ...req, connectionIds: ids }, { claimMs: 0, maxConcurrency: 4 });
    assert.equal(none.processed, 0);
    assert.equal(none.remaining, 3);

    // A budget that allows one claim (a fake clock: 1 ms passes per reading): one processed, the rest remain.
    let t = 0;
    const tight = await executeRun(deps('budget-1'), first.runId, 0, { source: 'cron', connectionIds: ids }, {
      claimMs: 2,
      maxConcurrency: 1,
    }, { clock: () => t++ });
    assert.equal(tight.processed, 1);
    assert.equal(tight.remaining, 2);
    assert.equal(tight.stopped_by, 'wall');

    // The continuation finishes the rest; nothing is synced twice.
    const cont = (await openAutoSyncRun(sql as never, { source: 'cron', continuationOf: first.runId }, new Date(), 30))!;
    const rest = await executeRun(deps('budget-2'), cont.runId, 0, { source: 'cron', connectionIds: ids, continuationOf: first.runId }, {
      claimMs: 60_000,
      maxConcurrency: 2,
    });
    assert.equal(rest.processed, 2);
    assert.equal(rest.remaining, 0);
    const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs where connection_id = any(${ids}::uuid[])`;
    assert.equal(n, 3, 'each connection synced exactly once across the invocations');
    const [run] = await sql`select source, parent_run_id from public.erp_sync_runs where id = ${cont.runId}`;
    assert.equal(run.source, 'continuation');
    assert.equal(run.parent_run_id, first.runId);
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

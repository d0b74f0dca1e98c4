// The night at scale, on the stack's database (issue 14): a sync stops at its deadline (checkpoint saved, log
// 'interrupted', lease released, still due) and the next sync resumes from the checkpoint; countDue leaves
// leased rows out; the run row is an admission ticket under the chain ceiling.
import assert from 'node:assert/strict';
import type { Checkpoint, ErpAdapter, Page, Product } from '../../functions/_shared/adapters/contract.ts';
import { countDue, getConnection } from '../../functions/_shared/db/connections.ts';
import { markHandedOn, openRun } from '../../functions/_shared/db/sync-logs.ts';
import { type EngineDeps, syncConnection } from '../../functions/_shared/sync/engine.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

const product = (id: string): Product => ({
  externalId: id,
  code: id,
  name: `Produto ${id}`,
  ncm: '61091000',
  cest: null,
  unit: 'UN',
  price: '10.00',
  active: true,
});

stackTest('at its deadline a sync saves its checkpoint, ends interrupted, releases the lease; the next one resumes', async (env) => {
  const sql = sqlFor(env, 4);
  const f = new Fixture(sql, env);
  try {
    const p = await f.connection({ erp: 'omie', syncConfig: { entities: { nfe: false, financials: false, profile: false } } });
    // A fake clock: the adapter moves it past the deadline while "fetching" page 2.
    let now = new Date('2026-12-03T03:00:00Z');
    const deadline = new Date(now.getTime() + 60_000);
    const seen: Array<Checkpoint | null> = [];
    const adapter = (): ErpAdapter => ({
      erp: 'omie',
      capabilities: { nfeIssued: false, nfeReceived: false, products: true, financials: false, profile: false },
      nfe: () => (async function* () {})(),
      financials: () => (async function* () {})(),
      profile: () => Promise.reject(new Error('not used')),
      products: (from) => {
        seen.push(from);
        return (async function* (): AsyncIterable<Page<Product>> {
          if (!from) yield { records: [product('a'), product('b')], failed: [], checkpoint: { page: 1 } };
          now = new Date(now.getTime() + 3_600_000); // page 2 takes an hour
          yield { records: [product('c')], failed: [], checkpoint: { page: 2, phase: 'done' } };
        })();
      },
    });
    const deps: EngineDeps = {
      sql: sql as never,
      now: () => now,
      adapterFor: adapter,
      importNfe: importNfeDocuments,
      trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 200 }),
      leaseSeconds: 600,
      owner: 'deadline-test',
    };
    await sql`update public.erp_connections set lease_owner = 'deadline-test', lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    const first = await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, { syncType: 'auto', runId: null, deadline });
    assert.equal(first.status, 'interrupted');
    const [log] = await f.logs(p.connectionId);
    assert.equal(log.status, 'interrupted');
    assert.match(log.error_message, /limite de tempo/);
    const c = await f.conn(p.connectionId);
    assert.equal(c.lease_owner, null, 'lease released');
    assert.equal(c.next_sync_at, null, 'still due');
    assert.equal(c.consecutive_failures, 0, 'not a failure');
    assert.equal(c.status, 'active');
    const [cp] = await sql`select checkpoint from public.erp_sync_checkpoints where connection_id = ${p.connectionId} and entity = 'products'`;
    assert.deepEqual(cp.checkpoint, { page: 1 }, 'the last page that landed');
    const [{ n }] = await sql`select count(*)::int as n from public.company_products where connection_id = ${p.connectionId}`;
    assert.equal(n, 2);

    // The next sync (no deadline) resumes after page 1.
    await sql`update public.erp_connections set lease_owner = 'deadline-test', lease_expires_at = now() + interval '10 minutes'
              where id = ${p.connectionId}`;
    const second = await syncConnection(deps, (await getConnection(sql as never, p.connectionId))!, { syncType: 'auto', runId: null });
    assert.equal(second.status, 'success');
    assert.deepEqual(seen, [null, { page: 1 }]);
    const [{ m }] = await sql`select count(*)::int as m from public.company_products where connection_id = ${p.connectionId}`;
    assert.equal(m, 3);
    assert.ok((await f.conn(p.connectionId)).next_sync_at, 'rescheduled after the sync that finished');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

stackTest('countDue counts the due rows nobody holds', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const a = await f.connection({ erp: 'tiny' });
    const b = await f.connection({ erp: 'tiny' });
    const ids = [a.connectionId, b.connectionId];
    assert.equal(await countDue(sql as never, new Date(), ids), 2);
    await sql`update public.erp_connections set lease_owner = 'x', lease_expires_at = now() + interval '1 minute' where id = ${a.connectionId}`;
    assert.equal(await countDue(sql as never, new Date(), ids), 1, 'a leased row is being worked on');
    await sql`update public.erp_connections set lease_expires_at = now() - interval '1 minute' where id = ${a.connectionId}`;
    assert.equal(await countDue(sql as never, new Date(), ids), 2, 'an expired lease is free again');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

stackTest('a run row is admitted only under the chain ceiling; a run that handed on no longer counts', async (env) => {
  const sql = sqlFor(env);
  const ids: string[] = [];
  try {
    // Only runs started after this instant count here (earlier tests' rows are left out).
    const [{ t }] = await sql`select clock_timestamp() as t`;
    const open = async () => {
      const r = await openRun(sql as never, { source: 'cron', parentRunId: null, dryRun: false, recovered: 0, ceiling: 2, aliveAfter: t });
      if (r) ids.push(r.id);
      return r;
    };
    const [x, y] = await Promise.all([open(), open()]);
    assert.ok(x && y);
    assert.deepEqual([x.alive, y.alive].sort(), [1, 2], 'two at once count each other');
    assert.equal(await open(), null, 'the ceiling is reached');
    await markHandedOn(sql as never, x.id);
    const z = await open();
    assert.ok(z, 'the continuation of a chain that handed on is admitted');
    assert.equal(z.alive, 2);
  } finally {
    await sql`delete from public.erp_sync_runs where id = any(${ids}::uuid[])`;
    await sql.end();
  }
});

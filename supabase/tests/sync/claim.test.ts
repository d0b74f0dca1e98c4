// The claim (db/connections.ts claimNextDue), in-process on the test stack's database:
//  - row locking: a row another claimer holds is skipped at once — never waited for, never taken twice;
//  - the lease: a live lease (its own, or a sibling's on the same ERP account) keeps a connection from being
//    claimed; an expired one does not;
//  - the heartbeat: it extends a live lease we hold and never revives a lapsed one (claims had counted it free);
//  - a claim that waited (the claims' shared lock) still gets its whole lease.
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { claimNextDue, countDue, leaseConnection, listDue, renewLease } from '../../functions/_shared/db/connections.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, withFixture } from './fixtures.ts';

const claim = (sql: postgres.Sql, ids: string[], owner = 'claim-test') =>
  claimNextDue(sql as never, new Date(), owner, 60, { ids });

stackTest('claim: a row another claimer holds is skipped, not waited for nor taken', async (env) => {
  const sql = sqlFor(env);
  // Correct code never waits for a row lock: a wait here is the bug, cut short by lock_timeout.
  const claimer = postgres(env.DB_URL, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { lock_timeout: 5000 },
  });
  const f = new Fixture(sql, env);
  try {
    const c = await f.connection({ erp: 'tiny', nfeCount: 1, productCount: 1, financialCount: 1 });
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = ${c.connectionId}`;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = sql.begin(async (tx) => {
      await tx`select 1 from public.erp_connections where id = ${c.connectionId} for update`;
      locked();
      await held;
    });
    await isLocked;
    try {
      assert.equal(await claim(claimer, [c.connectionId]), null, 'the held row is skipped');
    } finally {
      release();
      await holder;
    }
    const got = await claim(claimer, [c.connectionId], 'claim-test-2');
    assert.equal(got?.id, c.connectionId, 'free again: claimed');
    const [row] = await sql`select lease_owner from public.erp_connections where id = ${c.connectionId}`;
    assert.equal(row.lease_owner, 'claim-test-2');
  } finally {
    await f.cleanup();
    await claimer.end();
    await sql.end();
  }
});

stackTest(
  'claim: a live lease (own or a sibling on the same account) blocks, an expired one does not',
  async (env) => {
    const sql = sqlFor(env);
    const f = new Fixture(sql, env);
    try {
      const a = await f.connection({ erp: 'tiny', nfeCount: 1, productCount: 1, financialCount: 1 });
      const b = await f.connection({ erp: 'tiny', nfeCount: 1, productCount: 1, financialCount: 1 });
      const ids = [a.connectionId, b.connectionId];
      await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute', account_key = ${
        'claim-test:' + a.accountId
      } where id = any(${ids}::uuid[])`;
      const lease = async (id: string, seconds: number) =>
        await sql`update public.erp_connections set lease_owner = 'someone-else',
                lease_expires_at = now() + make_interval(secs => ${seconds}) where id = ${id}`;

      await lease(a.connectionId, 3600);
      assert.equal(await claim(sql, [a.connectionId]), null, 'a live lease is not taken over');
      const manual = () => leaseConnection(sql as never, a.connectionId, new Date(), 'manual-test', 60);
      assert.equal(await manual(), null, 'nor by a manual sync');
      assert.equal(
        await claim(sql, [b.connectionId]),
        null,
        'nor is its sibling on the same ERP account claimed',
      );

      await lease(a.connectionId, -5);
      assert.equal((await manual())?.id, a.connectionId, 'an expired lease is taken over by a manual sync');
      await lease(a.connectionId, -5);
      const got = await claim(sql, [a.connectionId]);
      assert.equal(got?.id, a.connectionId, 'an expired lease is taken over');
      await sql`update public.erp_connections set lease_owner = null, lease_expires_at = null where id = ${a.connectionId}`;
      await lease(a.connectionId, -5);
      assert.equal(
        (await claim(sql, [b.connectionId]))?.id,
        b.connectionId,
        "a sibling's expired lease does not block",
      );
    } finally {
      await f.cleanup();
      await sql.end();
    }
  },
);

stackTest('claim: one statement leases the connection and opens its running log, with the checkpoints', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const a = await f.connection({ erp: 'omie' });
    const b = await f.connection({ erp: 'omie' });
    await sql`insert into public.erp_sync_checkpoints (connection_id, entity, checkpoint, synced_through)
              values (${a.connectionId}, 'nfe', '{"done": true}', '2026-12-01')`;
    const now = new Date();
    const got = await claimNextDue(sql as never, now, 'claim-open', 60, { ids: [a.connectionId], openLog: { runId: null } });
    assert.equal(got?.id, a.connectionId);
    assert.ok(got.opened, 'the log was opened by the claim');
    const [log] = await sql`select id, status, sync_type, started_at from public.erp_sync_logs where connection_id = ${a.connectionId}`;
    assert.deepEqual([log.id, log.status, log.sync_type], [got.opened.id, 'running', 'auto']);
    assert.equal(log.started_at.getTime(), now.getTime());
    assert.deepEqual(got.opened.checkpoints.get('nfe'), { checkpoint: { done: true }, synced_through: '2026-12-01', finished_at: null });
    assert.equal(got.opened.checkpoints.size, 1);

    // A log left running by a holder that died: the claim leases the connection, the engine takes the log over.
    await sql`insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, heartbeat_at)
              values (${b.connectionId}, ${b.companyId}, 'auto', 'running', now() - interval '1 hour', now() - interval '1 hour')`;
    const taken = await claimNextDue(sql as never, new Date(), 'claim-open', 60, { ids: [b.connectionId], openLog: { runId: null } });
    assert.equal(taken?.id, b.connectionId);
    assert.equal(taken.opened, null, 'no second running log');
    assert.equal((await f.conn(b.connectionId)).lease_owner, 'claim-open');

    // Without openLog nothing is opened.
    await sql`update public.erp_connections set lease_owner = null, lease_expires_at = null where id = ${a.connectionId}`;
    await sql`update public.erp_sync_logs set status = 'success', completed_at = now() where connection_id = ${a.connectionId}`;
    const bare = await claimNextDue(sql as never, new Date(), 'claim-bare', 60, { ids: [a.connectionId] });
    assert.equal(bare?.opened, null);
    const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs where connection_id = ${a.connectionId} and status = 'running'`;
    assert.equal(n, 0);
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

stackTest('renewLease extends a live lease we hold; a lapsed one is not revived', async (env) => {
  await withFixture(env, undefined, async (sql, f) => {
    const a = await f.connection({ erp: 'omie' });
    const hold = (owner: string, seconds: number) =>
      sql`update public.erp_connections set lease_owner = ${owner},
            lease_expires_at = now() + make_interval(secs => ${seconds}) where id = ${a.connectionId}`;
    const expiresIn = async () => (await f.conn(a.connectionId)).lease_expires_at.getTime() - Date.now();

    await hold('beat-test', 5);
    assert.equal(await renewLease(sql as never, a.connectionId, 'beat-test', 600), true, 'a live lease is kept');
    assert.ok(await expiresIn() > 500_000, 'and extended by the lease length');
    assert.equal(await renewLease(sql as never, a.connectionId, 'other', 600), false, 'only by its holder');

    // Lapsed and nobody took it: the in-flight cap and the claims already counted it free, so reviving it would
    // put one sync more in flight than the cap (the backlog chaos scenario once saw 25 against 24).
    await hold('beat-test', -1);
    assert.equal(await renewLease(sql as never, a.connectionId, 'beat-test', 600), false, 'a lapsed lease is lost');
    assert.ok(await expiresIn() < 0, 'and stays lapsed');
  });
});

stackTest('a claim that waited for the claims’ lock still gets its whole lease', async (env) => {
  await withFixture(env, undefined, async (sql, f) => {
    const a = await f.connection({ erp: 'bling' });
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = ${a.connectionId}`;
    // Under the in-flight cap every claim queues on one advisory lock (erp_claim_next_due): hold it for a while.
    const waitMs = 1500;
    const holder = sql.reserve();
    const h = await holder;
    try {
      await h`select pg_advisory_lock(hashtextextended('erp-auto-sync:claim', 0))`;
      const now = new Date();
      const claimed = claimNextDue(sql as never, now, 'claim-wait', 60, { ids: [a.connectionId], maxInFlight: 1000 });
      await new Promise((r) => setTimeout(r, waitMs));
      await h`select pg_advisory_unlock(hashtextextended('erp-auto-sync:claim', 0))`;
      assert.equal((await claimed)?.id, a.connectionId);
      const lease = (await f.conn(a.connectionId)).lease_expires_at.getTime() - now.getTime();
      // Before: exactly 60 s from the caller's clock reading, whatever the wait (60,000 ms).
      assert.ok(lease >= 60_000 + waitMs - 100, `the lease runs from when it was taken: ${lease} ms from the call`);
    } finally {
      h.release();
    }
  });
});

// A client whose array types never arrived (its first connection's type fetch was cut by a terminated backend: seen
// in session_end.test.ts) sent JS arrays as plain text: "malformed array literal" for "Sincronizar agora".
stackTest('a client without the driver\'s array types still leases, lists and counts by id', async (env) => {
  await withFixture(env, undefined, async (sql, f) => {
    const a = await f.connection({ erp: 'tiny' });
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = ${a.connectionId}`;
    const bare = postgres(env.DB_URL, { max: 1, prepare: false, fetch_types: false, onnotice: () => {} });
    try {
      const now = new Date();
      assert.equal((await listDue(bare as never, now, [a.connectionId])).length, 1);
      assert.equal(await countDue(bare as never, now, [a.connectionId]), 1);
      assert.equal((await leaseConnection(bare as never, a.connectionId, now, 'no-types', 60))?.id, a.connectionId);
    } finally {
      await bare.end();
    }
  });
});

// erp-sync ("Sincronizar agora"): the user's JWT is verified; only members may sync; 404 unknown; 409 when
// already running; otherwise 202 with the log id and a 'manual' log that completes in the background.
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { Fixture, simAdmin } from './fixtures.ts';

stackTest('erp-sync: JWT checks, membership, 404, 202 + manual log, 409 while running', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const alice = await f.user();
    const bob = await f.user();
    const a = await f.connection({ erp: 'omie', memberIds: [alice] });
    const b = await f.connection({ erp: 'tiny', memberIds: [bob] });
    const aliceJwt = await f.userJwt(alice);

    assert.equal((await f.syncNow(a.connectionId, null)).status, 401, 'no JWT');
    assert.equal((await f.syncNow(a.connectionId, await f.userJwt(alice, { secret: 'not-the-secret-not-the-secret!!' }))).status, 401, 'forged');
    assert.equal((await f.syncNow(a.connectionId, await f.userJwt(alice, { expiresIn: '-1m' }))).status, 401, 'expired');
    assert.equal((await f.syncNow(a.connectionId, await f.userJwt(alice, { aud: 'someone-else' }))).status, 401, 'wrong audience');
    assert.equal((await f.syncNow(a.connectionId, env.ANON_KEY)).status, 401, 'the anon key is not a user');
    const unsigned = [btoa('{"alg":"none"}'), btoa(JSON.stringify({ sub: alice, role: 'authenticated', aud: 'authenticated' })), '']
      .join('.').replace(/=/g, '');
    assert.equal((await f.syncNow(a.connectionId, unsigned)).status, 401, 'unsigned');

    const foreign = await f.syncNow(b.connectionId, aliceJwt);
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'NOT_A_MEMBER');
    assert.equal((await f.syncNow(crypto.randomUUID(), aliceJwt)).status, 404);
    assert.equal((await f.syncNow('nope', aliceJwt)).status, 400);
    assert.equal((await f.logs(b.connectionId)).length, 0, 'nothing ran for the foreign connection');

    // Slow the simulator so the sync is still running when we ask again.
    await simAdmin(env, 'omie', 'knobs', { latencyMs: 150 });
    try {
      const started = await f.syncNow(a.connectionId, aliceJwt);
      assert.equal(started.status, 202);
      assert.ok(started.body.log_id);
      const second = await f.syncNow(a.connectionId, aliceJwt);
      assert.equal(second.status, 409);
      assert.equal(second.body.error.code, 'SYNC_ALREADY_RUNNING');
      assert.equal(second.body.error.details.log_id, started.body.log_id);
      const done = await waitFor(async () => {
        const [log] = await sql`select * from public.erp_sync_logs where id = ${started.body.log_id} and status <> 'running'`;
        return log;
      }, 60_000, 200);
      assert.equal(done.sync_type, 'manual');
      assert.equal(done.status, 'success', done.error_message);
      assert.ok(done.records_synced > 0);
      const c = await f.conn(a.connectionId);
      // A manual sync does not push the nightly slot: next_sync_at is the coming midnight.
      const nextMidnight = new Date(Date.UTC(c.last_sync_at.getUTCFullYear(), c.last_sync_at.getUTCMonth(), c.last_sync_at.getUTCDate() + 1));
      assert.equal(c.next_sync_at.toISOString(), nextMidnight.toISOString());
    } finally {
      await simAdmin(env, 'omie', 'knobs', { latencyMs: 0 });
    }
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

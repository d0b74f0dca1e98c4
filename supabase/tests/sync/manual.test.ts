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

async function syncNowRaw(env: { FUNCTIONS_URL: string }, connectionId: string, jwt: string) {
  const res = await fetch(`${env.FUNCTIONS_URL}/erp-sync`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ connection_id: connectionId }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json().catch(() => null) };
}

// Issue #13 item 1: after a crash, the expired lease is free but the dead sync's log still says 'running'.
stackTest('erp-sync after a crash: the stale running log becomes interrupted and the manual sync starts', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const alice = await f.user();
    const a = await f.connection({ erp: 'tiny', memberIds: [alice] });
    // What a crashed holder leaves: an expired lease and a running log with an old heartbeat.
    await sql`update public.erp_connections set lease_owner = 'manual:dead-process', lease_expires_at = now() - interval '1 minute'
              where id = ${a.connectionId}`;
    const [stale] = await sql`insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, heartbeat_at)
                              values (${a.connectionId}, ${a.companyId}, 'manual', 'running', now() - interval '10 minutes',
                                      now() - interval '9 minutes') returning id`;
    const started = await f.syncNow(a.connectionId, await f.userJwt(alice));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.notEqual(started.body.log_id, stale.id);
    const [old] = await sql`select status, completed_at from public.erp_sync_logs where id = ${stale.id}`;
    assert.equal(old.status, 'interrupted');
    assert.ok(old.completed_at);
    const done = await waitFor(async () => {
      const [log] = await sql`select * from public.erp_sync_logs where id = ${started.body.log_id} and status <> 'running'`;
      return log;
    }, 60_000, 200);
    assert.equal(done.status, 'success', done.error_message);
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

// Issue #13 item 2 (manual side): an inactive connection is refused; repeated clicks meet a cooldown (429).
stackTest('erp-sync refuses an inactive connection (409, pt-BR) and answers repeated clicks with 429 + Retry-After', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const alice = await f.user();
    const a = await f.connection({ erp: 'bling', memberIds: [alice] });
    const jwt = await f.userJwt(alice);

    await sql`update public.erp_connections set status = 'inactive' where id = ${a.connectionId}`;
    const refused = await syncNowRaw(env, a.connectionId, jwt);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'CONNECTION_INACTIVE');
    assert.match(refused.body.error.message, /desativada/);
    assert.equal((await f.logs(a.connectionId)).length, 0, 'nothing ran');
    const c = await f.conn(a.connectionId);
    assert.equal(c.status, 'inactive', 'still inactive');
    assert.equal(c.lease_owner, null, 'no lease left behind');

    await sql`update public.erp_connections set status = 'active' where id = ${a.connectionId}`;
    const first = await syncNowRaw(env, a.connectionId, jwt);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await waitFor(async () => {
      const [log] = await sql`select id from public.erp_sync_logs where id = ${first.body.log_id} and status <> 'running'`;
      return log;
    }, 60_000, 200);
    const again = await syncNowRaw(env, a.connectionId, jwt);
    assert.equal(again.status, 429, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'MANUAL_SYNC_COOLDOWN');
    assert.match(again.body.error.message, /Aguarde/);
    const wait = Number(again.retryAfter);
    assert.ok(wait > 0 && wait <= 300, `Retry-After ${again.retryAfter}`);
    assert.equal(again.body.error.details.retry_after_seconds, wait);
    assert.equal((await f.logs(a.connectionId)).length, 1, 'the refused click started nothing');
    assert.equal((await f.conn(a.connectionId)).lease_owner, null, 'no lease left behind');

    // Once the cooldown has passed (moved back in time, no sleeping), the next click starts a sync.
    await sql`update public.erp_sync_logs set started_at = started_at - interval '1 hour', completed_at = completed_at - interval '1 hour'
              where id = ${first.body.log_id}`;
    const later = await syncNowRaw(env, a.connectionId, jwt);
    assert.equal(later.status, 202, JSON.stringify(later.body));
    await waitFor(async () => {
      const [log] = await sql`select id from public.erp_sync_logs where id = ${later.body.log_id} and status <> 'running'`;
      return log;
    }, 60_000, 200);
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

// Issue #13 item 6: the token-refresh lock is transaction-scoped (pg_advisory_xact_lock, safe behind a
// transaction pooler: it cannot outlive its transaction) and bounded by lock_timeout (a waiter fails with a
// transient error instead of queueing forever).
import assert from 'node:assert/strict';
import { connect } from '../../functions/_shared/db/client.ts';
import { createCredentialsSecret, vaultCredentialStore } from '../../functions/_shared/db/credentials.ts';
import { isAppError } from '../../functions/_shared/errors.ts';
import { sqlFor, stackTest } from '../helpers.ts';

stackTest('token refresh lock: held inside a transaction, released with it, bounded by lock_timeout', async (env) => {
  const admin = sqlFor(env);
  const pool = connect(env.DB_URL, 4);
  const secretId = await createCredentialsSecret(pool, `test-refresh-${crypto.randomUUID()}`, { refresh_token: 'r-000001' });
  const advisoryHolders = async () =>
    await admin`select l.pid, a.state from pg_locks l join pg_stat_activity a using (pid)
                where l.locktype = 'advisory' and l.granted and a.application_name <> 'psql'
                  and l.objid = (hashtextextended(${'erp-refresh:' + secretId}, 0) & 4294967295)::oid`;
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  try {
    const store = vaultCredentialStore(pool, secretId, { lockTimeoutMs: 300 });
    const waiter = vaultCredentialStore(pool, secretId, { lockTimeoutMs: 300 });
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const first = store.withRefreshLock(async () => {
      await store.save({ refresh_token: 'r-000002' });
      inside();
      await held;
      return 'first';
    });
    await entered;
    const holders = await advisoryHolders();
    assert.equal(holders.length, 1, 'one holder of the refresh lock');
    assert.equal(holders[0].state, 'idle in transaction', 'the lock is held by an open transaction, not a session');

    // A second refresher gives up after lock_timeout with a transient error (the first still holds the lock).
    // (A deadline, not a timing assertion: without lock_timeout the waiter would block until `release()`.)
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const second = await Promise.race([
      waiter.withRefreshLock(() => Promise.resolve('second')).then(
        (v) => ({ ok: true as const, v }),
        (e) => ({ ok: false as const, e }),
      ),
      new Promise<{ ok: false; e: Error }>((r) => {
        deadline = setTimeout(() => r({ ok: false, e: new Error('the waiter was still queued after 15 s') }), 15_000);
      }),
    ]);
    clearTimeout(deadline);
    release();
    assert.equal(await first, 'first');
    assert.equal(second.ok, false, 'the waiter did not wait for ever');
    if (!second.ok) {
      assert.ok(isAppError(second.e), String(second.e));
      assert.equal(second.e.code, 'REFRESH_LOCK_TIMEOUT');
      assert.equal(second.e.kind, 'transient');
    }

    assert.equal((await advisoryHolders()).length, 0, 'released with the transaction');
    assert.deepEqual(await store.load(), { refresh_token: 'r-000002' }, 'the save committed');

    // A refresh that throws releases the lock too, and the next one gets it.
    await assert.rejects(store.withRefreshLock(() => Promise.reject(new Error('token endpoint down'))), /token endpoint down/);
    assert.equal((await advisoryHolders()).length, 0);
    assert.equal(await waiter.withRefreshLock(() => Promise.resolve('next')), 'next');
  } finally {
    release();
    await admin`delete from vault.secrets where id = ${secretId}`.catch(() => {});
    await pool.end();
    await admin.end();
  }
});

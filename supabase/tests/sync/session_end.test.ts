// A database restart (or a failover, or pg_terminate_backend) ends the session of every pooled connection that
// was busy. postgres.js 3.4 then hands the killed backend's 57P01 to the next statement of that connection, one it
// never sent (https://github.com/porsager/postgres/pull/1215). Seen in CI: "Sincronizar agora" right after the
// chaos suite's PostgreSQL restart answered 500. The work before an answer is sent again on a fresh session
// (retryOnSessionEnd); what still fails answers 503 DATABASE_UNAVAILABLE (respond.test.ts).
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { retryOnSessionEnd } from '../../functions/_shared/db/client.ts';
import { claimNextDue } from '../../functions/_shared/db/connections.ts';
import { sessionEnded } from '../../functions/_shared/errors.ts';
import { startManualSync } from '../../functions/_shared/sync/manual.ts';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { product, PRODUCTS_ONLY, productsOnly, testDeps, withFixture } from './fixtures.ts';

type TestEnv = Parameters<Parameters<typeof stackTest>[1]>[0];

/** A pool of one connection whose backend was terminated while it ran a statement: a busy connection at a restart. */
async function killedMidStatement(env: TestEnv, admin: postgres.Sql) {
  const tag = `session-end-${crypto.randomUUID().slice(0, 8)}`;
  const pool = postgres(env.DB_URL, { max: 1, prepare: false, onnotice: () => {}, connection: { application_name: tag } });
  // Connected first: the driver's own first queries (array types) run under the same application_name, and a kill
  // that lands on them instead leaves the pool without array types (claim.test.ts covers that client).
  await pool`select 1`;
  const busy = pool`select pg_sleep(30)`.then(() => null, (e) => e);
  await waitFor(
    async () => (await admin`select 1 from pg_stat_activity where application_name = ${tag} and state = 'active'`).length > 0,
    10_000,
    20,
  );
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${tag}`;
  assert.ok(await busy, 'the busy statement failed with its session');
  return pool;
}

const oneProduct = productsOnly(() =>
  (async function* () {
    yield { records: [product('p1')], failed: [], checkpoint: { phase: 'done' } };
  })()
);

stackTest('session end: after its backend was killed mid-statement, the pool\'s next statement is sent again', async (env) => {
  const admin = sqlFor(env, 1);
  try {
    const pool = await killedMidStatement(env, admin);
    try {
      // The killed backend's error reaches the pool's next statement (postgres.js replays it, porsager/postgres#1215)
      // or, when it arrives first, a promise of the driver's nobody holds (dropped: db/client.ts
      // dropOrphanSessionEnd; about 1 run in 25 here). Nothing else: no other error, never a crashed process.
      const bare = await pool`select 1 as x`.then((rows) => rows, (e) => e);
      assert.ok(sessionEnded(bare) || bare[0]?.x === 1, `the replay or an answer: ${bare?.code ?? bare}`);
    } finally {
      await pool.end({ timeout: 1 });
    }

    const again = await killedMidStatement(env, admin);
    try {
      let calls = 0;
      const rows = await retryOnSessionEnd(() => (calls++, again`select 1 as x`));
      assert.equal(rows[0].x, 1);
      assert.ok(calls === 2 || calls === 1, 'the replayed error, then a fresh session (or no replay: see above)');
    } finally {
      await again.end({ timeout: 1 });
    }
  } finally {
    await admin.end();
  }
});

stackTest('session end: "Sincronizar agora" and the nightly claim right after a killed session still work', async (env) => {
  await withFixture(env, 2, async (sql, f) => {
    const user = await f.user();
    const manual = await f.connection({ erp: 'omie', memberIds: [user], ...PRODUCTS_ONLY });
    const nightly = await f.connection({ erp: 'omie', ...PRODUCTS_ONLY });
    await sql`update public.erp_connections set next_sync_at = now() + interval '1 day' where id = ${manual.connectionId}`;

    // The manual start (membership, lease, cooldown, log) on a pool whose only connection was killed mid-statement.
    const pool = await killedMidStatement(env, sql);
    try {
      const { logId, run } = await startManualSync(testDeps(pool, 'session-end:manual', () => oneProduct), user, manual.connectionId, { cooldownSeconds: 60 });
      assert.ok(logId);
      const outcome = await run;
      assert.equal(outcome.status, 'success', outcome.error);
    } finally {
      await pool.end({ timeout: 1 });
    }

    // The claim of a nightly run, the same way.
    const claimer = await killedMidStatement(env, sql);
    try {
      const claimed = await claimNextDue(claimer as never, new Date(), 'session-end:claim', 60, {
        ids: [nightly.connectionId],
        openLog: { runId: null },
      });
      assert.equal(claimed?.id, nightly.connectionId);
      assert.ok(claimed?.opened, 'the claim opened its log');
    } finally {
      await claimer.end({ timeout: 1 });
    }
  });
});

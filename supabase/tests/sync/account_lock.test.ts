// Two syncs of one ERP account never run at once (issue 13.5). The race: a claim's snapshot is taken before a
// sibling claim commits, and its account lock is tried after that commit. The test makes the interleaving
// deterministic: the claiming session resolves pg_try_advisory_xact_lock to a gated wrapper (its search_path
// puts a test schema before pg_catalog) that waits on an advisory lock the test holds; the sibling claim
// commits while the claim waits there, then the gate opens.
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { claimNextDue, leaseConnection } from '../../functions/_shared/db/connections.ts';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

const GATE = 8_141_300_001;

async function raceOnce(
  env: { DB_URL: string },
  sql: postgres.Sql,
  ids: [string, string],
  accountKey: string,
  claim: (gated: postgres.Sql) => Promise<{ id: string } | null>,
) {
  const schema = `claim_race_${crypto.randomUUID().slice(0, 8)}`;
  const app = `${schema}-claimer`;
  await sql.unsafe(`create schema ${schema}`);
  await sql.unsafe(`create function ${schema}.pg_try_advisory_xact_lock(k bigint) returns boolean language plpgsql as $$
    begin
      perform pg_catalog.pg_advisory_lock_shared(${GATE});
      perform pg_catalog.pg_advisory_unlock_shared(${GATE});
      return pg_catalog.pg_try_advisory_xact_lock(k);
    end $$`);
  const gate = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
  const sibling = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
  const gated = postgres(env.DB_URL, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { search_path: `${schema}, pg_catalog, public`, application_name: app },
  });
  try {
    await gate`select pg_advisory_lock(${GATE})`;
    // The sibling claim: holds the account lock and leases the first connection, not yet committed.
    let commitSibling!: () => void;
    const siblingCommitted = new Promise<void>((r) => (commitSibling = r));
    let siblingHolds!: () => void;
    const holding = new Promise<void>((r) => (siblingHolds = r));
    const siblingTx = sibling.begin(async (tx) => {
      await tx`select pg_try_advisory_xact_lock(hashtextextended(${'erp-account:' + accountKey}, 0))`;
      await tx`update public.erp_connections set lease_owner = 'sibling', lease_expires_at = now() + interval '5 minutes'
               where id = ${ids[0]}`;
      siblingHolds();
      await siblingCommitted;
    });
    await holding;
    // The claim starts (its snapshot does not see the sibling's lease) and waits at the gate.
    const claimed = claim(gated);
    await waitFor(async () => {
      const rows = await sql`select 1 from pg_stat_activity where application_name = ${app} and wait_event_type = 'Lock'`;
      return rows.length > 0;
    }, 15_000, 20);
    commitSibling();
    await siblingTx;
    await gate`select pg_advisory_unlock(${GATE})`;
    return await claimed;
  } finally {
    await Promise.all([gate.end(), sibling.end(), gated.end()]);
    await sql.unsafe(`drop schema ${schema} cascade`);
  }
}

stackTest('a claim that takes the account lock after a sibling claim committed does not lease the sibling', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const a = await f.connection({ erp: 'omie' });
    const b = await f.connection({ erp: 'omie' });
    const key = `omie:shared-${crypto.randomUUID().slice(0, 8)}`;
    const ids: [string, string] = [a.connectionId, b.connectionId];
    await sql`update public.erp_connections set account_key = ${key} where id = any(${ids}::uuid[])`;

    const live = async () =>
      await sql`select id from public.erp_connections where account_key = ${key} and lease_owner is not null
                and lease_expires_at > now()`;

    // The nightly claim.
    const got = await raceOnce(env, sql, ids, key, (gated) => claimNextDue(gated as never, new Date(), 'claimer', 60, { ids }));
    assert.equal(got, null, 'the account is busy: nothing to claim');
    assert.equal((await live()).length, 1, 'one live lease on the account');

    // The manual sync's lease, same rule.
    await sql`update public.erp_connections set lease_owner = null, lease_expires_at = null where id = any(${ids}::uuid[])`;
    const manual = await raceOnce(env, sql, ids, key, (gated) => leaseConnection(gated as never, ids[1], new Date(), 'manual', 60));
    assert.equal(manual, null, 'the account is busy: no manual lease');
    assert.equal((await live()).length, 1, 'one live lease on the account');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

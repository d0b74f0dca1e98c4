// End to end: pg_cron fires → net.http_post (URL and secret from Vault) → erp-auto-sync → simulators →
// database. Every due connection is synced once with 'auto' logs and counts, next_sync_at lands on the next
// midnight slot, a failing connection is isolated with its message, revoked credentials → status 'error';
// a second run at once finds nothing due.
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';
import { Fixture, nextMidnightUtc, simAdmin } from './fixtures.ts';
import { accountData, truthOf } from '../chaos/oracle.ts';

stackTest('nightly run through pg_cron and pg_net syncs every due connection once, isolating failures', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const [job] = await sql`select jobid, schedule from cron.job where jobname = 'erp-auto-sync-daily'`;
  assert.ok(job, 'the schedule migration created erp-auto-sync-daily');
  assert.equal(job.schedule, '0 0 * * *');
  try {
    const good = [
      await f.connection({ erp: 'bling' }),
      await f.connection({ erp: 'omie' }),
      await f.connection({ erp: 'tiny' }),
      await f.connection({ erp: 'conta_azul' }),
    ];
    const revoked = await f.connection({ erp: 'conta_azul' });
    await simAdmin(env, 'conta_azul', 'revoke', { accountId: revoked.accountId });
    // A connection whose ERP is unreachable: transient failure, isolated.
    const down = await f.connection({ erp: 'tiny' });
    await sql`update public.erp_connections set api_base_url = 'http://127.0.0.1:9/api2' where id = ${down.connectionId}`;
    // Not due: auto_sync off, and a connection already synced for tonight.
    const off = await f.connection({ erp: 'omie', autoSync: false });
    const later = await f.connection({ erp: 'bling' });
    await sql`update public.erp_connections set next_sync_at = now() + interval '1 day' where id = ${later.connectionId}`;
    const mine = [...good, revoked, down].map((p) => p.connectionId);

    // Let the real job fire at the next minute (the test stack keeps it inactive otherwise).
    const firedAfter = new Date();
    await sql`select cron.alter_job(${job.jobid}, schedule := '* * * * *', active := true)`;
    try {
      await waitFor(async () => {
        const rows = await sql`select 1 from cron.job_run_details where jobid = ${job.jobid} and start_time > ${firedAfter}`;
        return rows.length > 0;
      }, 75_000, 500);
    } finally {
      await sql`select cron.alter_job(${job.jobid}, schedule := '0 0 * * *', active := false)`;
    }
    const delivered = await waitFor(async () => {
      const rows = await sql`select id from net._http_response where created > ${firedAfter} order by id limit 1`;
      return rows[0];
    }, 30_000, 200);
    assert.ok(delivered, 'pg_net delivered the request');

    // Wait until every one of our due connections has a finished log.
    await waitFor(async () => {
      const rows = await sql`select count(distinct connection_id)::int as n from public.erp_sync_logs
                             where connection_id = any(${mine}::uuid[]) and status <> 'running'`;
      return rows[0].n === mine.length;
    }, 90_000, 500);
    const [resp] = await sql`select status_code, content from net._http_response where created > ${firedAfter} order by id limit 1`;
    assert.equal(resp.status_code, 202, `erp-auto-sync accepted the cron call: ${resp.content}`);

    for (const p of good) {
      const logs = await f.logs(p.connectionId);
      assert.equal(logs.length, 1, `${p.erp}: synced exactly once`);
      const [log] = logs;
      assert.equal(log.sync_type, 'auto');
      assert.equal(log.status, 'success', `${p.erp}: ${log.error_message}`);
      assert.ok(log.records_synced > 0, `${p.erp}: records counted`);
      assert.ok(log.completed_at && log.duration_ms >= 0);
      const c = await f.conn(p.connectionId);
      assert.equal(c.status, 'active');
      assert.equal(c.status_message, null);
      assert.equal(c.next_sync_at.toISOString(), nextMidnightUtc(c.last_sync_at), `${p.erp}: next midnight slot`);
      assert.equal(c.lease_owner, null, 'lease released');
      // Every note the ERP lists in the window landed (Conta Azul lists only its own authorised sales notes, so a
      // small generated account may hold none: the expectation comes from the simulator's dataset, not a guess).
      const truth = truthOf(p.erp, await accountData(env, p.erp, p.accountId), 90);
      const [{ n }] = await sql`select count(*)::int as n from public.xml_imports where company_id = ${p.companyId}`;
      assert.ok(n >= truth.notes.size && n <= truth.allowedNotes.size,
        `${p.erp}: NF-e landed ${n}, the ERP holds ${truth.notes.size}–${truth.allowedNotes.size} ${JSON.stringify(log.details.entities?.nfe)}`);
      const [{ d }] = await sql`select count(*)::int as d from public.company_dre where company_id = ${p.companyId}`;
      assert.ok(d > 0, `${p.erp}: DRE lines`);
      const [prof] = await sql`select cnpj from public.company_profile where company_id = ${p.companyId}`;
      assert.equal(prof?.cnpj, p.cnpj, `${p.erp}: profile`);
    }

    const [rlog] = await f.logs(revoked.connectionId);
    assert.equal(rlog.status, 'error');
    const rc = await f.conn(revoked.connectionId);
    assert.equal(rc.status, 'error', 'revoked credentials → connection error');
    assert.match(rc.status_message, /Reconecte/);

    const [dlog] = await f.logs(down.connectionId);
    assert.equal(dlog.status, 'error');
    const dc = await f.conn(down.connectionId);
    assert.equal(dc.status, 'active', 'a transient failure keeps the connection active');
    assert.equal(dc.consecutive_failures, 1);
    assert.match(dc.status_message, /Tentaremos novamente/);

    assert.equal((await f.logs(off.connectionId)).length, 0, 'auto_sync off is not synced');
    assert.equal((await f.logs(later.connectionId)).length, 0, 'not-yet-due is not synced');

    // Nothing is due any more: a second run at once processes nothing.
    const again = await f.autoSync({ source: 'ops', connection_ids: mine });
    assert.equal(again.status, 200);
    assert.equal(again.body.processed, 0);
    assert.equal(again.body.remaining, 0);
    const [run] = await sql`select source, processed from public.erp_sync_runs where id = ${again.body.run_id}`;
    assert.equal(run.source, 'ops');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

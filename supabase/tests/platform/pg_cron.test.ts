// A pg_cron job scheduled in the local cluster really fires (pg_cron preloaded, background workers).
// Debian's pg_cron is 1.4 (no '[1-59] seconds' schedules), so the job runs every minute: waits up to ~70 s.
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';

stackTest('pg_cron: a scheduled job fires and its run is recorded', async (env) => {
  const sql = sqlFor(env);
  const job = `test-cron-fires-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await sql`create schema if not exists test_probe`;
    await sql`create table if not exists test_probe.cron_probe (job text, fired_at timestamptz default now())`;
    await sql`select cron.schedule(${job}, '* * * * *', ${`insert into test_probe.cron_probe (job) values ('${job}')`})`;
    // Re-scheduling under the same name replaces the job instead of adding one.
    await sql`select cron.schedule(${job}, '* * * * *', ${`insert into test_probe.cron_probe (job) values ('${job}')`})`;
    const [{ n }] = await sql`select count(*)::int as n from cron.job where jobname = ${job}`;
    assert.equal(n, 1);
    await waitFor(async () => (await sql`select 1 from test_probe.cron_probe where job = ${job}`).length > 0, 75_000, 500);
    // pg_cron records the run's end in its own transaction after the command committed: the probe row can be
    // visible while the run still reads 'running' (seen in CI), so wait for the record too.
    const succeeded = await waitFor(async () => {
      const runs = await sql`select d.status from cron.job_run_details d join cron.job j using (jobid) where j.jobname = ${job}`;
      return runs.some((r) => r.status === 'succeeded');
    }, 15_000, 200).catch(() => false);
    assert.ok(succeeded, 'job_run_details records a succeeded run');
  } finally {
    await sql`select cron.unschedule(jobid) from cron.job where jobname = ${job}`;
    await sql`delete from test_probe.cron_probe where job = ${job}`;
    await sql.end();
  }
});

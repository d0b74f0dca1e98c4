-- The nightly schedule: one job per name at 00:00 UTC calling the Vault-reading SQL function; re-running the
-- migration never duplicates it; no URL or key in the job; only privileged roles may fire it.
begin;
select plan(9);

select results_eq($$select count(*)::int from cron.job where jobname = 'erp-auto-sync-daily'$$, $$values (1)$$,
  'exactly one nightly job');
select results_eq($$select schedule from cron.job where jobname = 'erp-auto-sync-daily'$$, $$values ('0 0 * * *'::text)$$,
  'at 00:00 UTC (21:00 Brasília)');
select results_eq($$select command from cron.job where jobname = 'erp-auto-sync-daily'$$,
  $$values ('select public.invoke_erp_auto_sync()'::text)$$, 'the job only calls the SQL function (no URL, no key)');

-- re-scheduling under the same name replaces, never duplicates
select cron.schedule('erp-auto-sync-daily', '0 0 * * *', 'select public.invoke_erp_auto_sync()');
select results_eq($$select count(*)::int from cron.job where jobname = 'erp-auto-sync-daily'$$, $$values (1)$$,
  're-running the schedule keeps one job');

select ok(not exists (select 1 from cron.job where command ~* '(https?://|sb_secret_|eyJ)'), 'no URL or key in any job');

-- the call reads URL and secret from Vault and queues one pg_net request with an explicit timeout
select lives_ok($$select public.invoke_erp_auto_sync()$$, 'the job body runs');
select results_eq($$select timeout_milliseconds, headers ? 'Authorization', url like '%/functions/v1/erp-auto-sync'
                    from net.http_request_queue order by id desc limit 1$$,
  $$values (30000, true, true)$$, 'one request to erp-auto-sync, Authorization set, explicit 30 s timeout');

-- without the Vault secrets it fails with a message that says what to do
delete from vault.secrets where name = 'erp_auto_sync_secret';
select throws_like($$select public.invoke_erp_auto_sync()$$, '%Vault secrets "project_url" and "erp_auto_sync_secret" must be set%',
  'missing Vault secret → a clear error');

select tests.authenticate_as(tests.create_user('mallory@x.test'));
select throws_ok($$select public.invoke_erp_auto_sync()$$, '42501', null, 'users cannot fire the nightly run');

select * from finish();
rollback;

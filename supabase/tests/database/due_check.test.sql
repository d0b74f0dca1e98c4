-- Issue #13 item 3: every valid schedule runs at its hour. A due-check job runs through the day and calls
-- erp-auto-sync only when a connection is due (a noon schedule runs at noon, not near midnight); the nightly jobs
-- are still there.
begin;
select plan(9);

select results_eq($$select schedule, command from cron.job where jobname = 'erp-auto-sync-due'$$,
  $$values ('* * * * *'::text, 'select public.invoke_erp_auto_sync_if_due()'::text)$$,
  'a due-check job every minute of the day, calling only the SQL function');
select results_eq($$select count(*)::int from cron.job where jobname in ('erp-auto-sync-daily', 'erp-auto-sync-sweep')$$,
  $$values (2)$$, 'the nightly jobs are kept');

-- Nothing else is due in this transaction.
update erp_connections set next_sync_at = now() + interval '1 day' where next_sync_at is null or next_sync_at <= now();
delete from erp_sync_runs where status = 'running';

insert into companies (id, name) values ('dddddddd-0000-4000-8000-000000000001', 'Empresa D');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, sync_config, next_sync_at) values
  ('dddddddd-1111-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001', 'tiny', 'http://127.0.0.1:1',
   'acc-d', '{"schedule": "0 12 * * *"}', now() + interval '2 hours');

create temp table queued as select coalesce(max(id), 0) as before from net.http_request_queue;
select is(public.invoke_erp_auto_sync_if_due(), null, 'not due yet: nothing sent');
select results_eq($$select count(*)::int from net.http_request_queue where id > (select before from queued)$$,
  $$values (0)$$, 'no request queued');

-- Noon arrives: the schedule's slot is in the past.
update erp_connections set next_sync_at = now() - interval '1 minute' where id = 'dddddddd-1111-4000-8000-000000000001';
select isnt(public.invoke_erp_auto_sync_if_due(), null, 'due: erp-auto-sync is called');
select results_eq($$select count(*)::int from net.http_request_queue where id > (select before from queued)
                     and url like '%/functions/v1/erp-auto-sync'$$, $$values (1)$$, 'one request queued');

-- While a run is in progress it hands on by itself: nothing more is sent.
insert into erp_sync_runs (source) values ('cron');
select is(public.invoke_erp_auto_sync_if_due(), null, 'a run in progress: nothing sent');
delete from erp_sync_runs where status = 'running';

-- A leased (running) or switched-off connection is not due.
update erp_connections set lease_owner = 'x', lease_expires_at = now() + interval '5 minutes'
 where id = 'dddddddd-1111-4000-8000-000000000001';
select is(public.invoke_erp_auto_sync_if_due(), null, 'leased: nothing sent');
update erp_connections set lease_owner = null, lease_expires_at = null, sync_config = '{"auto_sync": false}'
 where id = 'dddddddd-1111-4000-8000-000000000001';
select is(public.invoke_erp_auto_sync_if_due(), null, 'auto_sync off: nothing sent');

select * from finish();
rollback;

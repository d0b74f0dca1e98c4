-- Issue #14: a night writes each connection twice (the claim's lease, the close). Those writes do not re-run the
-- sync_config and base-URL rules they do not touch, and the alert evaluation after a close resolves only the
-- kinds that are open and parses no schedule while the connection is not yet due (migration
-- 20261205000300). The rules themselves still hold on every write that changes those columns
-- (constraints.test.sql).
begin;
select plan(7);

set local track_functions = 'all';
create function pg_temp.calls(f regproc) returns bigint language sql as $$
  select coalesce(pg_stat_get_xact_function_calls(f), 0)
$$;

insert into companies (id, name) values ('cccccccc-0000-4000-8000-00000000a001', 'Empresa W');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, sync_config, next_sync_at) values
  ('cccccccc-1111-4000-8000-00000000a001', 'cccccccc-0000-4000-8000-00000000a001', 'omie', 'https://app.omie.com.br/api/v1',
   'acc-w', '{"schedule": "0 3 * * 1-5"}', now() - interval '1 minute');

create temp table before_calls as
select pg_temp.calls('public.erp_sync_config_is_valid'::regproc) as valid,
       pg_temp.calls('public.erp_next_slot_after'::regproc) as slots,
       pg_temp.calls('public.erp_alert_resolve'::regproc) as resolves;

-- The claim's lease, then the close of a successful sync (finishConnection's shape).
update erp_connections set lease_owner = 'w', lease_expires_at = now() + interval '2 minutes'
 where id = 'cccccccc-1111-4000-8000-00000000a001';
update erp_connections set last_sync_at = now(), next_sync_at = now() + interval '1 day', status = 'active',
       status_message = null, consecutive_failures = 0,
       lease_owner = null, lease_expires_at = null
 where id = 'cccccccc-1111-4000-8000-00000000a001';

select is(pg_temp.calls('public.erp_sync_config_is_valid'::regproc) - (select valid from before_calls), 0::bigint,
  'a lease and a close do not re-validate a sync_config they leave unchanged');
select is(pg_temp.calls('public.erp_next_slot_after'::regproc) - (select slots from before_calls), 0::bigint,
  'the close of a connection that is not due again parses no schedule for the overdue alert');
select is(pg_temp.calls('public.erp_alert_resolve'::regproc) - (select resolves from before_calls), 0::bigint,
  'with no alert open, a close resolves nothing');

-- An open alert is still resolved by the close that clears it.
insert into erp_sync_alerts (company_id, connection_id, kind, code, message, action)
values ('cccccccc-0000-4000-8000-00000000a001', 'cccccccc-1111-4000-8000-00000000a001', 'sync_overdue', 'SYNC_OVERDUE', 'm', 'a');
update erp_connections set last_sync_at = now() + interval '1 second' where id = 'cccccccc-1111-4000-8000-00000000a001';
select isnt((select resolved_at from erp_sync_alerts where connection_id = 'cccccccc-1111-4000-8000-00000000a001'
              and kind = 'sync_overdue'), null, 'an open overdue alert is resolved once the connection synced');

-- A connection long past due still raises the overdue alert (the schedule is parsed then).
update erp_connections set next_sync_at = now() - interval '10 days' where id = 'cccccccc-1111-4000-8000-00000000a001';
select is((select count(*) from erp_sync_alerts where connection_id = 'cccccccc-1111-4000-8000-00000000a001'
            and kind = 'sync_overdue' and resolved_at is null), 1::bigint, 'a connection two slots overdue opens the alert');

-- The rules hold on the writes that change those columns, with the constraint's name as before.
select throws_like($$update erp_connections set sync_config = '{"schedule": "0 24 * * *"}'
                     where id = 'cccccccc-1111-4000-8000-00000000a001'$$,
  '%erp_connections_sync_config_check%', 'an invalid schedule is refused');
select throws_like($$update erp_connections set auth_base_url = 'http://www.bling.com.br'
                     where id = 'cccccccc-1111-4000-8000-00000000a001'$$,
  '%erp_connections_https_base_urls%', 'an http base URL is refused');

select * from finish();
rollback;

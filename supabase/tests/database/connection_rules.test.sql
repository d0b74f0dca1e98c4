-- Issue #14: the due and lease rules, named once (migration 20261205000200): what they say, row by row, and that
-- the planner inlines them so the partial indexes built on the same expressions still serve the queries.
begin;
select plan(4);

insert into companies (id, name) values ('dddddddd-0000-4000-8000-000000000001', 'Empresa D');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, status, sync_config, next_sync_at,
                             lease_owner, lease_expires_at) values
  ('dddddddd-1111-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd1', 'active', '{"auto_sync": true}', null, null, null),
  ('dddddddd-1111-4000-8000-000000000002', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd2', 'active', '{"auto_sync": true}', now() - interval '1 minute', 'w', now() + interval '1 minute'),
  ('dddddddd-1111-4000-8000-000000000003', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd3', 'active', '{"auto_sync": true}', now() + interval '1 minute', 'w', now() - interval '1 second'),
  ('dddddddd-1111-4000-8000-000000000004', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd4', 'active', '{"auto_sync": false}', null, null, null),
  ('dddddddd-1111-4000-8000-000000000005', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd5', 'error', '{"auto_sync": true}', null, null, null),
  ('dddddddd-1111-4000-8000-000000000006', 'dddddddd-0000-4000-8000-000000000001', 'omie', 'https://x.test', 'd6', 'active', '{"auto_sync": true}', now(), 'w', now());

select results_eq(
  $$select right(c.id::text, 1), public.erp_connection_is_due(c, now()), public.erp_connection_is_leased(c, now())
      from erp_connections c where c.id::text like 'dddddddd-1111-%' order by c.id$$,
  $$values ('1', true, false),   -- never synced, no lease
           ('2', true, true),    -- due, a sync holds it
           ('3', false, false),  -- its slot is to come; its lease lapsed
           ('4', false, false),  -- auto-sync switched off
           ('5', false, false),  -- in error: a person must act
           ('6', true, true)$$,  -- the slot and the lease's end are now: due, still leased
  'due and leased, row by row');

-- Inlined: with sequential scans priced out, the planner reaches the partial indexes through the functions (a call
-- it could not see into would leave it no index whose predicate it can prove).
set local enable_seqscan = off;
create function pg_temp.plan_of(q text) returns text language plpgsql as $$
declare line text; plan text := '';
begin
  for line in execute 'explain ' || q loop plan := plan || line || E'\n'; end loop;
  return plan;
end $$;
select matches(pg_temp.plan_of($$select c.id from public.erp_connections c where public.erp_connection_is_due(c, now())
                                   order by coalesce(c.next_sync_at, '-infinity'::timestamptz), c.id limit 16$$),
  'erp_connections_due_idx', 'the due rule is served by the due index');
select matches(pg_temp.plan_of($$select count(*) from public.erp_connections l where public.erp_connection_is_leased(l, now())$$),
  'erp_connections_(account_)?lease_idx', 'the live-lease count is served by a lease index (either proves the rule)');
select matches(pg_temp.plan_of($$select 1 from public.erp_connections o where o.account_key = 'd1' and public.erp_connection_is_leased(o, now())$$),
  'erp_connections_account_lease_idx', 'an account''s live leases are served by the account lease index');

select * from finish();
rollback;

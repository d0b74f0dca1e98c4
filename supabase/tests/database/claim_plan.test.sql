-- Issue #14: the claim costs the same at 10 or 2,000 due, and the statement that opens the log over it is cheap
-- enough never to be JIT-compiled (migration 20261205000100).
begin;
select plan(5);

insert into companies (id, name)
select ('cccccccc-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'Empresa ' || g from generate_series(1, 2000) g;
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, next_sync_at)
select ('cccccccc-1111-4000-8000-' || lpad(g::text, 12, '0'))::uuid, ('cccccccc-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       'omie', 'https://x.test', 'plan-' || g, now() + interval '1 day'
  from generate_series(1, 2000) g;
-- Statistics taken while nothing was due; then the clock passes next_sync_at (here: the rows move into the past).
analyze erp_connections;
update erp_connections set next_sync_at = now() - interval '1 minute' where account_key like 'plan-%';

create temp table fetched as
select idx_tup_fetch + coalesce(seq_tup_read, 0) as n from pg_stat_xact_user_tables where relid = 'public.erp_connections'::regclass;
select isnt((select id from public.erp_claim_next_due(now(), 'plan-test', 60, null, '{}', null)), null, 'a due connection is claimed');
select cmp_ok((select idx_tup_fetch + coalesce(seq_tup_read, 0) from pg_stat_xact_user_tables where relid = 'public.erp_connections'::regclass)
              - (select n from fetched), '<', 100::bigint,
  'the claim reads the batch from the due index, not every due row (2,000 due, statistics from before they were due)');

-- Nothing free to claim: every row's slot is tomorrow (the claims that come back empty at the end of a night, or
-- while the in-flight cap holds every due row). The walk stops at the first row not yet due; it had read every
-- connection switched on (10,076 rows, 5-34 ms a claim in the bench of 2026-12-04, under the claims' shared lock).
update erp_connections set next_sync_at = now() + interval '1 day' where account_key like 'plan-%';
truncate fetched;
insert into fetched
select idx_tup_fetch + coalesce(seq_tup_read, 0) from pg_stat_xact_user_tables where relid = 'public.erp_connections'::regclass;
select is((select id from public.erp_claim_next_due(now(), 'plan-test', 60, null, '{}', null)), null, 'nothing is due: nothing is claimed');
select cmp_ok((select idx_tup_fetch + coalesce(seq_tup_read, 0) from pg_stat_xact_user_tables where relid = 'public.erp_connections'::regclass)
              - (select n from fetched), '<', 100::bigint,
  'an empty claim reads no row whose slot is to come (2,000 of them)');

-- The planner estimates the claim at the one row it returns. At the default 1,000 the statement claimNextDue builds
-- over it (connections.ts: the log's open, the company's CNPJ and the checkpoints per row) was costed above
-- jit_above_cost and JIT-compiled on every claim (11 ms of 14).
create function pg_temp.claim_rows() returns double precision language plpgsql as $$
declare plan json;
begin
  execute $q$explain (format json) select * from public.erp_claim_next_due(now(), 'plan-test', 60, null, '{}', null)$q$
     into plan;
  return (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
end $$;
select is(pg_temp.claim_rows(), 1::double precision, 'the claim is estimated at one row');

select * from finish();
rollback;

-- An empty claim read every connection switched on (issue #14, found with auto_explain in the bench of
-- 2026-12-04 20:43: "Rows Removed by Filter: 10076", 5-34 ms a claim). The due rule said
-- `next_sync_at is null or next_sync_at <= p_now`: an OR the planner cannot turn into a range of the due index
-- (next_sync_at nulls first, id), so the ordered walk had no end but LIMIT 16. While 16 free due rows lay ahead
-- it stopped early; with fewer (the claims that come back empty at the end of every night, the ones the
-- in-flight cap holds back, the minute due-check with nothing due) it read the whole index, row by row to the
-- heap, under the claims' shared lock when the cap is set.
--
-- Now the rule reads `coalesce(next_sync_at, '-infinity') <= p_now` (the same rows: null means due now) and the due
-- index is built on that expression, so the walk's end is an index condition: it reads the due rows and stops at
-- the first whose slot is to come. The claim orders by the same expression (the order of `nulls first`). Test:
-- supabase/tests/database/claim_plan.test.sql.

-- From 20261205000200, the due clause rewritten.
create or replace function public.erp_connection_is_due(c public.erp_connections, p_now timestamptz)
returns boolean
language sql stable
as $fn$
  select c.status = 'active' and (c.sync_config ->> 'auto_sync') = 'true'
     and coalesce(c.next_sync_at, '-infinity'::timestamptz) <= p_now
$fn$;
revoke all on function public.erp_connection_is_due(public.erp_connections, timestamptz) from public, anon, authenticated;

drop index if exists public.erp_connections_due_idx;
create index if not exists erp_connections_due_idx
  on public.erp_connections ((coalesce(next_sync_at, '-infinity'::timestamptz)), id)
  where status = 'active' and (sync_config ->> 'auto_sync') = 'true';

-- From 20261205000200 (its plan settings included), ordered by the indexed expression.
create or replace function public.erp_claim_next_due(
  p_now timestamptz,
  p_owner text,
  p_lease_seconds double precision,
  p_ids uuid[] default null,
  p_exclude uuid[] default '{}',
  p_max_in_flight integer default null
)
returns setof public.erp_connections
language plpgsql volatile
rows 1
set plan_cache_mode = force_custom_plan
set enable_bitmapscan = off
set enable_sort = off
as $fn$
declare
  v_candidates uuid[];
begin
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  if p_max_in_flight is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('erp-auto-sync:claim', 0));
  end if;
  with batch as (
    select c.id, c.account_key, c.next_sync_at from public.erp_connections c
     where public.erp_connection_is_due(c, p_now)
       and not public.erp_connection_is_leased(c, p_now)
       and public.erp_account_is_free(c.id, c.account_key, p_now)
       and (p_ids is null or c.id = any(p_ids))
       and not (c.id = any(coalesce(p_exclude, '{}')))
       and (p_max_in_flight is null
            or (select pg_catalog.count(*) from public.erp_connections l
                 where public.erp_connection_is_leased(l, p_now)) < p_max_in_flight)
     order by coalesce(c.next_sync_at, '-infinity'::timestamptz), c.id
     limit 16
     for update of c skip locked
  )
  select pg_catalog.array_agg(b.id order by coalesce(b.next_sync_at, '-infinity'::timestamptz), b.id) into v_candidates
    from batch b
   where pg_try_advisory_xact_lock(pg_catalog.hashtextextended('erp-account:' || b.account_key, 0));
  if v_candidates is null then
    return;
  end if;
  return query
    with pick as (
      select c.id from pg_catalog.unnest(v_candidates) with ordinality as x(id, n)
        join public.erp_connections c on c.id = x.id
       where not public.erp_connection_is_leased(c, p_now)
         and public.erp_account_is_free(c.id, c.account_key, p_now)
       order by x.n limit 1
    )
    update public.erp_connections c
       set lease_owner = p_owner, lease_expires_at = p_now + pg_catalog.make_interval(secs => p_lease_seconds)
      from pick where c.id = pick.id
    returning c.*;
end
$fn$;
analyze public.erp_connections;

-- A claim's lease was shorter by the time the claim waited (issue #14, found reading the code). Its expiry was
-- `p_now + lease`, with p_now read by the caller before the statement ran; the statement can then wait on the
-- claims' shared lock (under the in-flight cap every claimer queues there; rows are skipped, never waited for),
-- or for a busy server. The heartbeat
-- renews a lease only while it is live (connections.ts renewLease), so a wait longer than two thirds of the lease
-- lost it before the first renewal: the sync was abandoned halfway (wasted work, never a double sync). The expiry
-- now adds the time the statement spent in the database before the update (`clock_timestamp() -
-- statement_timestamp()`), measured on the database's clock, so the lease runs its full length from the moment
-- it is taken. A wait before the statement reaches the database (the client's pool queue: milliseconds, the
-- pool's statements are short) is still not counted. Test: supabase/tests/sync/claim.test.ts ("a claim that
-- waited for the claims' lock").

-- From 20261205000600, the lease's expiry extended by the statement's own wait.
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
       set lease_owner = p_owner,
           lease_expires_at = p_now + pg_catalog.make_interval(secs => p_lease_seconds)
                              + (pg_catalog.clock_timestamp() - pg_catalog.statement_timestamp())
      from pick where c.id = pick.id
    returning c.*;
end
$fn$;

-- The two rules about a connection that every claim, count and check asks, named once (issue #14: the due rule
-- was written out in the claim, the minute due-check and the functions' own SQL, and "a live lease" in four
-- places). The functions below and supabase/functions/_shared/db/connections.ts call them; nothing else spells
-- them out.
--
-- Both are one SQL expression with no sub-select, so the planner inlines them into the calling query (a plain
-- expression on the row's columns): the partial indexes on the same expressions still serve (erp_connections_due_idx
-- for the due rule, erp_connections_lease_idx for live leases; supabase/tests/database/connection_rules.test.sql).

-- Due: switched on for the nightly sync and its slot has come (or it never synced).
create or replace function public.erp_connection_is_due(c public.erp_connections, p_now timestamptz)
returns boolean
language sql stable
as $fn$
  select c.status = 'active' and (c.sync_config ->> 'auto_sync') = 'true'
     and (c.next_sync_at is null or c.next_sync_at <= p_now)
$fn$;

-- Leased: a sync holds it now (a lapsed lease is nobody's; a released one is null).
create or replace function public.erp_connection_is_leased(c public.erp_connections, p_now timestamptz)
returns boolean
language sql stable
as $fn$
  select c.lease_owner is not null and c.lease_expires_at >= p_now
$fn$;
revoke all on function public.erp_connection_is_due(public.erp_connections, timestamptz) from public, anon, authenticated;
revoke all on function public.erp_connection_is_leased(public.erp_connections, timestamptz) from public, anon, authenticated;

-- The functions that spelled the rules out, re-created whole with the same behaviour (as migrations must).

-- From 20261204000200.
create or replace function public.erp_account_is_free(p_id uuid, p_account_key text, p_now timestamptz)
returns boolean
language sql stable
as $fn$
  select not exists (select 1 from public.erp_connections o
                      where o.account_key = p_account_key and o.id <> p_id
                        and public.erp_connection_is_leased(o, p_now))
$fn$;

-- From 20261204000200 (its steps are explained there), with the plan settings of 20261205000100 (CREATE OR
-- REPLACE resets them).
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
     order by c.next_sync_at nulls first, c.id
     limit 16
     for update of c skip locked
  )
  select pg_catalog.array_agg(b.id order by b.next_sync_at nulls first, b.id) into v_candidates
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

-- From 20261204000100.
create or replace function public.erp_interrupt_dead_logs(p_now timestamptz default now())
returns integer
language sql volatile security definer set search_path = ''
as $fn$
  with dead as (
    select l.id from public.erp_sync_logs l
      join public.erp_connections c on c.id = l.connection_id
     where l.status = 'running'
       and (not public.erp_connection_is_leased(c, p_now)
            or p_now - l.heartbeat_at > 0.8 * (c.lease_expires_at - l.heartbeat_at))
  ), closed as (
    update public.erp_sync_logs l set status = 'interrupted', completed_at = p_now,
      duration_ms = (extract(epoch from (p_now - l.started_at)) * 1000)::int,
      error_message = 'Sincronização interrompida (o processo parou antes de concluir). Ela será retomada do último ponto salvo.'
      from dead where l.id = dead.id
    returning l.id
  )
  select count(*)::int from closed
$fn$;

-- From 20261204000100.
create or replace function public.invoke_erp_auto_sync_if_due()
returns bigint
language plpgsql volatile security definer set search_path = ''
as $fn$
begin
  perform public.erp_interrupt_dead_logs();
  if not exists (
       select 1 from public.erp_connections c
        where public.erp_connection_is_due(c, now()) and not public.erp_connection_is_leased(c, now()))
     or exists (
       select 1 from public.erp_sync_runs r
        where r.status = 'running' and r.started_at > now() - interval '10 minutes') then
    return null;
  end if;
  return public.invoke_erp_auto_sync();
end
$fn$;

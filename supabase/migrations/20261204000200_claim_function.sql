-- The claim in one round trip (issue #14: bookkeeping under 5 ms per connection). It was a transaction of four
-- round trips from the function (BEGIN, lock a batch, lease one, COMMIT) followed by the log's open; now one
-- statement calls erp_claim_next_due and opens the log (supabase/functions/_shared/db/connections.ts). The rules
-- are unchanged (see the header of connections.ts): due, free, at most `p_max_in_flight` syncs in flight, one
-- sync per ERP account at a time.

-- Whether no other connection of the ERP account holds a live lease (the account's rate limit is shared). The
-- claim and the manual sync's lease (leaseConnection) both ask this. No SET clause, names qualified: the planner
-- inlines it into the caller's query (a SET clause would make it a per-row call the planner cannot see into).
create or replace function public.erp_account_is_free(p_id uuid, p_account_key text, p_now timestamptz)
returns boolean
language sql stable
as $fn$
  select not exists (select 1 from public.erp_connections o
                      where o.account_key = p_account_key and o.id <> p_id
                        and o.lease_owner is not null and o.lease_expires_at >= p_now)
$fn$;
revoke all on function public.erp_account_is_free(uuid, text, timestamptz) from public, anon, authenticated;
-- It is asked per candidate row: one probe of the leased rows of the account (a handful), not a scan.
create index if not exists erp_connections_account_lease_idx on public.erp_connections (account_key)
  where lease_owner is not null;

create or replace function public.erp_claim_next_due(
  p_now timestamptz,
  p_owner text,
  p_lease_seconds double precision,
  p_ids uuid[] default null,
  p_exclude uuid[] default '{}',
  p_max_in_flight integer default null
)
returns setof public.erp_connections
-- No fixed search_path: every name is schema-qualified but pg_try_advisory_xact_lock, which
-- supabase/tests/sync/account_lock.test.ts replaces, in its own session only, to hold a claim between its
-- snapshot and its account lock (the race of step 2). Invoker's rights: it runs as the functions' database role.
language plpgsql volatile
-- Each statement planned for the actual arguments and the table as it is now: a plan cached while the table was
-- small (or with the generic parameters) walked every connection per claim (seen at 1 s with 10,000 rows).
set plan_cache_mode = force_custom_plan
as $fn$
declare
  v_candidates uuid[];
begin
  -- A claim lost in a database crash only leaves the connection due for the next claim, so its commit need not
  -- wait for the WAL flush (transaction-local: the caller's statement is the transaction).
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  -- 0. Under an in-flight cap, claims take turns (a transaction-scoped lock, a few ms each), so the count below
  --    sees every lease taken before: the cap is exact.
  if p_max_in_flight is not null then
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('erp-auto-sync:claim', 0));
  end if;
  -- 1. A small batch of the most due free rows is row-locked (concurrent claimers skip it and take the next
  --    batch), then the account lock is tried on that batch only: never on every due row. Nothing is taken while
  --    `p_max_in_flight` connections hold a live lease.
  with batch as (
    select c.id, c.account_key, c.next_sync_at from public.erp_connections c
     where c.status = 'active' and (c.sync_config ->> 'auto_sync') = 'true'
       and (c.next_sync_at is null or c.next_sync_at <= p_now)
       and (c.lease_owner is null or c.lease_expires_at < p_now)
       and public.erp_account_is_free(c.id, c.account_key, p_now)
       and (p_ids is null or c.id = any(p_ids))
       and not (c.id = any(coalesce(p_exclude, '{}')))
       and (p_max_in_flight is null
            or (select pg_catalog.count(*) from public.erp_connections l
                 where l.lease_expires_at >= p_now and l.lease_owner is not null) < p_max_in_flight)
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
  -- 2. A new statement, so a new snapshot taken after our account locks: it sees every sibling claim that
  --    committed before them (the statement that took the locks reads an older snapshot). Lease the first
  --    candidate whose account is still free.
  return query
    with pick as (
      select c.id from pg_catalog.unnest(v_candidates) with ordinality as x(id, n)
        join public.erp_connections c on c.id = x.id
       where (c.lease_owner is null or c.lease_expires_at < p_now)
         and public.erp_account_is_free(c.id, c.account_key, p_now)
       order by x.n limit 1
    )
    update public.erp_connections c
       set lease_owner = p_owner, lease_expires_at = p_now + pg_catalog.make_interval(secs => p_lease_seconds)
      from pick where c.id = pick.id
    returning c.*;
end
$fn$;
revoke all on function public.erp_claim_next_due(timestamptz, text, double precision, uuid[], uuid[], integer)
  from public, anon, authenticated;

-- The claim's order is (next_sync_at nulls first, id): with the due index on next_sync_at alone, every due row
-- (a backlog night: thousands, all with the same next_sync_at) was read, checked and sorted before LIMIT 16.
-- With the id in the index the scan stops after the batch: the claim costs the same at 10 or 10,000 due.
drop index if exists public.erp_connections_due_idx;
create index if not exists erp_connections_due_idx on public.erp_connections (next_sync_at nulls first, id)
  where status = 'active' and (sync_config ->> 'auto_sync') = 'true';
-- Without statistics on the auto_sync expression the planner guesses 0.5 % of rows for it, takes the due index
-- for tiny and sorts every due row instead of walking the index (30 ms at 10,000 due; 0.5 ms with them).
create statistics if not exists public.erp_connections_auto_sync_stats on ((sync_config ->> 'auto_sync'))
  from public.erp_connections;
analyze public.erp_connections;

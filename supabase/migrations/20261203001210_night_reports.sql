-- The night report (one row per night) and who may read it (operators).
--
-- A night runs from noon to noon in Brasília: the 00:00 UTC run (21:00 BRT) and its sweeps until 06:00 UTC all
-- belong to the night of the Brasília evening they started in. The report is written from erp_sync_runs and
-- erp_sync_logs when a run ends and no other run of that night is still going (the last chain of the run),
-- rewritten if a later invocation (a sweep) works in the same night, and by the 10-minute check when a night's
-- last invocation died before closing its run.

create table if not exists public.erp_operators (
  user_id     uuid primary key references auth.users (id) on delete cascade,
  added_at    timestamptz not null default now()
);
alter table public.erp_operators enable row level security;
revoke all on public.erp_operators from anon, authenticated;
grant all on public.erp_operators to service_role;
-- A user sees only their own row: whether they operate. Rows are added by the service role (or SQL).
grant select on public.erp_operators to authenticated;
drop policy if exists erp_operators_self_read on public.erp_operators;
create policy erp_operators_self_read on public.erp_operators for select to authenticated
  using (user_id = (select auth.uid()));

-- Security invoker: it reads erp_operators under the policy above (no definer function users could call).
create or replace function public.is_erp_operator()
returns boolean
language sql stable set search_path = ''
as $$
  select exists (select 1 from public.erp_operators o where o.user_id = (select auth.uid()))
$$;
revoke all on function public.is_erp_operator() from public, anon;
grant execute on function public.is_erp_operator() to authenticated, service_role;

-- Operators read every company's connections (the granted columns only) and alerts, for the Operação page.
drop policy if exists companies_operator_read on public.companies;
create policy companies_operator_read on public.companies for select to authenticated
  using ((select public.is_erp_operator()));
drop policy if exists erp_connections_operator_read on public.erp_connections;
create policy erp_connections_operator_read on public.erp_connections for select to authenticated
  using ((select public.is_erp_operator()));
drop policy if exists erp_sync_alerts_operator_read on public.erp_sync_alerts;
create policy erp_sync_alerts_operator_read on public.erp_sync_alerts for select to authenticated
  using ((select public.is_erp_operator()));

create or replace function public.erp_night_of(p_at timestamptz)
returns date
language sql immutable set search_path = ''
as $$ select ((p_at at time zone 'America/Sao_Paulo') - interval '12 hours')::date $$;

create or replace function public.erp_night_start(p_night date)
returns timestamptz
language sql immutable set search_path = ''
as $$ select (p_night + time '12:00') at time zone 'America/Sao_Paulo' $$;

create table if not exists public.erp_night_reports (
  night            date primary key,
  computed_at      timestamptz not null default now(),
  window_start     timestamptz,
  window_end       timestamptz,
  window_seconds   numeric(10, 1),
  due              integer not null default 0,
  synced           integer not null default 0,
  partial          integer not null default 0,
  failed           integer not null default 0,
  interrupted      integer not null default 0,
  skipped          integer not null default 0,
  invocations      integer not null default 0,
  continuations    integer not null default 0,
  report           jsonb not null
);
alter table public.erp_night_reports enable row level security;
revoke all on public.erp_night_reports from anon, authenticated;
grant all on public.erp_night_reports to service_role;
grant select on public.erp_night_reports to authenticated;
drop policy if exists erp_night_reports_operator_read on public.erp_night_reports;
create policy erp_night_reports_operator_read on public.erp_night_reports for select to authenticated
  using ((select public.is_erp_operator()));

-- The report of one night, from the runs and logs (nothing written).
create or replace function public.erp_compute_night_report(p_night date, p_now timestamptz default now())
returns jsonb
language sql stable security definer set search_path = ''
as $$
  with bounds as (
    select public.erp_night_start(p_night) as lo, public.erp_night_start(p_night + 1) as hi
  ), runs as (
    select r.* from public.erp_sync_runs r, bounds b
     where r.started_at >= b.lo and r.started_at < b.hi and not r.dry_run
  ), logs as (
    select l.*, c.erp_type, c.name as connection_name, co.name as company_name
      from public.erp_sync_logs l
      join runs r on r.id = l.run_id
      join public.erp_connections c on c.id = l.connection_id
      join public.companies co on co.id = l.company_id
  ), finals as (
    -- each connection's outcome: its last log of the night
    select distinct on (connection_id) * from logs order by connection_id, started_at desc
  ), left_over as (
    -- due at the end of the night but never attempted (still due, or stopped in error with auto-sync on)
    select c.id as connection_id, c.erp_type,
           case when c.status = 'error' then 'in_error' else 'not_reached' end as reason
      from public.erp_connections c, bounds b
     where coalesce((c.sync_config ->> 'auto_sync')::boolean, true)
       and c.created_at < b.hi
       and c.status in ('active', 'error')
       and (c.status = 'error' or c.next_sync_at is null or c.next_sync_at < least(b.hi, p_now))
       and not exists (select 1 from finals f where f.connection_id = c.id)
  ), outcomes as (
    select f.erp_type,
           case f.status when 'success' then 'synced' when 'partial' then 'partial' when 'error' then 'failed'
                         else 'interrupted' end as outcome
      from finals f
    union all
    select lo.erp_type, 'skipped' from left_over lo
  ), entity_rows as (
    select e.key as entity, e.value
      from logs l, jsonb_each(coalesce(l.details -> 'entities', '{}'::jsonb)) e
     where jsonb_typeof(e.value) = 'object'
  ), final_entity_errors as (
    select coalesce(e.value #>> '{error,code}', 'UNKNOWN') as code
      from finals f, jsonb_each(coalesce(f.details -> 'entities', '{}'::jsonb)) e
     where jsonb_typeof(e.value) = 'object' and e.value ->> 'status' = 'error'
    union all
    select 'UNKNOWN' from finals f
     where f.status = 'error' and not exists (
       select 1 from jsonb_each(coalesce(f.details -> 'entities', '{}'::jsonb)) e
        where jsonb_typeof(e.value) = 'object' and e.value ->> 'status' = 'error')
  ), record_errors as (
    select coalesce(x ->> 'code', 'UNKNOWN') as code
      from finals f, jsonb_each(coalesce(f.details -> 'entities', '{}'::jsonb)) e,
           jsonb_array_elements(case when jsonb_typeof(e.value -> 'errors') = 'array' then e.value -> 'errors'
                                     else '[]'::jsonb end) x
  ), working_runs as (
    select r.* from runs r where exists (select 1 from logs l where l.run_id = r.id)
  ), win as (
    select (select min(started_at) from working_runs) as ws,
           greatest((select max(completed_at) from logs), (select max(completed_at) from working_runs)) as we
  ), erps as (
    select erp_type from outcomes union select erp_type from logs
  )
  select jsonb_build_object(
    'night', p_night,
    'computed_at', p_now,
    'complete', not exists (select 1 from runs r where r.status = 'running' and r.started_at > p_now - interval '15 minutes'),
    'window', jsonb_build_object(
      'start', w.ws, 'end', w.we,
      'seconds', round(extract(epoch from (w.we - w.ws))::numeric, 1),
      'target_seconds', 1800,
      'within_target', coalesce(extract(epoch from (w.we - w.ws)) <= 1800, true)),
    'totals', (select jsonb_build_object(
        'due', count(*),
        'synced', count(*) filter (where outcome = 'synced'),
        'partial', count(*) filter (where outcome = 'partial'),
        'failed', count(*) filter (where outcome = 'failed'),
        'interrupted', count(*) filter (where outcome = 'interrupted'),
        'skipped', count(*) filter (where outcome = 'skipped')) from outcomes),
    'skipped_reasons', coalesce((select jsonb_object_agg(reason, n) from
        (select reason, count(*) as n from left_over group by reason) s), '{}'::jsonb),
    'by_erp', coalesce((select jsonb_object_agg(e.erp_type, jsonb_build_object(
        'due', (select count(*) from outcomes o where o.erp_type = e.erp_type),
        'synced', (select count(*) from outcomes o where o.erp_type = e.erp_type and o.outcome = 'synced'),
        'partial', (select count(*) from outcomes o where o.erp_type = e.erp_type and o.outcome = 'partial'),
        'failed', (select count(*) from outcomes o where o.erp_type = e.erp_type and o.outcome = 'failed'),
        'interrupted', (select count(*) from outcomes o where o.erp_type = e.erp_type and o.outcome = 'interrupted'),
        'skipped', (select count(*) from outcomes o where o.erp_type = e.erp_type and o.outcome = 'skipped'),
        'p50_ms', (select round(percentile_cont(0.5) within group (order by l.duration_ms))
                     from logs l where l.erp_type = e.erp_type and l.duration_ms is not null),
        'p95_ms', (select round(percentile_cont(0.95) within group (order by l.duration_ms))
                     from logs l where l.erp_type = e.erp_type and l.duration_ms is not null)))
        from erps e), '{}'::jsonb),
    'by_error_code', coalesce((select jsonb_object_agg(code, n) from
        (select code, count(*) as n from final_entity_errors group by code) s), '{}'::jsonb),
    'record_error_codes', coalesce((select jsonb_object_agg(code, n) from
        (select code, count(*) as n from record_errors group by code) s), '{}'::jsonb),
    'records_by_entity', coalesce((select jsonb_object_agg(entity, jsonb_build_object('synced', s, 'failed', f)) from
        (select entity, sum(coalesce((value ->> 'synced')::bigint, 0)) as s,
                sum(coalesce((value ->> 'failed')::bigint, 0)) as f
           from entity_rows group by entity) s), '{}'::jsonb),
    'invocations', (select count(*) from runs),
    'continuations', (select count(*) from runs where source = 'continuation'),
    'empty_invocations', (select count(*) from runs r where not exists (select 1 from logs l where l.run_id = r.id)),
    'syncs', (select count(*) from logs),
    'slowest', coalesce((select jsonb_agg(s order by s.duration_ms desc) from (
        select l.connection_id, l.company_name, l.erp_type, l.connection_name, l.status, l.duration_ms,
               l.records_synced, l.records_failed
          from logs l where l.duration_ms is not null order by l.duration_ms desc limit 10) s), '[]'::jsonb))
  from win w
$$;

-- Writes (or rewrites) one night's row.
create or replace function public.erp_write_night_report(p_night date, p_now timestamptz default now())
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  r jsonb := public.erp_compute_night_report(p_night, p_now);
begin
  insert into public.erp_night_reports as n (night, computed_at, window_start, window_end, window_seconds, due, synced,
    partial, failed, interrupted, skipped, invocations, continuations, report)
  values (p_night, p_now, (r #>> '{window,start}')::timestamptz, (r #>> '{window,end}')::timestamptz,
    (r #>> '{window,seconds}')::numeric, (r #>> '{totals,due}')::int, (r #>> '{totals,synced}')::int,
    (r #>> '{totals,partial}')::int, (r #>> '{totals,failed}')::int, (r #>> '{totals,interrupted}')::int,
    (r #>> '{totals,skipped}')::int, (r ->> 'invocations')::int, (r ->> 'continuations')::int, r)
  on conflict (night) do update set computed_at = excluded.computed_at, window_start = excluded.window_start,
    window_end = excluded.window_end, window_seconds = excluded.window_seconds, due = excluded.due,
    synced = excluded.synced, partial = excluded.partial, failed = excluded.failed,
    interrupted = excluded.interrupted, skipped = excluded.skipped, invocations = excluded.invocations,
    continuations = excluded.continuations, report = excluded.report;
  return r;
end
$$;

-- A run ended: when it was the last one going in its night, the night's report is (re)written.
create or replace function public.erp_sync_runs_write_report()
returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_night date := public.erp_night_of(new.started_at);
begin
  -- Two runs of a night ending at once: serialised here, the second one (next statement, new snapshot) sees the
  -- first one ended and writes the report — neither skips because of the other.
  perform pg_advisory_xact_lock(hashtextextended('erp-night-report:' || v_night::text, 0));
  if not exists (select 1 from public.erp_sync_runs r
                  where r.id <> new.id and r.status = 'running' and not r.dry_run
                    and r.started_at >= public.erp_night_start(v_night)
                    and r.started_at < public.erp_night_start(v_night + 1)
                    and r.started_at > now() - interval '15 minutes') then
    begin
      perform public.erp_write_night_report(v_night);
    exception when others then
      raise warning 'erp night report: % failed: %', v_night, sqlerrm;
    end;
  end if;
  return null;
end
$$;
drop trigger if exists erp_sync_runs_report on public.erp_sync_runs;
create trigger erp_sync_runs_report after update of status on public.erp_sync_runs
  for each row when (old.status = 'running' and new.status <> 'running' and not new.dry_run)
  execute function public.erp_sync_runs_write_report();

-- The 10-minute check: nights of the last two days whose runs changed after their report was written (or that
-- have none), once no invocation of theirs is still alive (a run 'running' for 15 minutes is dead).
create or replace function public.erp_refresh_night_reports(p_now timestamptz default now())
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_night date;
  n int := 0;
begin
  for v_night in
    select g.night from (
      select public.erp_night_of(r.started_at) as night,
             max(greatest(r.started_at, r.completed_at)) as last_change,
             bool_or(r.status = 'running' and r.started_at > p_now - interval '15 minutes') as alive
        from public.erp_sync_runs r
       where r.started_at >= p_now - interval '2 days' and not r.dry_run
       group by 1) g
     left join public.erp_night_reports nr on nr.night = g.night
     where not g.alive and (nr.night is null or nr.computed_at < g.last_change
                            or (nr.report ->> 'complete')::boolean is not true)
  loop
    perform public.erp_write_night_report(v_night, p_now);
    n := n + 1;
  end loop;
  return n;
end
$$;

-- What the Operação page shows (operators only; anyone else gets 42501): the last nights, the connections that
-- need attention now, and the last night's slowest syncs. Security invoker: it reads through the operators'
-- policies above, so even without its own check a non-operator would only get their own companies' rows.
create or replace function public.erp_ops_overview(p_nights int default 30)
returns jsonb
language plpgsql stable set search_path = ''
as $$
begin
  if not public.is_erp_operator() then
    raise exception 'operations role required' using errcode = '42501';
  end if;
  return jsonb_build_object(
    'nights', coalesce((select jsonb_agg(jsonb_build_object(
        'night', n.night, 'window_seconds', n.window_seconds, 'due', n.due, 'synced', n.synced,
        'partial', n.partial, 'failed', n.failed, 'interrupted', n.interrupted, 'skipped', n.skipped,
        'failed_by_erp', coalesce((select jsonb_object_agg(e.key, (e.value ->> 'failed')::int)
                                     from jsonb_each(n.report -> 'by_erp') e), '{}'::jsonb))
        order by n.night)
        from (select * from public.erp_night_reports order by night desc limit greatest(1, least(p_nights, 366))) n),
      '[]'::jsonb),
    'last_night', (select n.report from public.erp_night_reports n order by n.night desc limit 1),
    'attention', coalesce((select jsonb_agg(x order by x.company_name, x.erp_type) from (
        select c.id as connection_id, co.name as company_name, c.erp_type, c.name as connection_name, c.status,
               c.status_message, c.last_sync_at,
               coalesce((select jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'code', a.code,
                          'message', a.message, 'opened_at', a.opened_at, 'acknowledged', a.acknowledged_at is not null,
                          'delivery_status', a.delivery_status) order by a.opened_at)
                         from public.erp_sync_alerts a where a.connection_id = c.id and a.resolved_at is null),
                        '[]'::jsonb) as alerts
          from public.erp_connections c join public.companies co on co.id = c.company_id
         where c.status = 'error'
            or exists (select 1 from public.erp_sync_alerts a where a.connection_id = c.id and a.resolved_at is null)
         limit 200) x), '[]'::jsonb));
end
$$;
revoke all on function public.erp_ops_overview(int) from public, anon;
grant execute on function public.erp_ops_overview(int) to authenticated, service_role;

do $$
declare
  f text;
begin
  foreach f in array array['erp_night_of(timestamptz)', 'erp_night_start(date)',
    'erp_compute_night_report(date,timestamptz)', 'erp_write_night_report(date,timestamptz)',
    'erp_sync_runs_write_report()', 'erp_refresh_night_reports(timestamptz)']
  loop
    execute format('revoke all on function public.%s from public, anon, authenticated', f);
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;

select cron.schedule('erp-night-report', '*/10 * * * *', 'select public.erp_refresh_night_reports()');

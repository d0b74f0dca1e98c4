-- sync_config: one grammar for schedules, one place for defaults, and schedules honoured at any hour.
--
-- 1. public.erp_schedule_is_valid(text): the schedule grammar the scheduler understands, `m h * * dow` in UTC,
--    fields separated by one space; minute 0-59, hour 0-23, day-of-week 0-7 (0 and 7 = Sunday); each field a
--    comma list of `*`, `n` or `a-b`, each optionally `/step` (step >= 1; `n/step` runs from n to the field's
--    maximum). The TypeScript parser (supabase/functions/_shared/sync/schedule.ts) implements the same grammar;
--    supabase/tests/sync/sync_config.test.ts runs both over one table of cases.
-- 2. public.erp_sync_config_defaults() decides the defaults; a trigger normalises sync_config on every write
--    (defaults filled in, entities completed), so `{}` means auto_sync true for the due query, the engine and the
--    card alike. Existing rows are normalised here.
-- 3. A cheap due-check job every minute, through the day: it calls erp-auto-sync only when a connection is due
--    and no run is in progress, so a `0 12 * * *` schedule runs at noon. The nightly jobs stay as they were.

create or replace function public.erp_schedule_is_valid(expr text)
returns boolean
language plpgsql immutable set search_path = ''
as $$
declare
  fields text[];
  part text;
  m text[];
  lo numeric;
  hi numeric;
  lims int[] := array[59, 23, 7];
  idx int[] := array[1, 2, 5];
  i int;
begin
  if expr is null then return false; end if;
  fields := string_to_array(expr, ' ');
  if coalesce(array_length(fields, 1), 0) <> 5 or fields[3] <> '*' or fields[4] <> '*' then return false; end if;
  for i in 1..3 loop
    if fields[idx[i]] = '' then return false; end if;
    foreach part in array string_to_array(fields[idx[i]], ',') loop
      m := regexp_match(part, '^(\*|([0-9]+)(-([0-9]+))?)(/([0-9]+))?$');
      if m is null then return false; end if;
      if m[1] = '*' then
        lo := 0;
        hi := lims[i];
      else
        lo := m[2]::numeric;
        hi := coalesce(m[4]::numeric, case when m[6] is not null then lims[i] else lo end);
      end if;
      if lo < 0 or hi > lims[i] or lo > hi or coalesce(m[6]::numeric, 1) < 1 then return false; end if;
    end loop;
  end loop;
  return true;
end
$$;
grant execute on function public.erp_schedule_is_valid(text) to authenticated, service_role;

-- The defaults of every sync_config key (the TypeScript view, _shared/sync/config.ts, is tested against it).
create or replace function public.erp_sync_config_defaults()
returns jsonb
language sql immutable set search_path = ''
as $$
  select '{"auto_sync": true, "full_resync": false,
           "entities": {"nfe": true, "products": true, "financials": true, "profile": true},
           "nfe_lookback_days": 90, "nfe_overlap_days": 3, "max_consecutive_failures": 3,
           "schedule": "0 0 * * *"}'::jsonb
$$;
grant execute on function public.erp_sync_config_defaults() to authenticated, service_role;

-- Defaults filled in; anything that is not an object (or entities that are not one) is left for the check.
create or replace function public.erp_sync_config_normalize(cfg jsonb)
returns jsonb
language sql immutable set search_path = ''
as $$
  select case
    when cfg is null or jsonb_typeof(cfg) <> 'object' then cfg
    when cfg ? 'entities' and jsonb_typeof(cfg -> 'entities') <> 'object' then public.erp_sync_config_defaults() || cfg
    else public.erp_sync_config_defaults() || cfg
         || jsonb_build_object('entities', (public.erp_sync_config_defaults() -> 'entities') || coalesce(cfg -> 'entities', '{}'::jsonb))
  end
$$;

create or replace function public.erp_sync_config_is_valid(cfg jsonb)
returns boolean
language plpgsql immutable set search_path = ''
as $$
declare
  k text;
  v jsonb;
begin
  if cfg is null or jsonb_typeof(cfg) <> 'object' then return false; end if;
  for k, v in select * from jsonb_each(cfg) loop
    case k
      when 'auto_sync', 'full_resync' then
        if jsonb_typeof(v) <> 'boolean' then return false; end if;
      when 'entities' then
        if jsonb_typeof(v) <> 'object' then return false; end if;
        if exists (select 1 from jsonb_each(v) e
                   where e.key not in ('nfe', 'products', 'financials', 'profile')
                      or jsonb_typeof(e.value) <> 'boolean') then
          return false;
        end if;
      when 'nfe_lookback_days' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 1 and 366 then return false; end if;
      when 'nfe_overlap_days' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 0 and 30 then return false; end if;
      when 'max_consecutive_failures' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 1 and 60 then return false; end if;
      when 'schedule' then
        if jsonb_typeof(v) <> 'string' or not public.erp_schedule_is_valid(v #>> '{}') then return false; end if;
      else
        return false;
    end case;
  end loop;
  return true;
end
$$;

create or replace function public.erp_connections_normalize_sync_config()
returns trigger language plpgsql set search_path = '' as $$
begin
  new.sync_config := public.erp_sync_config_normalize(new.sync_config);
  return new;
end
$$;
drop trigger if exists erp_connections_sync_config on public.erp_connections;
create trigger erp_connections_sync_config before insert or update of sync_config on public.erp_connections
  for each row execute function public.erp_connections_normalize_sync_config();

-- Existing rows: a schedule the scheduler cannot run (the old check let `0 24 * * *` through) falls back to the
-- default, then every row is normalised by the trigger.
update public.erp_connections set sync_config = sync_config - 'schedule'
 where sync_config ? 'schedule' and not public.erp_schedule_is_valid(sync_config ->> 'schedule');
update public.erp_connections set sync_config = sync_config
 where sync_config is distinct from public.erp_sync_config_normalize(sync_config);

-- The due-check: the same "due" as the orchestrator's claim (supabase/functions/_shared/db/connections.ts):
-- active, auto_sync on, next_sync_at null or past, not leased. It costs one probe of erp_connections_due_idx.
-- While a run is in progress (it claims everything due and hands on by itself) nothing is sent.
create or replace function public.invoke_erp_auto_sync_if_due()
returns bigint
language plpgsql volatile security definer set search_path = ''
as $fn$
begin
  if not exists (
       select 1 from public.erp_connections c
        where c.status = 'active' and (c.sync_config ->> 'auto_sync') = 'true'
          and (c.next_sync_at is null or c.next_sync_at <= now())
          and (c.lease_owner is null or c.lease_expires_at < now()))
     or exists (
       select 1 from public.erp_sync_runs r
        where r.status = 'running' and r.started_at > now() - interval '10 minutes') then
    return null;
  end if;
  return public.invoke_erp_auto_sync();
end
$fn$;
revoke all on function public.invoke_erp_auto_sync_if_due() from public, anon, authenticated;

select cron.schedule('erp-auto-sync-due', '* * * * *', 'select public.invoke_erp_auto_sync_if_due()');

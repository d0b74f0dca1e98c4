-- Cheaper connection writes (issue #14: orchestrator overhead under 5 ms per connection). A nightly connection
-- costs two writes of its erp_connections row, the claim's lease and the close; auto_explain on the bench's probe
-- showed most of their time was not the write:
--
-- 1. Postgres re-evaluates every CHECK constraint of a row on every UPDATE, whatever columns changed. The
--    sync_config check is PL/pgSQL that parses the cron schedule (every stored config has one), about 0.65 ms
--    per write; the https base-URL check calls a non-inlined function twice. Both rules now run in the BEFORE
--    trigger that already normalises sync_config, on insert and on an update that changes sync_config or a base
--    URL; the error is the same (check_violation, the same constraint name). A lease or a close no longer pays
--    for them. As before, the rules hold for every row written since they were added: only a write can break
--    them, and every write of those columns is checked.
-- 2. The alert evaluation after every close (erp_connections_alerts) resolved each of the four kinds with its own
--    statement and parsed the schedule three times to find when the connection would be overdue. It now reads the
--    open kinds once and resolves only those, and skips the overdue slots while the connection is not yet due.
--    The rules are unchanged (supabase/tests/database/sync_alerts.test.sql).
--
-- Measured in the bench's overhead probe (docs/night-at-scale.md, Evidence).

create or replace function public.erp_connections_normalize_sync_config()
returns trigger language plpgsql set search_path = '' as $$
begin
  new.sync_config := public.erp_sync_config_normalize(new.sync_config);
  if not public.erp_sync_config_is_valid(new.sync_config) then
    raise exception 'new row for relation "erp_connections" violates check constraint "erp_connections_sync_config_check"'
      using errcode = 'check_violation', schema = 'public', table = 'erp_connections',
            constraint = 'erp_connections_sync_config_check',
            hint = 'sync_config: see public.erp_sync_config_is_valid for the keys and values allowed.';
  end if;
  if not (public.erp_base_url_is_allowed(new.api_base_url)
          and (new.auth_base_url is null or public.erp_base_url_is_allowed(new.auth_base_url))) then
    raise exception 'new row for relation "erp_connections" violates check constraint "erp_connections_https_base_urls"'
      using errcode = 'check_violation', schema = 'public', table = 'erp_connections',
            constraint = 'erp_connections_https_base_urls',
            hint = 'ERP base URLs must be https (plain http only to a loopback host).';
  end if;
  return new;
end
$$;

drop trigger if exists erp_connections_sync_config on public.erp_connections;
drop trigger if exists erp_connections_sync_config_update on public.erp_connections;
create trigger erp_connections_sync_config before insert on public.erp_connections
  for each row execute function public.erp_connections_normalize_sync_config();
create trigger erp_connections_sync_config_update
  before update of sync_config, api_base_url, auth_base_url on public.erp_connections
  for each row when (old.sync_config is distinct from new.sync_config
                     or old.api_base_url is distinct from new.api_base_url
                     or old.auth_base_url is distinct from new.auth_base_url)
  execute function public.erp_connections_normalize_sync_config();

alter table public.erp_connections drop constraint if exists erp_connections_sync_config_check;
alter table public.erp_connections drop constraint if exists erp_connections_https_base_urls;

create or replace function public.erp_evaluate_alerts(p_connection_id uuid, p_now timestamptz default now())
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  c public.erp_connections;
  v_erp text;
  v_max int;
  v_auto boolean;
  v_schedule text;
  v_last record;
  v_auth_code text;
  v_err_code text;
  v_recent int;
  v_failing int;
  v_failed_records int;
  v_rec_code text;
  v_due timestamptz;
  v_overdue_at timestamptz;
  v_open text[];
begin
  select * into c from public.erp_connections where id = p_connection_id;
  if not found then return; end if;
  -- The kinds open now: only those can be resolved (four resolve statements per close cost more than this read).
  select coalesce(array_agg(a.kind), '{}') into v_open
    from public.erp_sync_alerts a where a.connection_id = c.id and a.resolved_at is null;
  v_erp := public.erp_display_name(c.erp_type);
  v_max := coalesce((c.sync_config ->> 'max_consecutive_failures')::int, 3);
  v_auto := coalesce((c.sync_config ->> 'auto_sync')::boolean, true);
  v_schedule := coalesce(c.sync_config ->> 'schedule', '0 0 * * *');

  -- The last finished sync (interrupted ones say nothing about the ERP).
  select l.id, l.status, l.details, l.records_failed, l.completed_at into v_last
    from public.erp_sync_logs l
   where l.connection_id = c.id and l.status in ('success', 'partial', 'error')
   order by l.started_at desc limit 1;
  if v_last.id is not null then
    select e.value #>> '{error,code}' into v_auth_code
      from jsonb_each(coalesce(v_last.details -> 'entities', '{}'::jsonb)) e
     where jsonb_typeof(e.value) = 'object' and e.value #>> '{error,kind}' = 'auth'
     limit 1;
    select e.value #>> '{error,code}' into v_err_code
      from jsonb_each(coalesce(v_last.details -> 'entities', '{}'::jsonb)) e
     where jsonb_typeof(e.value) = 'object' and e.value ->> 'status' = 'error'
     limit 1;
  end if;

  -- auth_failure: at once, while the last finished sync failed on authorisation.
  if c.status <> 'inactive' and v_auth_code is not null then
    perform public.erp_alert_open(c, 'auth_failure', v_auth_code,
      format('A autorização do %s foi revogada ou expirou: a sincronização está parada.', v_erp),
      format('Reconecte a integração em Integrações › %s. A próxima sincronização volta a rodar sozinha.', v_erp),
      jsonb_build_object('log_id', v_last.id), p_now);
  elsif 'auth_failure' = any(v_open) then
    perform public.erp_alert_resolve(c.id, 'auth_failure', p_now);
  end if;

  -- repeated_failures: max_consecutive_failures failed syncs in a row (an auth failure has its own alert).
  if c.status <> 'inactive' and c.consecutive_failures >= v_max and v_auth_code is null then
    perform public.erp_alert_open(c, 'repeated_failures', coalesce(v_err_code, 'REPEATED_FAILURES'),
      format('A sincronização com o %s falhou %s vezes seguidas e foi pausada.', v_erp, c.consecutive_failures),
      format('Verifique se a conta do %s está ativa e acessível e clique em “Sincronizar agora”. Se continuar falhando, fale com o suporte.', v_erp),
      jsonb_build_object('consecutive_failures', c.consecutive_failures, 'log_id', v_last.id), p_now);
  elsif (c.consecutive_failures < v_max or c.status = 'inactive') and 'repeated_failures' = any(v_open) then
    perform public.erp_alert_resolve(c.id, 'repeated_failures', p_now);
  end if;

  -- records_failing: the last v_max automatic finished syncs all had failed records.
  select count(*)::int, count(*) filter (where x.records_failed > 0)::int,
         coalesce(sum(x.records_failed), 0)::int
    into v_recent, v_failing, v_failed_records
    from (select l.records_failed from public.erp_sync_logs l
           where l.connection_id = c.id and l.sync_type = 'auto' and l.status in ('success', 'partial', 'error')
           order by l.started_at desc limit v_max) x;
  if c.status <> 'inactive' and v_recent >= v_max and v_failing = v_recent then
    select coalesce((select e2 ->> 'code'
                       from jsonb_each(coalesce(v_last.details -> 'entities', '{}'::jsonb)) e,
                            jsonb_array_elements(case when jsonb_typeof(e.value -> 'errors') = 'array'
                                                      then e.value -> 'errors' else '[]'::jsonb end) e2
                      limit 1), 'RECORDS_FAILED') into v_rec_code;
    perform public.erp_alert_open(c, 'records_failing', v_rec_code,
      format('Registros do %s falham em toda sincronização: %s com falha nas últimas %s noites (código %s).',
             v_erp, v_failed_records, v_max, v_rec_code),
      format('Abra o histórico da integração para ver quais registros falham e corrija-os no %s (por exemplo, notas com XML inválido); eles são lidos de novo a cada noite.', v_erp),
      jsonb_build_object('records_failed', v_failed_records, 'nights', v_max, 'log_id', v_last.id), p_now);
  elsif (c.status = 'inactive' or (v_last.id is not null and v_last.status in ('success', 'partial')
                                   and v_last.records_failed = 0))
        and 'records_failing' = any(v_open) then
    perform public.erp_alert_resolve(c.id, 'records_failing', p_now);
  end if;

  -- sync_overdue: auto-sync on and active, yet two slots passed since the connection was due.
  v_due := coalesce(c.next_sync_at, c.created_at);
  -- The third slot from v_due is never before v_due: while the connection is not yet due (every close of a sync
  -- that moved next_sync_at ahead) it cannot be overdue, and the schedule is not parsed.
  if c.status = 'active' and v_auto and p_now >= v_due then
    begin
      v_overdue_at := public.erp_next_slot_after(public.erp_next_slot_after(
        public.erp_next_slot_after(v_due - interval '1 microsecond', v_schedule), v_schedule), v_schedule);
    exception when others then
      v_overdue_at := null; -- an unreadable schedule is the engine's config error, not an overdue sync
    end;
  end if;
  if c.status = 'active' and v_auto and v_overdue_at is not null and p_now >= v_overdue_at then
    perform public.erp_alert_open(c, 'sync_overdue', 'SYNC_OVERDUE',
      format('O %s não sincroniza desde %s: dois horários programados passaram sem sincronização.', v_erp,
             coalesce(to_char(c.last_sync_at at time zone 'America/Sao_Paulo', 'DD/MM/YYYY HH24:MI') || ' (Brasília)',
                      'a conexão')),
      'A sincronização automática está ligada, mas não rodou. Clique em “Sincronizar agora”; se não resolver, a equipe de operações verifica o agendamento.',
      jsonb_build_object('due_since', v_due, 'last_sync_at', c.last_sync_at), p_now);
  elsif 'sync_overdue' = any(v_open) then
    perform public.erp_alert_resolve(c.id, 'sync_overdue', p_now);
  end if;
end
$$;

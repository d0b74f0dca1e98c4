-- Alerts: a connection that needs a person opens one alert per episode, resolved automatically when it
-- recovers, delivered once to operations through an optional chat webhook (pg_net, after commit).
--
-- Episodes are decided in the database from the state the sync engine already writes (erp_connections after
-- each sync, the connection's finished erp_sync_logs), so the engine needs no change:
--   auth_failure       the last finished sync failed on authorisation (immediately);
--   repeated_failures  consecutive_failures reached sync_config.max_consecutive_failures (default 3);
--   records_failing    the last max_consecutive_failures automatic syncs all had failed records;
--   sync_overdue       auto-sync on, connection active, and two schedule slots passed since it was due
--                      without a sync (checked every 10 minutes by pg_cron).
-- One open alert per connection and kind (partial unique index): re-evaluating never duplicates.
--
-- Webhook: the Vault secret 'erp_alert_webhook_url' (optional; absent = alerts are kept but not sent):
--   select vault.create_secret('https://hooks.slack.com/services/…', 'erp_alert_webhook_url');
-- Body: Slack-style incoming-webhook JSON, a `text` field posted as is (https://api.slack.com/messaging/webhooks,
-- https://docs.slack.dev/tools/java-slack-sdk/guides/incoming-webhooks), plus the structured alert under `alert`.
-- A failed delivery (non-2xx, timeout, transport error, read from net._http_response) is sent again with
-- exponential backoff by the 'erp-alerts-delivery' job; a delivered alert is never sent again. A receiver that
-- answered too late (pg_net timed out) may get it twice: the `X-Erp-Alert-Id` header and `alert.id` let it
-- drop the repeat.

-- ---------------------------------------------------------------------------------------------------------
-- Schedule slots in SQL (the same rule as supabase/functions/_shared/sync/schedule.ts: UTC 'm h * * dow')
-- ---------------------------------------------------------------------------------------------------------
create or replace function public.erp_cron_field(p_expr text, p_min int, p_max int)
returns int[]
language plpgsql immutable set search_path = ''
as $$
declare
  part text;
  m text[];
  lo int;
  hi int;
  step int;
  acc int[] := '{}';
begin
  foreach part in array string_to_array(p_expr, ',') loop
    m := regexp_match(part, '^(\*|\d+(?:-\d+)?)(?:/(\d+))?$');
    if m is null then raise exception 'invalid schedule field %', p_expr using errcode = '22023'; end if;
    lo := p_min;
    hi := p_max;
    if m[1] <> '*' then
      lo := split_part(m[1], '-', 1)::int;
      hi := case when position('-' in m[1]) > 0 then split_part(m[1], '-', 2)::int
                 when m[2] is not null then p_max else lo end;
    end if;
    step := coalesce(m[2]::int, 1);
    if lo < p_min or hi > p_max or lo > hi or step < 1 then
      raise exception 'schedule field % out of range %-%', p_expr, p_min, p_max using errcode = '22023';
    end if;
    acc := acc || array(select generate_series(lo, hi, step));
  end loop;
  return array(select distinct x from unnest(acc) x order by x);
end
$$;

-- The first slot of the schedule strictly after p_after.
create or replace function public.erp_next_slot_after(p_after timestamptz, p_schedule text default '0 0 * * *')
returns timestamptz
language plpgsql immutable set search_path = ''
as $$
declare
  parts text[] := regexp_split_to_array(btrim(coalesce(p_schedule, '0 0 * * *')), '\s+');
  mins int[];
  hrs int[];
  dows int[];
  day0 timestamp := date_trunc('day', p_after at time zone 'UTC');
  d int;
  h int;
  mi int;
  t timestamptz;
begin
  if array_length(parts, 1) <> 5 or parts[3] <> '*' or parts[4] <> '*' then
    raise exception 'schedule must look like ''m h * * dow'', got %', p_schedule using errcode = '22023';
  end if;
  mins := public.erp_cron_field(parts[1], 0, 59);
  hrs := public.erp_cron_field(parts[2], 0, 23);
  dows := array(select x % 7 from unnest(public.erp_cron_field(parts[5], 0, 7)) x);
  for d in 0..8 loop
    if extract(dow from day0 + make_interval(days => d))::int = any (dows) then
      foreach h in array hrs loop
        foreach mi in array mins loop
          t := (day0 + make_interval(days => d, hours => h, mins => mi)) at time zone 'UTC';
          if t > p_after then return t; end if;
        end loop;
      end loop;
    end if;
  end loop;
  raise exception 'schedule % has no slot in the next week', p_schedule using errcode = '22023';
end
$$;

-- ERP display names (as in supabase/functions/_shared/sync/messages.ts ERP_NAMES).
create or replace function public.erp_display_name(p_erp text)
returns text
language sql immutable set search_path = ''
as $$
  select case p_erp when 'bling' then 'Bling' when 'omie' then 'Omie' when 'tiny' then 'Tiny (Olist ERP)'
                    when 'conta_azul' then 'Conta Azul' else p_erp end
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The alerts
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.erp_sync_alerts (
  id                   uuid primary key default gen_random_uuid(),
  company_id           uuid not null references public.companies (id) on delete cascade,
  connection_id        uuid not null references public.erp_connections (id) on delete cascade,
  kind                 text not null
                         check (kind in ('auth_failure', 'repeated_failures', 'records_failing', 'sync_overdue')),
  code                 text not null check (length(code) between 1 and 100),
  -- pt-BR: what happened, and what to do
  message              text not null check (length(message) <= 1000),
  action               text not null check (length(action) <= 1000),
  details              jsonb not null default '{}'::jsonb,
  opened_at            timestamptz not null default now(),
  resolved_at          timestamptz,
  acknowledged_at      timestamptz,
  acknowledged_by      uuid references auth.users (id) on delete set null,
  -- delivery to operations (webhook)
  delivery_status      text not null default 'not_configured'
                         check (delivery_status in ('not_configured', 'pending', 'delivered', 'failed')),
  delivery_attempts    integer not null default 0 check (delivery_attempts >= 0),
  delivery_request_id  bigint,
  last_attempt_at      timestamptz,
  delivered_at         timestamptz,
  delivery_error       text check (length(delivery_error) <= 500),
  check (resolved_at is null or resolved_at >= opened_at)
);
-- One open alert per connection and kind: an episode.
create unique index if not exists erp_sync_alerts_one_open_idx on public.erp_sync_alerts (connection_id, kind)
  where resolved_at is null;
create index if not exists erp_sync_alerts_company_idx on public.erp_sync_alerts (company_id, opened_at desc);
create index if not exists erp_sync_alerts_pending_idx on public.erp_sync_alerts (last_attempt_at)
  where delivery_status = 'pending';

alter table public.erp_sync_alerts enable row level security;
revoke all on public.erp_sync_alerts from anon, authenticated;
grant all on public.erp_sync_alerts to service_role;
-- Members read their companies' alerts and may only acknowledge them: UPDATE on the two acknowledgement
-- columns only (column grant), on their companies' rows only (policy); the guard below makes the server set
-- both values (now(), the caller), and an acknowledgement is never undone.
grant select on public.erp_sync_alerts to authenticated;
grant update (acknowledged_at, acknowledged_by) on public.erp_sync_alerts to authenticated;
drop policy if exists erp_sync_alerts_member_read on public.erp_sync_alerts;
create policy erp_sync_alerts_member_read on public.erp_sync_alerts for select to authenticated
  using ((select public.is_company_member(company_id)));
drop policy if exists erp_sync_alerts_member_acknowledge on public.erp_sync_alerts;
create policy erp_sync_alerts_member_acknowledge on public.erp_sync_alerts for update to authenticated
  using ((select public.is_company_member(company_id)))
  with check ((select public.is_company_member(company_id)));

create or replace function public.erp_sync_alerts_acknowledge_guard()
returns trigger
language plpgsql set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    new.acknowledged_at := coalesce(old.acknowledged_at, now());
    new.acknowledged_by := coalesce(old.acknowledged_by, auth.uid());
  end if;
  return new;
end
$$;
drop trigger if exists erp_sync_alerts_acknowledge on public.erp_sync_alerts;
create trigger erp_sync_alerts_acknowledge before update on public.erp_sync_alerts
  for each row execute function public.erp_sync_alerts_acknowledge_guard();

-- ---------------------------------------------------------------------------------------------------------
-- Delivery (pg_net sends after commit; the outcome lands in net._http_response)
-- ---------------------------------------------------------------------------------------------------------
create or replace function public.erp_alert_webhook_body(p_alert public.erp_sync_alerts)
returns jsonb
language sql stable set search_path = ''
as $$
  select jsonb_build_object(
    'text', format('⚠️ %s — %s%s: %s O que fazer: %s',
                   public.erp_display_name(c.erp_type), co.name,
                   case when c.name <> '' then ' (' || c.name || ')' else '' end,
                   p_alert.message, p_alert.action),
    'alert', jsonb_build_object(
      'id', p_alert.id, 'event', 'erp_sync_alert.opened', 'kind', p_alert.kind, 'code', p_alert.code,
      'message', p_alert.message, 'action', p_alert.action, 'opened_at', p_alert.opened_at,
      'company_id', p_alert.company_id, 'company_name', co.name,
      'connection_id', p_alert.connection_id, 'connection_name', c.name, 'erp_type', c.erp_type,
      'details', p_alert.details))
  from public.erp_connections c join public.companies co on co.id = c.company_id
  where c.id = p_alert.connection_id
$$;

-- One delivery attempt: queue the POST (or mark 'not_configured' without a webhook secret).
create or replace function public.erp_alert_send(p_alert_id uuid, p_now timestamptz default now())
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v public.erp_sync_alerts;
  v_url text;
  v_req bigint;
begin
  select * into v from public.erp_sync_alerts where id = p_alert_id for update;
  if not found or v.delivery_status = 'delivered' then return; end if;
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'erp_alert_webhook_url';
  if v_url is null or btrim(v_url) = '' then
    update public.erp_sync_alerts set delivery_status = 'not_configured' where id = p_alert_id;
    return;
  end if;
  v_req := net.http_post(
    url := btrim(v_url),
    body := public.erp_alert_webhook_body(v),
    headers := jsonb_build_object('Content-Type', 'application/json', 'X-Erp-Alert-Id', v.id::text),
    timeout_milliseconds := 10000
  );
  update public.erp_sync_alerts
     set delivery_status = 'pending', delivery_attempts = delivery_attempts + 1, delivery_request_id = v_req,
         last_attempt_at = p_now
   where id = p_alert_id;
end
$$;

-- Backoff before attempt n+1 after n failed attempts: 1, 2, 4, 8, 16 minutes; 6 attempts in all.
create or replace function public.erp_alert_retry_delay(p_attempts int)
returns interval
language sql immutable set search_path = ''
as $$ select make_interval(mins => least(60, (2 ^ greatest(0, p_attempts - 1))::int)) $$;

-- Reads the outcome of pending deliveries and re-sends the failed ones when their backoff is over.
-- A request with no recorded outcome after 10 minutes counts as failed (pg_net lost it).
create or replace function public.erp_deliver_alerts(p_now timestamptz default now())
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  a record;
  v_max_attempts constant int := 6;
  v_resent int := 0;
  v_error text;
begin
  for a in
    select al.id, al.delivery_attempts, al.last_attempt_at, r.status_code, r.timed_out, r.error_msg,
           (r.id is not null or r.created is not null) as answered
      from public.erp_sync_alerts al
      left join lateral (select * from net._http_response x where x.id = al.delivery_request_id
                         order by x.created desc limit 1) r on true
     where al.delivery_status = 'pending'
     order by al.last_attempt_at
     limit 500
     for update of al skip locked
  loop
    if a.status_code between 200 and 299 then
      update public.erp_sync_alerts set delivery_status = 'delivered', delivered_at = p_now, delivery_error = null
       where id = a.id;
      continue;
    end if;
    if not a.answered and a.last_attempt_at > p_now - interval '10 minutes' then
      continue; -- still in flight
    end if;
    v_error := left(case when not a.answered then 'no response recorded'
                         when a.timed_out then coalesce(a.error_msg, 'timeout')
                         when a.status_code is not null then 'HTTP ' || a.status_code
                         else coalesce(a.error_msg, 'transport error') end, 500);
    if a.delivery_attempts >= v_max_attempts then
      update public.erp_sync_alerts set delivery_status = 'failed', delivery_error = v_error where id = a.id;
    elsif p_now >= a.last_attempt_at + public.erp_alert_retry_delay(a.delivery_attempts) then
      update public.erp_sync_alerts set delivery_error = v_error where id = a.id;
      perform public.erp_alert_send(a.id, p_now);
      v_resent := v_resent + 1;
    else
      update public.erp_sync_alerts set delivery_error = v_error where id = a.id and delivery_error is distinct from v_error;
    end if;
  end loop;
  return v_resent;
end
$$;

create or replace function public.erp_sync_alerts_on_open()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform public.erp_alert_send(new.id);
  return null;
end
$$;
drop trigger if exists erp_sync_alerts_deliver on public.erp_sync_alerts;
create trigger erp_sync_alerts_deliver after insert on public.erp_sync_alerts
  for each row execute function public.erp_sync_alerts_on_open();

-- ---------------------------------------------------------------------------------------------------------
-- Episodes
-- ---------------------------------------------------------------------------------------------------------
create or replace function public.erp_alert_open(
  p_conn public.erp_connections, p_kind text, p_code text, p_message text, p_action text, p_details jsonb,
  p_now timestamptz
) returns void
language sql volatile security definer set search_path = ''
as $$
  insert into public.erp_sync_alerts (company_id, connection_id, kind, code, message, action, details, opened_at)
  values (p_conn.company_id, p_conn.id, p_kind, left(p_code, 100), left(p_message, 1000), left(p_action, 1000),
          coalesce(p_details, '{}'::jsonb), p_now)
  on conflict (connection_id, kind) where resolved_at is null do nothing
$$;

create or replace function public.erp_alert_resolve(p_connection_id uuid, p_kind text, p_now timestamptz)
returns void
language sql volatile security definer set search_path = ''
as $$
  update public.erp_sync_alerts set resolved_at = greatest(p_now, opened_at)
   where connection_id = p_connection_id and kind = p_kind and resolved_at is null
$$;

-- Opens or resolves each kind of alert for one connection from its current state. Idempotent.
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
begin
  select * into c from public.erp_connections where id = p_connection_id;
  if not found then return; end if;
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
  else
    perform public.erp_alert_resolve(c.id, 'auth_failure', p_now);
  end if;

  -- repeated_failures: max_consecutive_failures failed syncs in a row (an auth failure has its own alert).
  if c.status <> 'inactive' and c.consecutive_failures >= v_max and v_auth_code is null then
    perform public.erp_alert_open(c, 'repeated_failures', coalesce(v_err_code, 'REPEATED_FAILURES'),
      format('A sincronização com o %s falhou %s vezes seguidas e foi pausada.', v_erp, c.consecutive_failures),
      format('Verifique se a conta do %s está ativa e acessível e clique em “Sincronizar agora”. Se continuar falhando, fale com o suporte.', v_erp),
      jsonb_build_object('consecutive_failures', c.consecutive_failures, 'log_id', v_last.id), p_now);
  elsif c.consecutive_failures < v_max or c.status = 'inactive' then
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
  elsif c.status = 'inactive' or (v_last.id is not null and v_last.status in ('success', 'partial')
                                  and v_last.records_failed = 0) then
    perform public.erp_alert_resolve(c.id, 'records_failing', p_now);
  end if;

  -- sync_overdue: auto-sync on and active, yet two slots passed since the connection was due.
  v_due := coalesce(c.next_sync_at, c.created_at);
  begin
    v_overdue_at := public.erp_next_slot_after(public.erp_next_slot_after(
      public.erp_next_slot_after(v_due - interval '1 microsecond', v_schedule), v_schedule), v_schedule);
  exception when others then
    v_overdue_at := null; -- an unreadable schedule is the engine's config error, not an overdue sync
  end;
  if c.status = 'active' and v_auto and v_overdue_at is not null and p_now >= v_overdue_at then
    perform public.erp_alert_open(c, 'sync_overdue', 'SYNC_OVERDUE',
      format('O %s não sincroniza desde %s: dois horários programados passaram sem sincronização.', v_erp,
             coalesce(to_char(c.last_sync_at at time zone 'America/Sao_Paulo', 'DD/MM/YYYY HH24:MI') || ' (Brasília)',
                      'a conexão')),
      'A sincronização automática está ligada, mas não rodou. Clique em “Sincronizar agora”; se não resolver, a equipe de operações verifica o agendamento.',
      jsonb_build_object('due_since', v_due, 'last_sync_at', c.last_sync_at), p_now);
  else
    perform public.erp_alert_resolve(c.id, 'sync_overdue', p_now);
  end if;
end
$$;

-- After each sync the engine writes the connection's new state; a person reconnecting, pausing or
-- reconfiguring it writes it too. Evaluation never breaks that write.
create or replace function public.erp_connections_evaluate_alerts()
returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  begin
    perform public.erp_evaluate_alerts(new.id);
  exception when others then
    raise warning 'erp alerts: evaluation failed for connection %: %', new.id, sqlerrm;
  end;
  return null;
end
$$;
drop trigger if exists erp_connections_alerts on public.erp_connections;
create trigger erp_connections_alerts after update on public.erp_connections
  for each row
  when (old.last_sync_at is distinct from new.last_sync_at or old.status is distinct from new.status
        or old.consecutive_failures is distinct from new.consecutive_failures
        or old.sync_config is distinct from new.sync_config or old.next_sync_at is distinct from new.next_sync_at)
  execute function public.erp_connections_evaluate_alerts();

-- The scheduled check: connections that may be overdue (or have an open overdue alert).
create or replace function public.erp_check_overdue_alerts(p_now timestamptz default now())
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid;
  n int := 0;
begin
  for v_id in
    select c.id from public.erp_connections c
     where (c.status = 'active' and coalesce((c.sync_config ->> 'auto_sync')::boolean, true)
            and coalesce(c.next_sync_at, c.created_at) < p_now)
        or exists (select 1 from public.erp_sync_alerts a
                   where a.connection_id = c.id and a.kind = 'sync_overdue' and a.resolved_at is null)
  loop
    begin
      perform public.erp_evaluate_alerts(v_id, p_now);
      n := n + 1;
    exception when others then
      raise warning 'erp alerts: evaluation failed for connection %: %', v_id, sqlerrm;
    end;
  end loop;
  return n;
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array['erp_cron_field(text,int,int)', 'erp_next_slot_after(timestamptz,text)',
    'erp_display_name(text)', 'erp_sync_alerts_acknowledge_guard()', 'erp_alert_webhook_body(public.erp_sync_alerts)', 'erp_alert_send(uuid,timestamptz)',
    'erp_alert_retry_delay(int)', 'erp_deliver_alerts(timestamptz)', 'erp_sync_alerts_on_open()',
    'erp_alert_open(public.erp_connections,text,text,text,text,jsonb,timestamptz)',
    'erp_alert_resolve(uuid,text,timestamptz)', 'erp_evaluate_alerts(uuid,timestamptz)',
    'erp_connections_evaluate_alerts()', 'erp_check_overdue_alerts(timestamptz)']
  loop
    execute format('revoke all on function public.%s from public, anon, authenticated', f);
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;

-- Delivery retries every minute; the overdue check every 10 minutes.
select cron.schedule('erp-alerts-delivery', '* * * * *', 'select public.erp_deliver_alerts()');
select cron.schedule('erp-alerts-overdue', '*/10 * * * *', 'select public.erp_check_overdue_alerts()');

-- The night at scale (issue #14).
--
-- 1. The cron body asks for 16 syncs side by side per invocation (the in-flight cap, ERP_AUTO_SYNC_MAX_IN_FLIGHT,
--    bounds them all together; the CPU budget bounds what one invocation takes).
create or replace function public.invoke_erp_auto_sync(p_body jsonb default '{"source": "cron", "concurrency": 16}'::jsonb)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $fn$
declare
  v_url text;
  v_secret text;
begin
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into v_secret from vault.decrypted_secrets where name = 'erp_auto_sync_secret';
  if v_url is null or v_secret is null then
    raise exception 'erp-auto-sync: Vault secrets "project_url" and "erp_auto_sync_secret" must be set (see README, Deploy)';
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/erp-auto-sync',
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_secret),
    timeout_milliseconds := 30000
  );
end
$fn$;
revoke all on function public.invoke_erp_auto_sync(jsonb) from public, anon, authenticated;

-- 2. A running log whose process died is closed by the database within one lease period, whatever happens to
--    the functions (an isolate killed at its wall clock or CPU limit runs no code). A live sync renews its lease
--    and its log's heartbeat together every third of the lease, so at the last beat
--    lease_expires_at - heartbeat_at is the lease length L. The log is dead when its connection's lease lapsed
--    or was released, or when no beat came for 0.8 L (two beats missed, with room for one late beat). The
--    minute job below runs this, so a dead log stays 'running' at most 0.8 L + 1 min: within L for the default
--    lease of 5 min.
create or replace function public.erp_interrupt_dead_logs(p_now timestamptz default now())
returns integer
language sql volatile security definer set search_path = ''
as $fn$
  with dead as (
    select l.id from public.erp_sync_logs l
      join public.erp_connections c on c.id = l.connection_id
     where l.status = 'running'
       and (c.lease_owner is null
            or c.lease_expires_at < p_now
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
revoke all on function public.erp_interrupt_dead_logs(timestamptz) from public, anon, authenticated;

-- The due-check of every minute (20261203001000) closes dead logs first.
create or replace function public.invoke_erp_auto_sync_if_due()
returns bigint
language plpgsql volatile security definer set search_path = ''
as $fn$
begin
  perform public.erp_interrupt_dead_logs();
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

-- The nightly schedule: pg_cron → SQL function → pg_net → Edge Function erp-auto-sync.
-- No URL or key in this file: both are read from Vault at call time (set per environment, see README):
--   select vault.create_secret('https://<project-ref>.supabase.co', 'project_url');
--   select vault.create_secret('<the ERP_AUTO_SYNC_SECRET function secret>', 'erp_auto_sync_secret');
-- Re-running this migration replaces the jobs (cron.schedule upserts by name), never duplicates them.

-- Where the OAuth token endpoint lives when it is not on the API host (Bling, Conta Azul); null = default.
alter table public.erp_connections add column if not exists auth_base_url text
  check (auth_base_url ~ '^https?://');

-- Connections of different ERP accounts sync side by side (4 at a time by default; one account is never
-- synced twice at once, see claimNextDue).
create or replace function public.invoke_erp_auto_sync(p_body jsonb default '{"source": "cron", "concurrency": 4}'::jsonb)
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
  -- erp-auto-sync answers 202 at once for cron calls and works in the background, so a short timeout is
  -- enough; pg_net's default differs between versions, hence explicit.
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/erp-auto-sync',
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_secret),
    timeout_milliseconds := 30000
  );
end
$fn$;
revoke all on function public.invoke_erp_auto_sync(jsonb) from public, anon, authenticated;

-- 00:00 UTC = 21:00 Brasília.
select cron.schedule('erp-auto-sync-daily', '0 0 * * *', 'select public.invoke_erp_auto_sync()');
-- Safety sweep through the night: anything still due (a broken continuation chain, a crash) is picked up.
select cron.schedule('erp-auto-sync-sweep', '5-55/10 0-5 * * *', 'select public.invoke_erp_auto_sync()');
-- pg_cron never prunes its own history.
select cron.schedule('erp-auto-sync-cron-history', '30 6 * * *',
  'delete from cron.job_run_details where end_time < now() - interval ''7 days''');

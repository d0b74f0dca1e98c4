-- Extensions this project relies on. On Supabase they are installed by the platform (pg_net, Vault) or
-- enabled here (pg_cron). Locally the dev stack's platform layer provides `net` and `vault` before the
-- migrations run, so every statement is guarded on what already exists: the same file runs in both places.

create schema if not exists extensions;

do $$
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron') then
    create extension pg_cron;
  end if;
  if not exists (select 1 from pg_namespace where nspname = 'net') then
    create extension if not exists pg_net with schema extensions;
  end if;
  if not exists (select 1 from pg_namespace where nspname = 'vault') then
    create extension if not exists supabase_vault with schema vault;
  end if;
end
$$;

-- The platform layer that Supabase's Postgres image provides and plain PostgreSQL lacks.
-- LOCAL ONLY: applied by dev/stack before the migrations; never deployed. Idempotent.
-- Mirrors the Supabase objects the migrations and functions use, with their real names and signatures:
--   roles anon / authenticated / service_role / authenticator, default privileges on public,
--   auth.users, auth.uid(), auth.jwt(), auth.role(),
--   vault.secrets, vault.create_secret(), vault.update_secret(), vault.decrypted_secrets,
--   net.http_post(), net.http_get(), net.http_delete(), net.http_request_queue, net._http_response
--   (delivered by dev/stack/pgnet-worker.ts),
--   pg_stat_statements in schema extensions (preloaded by dev/stack, as hosted projects have it:
--   https://supabase.com/docs/guides/database/extensions/pg_stat_statements; the bench's overhead probe reads it).

create extension if not exists pgcrypto with schema public;
create schema if not exists extensions;
create extension if not exists pg_stat_statements with schema extensions;

-- Roles -------------------------------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
end
$$;
grant anon, authenticated, service_role to authenticator;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- auth ----------------------------------------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id                  uuid primary key default gen_random_uuid(),
  email               text unique,
  raw_user_meta_data  jsonb not null default '{}'::jsonb,
  created_at          timestamptz not null default now()
);
grant select on auth.users to service_role;

create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- vault ---------------------------------------------------------------------------------------------------
-- Secrets are encrypted at rest with pgcrypto under a per-cluster key that only the owner can read.
create schema if not exists vault;
revoke all on schema vault from public;

create table if not exists vault._key (id boolean primary key default true check (id), key text not null);
insert into vault._key (key) values (encode(gen_random_bytes(32), 'hex')) on conflict do nothing;

create table if not exists vault.secrets (
  id           uuid primary key default gen_random_uuid(),
  name         text unique,
  description  text not null default '',
  secret       text not null,          -- pgp_sym_encrypt(...), base64
  key_id       uuid,
  nonce        bytea,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);

create or replace function vault._encrypt(p text) returns text language sql stable security definer
set search_path = '' as $$
  select encode(public.pgp_sym_encrypt(p, (select key from vault._key)), 'base64')
$$;

create or replace function vault.create_secret(
  new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
) returns uuid language plpgsql security definer set search_path = '' as $$
declare
  rec_id uuid;
begin
  insert into vault.secrets (secret, name, description, key_id)
  values (vault._encrypt(new_secret), new_name, coalesce(new_description, ''), new_key_id)
  returning id into rec_id;
  return rec_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid, new_secret text default null, new_name text default null,
  new_description text default null, new_key_id uuid default null
) returns void language plpgsql security definer set search_path = '' as $$
begin
  update vault.secrets s set
    secret = case when new_secret is null then s.secret else vault._encrypt(new_secret) end,
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    key_id = coalesce(new_key_id, s.key_id),
    updated_at = now()
  where s.id = secret_id;
end
$$;

create or replace view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
         public.pgp_sym_decrypt(decode(s.secret, 'base64'), (select key from vault._key)) as decrypted_secret,
         s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s;

revoke all on all tables in schema vault from public, anon, authenticated;
revoke all on all functions in schema vault from public, anon, authenticated;
grant usage on schema vault to service_role;
grant select on vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid)
  to service_role;

-- pg_net --------------------------------------------------------------------------------------------------
create schema if not exists net;
grant usage on schema net to service_role;

create unlogged table if not exists net.http_request_queue (
  id                    bigserial primary key,
  method                text not null check (method in ('GET', 'POST', 'DELETE')),
  url                   text not null,
  headers               jsonb not null,
  body                  bytea,
  timeout_milliseconds  integer not null
);

create unlogged table if not exists net._http_response (
  id            bigint,
  status_code   integer,
  content_type  text,
  headers       jsonb,
  content       text,
  timed_out     boolean,
  error_msg     text,
  created       timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Wake the delivery worker. NOTIFY is delivered at commit, so like pg_net no request leaves before the
-- enqueuing transaction commits (and a rolled-back transaction sends nothing).
create or replace function net._notify_worker() returns trigger language plpgsql as $$
begin
  perform pg_notify('pg_net_worker', new.id::text);
  return new;
end
$$;
drop trigger if exists http_request_queue_notify on net.http_request_queue;
create trigger http_request_queue_notify after insert on net.http_request_queue
  for each row execute function net._notify_worker();

create or replace function net._urlencode_params(url text, params jsonb) returns text
language sql immutable as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(key || '=' || replace(replace(replace(value, '%', '%25'), '&', '%26'), ' ', '%20'), '&')
      from jsonb_each_text(params)
    )
  end
$$;

-- Same signature and defaults as pg_net 0.20.x (sql/pg_net.sql).
create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint language plpgsql volatile security definer set search_path = net, pg_catalog as $$
declare
  request_id bigint;
  content_type text;
begin
  select value into content_type from jsonb_each_text(headers) where lower(key) = 'content-type';
  if content_type is null then
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type not like 'application/json%' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._urlencode_params(url, params), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint language plpgsql volatile security definer set search_path = net, pg_catalog as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._urlencode_params(url, params), headers, timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint language plpgsql volatile security definer set search_path = net, pg_catalog as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('DELETE', net._urlencode_params(url, params), headers, timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

revoke all on all functions in schema net from public;
grant execute on all functions in schema net to service_role;
grant select on net._http_response to service_role;

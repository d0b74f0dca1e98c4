-- Shared helpers for the pgTAP files (applied by the test runner before them, outside their transactions).
-- pgTAP lives in `extensions` (as on Supabase), so its views never show up in public's grants.
create schema if not exists extensions;
do $$
begin
  if exists (select 1 from pg_extension e join pg_namespace n on n.oid = e.extnamespace
             where e.extname = 'pgtap' and n.nspname <> 'extensions') then
    drop extension pgtap;
  end if;
end
$$;
create extension if not exists pgtap with schema extensions;
grant usage on schema extensions to anon, authenticated;
create schema if not exists tests;

create or replace function tests.create_user(p_email text) returns uuid language sql as $$
  insert into auth.users (email) values (p_email) returning id
$$;

-- Act as a signed-in user for the rest of the transaction, as PostgREST would.
create or replace function tests.authenticate_as(p_user uuid) returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated', 'aud', 'authenticated')::text, true);
  perform set_config('role', 'authenticated', true);
end
$$;

create or replace function tests.as_anon() returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims', json_build_object('role', 'anon')::text, true);
  perform set_config('role', 'anon', true);
end
$$;

create or replace function tests.clear_authentication() returns void language plpgsql as $$
begin
  perform set_config('role', 'postgres', true);
  perform set_config('request.jwt.claims', null, true);
end
$$;

grant usage on schema tests to anon, authenticated;
grant execute on all functions in schema tests to anon, authenticated;

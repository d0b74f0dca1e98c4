-- Every table in public has RLS on, and anon holds no privilege on any of them (new tables included).
begin;
select plan(2);
select is_empty($$select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity$$, 'RLS enabled on every public table');
select is_empty($$select table_name from information_schema.role_table_grants
  where table_schema = 'public' and grantee = 'anon'$$, 'anon has no table privilege in public');
select * from finish();
rollback;

-- RLS: a member of company A cannot read or change B's rows; anon sees nothing;
-- authenticated cannot reach credentials or Vault.
begin;
select plan(22);

-- fixtures (as postgres)
select tests.create_user('ana@a.test') as ua \gset
select tests.create_user('bruno@b.test') as ub \gset
insert into companies (id, name) values ('aaaaaaaa-0000-4000-8000-000000000001', 'Empresa A'),
                                        ('bbbbbbbb-0000-4000-8000-000000000001', 'Empresa B');
insert into company_members (company_id, user_id) values ('aaaaaaaa-0000-4000-8000-000000000001', :'ua'),
                                                        ('bbbbbbbb-0000-4000-8000-000000000001', :'ub');
select vault.create_secret('{"access_token":"tok-a"}', 'conn-a-credentials') as secret_a \gset
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key, credentials_secret_id) values
  ('aaaaaaaa-1111-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', 'bling', 'http://127.0.0.1:1', 'acc-a', :'secret_a'),
  ('bbbbbbbb-1111-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001', 'omie', 'http://127.0.0.1:1', 'acc-b', null);
insert into erp_sync_logs (connection_id, company_id, sync_type, status, completed_at) values
  ('aaaaaaaa-1111-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', 'auto', 'success', now()),
  ('bbbbbbbb-1111-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001', 'auto', 'success', now());
insert into company_dre (company_id, period, line, amount) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '2026-10-01', 'receita_bruta', 100),
  ('bbbbbbbb-0000-4000-8000-000000000001', '2026-10-01', 'receita_bruta', 200);
insert into company_profile (company_id, legal_name) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'A Ltda'), ('bbbbbbbb-0000-4000-8000-000000000001', 'B Ltda');
insert into erp_sync_runs (source) values ('cron');

-- as a member of A
select tests.authenticate_as(:'ua');
select results_eq('select name from companies', $$values ('Empresa A')$$, 'member sees only own company');
select results_eq('select erp_type from erp_connections', $$values ('bling')$$, 'member sees only own connections');
select results_eq('select count(*)::int from erp_sync_logs', $$values (1)$$, 'member sees only own sync logs');
select results_eq('select amount from company_dre', $$values (100.00::numeric(15,2))$$, 'member sees only own DRE');
select results_eq('select legal_name from company_profile', $$values ('A Ltda')$$, 'member sees only own profile');
select results_eq('select count(*)::int from company_members', $$values (1)$$, 'member sees only own memberships');
select throws_ok('select 1 from erp_sync_runs', '42501', null, 'operators'' run table is not visible to users');
select throws_ok('select credentials_secret_id from erp_connections', '42501', null, 'credentials reference is not readable');
select throws_ok('select lease_owner from erp_connections', '42501', null, 'lease internals are not readable');
select throws_ok('select * from vault.decrypted_secrets', '42501', null, 'Vault is not reachable');
select throws_ok($$update erp_connections set status = 'inactive' where id = 'bbbbbbbb-1111-4000-8000-000000000001'$$,
  '42501', null, 'cannot update another company''s connection');
select throws_ok($$update erp_connections set sync_config = '{"auto_sync": false}' where id = 'aaaaaaaa-1111-4000-8000-000000000001'$$,
  '42501', null, 'cannot write own connection directly either (only through the function)');
select throws_ok($$insert into xml_imports (company_id, access_key, model, series, number, issued_at, issued_at_local,
  direction, operation, issuer_doc, total_products, total_invoice, raw_xml) values
  ('bbbbbbbb-0000-4000-8000-000000000001', '35261112345678000190550010000000011000000010', 55, 1, 1, now(), 'x',
   'entrada', 'entrada', '12345678000190', 1, 1, '<x/>')$$, '42501', null, 'cannot insert sync data');
select throws_ok($$delete from erp_sync_logs$$, '42501', null, 'cannot delete logs');
select throws_ok($$insert into company_members (company_id, user_id) values ('bbbbbbbb-0000-4000-8000-000000000001', auth.uid())$$,
  '42501', null, 'cannot join another company');

-- as a member of B
select tests.authenticate_as(:'ub');
select results_eq('select name from companies', $$values ('Empresa B')$$, 'B member sees only B');
select results_eq('select amount from company_dre', $$values (200.00::numeric(15,2))$$, 'B member sees only B''s DRE');

-- anon
select tests.as_anon();
select throws_ok('select count(*) from companies', '42501', null, 'anon cannot read companies');
select throws_ok('select count(*) from erp_connections', '42501', null, 'anon cannot read connections');
select throws_ok('select count(*) from erp_sync_logs', '42501', null, 'anon cannot read logs');
select throws_ok('select * from vault.decrypted_secrets', '42501', null, 'anon cannot reach Vault');

-- a user with no membership sees nothing
select tests.clear_authentication();
select tests.create_user('nobody@x.test') as un \gset
select tests.authenticate_as(:'un');
select is_empty('select 1 from erp_connections', 'a user with no company sees no connections');

select * from finish();
rollback;

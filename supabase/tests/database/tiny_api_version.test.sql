-- A Tiny connection says which API it uses (v2 token API or v3 OAuth2); no other ERP and no other value.
begin;
select plan(6);

insert into companies (id, name) values ('dddddddd-0000-4000-8000-000000000001', 'Empresa D');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key) values
  ('dddddddd-1111-4000-8000-000000000001', 'dddddddd-0000-4000-8000-000000000001', 'tiny', 'http://127.0.0.1:1', 'acc-d'),
  ('dddddddd-1111-4000-8000-000000000002', 'dddddddd-0000-4000-8000-000000000001', 'bling', 'http://127.0.0.1:1', 'acc-e');

select is((select api_version from erp_connections where id = 'dddddddd-1111-4000-8000-000000000001'), null,
  'existing Tiny connections stay on v2 (null)');
select lives_ok($$update erp_connections set api_version = 'v3' where id = 'dddddddd-1111-4000-8000-000000000001'$$,
  'a Tiny connection can use API v3');
select lives_ok($$update erp_connections set api_version = 'v2' where id = 'dddddddd-1111-4000-8000-000000000001'$$,
  'and API v2');
select throws_ok($$update erp_connections set api_version = 'v4' where id = 'dddddddd-1111-4000-8000-000000000001'$$,
  '23514', null, 'an unknown Tiny API is rejected');
select throws_ok($$update erp_connections set api_version = 'v3' where id = 'dddddddd-1111-4000-8000-000000000002'$$,
  '23514', null, 'other ERPs have no API choice');
select throws_ok($$update erp_connections set erp_type = 'omie' where id = 'dddddddd-1111-4000-8000-000000000001'
  and api_version is not null$$, '23514', null, 'a v2/v3 choice cannot move to another ERP');

select * from finish();
rollback;

-- Constraints reject bad statuses, ERP types and sync_config shapes; one running sync per connection.
begin;
select plan(16);

insert into companies (id, name) values ('cccccccc-0000-4000-8000-000000000001', 'Empresa C');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key) values
  ('cccccccc-1111-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'tiny', 'http://127.0.0.1:1', 'acc-c');

select throws_ok($$update erp_connections set status = 'paused' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'unknown status rejected');
select throws_ok($$insert into erp_connections (company_id, erp_type, api_base_url, account_key)
  values ('cccccccc-0000-4000-8000-000000000001', 'sap', 'http://x', 'k')$$, '23514', null, 'unknown ERP type rejected');
select throws_ok($$update erp_connections set sync_config = '{"auto_sync": "yes"}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'auto_sync must be boolean');
select throws_ok($$update erp_connections set sync_config = '{"auto_sync": true, "surprise": 1}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'unknown sync_config key rejected');
select throws_ok($$update erp_connections set sync_config = '{"entities": {"nfe": true, "payroll": true}}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'unknown entity rejected');
select throws_ok($$update erp_connections set sync_config = '{"nfe_lookback_days": 400}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'lookback over 366 days rejected');
select throws_ok($$update erp_connections set sync_config = '{"nfe_overlap_days": 1.5}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'fractional overlap rejected');
select throws_ok($$update erp_connections set sync_config = '[]' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'sync_config must be an object');
select throws_ok($$update erp_connections set sync_config = '{"schedule": "0 0 1 * *"}' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'day-of-month schedules rejected');
select lives_ok($$update erp_connections set sync_config = '{"auto_sync": false, "entities": {"nfe": true, "financials": false},
  "nfe_lookback_days": 90, "nfe_overlap_days": 3, "max_consecutive_failures": 3, "schedule": "0 0 * * *", "full_resync": true}'
  where id = 'cccccccc-1111-4000-8000-000000000001'$$, 'a complete valid sync_config is accepted');
select throws_ok($$update erp_connections set api_base_url = 'ftp://x' where id = 'cccccccc-1111-4000-8000-000000000001'$$,
  '23514', null, 'API base URL must be http(s)');

insert into erp_sync_logs (connection_id, company_id, sync_type) values
  ('cccccccc-1111-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'manual');
select throws_ok($$insert into erp_sync_logs (connection_id, company_id, sync_type) values
  ('cccccccc-1111-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'auto')$$,
  '23505', null, 'a second running sync of one connection is rejected');
select throws_ok($$insert into erp_sync_logs (connection_id, company_id, sync_type, status, completed_at) values
  ('cccccccc-1111-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'cron', 'success', now())$$,
  '23514', null, 'sync_type is auto or manual');
select throws_ok($$insert into erp_sync_logs (connection_id, company_id, sync_type, status) values
  ('cccccccc-1111-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000001', 'auto', 'success')$$,
  '23514', null, 'a finished log needs completed_at');
select throws_ok($$insert into company_dre (company_id, period, line, amount) values
  ('cccccccc-0000-4000-8000-000000000001', '2026-10-15', 'receita_bruta', 1)$$, '23514', null, 'DRE period is a month start');
select throws_ok($$insert into xml_imports (company_id, access_key, model, series, number, issued_at, issued_at_local,
  direction, operation, issuer_doc, total_products, total_invoice, raw_xml) values
  ('cccccccc-0000-4000-8000-000000000001', '123', 55, 1, 1, now(), 'x', 'entrada', 'entrada', '1', 1, 1, '<x/>')$$,
  '23514', null, 'malformed access key rejected');

select * from finish();
rollback;

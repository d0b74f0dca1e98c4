-- Alerts and night reports under RLS: members read their companies' alerts and may only acknowledge them
-- (through acknowledge_erp_sync_alert); only operators read night reports and the ops overview; anon nothing.
begin;
select plan(21);

select tests.create_user('ana-alerts@a.test') as ua \gset
select tests.create_user('bruno-alerts@b.test') as ub \gset
select tests.create_user('olga-ops@ops.test') as uo \gset
insert into companies (id, name) values ('aaaaaaaa-0000-4000-8000-0000000000a1', 'Empresa A'),
                                        ('bbbbbbbb-0000-4000-8000-0000000000b1', 'Empresa B');
insert into company_members (company_id, user_id) values ('aaaaaaaa-0000-4000-8000-0000000000a1', :'ua'),
                                                        ('bbbbbbbb-0000-4000-8000-0000000000b1', :'ub');
insert into erp_operators (user_id) values (:'uo');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key) values
  ('aaaaaaaa-1111-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'bling', 'http://127.0.0.1:1', 'acc-a'),
  ('bbbbbbbb-1111-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'omie', 'http://127.0.0.1:1', 'acc-b');
insert into erp_sync_alerts (id, company_id, connection_id, kind, code, message, action) values
  ('aaaaaaaa-2222-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-1111-4000-8000-0000000000a1',
   'auth_failure', 'INVALID_GRANT', 'A autorização do Bling foi revogada.', 'Reconecte.'),
  ('bbbbbbbb-2222-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-1111-4000-8000-0000000000b1',
   'repeated_failures', 'HTTP_503', 'O Omie falhou 3 vezes.', 'Verifique.');
insert into erp_night_reports (night, report) values ('2020-01-01', '{"night": "2020-01-01"}');

-- one open alert per connection and kind
select throws_ok($$insert into erp_sync_alerts (company_id, connection_id, kind, code, message, action) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-1111-4000-8000-0000000000a1', 'auth_failure', 'X', 'm', 'a')$$,
  '23505', null, 'a second open alert of the same kind is refused (one per episode)');

-- member of A
select tests.authenticate_as(:'ua');
select results_eq('select code from erp_sync_alerts', $$values ('INVALID_GRANT')$$, 'member reads only own company''s alerts');
select throws_ok($$update erp_sync_alerts set resolved_at = now() where id = 'aaaaaaaa-2222-4000-8000-0000000000a1'$$,
  '42501', null, 'cannot resolve');
select throws_ok($$update erp_sync_alerts set message = 'x', acknowledged_at = now()$$, '42501', null,
  'cannot change anything but the acknowledgement');
select throws_ok($$delete from erp_sync_alerts$$, '42501', null, 'cannot delete alerts');
select throws_ok($$insert into erp_sync_alerts (company_id, connection_id, kind, code, message, action) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-1111-4000-8000-0000000000a1', 'sync_overdue', 'X', 'm', 'a')$$,
  '42501', null, 'cannot open alerts');
select results_eq($$with u as (update erp_sync_alerts set acknowledged_at = '2000-01-01', acknowledged_by = gen_random_uuid()
                               returning id) select count(*)::int from u$$,
  $$values (1)$$, 'member acknowledges: only own company''s alert is touched');
select results_eq($$select acknowledged_by = auth.uid() and acknowledged_at > '2001-01-01' and resolved_at is null
                    from erp_sync_alerts where id = 'aaaaaaaa-2222-4000-8000-0000000000a1'$$,
  $$values (true)$$, 'the server sets who and when (not the caller); still open');
select results_eq($$with u as (update erp_sync_alerts set acknowledged_at = null returning acknowledged_at) select count(*)::int from u where acknowledged_at is not null$$,
  $$values (1)$$, 'an acknowledgement cannot be undone');
select throws_ok($$select erp_evaluate_alerts('aaaaaaaa-1111-4000-8000-0000000000a1')$$, '42501', null,
  'cannot run the episode logic');
select throws_ok($$select erp_deliver_alerts()$$, '42501', null, 'cannot trigger deliveries');
select is_empty('select * from erp_night_reports', 'a member reads no night report');
select throws_ok($$select erp_ops_overview()$$, '42501', null, 'a member gets no ops overview');
select throws_ok($$select erp_write_night_report('2020-01-01')$$, '42501', null, 'cannot write reports');
select is_empty('select * from erp_operators', 'a member does not see who operates');

-- B's alert was not touched
select tests.clear_authentication();
select results_eq($$select acknowledged_at is null from erp_sync_alerts where id = 'bbbbbbbb-2222-4000-8000-0000000000b1'$$,
  $$values (true)$$, 'the other company''s alert stays unacknowledged');

-- operator
select tests.authenticate_as(:'uo');
select results_eq($$select count(*)::int from erp_night_reports where night = '2020-01-01'$$, $$values (1)$$, 'an operator reads night reports');
select results_eq($$select jsonb_array_length(erp_ops_overview() -> 'attention') >= 2$$, $$values (true)$$,
  'an operator gets the overview with every company''s connections in alert');
select results_eq('select count(*)::int from erp_operators', $$values (1)$$, 'an operator sees only their own operator row');

-- anon
select tests.as_anon();
select throws_ok('select count(*) from erp_sync_alerts', '42501', null, 'anon cannot read alerts');
select throws_ok($$update erp_sync_alerts set acknowledged_at = now()$$, '42501', null, 'anon cannot acknowledge');

select * from finish();
rollback;

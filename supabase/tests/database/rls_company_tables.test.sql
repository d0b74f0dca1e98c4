-- RLS on every table that holds a company's data (a column company_id), not only the connections:
-- every read policy is exactly "a member of the row's company" — the one exception being the operators' read of
-- connections and alerts (the Operação page; operators are listed in erp_operators, alerts_rls.test.sql) — and a
-- member of A reads none of B's synced rows (notes, their items and events, products, financial entries).
begin;
select plan(6);

select is_empty($$
  select p.tablename || ': ' || coalesce(p.qual, '<no using>')
  from pg_policies p
  where p.schemaname = 'public' and p.cmd in ('SELECT', 'ALL')
    and exists (select 1 from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = p.tablename and c.column_name = 'company_id')
    and (p.permissive <> 'PERMISSIVE'
         or p.qual is distinct from format('( SELECT is_company_member(%s.company_id) AS is_company_member)', p.tablename))
    and not (p.tablename in ('erp_connections', 'erp_sync_alerts')
             and p.qual = '( SELECT is_erp_operator() AS is_erp_operator)')
$$, 'every read policy of a company table is exactly "member of the row''s company" (or the operators'' read of connections and alerts)');

-- fixtures (as postgres): companies A and B with one row of each synced table
select tests.create_user('ana-rls2@a.test') as ua \gset
insert into companies (id, name) values ('aaaaaaaa-0000-4000-8000-0000000000a2', 'Empresa A2'),
                                        ('bbbbbbbb-0000-4000-8000-0000000000b2', 'Empresa B2');
insert into company_members (company_id, user_id) values ('aaaaaaaa-0000-4000-8000-0000000000a2', :'ua');
insert into erp_connections (id, company_id, erp_type, api_base_url, account_key) values
  ('aaaaaaaa-1111-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'bling', 'http://127.0.0.1:1', 'acc-a2'),
  ('bbbbbbbb-1111-4000-8000-0000000000b2', 'bbbbbbbb-0000-4000-8000-0000000000b2', 'omie', 'http://127.0.0.1:1', 'acc-b2');
insert into xml_imports (id, company_id, access_key, model, series, number, issued_at, issued_at_local, direction,
                         operation, issuer_doc, total_products, total_invoice, raw_xml) values
  ('aaaaaaaa-2222-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-0000000000a2',
   '35261112345678000190550010000000011000000010', 55, 1, 1, now(), 'x', 'entrada', 'saida', '12345678000190', 1, 1, '<x/>'),
  ('bbbbbbbb-2222-4000-8000-0000000000b2', 'bbbbbbbb-0000-4000-8000-0000000000b2',
   '35261112345678000190550010000000021000000020', 55, 1, 2, now(), 'x', 'entrada', 'saida', '12345678000190', 1, 1, '<x/>');
insert into xml_import_items (xml_import_id, item_number, company_id, total_value) values
  ('aaaaaaaa-2222-4000-8000-0000000000a2', 1, 'aaaaaaaa-0000-4000-8000-0000000000a2', 1),
  ('bbbbbbbb-2222-4000-8000-0000000000b2', 1, 'bbbbbbbb-0000-4000-8000-0000000000b2', 2);
insert into xml_import_events (company_id, access_key, event_type) values
  ('aaaaaaaa-0000-4000-8000-0000000000a2', '35261112345678000190550010000000011000000010', '110111'),
  ('bbbbbbbb-0000-4000-8000-0000000000b2', '35261112345678000190550010000000021000000020', '110111');
insert into company_products (company_id, connection_id, external_id, name) values
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-1111-4000-8000-0000000000a2', 'p-a', 'Produto A'),
  ('bbbbbbbb-0000-4000-8000-0000000000b2', 'bbbbbbbb-1111-4000-8000-0000000000b2', 'p-b', 'Produto B');
insert into company_financial_entries (company_id, connection_id, external_id, kind, entry_date, amount, status,
                                       dre_line, dre_rule) values
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-1111-4000-8000-0000000000a2', 'f-a', 'receivable', '2026-10-01', 1,
   'paid', 'receita_bruta', 't'),
  ('bbbbbbbb-0000-4000-8000-0000000000b2', 'bbbbbbbb-1111-4000-8000-0000000000b2', 'f-b', 'receivable', '2026-10-01', 2,
   'paid', 'receita_bruta', 't');

select tests.authenticate_as(:'ua');
select results_eq('select number::int from xml_imports', $$values (1)$$, 'a member reads only own notes');
select results_eq('select total_value::int from xml_import_items', $$values (1)$$, 'only own note items');
select results_eq('select company_id from xml_import_events', $$values ('aaaaaaaa-0000-4000-8000-0000000000a2'::uuid)$$,
  'only own note events');
select results_eq('select external_id from company_products', $$values ('p-a')$$, 'only own products');
select results_eq('select external_id from company_financial_entries', $$values ('f-a')$$, 'only own financial entries');

select * from finish();
rollback;

-- Issue 16: the product classifications members set and the buyer's entries the sync writes.
-- Members read and write their own company's classifications, nobody else's; bad values are refused;
-- entries are read-only for members.
begin;
select plan(11);

select tests.create_user('cla@a.test') as ua \gset
select tests.create_user('clb@b.test') as ub \gset
insert into companies (id, name) values ('aaaaaaaa-0000-4000-8000-0000000000c1', 'Empresa A'),
                                        ('bbbbbbbb-0000-4000-8000-0000000000c1', 'Empresa B');
insert into company_members (company_id, user_id) values ('aaaaaaaa-0000-4000-8000-0000000000c1', :'ua'),
                                                        ('bbbbbbbb-0000-4000-8000-0000000000c1', :'ub');
insert into company_product_classifications (company_id, supplier_doc, product_code, use) values
  ('bbbbbbbb-0000-4000-8000-0000000000c1', '11111111000191', 'B1', 'resale');
insert into company_purchase_entries (company_id, access_key, item_number, entry_cfop) values
  ('aaaaaaaa-0000-4000-8000-0000000000c1', repeat('3', 44), 0, '1102');

select tests.authenticate_as(:'ua');
select lives_ok($$insert into company_product_classifications (company_id, supplier_doc, product_code, use)
  values ('aaaaaaaa-0000-4000-8000-0000000000c1', '11111111000191', 'A1', 'own_use')$$, 'member classifies a product');
select is((select updated_by from company_product_classifications where product_code = 'A1'), :'ua'::uuid,
  'the author is recorded');
select lives_ok($$update company_product_classifications set use = 'fixed_asset' where product_code = 'A1'$$,
  'member reclassifies it');
select results_eq('select product_code, use from company_product_classifications',
  $$values ('A1', 'fixed_asset')$$, 'member sees only own classifications');
select throws_ok($$insert into company_product_classifications (company_id, supplier_doc, product_code, use)
  values ('bbbbbbbb-0000-4000-8000-0000000000c1', '11111111000191', 'X', 'resale')$$, '42501', null,
  'cannot classify for another company');
select throws_ok($$insert into company_product_classifications (company_id, supplier_doc, product_code, use)
  values ('aaaaaaaa-0000-4000-8000-0000000000c1', '11111111000191', 'A2', 'presente')$$, '23514', null,
  'an unknown use is refused');
select throws_ok($$insert into company_product_classifications (company_id, supplier_doc, product_code, use)
  values ('aaaaaaaa-0000-4000-8000-0000000000c1', '11.111.111/0001-91', 'A3', 'resale')$$, '23514', null,
  'a formatted CNPJ is refused (digits only)');
select results_eq('select entry_cfop from company_purchase_entries', $$values ('1102')$$, 'member reads own entries');
select throws_ok($$insert into company_purchase_entries (company_id, access_key, item_number, entry_cfop)
  values ('aaaaaaaa-0000-4000-8000-0000000000c1', repeat('4', 44), 0, '1102')$$, '42501', null,
  'members do not write entries (the sync does)');

select tests.clear_authentication();
select throws_ok($$insert into company_purchase_entries (company_id, access_key, item_number, entry_cfop)
  values ('aaaaaaaa-0000-4000-8000-0000000000c1', repeat('5', 44), 0, '5102')$$, '23514', null,
  'an exit CFOP is not an entry CFOP');
select tests.as_anon();
select throws_ok('select 1 from company_product_classifications', '42501', null, 'anon reads nothing');

select * from finish();
rollback;

-- Credit analysis, the buyer's side of a purchase (issue 16).
--
-- company_product_classifications: a member's statement of how the company uses a supplier's product (resale,
--   input, own use, fixed asset). It overrides what the analysis infers and is never touched by the sync, so it is
--   kept across syncs. Members of the company read and write their own rows.
-- company_purchase_entries: the buyer's own entry of a received note as the ERP records it (entry CFOP per item;
--   item_number 0 = every item of the note). Written by the sync (service role), read by members.
-- company_credit_analysis / company_credit_lines: confirmed vs to-confirm, the item's use, the legal basis per
--   line, CIAP instalments.

create table if not exists public.company_product_classifications (
  company_id    uuid not null references public.companies (id) on delete cascade,
  supplier_doc  text not null check (supplier_doc ~ '^[0-9]{11}([0-9]{3})?$'),
  product_code  text not null check (length(product_code) between 1 and 60),
  use           text not null check (use in ('resale', 'input', 'own_use', 'fixed_asset')),
  note          text check (note is null or length(note) <= 500),
  updated_by    uuid default auth.uid(),
  updated_at    timestamptz not null default now(),
  primary key (company_id, supplier_doc, product_code)
);

create table if not exists public.company_purchase_entries (
  company_id     uuid not null references public.companies (id) on delete cascade,
  access_key     text not null check (access_key ~ '^[0-9]{44}$'),
  item_number    integer not null check (item_number between 0 and 990),
  entry_cfop     text not null check (entry_cfop ~ '^[123][0-9]{3}$'),
  source_erp     text,
  connection_id  uuid references public.erp_connections (id) on delete set null,
  updated_at     timestamptz not null default now(),
  primary key (company_id, access_key, item_number)
);

alter table public.company_product_classifications enable row level security;
alter table public.company_purchase_entries enable row level security;
revoke all on public.company_product_classifications from anon;
revoke all on public.company_purchase_entries from anon;
revoke truncate, references, trigger on public.company_product_classifications from authenticated;
grant select, insert, update, delete on public.company_product_classifications to authenticated;
revoke insert, update, delete, truncate, references, trigger on public.company_purchase_entries from authenticated;
grant select on public.company_purchase_entries to authenticated;
grant all on public.company_product_classifications to service_role;
grant all on public.company_purchase_entries to service_role;

drop policy if exists company_product_classifications_member_read on public.company_product_classifications;
create policy company_product_classifications_member_read on public.company_product_classifications
  for select to authenticated using ((select public.is_company_member(company_id)));
drop policy if exists company_product_classifications_member_insert on public.company_product_classifications;
create policy company_product_classifications_member_insert on public.company_product_classifications
  for insert to authenticated with check ((select public.is_company_member(company_id)));
drop policy if exists company_product_classifications_member_update on public.company_product_classifications;
create policy company_product_classifications_member_update on public.company_product_classifications
  for update to authenticated using ((select public.is_company_member(company_id)))
  with check ((select public.is_company_member(company_id)));
drop policy if exists company_product_classifications_member_delete on public.company_product_classifications;
create policy company_product_classifications_member_delete on public.company_product_classifications
  for delete to authenticated using ((select public.is_company_member(company_id)));
drop policy if exists company_purchase_entries_member_read on public.company_purchase_entries;
create policy company_purchase_entries_member_read on public.company_purchase_entries
  for select to authenticated using ((select public.is_company_member(company_id)));

-- Month totals: the headline credits (pis_credit, cofins_credit, icms_credit) are the confirmed ones.
alter table public.company_credit_analysis
  add column if not exists to_confirm_pis_credit numeric(15, 2) not null default 0,
  add column if not exists to_confirm_cofins_credit numeric(15, 2) not null default 0,
  add column if not exists to_confirm_icms_credit numeric(15, 2) not null default 0,
  add column if not exists items_to_confirm integer not null default 0 check (items_to_confirm >= 0),
  add column if not exists icms_ciap_future numeric(15, 2) not null default 0;

alter table public.company_credit_lines
  add column if not exists note_kind text not null default 'received'
    check (note_kind in ('received', 'import', 'purchase_return')),
  add column if not exists use text check (use in ('resale', 'input', 'own_use', 'fixed_asset')),
  add column if not exists use_source text check (use_source in ('classification', 'entry_cfop', 'note_cfop')),
  add column if not exists entry_cfop text,
  add column if not exists pis_cofins_status text not null default 'none'
    check (pis_cofins_status in ('confirmed', 'to_confirm', 'none')),
  add column if not exists icms_status text not null default 'none'
    check (icms_status in ('confirmed', 'to_confirm', 'none')),
  add column if not exists to_confirm_pis_credit numeric(15, 2) not null default 0,
  add column if not exists to_confirm_cofins_credit numeric(15, 2) not null default 0,
  add column if not exists to_confirm_icms_credit numeric(15, 2) not null default 0,
  add column if not exists to_confirm_reason text,
  add column if not exists to_confirm_action text,
  add column if not exists pis_cofins_legal_basis text not null default '',
  add column if not exists icms_legal_basis text not null default '',
  add column if not exists icms_ciap_future numeric(15, 2) not null default 0;

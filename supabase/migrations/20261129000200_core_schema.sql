-- Core schema: companies and membership, ERP connections, sync bookkeeping, synced data.
-- Table and column names given by the product spec are fixed (erp_connections, erp_sync_logs, xml_imports,
-- company_ncm_analysis, company_dre, company_profile; status, status_message, sync_config, last_sync_at,
-- next_sync_at, sync_type, records_synced, records_failed, started_at, completed_at).

-- ---------------------------------------------------------------------------------------------------------
-- Companies and who belongs to them
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.companies (
  id          uuid primary key default gen_random_uuid(),
  name        text not null check (length(name) between 1 and 200),
  cnpj        text check (cnpj ~ '^[0-9A-Z]{12}[0-9]{2}$'),
  created_at  timestamptz not null default now()
);

create table if not exists public.company_members (
  company_id  uuid not null references public.companies (id) on delete cascade,
  user_id     uuid not null references auth.users (id) on delete cascade,
  role        text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at  timestamptz not null default now(),
  primary key (company_id, user_id)
);
create index if not exists company_members_user_idx on public.company_members (user_id);

-- Membership test used by every RLS policy. SECURITY DEFINER so policies on company_members itself
-- do not recurse; search_path pinned.
create or replace function public.is_company_member(p_company_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.company_members m
    where m.company_id = p_company_id and m.user_id = (select auth.uid())
  );
$$;
revoke all on function public.is_company_member(uuid) from public;
grant execute on function public.is_company_member(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------------
-- sync_config: validated in the database (unknown keys and wrong types are rejected)
-- ---------------------------------------------------------------------------------------------------------
create or replace function public.erp_sync_config_is_valid(cfg jsonb)
returns boolean
language plpgsql immutable set search_path = ''
as $$
declare
  k text;
  v jsonb;
begin
  if cfg is null or jsonb_typeof(cfg) <> 'object' then return false; end if;
  for k, v in select * from jsonb_each(cfg) loop
    case k
      when 'auto_sync', 'full_resync' then
        if jsonb_typeof(v) <> 'boolean' then return false; end if;
      when 'entities' then
        if jsonb_typeof(v) <> 'object' then return false; end if;
        if exists (select 1 from jsonb_each(v) e
                   where e.key not in ('nfe', 'products', 'financials', 'profile')
                      or jsonb_typeof(e.value) <> 'boolean') then
          return false;
        end if;
      when 'nfe_lookback_days' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 1 and 366 then return false; end if;
      when 'nfe_overlap_days' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 0 and 30 then return false; end if;
      when 'max_consecutive_failures' then
        if jsonb_typeof(v) <> 'number' or (v::numeric) <> trunc(v::numeric) or (v::numeric) not between 1 and 60 then return false; end if;
      when 'schedule' then
        -- 5-field cron in UTC; only minute/hour/day-of-week forms the scheduler understands (see _shared/sync/schedule.ts)
        if jsonb_typeof(v) <> 'string' or (v #>> '{}') !~ '^[0-9*/,-]+ [0-9*/,-]+ \* \* [0-9*/,-]+$' then return false; end if;
      else
        return false;
    end case;
  end loop;
  return true;
end
$$;

-- ---------------------------------------------------------------------------------------------------------
-- ERP connections
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.erp_connections (
  id                      uuid primary key default gen_random_uuid(),
  company_id              uuid not null references public.companies (id) on delete cascade,
  erp_type                text not null check (erp_type in ('bling', 'omie', 'tiny', 'conta_azul')),
  name                    text not null default '' check (length(name) <= 200),
  status                  text not null default 'active' check (status in ('active', 'inactive', 'error')),
  status_message          text check (length(status_message) <= 1000),
  sync_config             jsonb not null default '{"auto_sync": true}'::jsonb
                            check (public.erp_sync_config_is_valid(sync_config)),
  -- ERP API base URL this connection may call (the real API; a simulator locally).
  api_base_url            text not null check (api_base_url ~ '^https?://'),
  -- Identity of the ERP account, shared by connections of one account for rate limiting.
  account_key             text not null,
  -- Credentials live in Vault; this is only the secret's id. Never readable by anon/authenticated.
  credentials_secret_id   uuid,
  last_sync_at            timestamptz,
  next_sync_at            timestamptz,
  consecutive_failures    integer not null default 0 check (consecutive_failures >= 0),
  -- Lease: at most one sync of a connection at a time (cron, manual and ops alike).
  lease_owner             text,
  lease_expires_at        timestamptz,
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default now(),
  check ((lease_owner is null) = (lease_expires_at is null))
);
create index if not exists erp_connections_company_idx on public.erp_connections (company_id);
-- The due-connections query: active, auto_sync on, next_sync_at null or past.
create index if not exists erp_connections_due_idx on public.erp_connections (next_sync_at nulls first)
  where status = 'active' and (sync_config ->> 'auto_sync') = 'true';
create index if not exists erp_connections_lease_idx on public.erp_connections (lease_expires_at)
  where lease_owner is not null;

-- ---------------------------------------------------------------------------------------------------------
-- Runs (one per orchestrator invocation) and logs (one per connection sync)
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.erp_sync_runs (
  id              uuid primary key default gen_random_uuid(),
  source          text not null check (source in ('cron', 'ops', 'continuation')),
  parent_run_id   uuid references public.erp_sync_runs (id) on delete set null,
  status          text not null default 'running' check (status in ('running', 'completed', 'failed')),
  dry_run         boolean not null default false,
  started_at      timestamptz not null default now(),
  completed_at    timestamptz,
  processed       integer not null default 0,
  succeeded       integer not null default 0,
  failed          integer not null default 0,
  remaining       integer,
  recovered       integer not null default 0,
  duration_ms     integer,
  details         jsonb not null default '{}'::jsonb
);
create index if not exists erp_sync_runs_started_idx on public.erp_sync_runs (started_at desc);

create table if not exists public.erp_sync_logs (
  id              uuid primary key default gen_random_uuid(),
  connection_id   uuid not null references public.erp_connections (id) on delete cascade,
  company_id      uuid not null references public.companies (id) on delete cascade,
  run_id          uuid references public.erp_sync_runs (id) on delete set null,
  sync_type       text not null check (sync_type in ('auto', 'manual')),
  status          text not null default 'running'
                    check (status in ('running', 'success', 'partial', 'error', 'interrupted')),
  started_at      timestamptz not null default now(),
  completed_at    timestamptz,
  heartbeat_at    timestamptz not null default now(),
  records_synced  integer not null default 0 check (records_synced >= 0),
  records_failed  integer not null default 0 check (records_failed >= 0),
  duration_ms     integer,
  -- per entity: { nfe: { status, synced, failed, errors: [...], trigger: {...} }, ... } (redacted)
  details         jsonb not null default '{}'::jsonb,
  error_message   text check (length(error_message) <= 2000),
  check ((status = 'running') = (completed_at is null))
);
-- Exactly one running sync per connection, whatever started it.
create unique index if not exists erp_sync_logs_one_running_idx on public.erp_sync_logs (connection_id)
  where status = 'running';
create index if not exists erp_sync_logs_history_idx on public.erp_sync_logs (connection_id, started_at desc);
create index if not exists erp_sync_logs_run_idx on public.erp_sync_logs (run_id);

-- Checkpoints per connection and entity, saved after every page.
create table if not exists public.erp_sync_checkpoints (
  connection_id   uuid not null references public.erp_connections (id) on delete cascade,
  entity          text not null check (entity in ('nfe', 'products', 'financials', 'profile')),
  checkpoint      jsonb not null,
  -- For NF-e: the last fully synced day, from which the next window starts (minus the overlap).
  synced_through  date,
  updated_at      timestamptz not null default now(),
  primary key (connection_id, entity)
);

-- ---------------------------------------------------------------------------------------------------------
-- Synced data: NF-e
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.xml_imports (
  id                uuid primary key default gen_random_uuid(),
  company_id        uuid not null references public.companies (id) on delete cascade,
  connection_id     uuid references public.erp_connections (id) on delete set null,
  access_key        text not null check (access_key ~ '^[0-9]{6}[0-9A-Z]{12}[0-9]{26}$'),
  model             smallint not null check (model in (55, 65)),
  series            integer not null,
  number            bigint not null,
  issued_at         timestamptz not null,
  issued_at_local   text not null,            -- dhEmi exactly as written, offset kept
  direction         text not null check (direction in ('entrada', 'saida')),
  operation         text not null check (operation in ('entrada', 'saida')),  -- tpNF
  purpose           smallint,                 -- finNFe
  nature            text,                     -- natOp
  environment       smallint,                 -- tpAmb
  issuer_doc        text not null,
  issuer_name       text,
  issuer_uf         text,
  issuer_crt        smallint,
  recipient_doc     text,
  recipient_name    text,
  recipient_uf      text,
  total_products    numeric(15, 2) not null,
  total_invoice     numeric(15, 2) not null,
  total_icms        numeric(15, 2) not null default 0,
  total_icms_st     numeric(15, 2) not null default 0,
  total_pis         numeric(15, 2) not null default 0,
  total_cofins      numeric(15, 2) not null default 0,
  total_ipi         numeric(15, 2) not null default 0,
  total_discount    numeric(15, 2) not null default 0,
  total_freight     numeric(15, 2) not null default 0,
  protocol_status   integer,
  protocol_number   text,
  authorized_at     timestamptz,
  status            text not null default 'authorized' check (status in ('authorized', 'cancelled', 'unauthorized')),
  cancelled_at      timestamptz,
  warnings          jsonb not null default '[]'::jsonb,
  raw_xml           text not null,
  source            text,
  imported_at       timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  unique (company_id, access_key)
);
create index if not exists xml_imports_company_issued_idx on public.xml_imports (company_id, issued_at desc);

create table if not exists public.xml_import_items (
  xml_import_id     uuid not null references public.xml_imports (id) on delete cascade,
  item_number       integer not null check (item_number between 1 and 990),
  company_id        uuid not null references public.companies (id) on delete cascade,
  product_code      text,
  description       text,
  ncm               text,
  cest              text,
  cfop              text,
  unit              text,
  quantity          numeric(20, 4),
  unit_value        numeric(25, 10),
  total_value       numeric(15, 2) not null,
  discount          numeric(15, 2) not null default 0,
  icms_group        text,
  icms_cst          text,
  icms_csosn        text,
  icms_base         numeric(15, 2),
  icms_rate         numeric(7, 4),
  icms_value        numeric(15, 2),
  icms_st_base      numeric(15, 2),
  icms_st_value     numeric(15, 2),
  icms_sn_credit    numeric(15, 2),
  pis_cst           text,
  pis_value         numeric(15, 2),
  cofins_cst        text,
  cofins_value      numeric(15, 2),
  ipi_cst           text,
  ipi_value         numeric(15, 2),
  ibs_cbs           jsonb,
  primary key (xml_import_id, item_number)
);
create index if not exists xml_import_items_company_ncm_idx on public.xml_import_items (company_id, ncm);

-- Events (cancellation 110111, correction letter 110110...) kept on their own so that a cancellation
-- arriving before its note still cancels it when the note lands.
create table if not exists public.xml_import_events (
  company_id        uuid not null references public.companies (id) on delete cascade,
  access_key        text not null,
  event_type        text not null,
  sequence          integer not null default 1,
  event_at          timestamptz,
  protocol_number   text,
  description       text,
  raw_xml           text,
  created_at        timestamptz not null default now(),
  primary key (company_id, access_key, event_type, sequence)
);

-- ---------------------------------------------------------------------------------------------------------
-- Synced data: products, financial entries, DRE, profile
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.company_products (
  company_id      uuid not null references public.companies (id) on delete cascade,
  connection_id   uuid not null references public.erp_connections (id) on delete cascade,
  external_id     text not null,
  code            text,
  name            text not null,
  ncm             text,
  cest            text,
  unit            text,
  price           numeric(15, 4),
  active          boolean not null default true,
  updated_at      timestamptz not null default now(),
  primary key (connection_id, external_id)
);
create index if not exists company_products_company_ncm_idx on public.company_products (company_id, ncm);

create table if not exists public.company_financial_entries (
  company_id      uuid not null references public.companies (id) on delete cascade,
  connection_id   uuid not null references public.erp_connections (id) on delete cascade,
  external_id     text not null,
  kind            text not null check (kind in ('receivable', 'payable')),
  entry_date      date not null,
  amount          numeric(15, 2) not null check (amount >= 0),
  status          text not null check (status in ('open', 'paid', 'cancelled', 'overdue', 'partial')),
  category_id     text,
  category_name   text,
  dre_line        text not null,
  dre_rule        text not null,
  description     text,
  updated_at      timestamptz not null default now(),
  primary key (connection_id, external_id)
);
create index if not exists company_financial_entries_month_idx
  on public.company_financial_entries (company_id, entry_date);

create table if not exists public.company_dre (
  company_id      uuid not null references public.companies (id) on delete cascade,
  period          date not null check (extract(day from period) = 1),   -- first day of the month
  line            text not null check (line in ('receita_bruta', 'deducoes', 'custos', 'despesas_operacionais',
                    'resultado_financeiro', 'outras_receitas_despesas', 'impostos_sobre_lucro', 'nao_classificado')),
  amount          numeric(15, 2) not null,
  entries         integer not null default 0,
  source          text,
  updated_at      timestamptz not null default now(),
  primary key (company_id, period, line)
);

create table if not exists public.company_profile (
  company_id      uuid primary key references public.companies (id) on delete cascade,
  cnpj            text,
  legal_name      text,
  trade_name      text,
  tax_regime      text not null default 'unknown'
                    check (tax_regime in ('simples_nacional', 'mei', 'lucro_presumido', 'lucro_real', 'unknown')),
  crt             smallint check (crt between 1 and 4),
  cnae            text,
  uf              text,
  city            text,
  unavailable     jsonb not null default '[]'::jsonb,
  source_erp      text,
  updated_at      timestamptz not null default now()
);

-- NCM analysis (written by analyze-ncm-from-xmls; one row per company and NCM).
create table if not exists public.company_ncm_analysis (
  company_id        uuid not null references public.companies (id) on delete cascade,
  ncm               text not null,
  items_in          integer not null default 0,
  items_out         integer not null default 0,
  value_in          numeric(15, 2) not null default 0,
  value_out         numeric(15, 2) not null default 0,
  products          integer not null default 0,
  flags             jsonb not null default '[]'::jsonb,
  monophasic_group  text,
  legal_basis       text,
  rule_version      text,
  analyzed_at       timestamptz not null default now(),
  primary key (company_id, ncm)
);

-- ---------------------------------------------------------------------------------------------------------
-- Row-level security: members read their companies' rows; only the service role writes sync data.
-- ---------------------------------------------------------------------------------------------------------
do $$
declare
  t text;
begin
  foreach t in array array['companies', 'company_members', 'erp_connections', 'erp_sync_runs', 'erp_sync_logs',
    'erp_sync_checkpoints', 'xml_imports', 'xml_import_items', 'xml_import_events', 'company_products',
    'company_financial_entries', 'company_dre', 'company_profile', 'company_ncm_analysis']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on public.%I from anon', t);
    execute format('revoke insert, update, delete, truncate, references, trigger on public.%I from authenticated', t);
    execute format('grant all on public.%I to service_role', t);
  end loop;
end
$$;

drop policy if exists companies_member_read on public.companies;
create policy companies_member_read on public.companies for select to authenticated
  using ((select public.is_company_member(id)));

drop policy if exists company_members_member_read on public.company_members;
create policy company_members_member_read on public.company_members for select to authenticated
  using ((select public.is_company_member(company_id)));

-- erp_sync_runs are operator data (not per company): no policy for authenticated = no rows.
revoke select on public.erp_sync_runs from authenticated;

-- erp_connections: readable by members, but never the credentials reference or the lease internals.
revoke select on public.erp_connections from authenticated;
grant select (id, company_id, erp_type, name, status, status_message, sync_config, last_sync_at, next_sync_at,
  consecutive_failures, created_at, updated_at) on public.erp_connections to authenticated;
drop policy if exists erp_connections_member_read on public.erp_connections;
create policy erp_connections_member_read on public.erp_connections for select to authenticated
  using ((select public.is_company_member(company_id)));

do $$
declare
  t text;
begin
  foreach t in array array['erp_sync_logs', 'xml_imports', 'xml_import_items', 'xml_import_events',
    'company_products', 'company_financial_entries', 'company_dre', 'company_profile', 'company_ncm_analysis']
  loop
    execute format('drop policy if exists %I on public.%I', t || '_member_read', t);
    execute format('create policy %I on public.%I for select to authenticated using ((select public.is_company_member(company_id)))',
      t || '_member_read', t);
  end loop;
end
$$;

drop policy if exists erp_sync_checkpoints_member_read on public.erp_sync_checkpoints;
create policy erp_sync_checkpoints_member_read on public.erp_sync_checkpoints for select to authenticated
  using (exists (select 1 from public.erp_connections c
                 where c.id = connection_id and (select public.is_company_member(c.company_id))));

-- updated_at maintenance
create or replace function public.touch_updated_at()
returns trigger language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;
drop trigger if exists erp_connections_touch on public.erp_connections;
create trigger erp_connections_touch before update on public.erp_connections
  for each row execute function public.touch_updated_at();

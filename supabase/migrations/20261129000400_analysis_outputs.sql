-- Outputs of the follow-up analyses (issue 7): credits (per month, per line), tax score, opportunities, the last
-- run of each analysis per company, and the columns analyze-ncm-from-xmls adds to company_ncm_analysis.
-- Written only by the service role (the analysis functions), each re-run replacing a company's rows for its
-- period inside one transaction. Members of a company read its rows (same RLS pattern as the core schema).
-- Every result row records the rules version it was computed with; every credit line its rule id and a pt-BR
-- explanation. Money is numeric (never float).

-- ---------------------------------------------------------------------------------------------------------
-- Last run of each analysis per company (what the app shows as "analisado em ..." and the run's summary)
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.company_analysis_runs (
  company_id      uuid not null references public.companies (id) on delete cascade,
  analysis        text not null check (analysis in ('credits', 'ncm', 'tax_score', 'opportunities')),
  status          text not null check (status in ('success', 'no_data')),
  period_from     date not null check (extract(day from period_from) = 1),
  period_to       date not null check (extract(day from period_to) = 1),
  rules_version   text not null,
  summary         jsonb not null default '{}'::jsonb,
  warnings        jsonb not null default '[]'::jsonb,
  connection_id   uuid references public.erp_connections (id) on delete set null,
  log_id          uuid references public.erp_sync_logs (id) on delete set null,
  started_at      timestamptz not null,
  completed_at    timestamptz not null default now(),
  primary key (company_id, analysis),
  check (period_from <= period_to)
);

-- ---------------------------------------------------------------------------------------------------------
-- analyze-credits: one row per company and month (totals + per-supplier / per-NCM breakdowns) ...
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.company_credit_analysis (
  company_id               uuid not null references public.companies (id) on delete cascade,
  period                   date not null check (extract(day from period) = 1),   -- first day of the month
  tax_regime               text not null check (tax_regime in ('lucro_real', 'lucro_presumido', 'simples_nacional',
                             'mei', 'normal_unknown', 'unknown')),
  regime_source            text not null check (regime_source in ('tax_regime', 'crt', 'none', 'no_profile')),
  notes_total              integer not null default 0 check (notes_total >= 0),
  notes_cancelled          integer not null default 0 check (notes_cancelled >= 0),
  notes_excluded           integer not null default 0 check (notes_excluded >= 0),
  notes_analyzed           integer not null default 0 check (notes_analyzed >= 0),
  items_analyzed           integer not null default 0 check (items_analyzed >= 0),
  purchases_value          numeric(15, 2) not null default 0,
  pis_cofins_base          numeric(15, 2) not null default 0,
  pis_credit               numeric(15, 2) not null default 0,
  cofins_credit            numeric(15, 2) not null default 0,
  icms_credit              numeric(15, 2) not null default 0,
  -- What the item rules allow before the regime gate (the credits a Lucro Real / regime normal company would take).
  potential_pis_credit     numeric(15, 2) not null default 0,
  potential_cofins_credit  numeric(15, 2) not null default 0,
  potential_icms_credit    numeric(15, 2) not null default 0,
  -- ICMS-ST reported apart: charged on the purchase note (CST 10/30/70/90, CSOSN 201/202/203/900) and retained
  -- earlier (CST 60, CSOSN 500, group ICMSST). Neither is a credit.
  st_charged               numeric(15, 2) not null default 0,
  st_retained              numeric(15, 2) not null default 0,
  by_supplier              jsonb not null default '[]'::jsonb,
  by_ncm                   jsonb not null default '[]'::jsonb,
  rule_counts              jsonb not null default '{}'::jsonb,
  rules_version            text not null,
  connection_id            uuid references public.erp_connections (id) on delete set null,
  log_id                   uuid references public.erp_sync_logs (id) on delete set null,
  analyzed_at              timestamptz not null default now(),
  primary key (company_id, period)
);

-- ... and one row per purchase item, saying why it counts or not.
create table if not exists public.company_credit_lines (
  company_id              uuid not null references public.companies (id) on delete cascade,
  period                  date not null check (extract(day from period) = 1),
  xml_import_id           uuid not null references public.xml_imports (id) on delete cascade,
  item_number             integer not null,
  access_key              text not null,
  issued_on               date not null,
  supplier_doc            text not null,
  supplier_name           text,
  supplier_crt            smallint,
  product_code            text,
  description             text,
  ncm                     text not null,
  cfop                    text,
  cfop_class              text,
  monophasic_group        text,
  item_value              numeric(15, 2) not null,
  pis_cst                 text,
  cofins_cst              text,
  icms_code               text,
  pis_cofins_rule         text not null,
  pis_cofins_base         numeric(15, 2) not null default 0,
  pis_credit              numeric(15, 2) not null default 0,
  cofins_credit           numeric(15, 2) not null default 0,
  pis_cofins_explanation  text not null,
  icms_rule               text not null,
  icms_creditable         numeric(15, 2) not null default 0,
  icms_credit             numeric(15, 2) not null default 0,
  icms_explanation        text not null,
  st_kind                 text check (st_kind in ('charged', 'retained')),
  st_value                numeric(15, 2) not null default 0,
  counted                 boolean not null,
  rules_version           text not null,
  primary key (company_id, period, xml_import_id, item_number)
);
create index if not exists company_credit_lines_import_idx on public.company_credit_lines (xml_import_id);
create index if not exists company_credit_lines_supplier_idx on public.company_credit_lines (company_id, supplier_doc);

-- ---------------------------------------------------------------------------------------------------------
-- analyze-ncm-from-xmls: extra columns on company_ncm_analysis (one row per company and NCM)
-- ---------------------------------------------------------------------------------------------------------
alter table public.company_ncm_analysis add column if not exists period_from date;
alter table public.company_ncm_analysis add column if not exists period_to date;
alter table public.company_ncm_analysis add column if not exists ncm_format text;
alter table public.company_ncm_analysis add column if not exists chapter text;
alter table public.company_ncm_analysis add column if not exists monophasic_check text;
alter table public.company_ncm_analysis add column if not exists explanation text;
alter table public.company_ncm_analysis add column if not exists connection_id uuid
  references public.erp_connections (id) on delete set null;
alter table public.company_ncm_analysis add column if not exists log_id uuid
  references public.erp_sync_logs (id) on delete set null;

-- ---------------------------------------------------------------------------------------------------------
-- calculate-tax-score: one score per company and 12-month window (keyed by its last month)
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.company_tax_scores (
  company_id      uuid not null references public.companies (id) on delete cascade,
  period_from     date not null check (extract(day from period_from) = 1),
  period_to       date not null check (extract(day from period_to) = 1),
  score           numeric(5, 2) check (score between 0 and 100),
  status          text not null check (status in ('ok', 'insufficient_data')),
  tax_regime      text not null,
  -- [{ id, label, weight, effective_weight, available, value, score, explanation, evidence }]
  components      jsonb not null default '[]'::jsonb,
  inputs          jsonb not null default '{}'::jsonb,
  explanation     text not null,
  rules_version   text not null,
  connection_id   uuid references public.erp_connections (id) on delete set null,
  log_id          uuid references public.erp_sync_logs (id) on delete set null,
  analyzed_at     timestamptz not null default now(),
  primary key (company_id, period_to),
  check ((status = 'ok') = (score is not null)),
  check (period_from <= period_to)
);

-- ---------------------------------------------------------------------------------------------------------
-- match-opportunities: the company's current matches against the versioned catalogue
-- ---------------------------------------------------------------------------------------------------------
create table if not exists public.company_opportunities (
  company_id         uuid not null references public.companies (id) on delete cascade,
  opportunity_id     text not null,
  category           text not null,
  title              text not null,
  explanation        text not null,
  estimated_value    numeric(15, 2) not null check (estimated_value >= 0),
  value_basis        text not null check (value_basis in ('period', 'annual')),
  confidence         text not null check (confidence in ('alta', 'media', 'baixa')),
  period_from        date,
  period_to          date,
  evidence           jsonb not null default '{}'::jsonb,
  legal_basis        text,
  rule               text not null,
  catalogue_version  text not null,
  connection_id      uuid references public.erp_connections (id) on delete set null,
  log_id             uuid references public.erp_sync_logs (id) on delete set null,
  analyzed_at        timestamptz not null default now(),
  primary key (company_id, opportunity_id)
);

-- ---------------------------------------------------------------------------------------------------------
-- Row-level security: members read their companies' rows; only the service role writes.
-- ---------------------------------------------------------------------------------------------------------
do $$
declare
  t text;
begin
  foreach t in array array['company_analysis_runs', 'company_credit_analysis', 'company_credit_lines',
    'company_tax_scores', 'company_opportunities']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on public.%I from anon', t);
    execute format('revoke insert, update, delete, truncate, references, trigger on public.%I from authenticated', t);
    execute format('grant select on public.%I to authenticated', t);
    execute format('grant all on public.%I to service_role', t);
    execute format('drop policy if exists %I on public.%I', t || '_member_read', t);
    execute format('create policy %I on public.%I for select to authenticated using ((select public.is_company_member(company_id)))',
      t || '_member_read', t);
  end loop;
end
$$;

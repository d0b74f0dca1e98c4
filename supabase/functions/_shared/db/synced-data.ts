/**
 * Writes of synced products, financial entries (→ monthly DRE) and the company profile. Upserts on natural
 * keys, one statement per page, so a re-run or a resumed run never doubles anything. A page that repeats an
 * external id (an ERP listing a record twice while it changes under the pagination) is de-duplicated first —
 * the last occurrence wins — and `onDuplicates` is told which ids, so the sync log says so; otherwise Postgres
 * refuses the whole statement ("ON CONFLICT DO UPDATE command cannot affect row a second time").
 */
import type { CompanyProfile, FinancialEntry, Product } from '../adapters/contract.ts';
import type { Sql } from './client.ts';

export type OnDuplicates = (externalIds: string[]) => void;

/** The records of one page with each external id once (its last occurrence, in first-seen order). */
export function lastWins<T extends { externalId: string }>(records: T[]): { unique: T[]; duplicates: string[] } {
  const byId = new Map<string, T>();
  const duplicates = new Set<string>();
  for (const r of records) {
    if (byId.has(r.externalId)) duplicates.add(r.externalId);
    byId.set(r.externalId, r);
  }
  return { unique: [...byId.values()], duplicates: [...duplicates] };
}

/** What the sync log says about ids repeated inside one page (kept in the entity's `errors`, not failures). */
export function duplicateNotes(externalIds: string[]) {
  return externalIds.map((externalId) => ({
    externalId,
    code: 'DUPLICATE_IN_PAGE',
    message: 'the ERP listed this id more than once in one page; the last occurrence was kept',
  }));
}

export async function upsertProducts(
  sql: Sql,
  companyId: string,
  connectionId: string,
  page: Product[],
  onDuplicates?: OnDuplicates,
): Promise<number> {
  const { unique: products, duplicates } = lastWins(page);
  if (duplicates.length) onDuplicates?.(duplicates);
  if (!products.length) return 0;
  const rows = products.map((p) => ({
    company_id: companyId,
    connection_id: connectionId,
    external_id: p.externalId,
    code: p.code,
    name: p.name,
    ncm: p.ncm,
    cest: p.cest,
    unit: p.unit,
    price: p.price,
    active: p.active,
  }));
  await sql`
    insert into public.company_products ${sql(rows)}
    on conflict (connection_id, external_id) do update set code = excluded.code, name = excluded.name,
      ncm = excluded.ncm, cest = excluded.cest, unit = excluded.unit, price = excluded.price,
      active = excluded.active, updated_at = now()
    where (company_products.code, company_products.name, company_products.ncm, company_products.cest,
           company_products.unit, company_products.price, company_products.active)
      is distinct from (excluded.code, excluded.name, excluded.ncm, excluded.cest, excluded.unit, excluded.price,
           excluded.active)`;
  return rows.length;
}

/**
 * After a complete pass over the ERP's product list: products of the connection the ERP no longer lists (deleted
 * or merged there) are marked inactive — never deleted — so analyses stop counting them. `listed` holds every
 * external id the pass saw; an empty pass marks nothing (an empty answer is no proof of deletion).
 */
export async function markUnlistedProductsInactive(sql: Sql, connectionId: string, listed: string[]): Promise<number> {
  if (!listed.length) return 0;
  const rows = await sql`
    update public.company_products set active = false, updated_at = now()
    where connection_id = ${connectionId} and active and external_id <> all(${listed}::text[])
    returning external_id`;
  return rows.length;
}

export async function upsertFinancialEntries(
  sql: Sql,
  companyId: string,
  connectionId: string,
  page: FinancialEntry[],
  onDuplicates?: OnDuplicates,
): Promise<number> {
  const { unique: entries, duplicates } = lastWins(page);
  if (duplicates.length) onDuplicates?.(duplicates);
  if (!entries.length) return 0;
  const rows = entries.map((e) => ({
    company_id: companyId,
    connection_id: connectionId,
    external_id: e.externalId,
    kind: e.kind,
    entry_date: e.date,
    amount: e.amount,
    status: e.status,
    category_id: e.categoryId,
    category_name: e.categoryName,
    dre_line: e.dreLine,
    dre_rule: e.dreRule,
    description: e.description,
  }));
  await sql`
    insert into public.company_financial_entries ${sql(rows)}
    on conflict (connection_id, external_id) do update set kind = excluded.kind, entry_date = excluded.entry_date,
      amount = excluded.amount, status = excluded.status, category_id = excluded.category_id,
      category_name = excluded.category_name, dre_line = excluded.dre_line, dre_rule = excluded.dre_rule,
      description = excluded.description, updated_at = now()`;
  return rows.length;
}

/**
 * Rebuilds company_dre for the months of [from, to] from the company's financial entries (of every connection
 * of the company: the DRE is the company's): receivables add, payables subtract, cancelled entries are left out.
 * Lines are upserted and the months' lines without entries any more are removed. The rebuilds of one company
 * are serialised by a transaction-scoped advisory lock, so two connections of one company finishing their
 * financials at once never collide on the primary key (each sees the other's committed entries).
 */
export async function rebuildDre(sql: Sql, companyId: string, from: string, to: string, source: string): Promise<number> {
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${'company-dre:' + companyId}, 0))`;
    const rows = await tx`
      with fresh as (
        select date_trunc('month', entry_date)::date as period, dre_line as line,
               sum(case when kind = 'receivable' then amount else -amount end) as amount, count(*)::int as entries
        from public.company_financial_entries
        where company_id = ${companyId} and status <> 'cancelled'
          and entry_date >= date_trunc('month', ${from}::date) and entry_date < date_trunc('month', ${to}::date) + interval '1 month'
        group by 1, 2
      ), stale as (
        delete from public.company_dre d
        where d.company_id = ${companyId}
          and d.period between date_trunc('month', ${from}::date) and date_trunc('month', ${to}::date)
          and not exists (select 1 from fresh f where f.period = d.period and f.line = d.line)
      )
      insert into public.company_dre (company_id, period, line, amount, entries, source)
      select ${companyId}, period, line, amount, entries, ${source} from fresh
      on conflict (company_id, period, line) do update set amount = excluded.amount, entries = excluded.entries,
        source = excluded.source, updated_at = now()
      returning 1`;
    return rows.length;
  });
}

export async function upsertProfile(sql: Sql, companyId: string, erp: string, p: CompanyProfile): Promise<void> {
  await sql`
    insert into public.company_profile (company_id, cnpj, legal_name, trade_name, tax_regime, crt, cnae, uf, city,
      unavailable, source_erp, updated_at)
    values (${companyId}, ${p.cnpj}, ${p.legalName}, ${p.tradeName}, ${p.taxRegime}, ${p.crt}, ${p.cnae}, ${p.uf},
      ${p.city}, ${sql.json(p.unavailable as never)}, ${erp}, now())
    on conflict (company_id) do update set cnpj = coalesce(excluded.cnpj, company_profile.cnpj),
      legal_name = coalesce(excluded.legal_name, company_profile.legal_name),
      trade_name = coalesce(excluded.trade_name, company_profile.trade_name),
      tax_regime = case when excluded.tax_regime = 'unknown' then company_profile.tax_regime else excluded.tax_regime end,
      crt = coalesce(excluded.crt, company_profile.crt), cnae = coalesce(excluded.cnae, company_profile.cnae),
      uf = coalesce(excluded.uf, company_profile.uf), city = coalesce(excluded.city, company_profile.city),
      unavailable = excluded.unavailable, source_erp = excluded.source_erp, updated_at = now()`;
}

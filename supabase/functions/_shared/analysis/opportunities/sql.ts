/**
 * match-opportunities SQL: ICMS-ST purchases vs sales per (NCM, unit) for the window, and the replacement of the
 * company's company_opportunities rows. The other facts come from common/facts-sql.ts.
 */
import type { Tx } from '../../db/client.ts';
import { addMonths, monthStart, type Period } from '../common/period.ts';
import { insertChunks } from '../common/sql.ts';
import type { OpportunityMatch, StRow } from './rules.ts';

/**
 * Items bought with an ICMS-ST base (icms_st_base = vBCST > 0: the supplier charged ST on the note) on notes the
 * company received, and items the company sold on its own notes, both from valid notes (authorized, not
 * homologation) of the window, grouped by digits-only NCM and upper-cased unit; only pairs present on both sides are returned.
 */
export async function loadStRows(tx: Tx, companyId: string, period: Period): Promise<StRow[]> {
  const from = monthStart(period.from);
  const end = monthStart(addMonths(period.to, 1));
  return await tx<StRow[]>`
    with valid as (
      select id, direction, operation from public.xml_imports
      where company_id = ${companyId} and status = 'authorized' and coalesce(environment, 1) <> 2
        and issued_at >= ${from}::date - interval '2 days' and issued_at < ${end}::date + interval '2 days'
        and left(issued_at_local, 7) between ${period.from} and ${period.to}
    ),
    bought as (
      select regexp_replace(coalesce(i.ncm, ''), '[^0-9]', '', 'g') as ncm, upper(trim(coalesce(i.unit, ''))) as unit,
             sum(i.quantity) as qty, sum(i.icms_st_base) as st_base,
             sum(coalesce(i.icms_st_value, 0) + coalesce(i.icms_value, 0)) as st_tax, count(*)::int as items
      from valid v join public.xml_import_items i on i.xml_import_id = v.id
      where v.direction = 'entrada' and v.operation = 'saida' and i.icms_st_base > 0 and i.quantity > 0
      group by 1, 2
    ),
    sold as (
      select regexp_replace(coalesce(i.ncm, ''), '[^0-9]', '', 'g') as ncm, upper(trim(coalesce(i.unit, ''))) as unit,
             sum(i.quantity) as qty, sum(i.total_value - i.discount) as value, count(*)::int as items
      from valid v join public.xml_import_items i on i.xml_import_id = v.id
      where v.direction = 'saida' and v.operation = 'saida' and i.quantity > 0
      group by 1, 2
    )
    select b.ncm, b.unit, b.qty::text as qty, b.st_base::text as st_base, b.st_tax::text as st_tax, b.items,
           s.qty::text as sold_qty, s.value::text as sold_value, s.items as sold_items
    from bought b join sold s on s.ncm = b.ncm and s.unit = b.unit
    where b.ncm <> ''
    order by b.ncm, b.unit`;
}

export interface WriteMeta {
  companyId: string;
  connectionId?: string;
  logId?: string;
}

export async function replaceOpportunities(
  tx: Tx,
  matches: OpportunityMatch[],
  meta: WriteMeta,
): Promise<void> {
  await tx`delete from public.company_opportunities where company_id = ${meta.companyId}`;
  const rows = matches.map((m) => ({
    company_id: meta.companyId,
    opportunity_id: m.opportunity_id,
    category: m.category,
    title: m.title,
    explanation: m.explanation,
    estimated_value: m.estimated_value,
    value_basis: m.value_basis,
    confidence: m.confidence,
    period_from: m.period_from ? monthStart(m.period_from) : null,
    period_to: m.period_to ? monthStart(m.period_to) : null,
    evidence: m.evidence as unknown,
    legal_basis: m.legal_basis,
    rule: m.rule,
    catalogue_version: m.catalogue_version,
    connection_id: meta.connectionId ?? null,
    log_id: meta.logId ?? null,
  }));
  if (rows.length) {
    await insertChunks(
      tx,
      'public.company_opportunities',
      rows,
      Object.keys(rows[0]) as (keyof typeof rows[0])[],
    );
  }
}

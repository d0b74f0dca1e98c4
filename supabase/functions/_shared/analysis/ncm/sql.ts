/**
 * analyze-ncm-from-xmls SQL: loads the company's notes (both directions) and items for the period plus its product
 * master; replaces all of the company's company_ncm_analysis rows (the table holds one row per company and NCM).
 */
import type { Tx } from '../../db/client.ts';
import { addMonths, monthStart, type Period } from '../common/period.ts';
import { insertChunks } from '../common/sql.ts';
import type { MasterProduct, NcmItem, NcmNote, NcmResult } from './rules.ts';

export async function loadNcmInputs(
  tx: Tx,
  companyId: string,
  period: Period,
): Promise<{ notes: NcmNote[]; items: NcmItem[]; products: MasterProduct[] }> {
  const fromTs = monthStart(period.from);
  const toTs = monthStart(addMonths(period.to, 1));
  const notes = await tx<NcmNote[]>`
    select id, issued_at, issued_at_local, status, environment, direction, operation, issuer_doc
    from public.xml_imports
    where company_id = ${companyId}
      and issued_at >= ${fromTs}::date - interval '2 days' and issued_at < ${toTs}::date + interval '2 days'`;
  const items = notes.length === 0 ? [] : await tx<NcmItem[]>`
    select i.xml_import_id, i.item_number, i.product_code, i.description, i.ncm, i.total_value, i.discount
    from public.xml_imports x
    join public.xml_import_items i on i.xml_import_id = x.id
    where x.company_id = ${companyId}
      and x.issued_at >= ${fromTs}::date - interval '2 days' and x.issued_at < ${toTs}::date + interval '2 days'`;
  const products = await tx<MasterProduct[]>`
    select code, name, ncm, active from public.company_products where company_id = ${companyId}`;
  return { notes, items, products };
}

export interface WriteMeta {
  companyId: string;
  connectionId?: string;
  logId?: string;
}

export async function replaceNcmResults(tx: Tx, result: NcmResult, meta: WriteMeta): Promise<void> {
  await tx`delete from public.company_ncm_analysis where company_id = ${meta.companyId}`;
  const rows = result.rows.map((r) => ({
    company_id: meta.companyId,
    ncm: r.ncm,
    items_in: r.items_in,
    items_out: r.items_out,
    value_in: r.value_in,
    value_out: r.value_out,
    products: r.products,
    flags: r.flags as unknown,
    monophasic_group: r.monophasic_group,
    legal_basis: r.legal_basis,
    rule_version: result.rules_version,
    period_from: monthStart(result.period.from),
    period_to: monthStart(result.period.to),
    ncm_format: r.ncm_format,
    chapter: r.chapter,
    monophasic_check: r.monophasic_check,
    explanation: r.explanation,
    connection_id: meta.connectionId ?? null,
    log_id: meta.logId ?? null,
  }));
  if (rows.length) {
    await insertChunks(
      tx,
      'public.company_ncm_analysis',
      rows,
      Object.keys(rows[0]) as (keyof typeof rows[0])[],
    );
  }
}

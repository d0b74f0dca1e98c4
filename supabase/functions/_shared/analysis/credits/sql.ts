/**
 * analyze-credits SQL: loads the purchase notes and their items for a period: notes the company RECEIVED, i.e.
 * direction 'entrada' with the issuer's tpNF = saída (operation 'saida'). Entry notes the company issued itself
 * (imports, purchases from individuals: direction 'entrada', operation 'entrada') are not in this analysis.
 * Replaces the company's company_credit_analysis / company_credit_lines rows for that period.
 */
import type { Tx } from '../../db/client.ts';
import { addMonths, monthStart, type Period } from '../common/period.ts';
import { insertChunks } from '../common/sql.ts';
import type { CreditItem, CreditNote, CreditResult } from './rules.ts';

/**
 * Notes whose local month (dhEmi as written) falls in the period. The timestamp range is widened by two days on
 * each side so the index on (company_id, issued_at) does the work; the exact month filter is on issued_at_local
 * (and again in the rules).
 */
export async function loadPurchaseNotes(
  tx: Tx,
  companyId: string,
  period: Period,
): Promise<{ notes: CreditNote[]; items: CreditItem[] }> {
  const fromTs = monthStart(period.from);
  const toTs = monthStart(addMonths(period.to, 1));
  const notes = await tx<CreditNote[]>`
    select id, access_key, issued_at, issued_at_local, status, environment, issuer_doc, issuer_name, issuer_crt
    from public.xml_imports
    where company_id = ${companyId} and direction = 'entrada' and operation = 'saida'
      and issued_at >= ${fromTs}::date - interval '2 days' and issued_at < ${toTs}::date + interval '2 days'
    order by issued_at, id`;
  if (notes.length === 0) return { notes: [], items: [] };
  const items = await tx<CreditItem[]>`
    select i.xml_import_id, i.item_number, i.product_code, i.description, i.ncm, i.cfop, i.total_value, i.discount,
           i.icms_group, i.icms_cst, i.icms_csosn, i.icms_value, i.icms_st_value, i.icms_sn_credit, i.pis_cst, i.cofins_cst
    from public.xml_imports x
    join public.xml_import_items i on i.xml_import_id = x.id
    where x.company_id = ${companyId} and x.direction = 'entrada' and x.operation = 'saida'
      and x.issued_at >= ${fromTs}::date - interval '2 days' and x.issued_at < ${toTs}::date + interval '2 days'
    order by i.xml_import_id, i.item_number`;
  return { notes, items };
}

export interface WriteMeta {
  companyId: string;
  connectionId?: string;
  logId?: string;
}

/** Replaces the company's results for every month of the period (months without notes end up with no rows). */
export async function replaceCreditResults(tx: Tx, result: CreditResult, meta: WriteMeta): Promise<void> {
  const from = monthStart(result.period.from);
  const to = monthStart(result.period.to);
  await tx`delete from public.company_credit_lines where company_id = ${meta.companyId} and period between ${from} and ${to}`;
  await tx`delete from public.company_credit_analysis where company_id = ${meta.companyId} and period between ${from} and ${to}`;

  const monthRows = result.months.map((m) => ({
    company_id: meta.companyId,
    period: monthStart(m.period),
    tax_regime: result.regime.regime,
    regime_source: result.regime.source,
    notes_total: m.notes_total,
    notes_cancelled: m.notes_cancelled,
    notes_excluded: m.notes_excluded,
    notes_analyzed: m.notes_analyzed,
    items_analyzed: m.items_analyzed,
    purchases_value: m.purchases_value,
    pis_cofins_base: m.pis_cofins_base,
    pis_credit: m.pis_credit,
    cofins_credit: m.cofins_credit,
    icms_credit: m.icms_credit,
    potential_pis_credit: m.potential_pis_credit,
    potential_cofins_credit: m.potential_cofins_credit,
    potential_icms_credit: m.potential_icms_credit,
    st_charged: m.st_charged,
    st_retained: m.st_retained,
    by_supplier: m.by_supplier as unknown,
    by_ncm: m.by_ncm as unknown,
    rule_counts: m.rule_counts as unknown,
    rules_version: result.rules_version,
    connection_id: meta.connectionId ?? null,
    log_id: meta.logId ?? null,
  }));
  if (monthRows.length) {
    await insertChunks(
      tx,
      'public.company_credit_analysis',
      monthRows,
      Object.keys(monthRows[0]) as (keyof typeof monthRows[0])[],
    );
  }

  const lineRows = result.lines.map((l) => ({
    company_id: meta.companyId,
    period: monthStart(l.period),
    xml_import_id: l.xml_import_id,
    item_number: l.item_number,
    access_key: l.access_key,
    issued_on: l.issued_on,
    supplier_doc: l.supplier_doc,
    supplier_name: l.supplier_name,
    supplier_crt: l.supplier_crt,
    product_code: l.product_code,
    description: l.description,
    ncm: l.ncm,
    cfop: l.cfop,
    cfop_class: l.cfop_class,
    monophasic_group: l.monophasic_group,
    item_value: l.item_value,
    pis_cst: l.pis_cst,
    cofins_cst: l.cofins_cst,
    icms_code: l.icms_code,
    pis_cofins_rule: l.pis_cofins_rule,
    pis_cofins_base: l.pis_cofins_base,
    pis_credit: l.pis_credit,
    cofins_credit: l.cofins_credit,
    pis_cofins_explanation: l.pis_cofins_explanation,
    icms_rule: l.icms_rule,
    icms_creditable: l.icms_creditable,
    icms_credit: l.icms_credit,
    icms_explanation: l.icms_explanation,
    st_kind: l.st_kind,
    st_value: l.st_value,
    counted: l.counted,
    rules_version: l.rules_version,
  }));
  if (lineRows.length) {
    await insertChunks(
      tx,
      'public.company_credit_lines',
      lineRows,
      Object.keys(lineRows[0]) as (keyof typeof lineRows[0])[],
      400,
    );
  }
}

/**
 * analyze-credits SQL: loads the purchase notes and their items for a period: notes the company RECEIVED, i.e.
 * direction 'entrada' with the issuer's tpNF = saída (operation 'saida'). Entry notes the company issued itself
 * (imports, purchases from individuals: direction 'entrada', operation 'entrada') are not in this analysis.
 * Replaces the company's company_credit_analysis / company_credit_lines rows for that period.
 */
import type { Tx } from '../../db/client.ts';
import { addMonths, monthStart, type Period } from '../common/period.ts';
import { insertChunks } from '../common/sql.ts';
import {
  type BuyerEntry,
  type CreditItem,
  type CreditNote,
  type CreditResult,
  type ProductClassification,
  PURCHASE_RETURN_CFOPS,
} from './rules.ts';

/**
 * Notes whose local month (dhEmi as written) falls in the period. The timestamp range is widened by two days on
 * each side so the index on (company_id, issued_at) does the work; the exact month filter is on issued_at_local
 * (and again in the rules). Three kinds of note (rules.ts, NoteKind):
 *   - received: direction 'entrada', tpNF saída — a supplier's note to the company;
 *   - import: the company's own entry note (direction 'entrada', tpNF entrada) — only its CFOP 3xxx items;
 *   - purchase_return: the company's own exit note returning goods to a supplier — only its return CFOPs.
 * Also loads the buyer's entries of those notes (company_purchase_entries) and the member's product
 * classifications (company_product_classifications).
 */
export async function loadPurchaseNotes(
  tx: Tx,
  companyId: string,
  period: Period,
): Promise<{
  notes: CreditNote[];
  items: CreditItem[];
  entries: BuyerEntry[];
  classifications: ProductClassification[];
}> {
  const fromTs = monthStart(period.from);
  const toTs = monthStart(addMonths(period.to, 1));
  const returns = [...PURCHASE_RETURN_CFOPS];
  const items = await tx<CreditItem[]>`
    select i.xml_import_id, i.item_number, i.product_code, i.description, i.ncm, i.cfop, i.total_value, i.discount,
           i.icms_group, i.icms_cst, i.icms_csosn, i.icms_value, i.icms_st_value, i.icms_sn_credit, i.pis_cst,
           i.cofins_cst, i.pis_value, i.cofins_value
    from public.xml_imports x
    join public.xml_import_items i on i.xml_import_id = x.id
    where x.company_id = ${companyId}
      and x.issued_at >= ${fromTs}::date - interval '2 days' and x.issued_at < ${toTs}::date + interval '2 days'
      and ((x.direction = 'entrada' and x.operation = 'saida')
        or (x.direction = 'entrada' and x.operation = 'entrada' and i.cfop like '3%')
        or (x.direction = 'saida' and x.operation = 'saida' and i.cfop = any(${returns}::text[])))
    order by i.xml_import_id, i.item_number`;
  const notes = await tx<CreditNote[]>`
    select id, access_key, issued_at, issued_at_local, status, environment, direction, operation, purpose,
           issuer_doc, issuer_name, issuer_crt, recipient_doc, recipient_name
    from public.xml_imports x
    where company_id = ${companyId}
      and issued_at >= ${fromTs}::date - interval '2 days' and issued_at < ${toTs}::date + interval '2 days'
      and ((direction = 'entrada' and operation = 'saida')
        or (direction = 'entrada' and operation = 'entrada' and exists (select 1 from public.xml_import_items i
              where i.xml_import_id = x.id and i.cfop like '3%'))
        or (direction = 'saida' and operation = 'saida' and exists (select 1 from public.xml_import_items i
              where i.xml_import_id = x.id and i.cfop = any(${returns}::text[]))))
    order by issued_at, id`;
  if (notes.length === 0) return { notes: [], items: [], entries: [], classifications: [] };
  const keys = notes.map((n) => n.access_key);
  const entries = await tx<BuyerEntry[]>`
    select access_key, item_number, entry_cfop from public.company_purchase_entries
    where company_id = ${companyId} and access_key = any(${keys}::text[])`;
  const classifications = await tx<ProductClassification[]>`
    select supplier_doc, product_code, use from public.company_product_classifications
    where company_id = ${companyId}`;
  return { notes, items, entries, classifications };
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
    to_confirm_pis_credit: m.to_confirm_pis_credit,
    to_confirm_cofins_credit: m.to_confirm_cofins_credit,
    to_confirm_icms_credit: m.to_confirm_icms_credit,
    items_to_confirm: m.items_to_confirm,
    icms_ciap_future: m.icms_ciap_future,
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
    note_kind: l.note_kind,
    use: l.use,
    use_source: l.use_source,
    entry_cfop: l.entry_cfop,
    pis_cofins_status: l.pis_cofins_status,
    icms_status: l.icms_status,
    to_confirm_pis_credit: l.to_confirm_pis_credit,
    to_confirm_cofins_credit: l.to_confirm_cofins_credit,
    to_confirm_icms_credit: l.to_confirm_icms_credit,
    to_confirm_reason: l.to_confirm_reason,
    to_confirm_action: l.to_confirm_action,
    pis_cofins_legal_basis: l.pis_cofins_legal_basis,
    icms_legal_basis: l.icms_legal_basis,
    icms_ciap_future: l.icms_ciap_future,
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

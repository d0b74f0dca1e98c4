/**
 * Credit rules, pure: purchase NF-e items → one line per item saying whether it yields a PIS/COFINS or ICMS credit,
 * whether that credit is confirmed or only "to confirm", why, and under which provision (legal.ts, LEGAL_BASIS, one
 * constant per rule id), plus monthly totals and per-supplier / per-NCM breakdowns. No I/O here (see sql.ts).
 * The law behind each rule and the choices the product makes: docs/analysis-credits-law.md.
 *
 * Notes in the analysis (NoteKind): `received` (a supplier's note to the company), `import` (the company's own
 * entry note, CFOP 3xxx items) and `purchase_return` (the company's own note returning goods to a supplier).
 *
 * Rules, in the order they apply (the first that decides a tax wins; each line records the rule id):
 *
 * Note level (both taxes)
 *   NOTE_CANCELLED / NOTE_NOT_AUTHORIZED / NOTE_HOMOLOGATION → excluded, counted apart.
 * The buyer's use of the item (ItemUse: resale, input, own_use, fixed_asset), first that tells:
 *   1. the member's classification of the supplier's product (company_product_classifications);
 *   2. the buyer's entry CFOP as the ERP records it (company_purchase_entries; useFromEntryCfop):
 *      x101/x111/x116/x120/x122/x151/x401/x408 input; x102/x113/x117/x118/x121/x152/x403/x409 resale;
 *      x551/x406 fixed asset; x556/x407 own use; for imports and returns, the CFOP of the company's own note;
 *   3. nothing → use unknown: every credit of the line is "to confirm" (not in the headline totals), with the
 *      reason and what would confirm it.
 *   USE_OWN_CONSUMPTION    own use → no ICMS (LC 87/1996 art. 33 I) and no PIS/COFINS (not an input).
 *   ICMS_CIAP              fixed asset → ICMS in 48 monthly instalments, the first in the month of entry (LC 87
 *                          art. 20 §5º I); the rest is reported as icms_ciap_future.
 *   PC_FIXED_ASSET         fixed asset → PIS/COFINS only for assets used in production or services (Lei 10.833
 *                          art. 3º VI): to confirm, shown at the 1/48-per-month option (§14).
 * Operation (supplier's CFOP on a received note; it is the supplier's exit code)
 *   CFOP_INVALID / CFOP_ENTRY_CODE / CFOP_RETURN / CFOP_FIXED_ASSET / CFOP_USE_CONSUMPTION / CFOP_OTHER → no
 *   credit; purchase CFOPs (x101–x125, x401–x405, x651–x656) go on to the rules below; transfer CFOPs (x151–x156,
 *   x408–x409, x658–x659): ICMS rules apply, PIS/COFINS PC_TRANSFER (not an acquisition).
 * PIS/COFINS (Leis 10.637/2002 and 10.833/2003, art. 3º)
 *   PC_MONOPHASIC_NCM      NCM in the monophasic table → no credit on resale (art. 3º I b), whatever the CST;
 *                          PC_MONOPHASIC_INPUT_REVIEW when the buyer uses it as an input (the bar is for resale):
 *                          what the CST rules give, to confirm.
 *   PC_SIMPLES_SUPPLIER    supplier CRT 1/2/4 (Simples Nacional / MEI), CST not 04–09 → credit 1,65% + 7,6%
 *                          (ADI RFB 15/2007) on the value less, from 2023-05-01, the ICMS highlighted or else
 *                          vCredICMSSN. (Fix 2 of issue 16: before 2026.12 these items were left out.)
 *   PC_CST_ELIGIBLE        supplier CST 01/02/03 for both → base = vProd − vDesc − vICMS (ICMS excluded for notes
 *                          issued from 2023-05-01, art. 3º §2º III, Lei 14.592/2023), PIS 1,65%, COFINS 7,6%, each
 *                          rounded half-up to the cent per line.
 *   PC_CST_PARTIAL / PC_CST_NOT_CREDITABLE (CST 04–09) / PC_CST_OTHER / PC_CST_MISSING → partial / no credit.
 *   PC_IMPORT              import (CFOP 3xxx): PIS 2,1% and COFINS 9,65% on the customs value (vProd − vDesc of the
 *                          import entry note) = the contributions paid (Lei 10.865/2004 arts. 7º I, 8º, 15 §3º);
 *                          PC_IMPORT_REVIEW (to confirm) for monophasic NCMs.
 *   PC_SALE_RETURN         a customer's return of a sale (received x201/x202/x410/x411) → 1,65% / 7,6% on the value
 *                          less its ICMS, to confirm (art. 3º, VIII: only if the sale revenue was taxed).
 *   PC_PURCHASE_RETURN     return to the supplier (x201/x202/x410/x411) → minus 1,65% / 7,6% on the returned value
 *                          less its ICMS: the credit of the entry is reversed in the month of the return.
 *   Regime gate (after the item rules; the amounts are kept as "potential"):
 *   PC_REGIME_CUMULATIVE (Lucro Presumido), PC_REGIME_SIMPLES, PC_REGIME_UNKNOWN → not counted.
 * ICMS (LC 87/1996 arts. 19–20; LC 123/2006 art. 23 for Simples suppliers)
 *   ICMS_TAXED             CST 00/20/51/90 (also ICMSPart) with vICMS > 0 → credit = vICMS highlighted.
 *   ICMS_ST_PURCHASE       CST 10/70, CST 90 with ST, CSOSN 201/202/203, CSOSN 900 with ST: a purchase under tax
 *                          substitution → the substituted buyer credits neither the ST nor the supplier's own
 *                          ICMS (Convênio ICMS 142/2018; RICMS/SP art. 272). (Fix 1 of issue 16: before 2026.12
 *                          the own ICMS of CST 10/70 and the vCredICMSSN of CSOSN 201 were credited.)
 *   ICMS_ST_INPUT_REVIEW   the same for an item the buyer uses as an input → the own ICMS is "to confirm".
 *   ICMS_ST_RETAINED       CST 60, CSOSN 500 or group ICMSST: retained earlier → no credit; amount reported apart.
 *   ICMS_SN_CREDIT         CSOSN 101 → credit = vCredICMSSN (LC 123 art. 23 §1º); ICMS_SN_CREDIT_ABSENT without it.
 *   ICMS_SN_NO_CREDIT      CSOSN 102/103/300/400/900 (900 without ST) → no credit.
 *   ICMS_IMPORT            import → the ICMS paid at customs clearance (LC 87 arts. 12 IX, 20).
 *   ICMS_SALE_RETURN       a customer's return of a sale → the ICMS highlighted on it, to confirm.
 *   ICMS_PURCHASE_RETURN   return to the supplier → minus the ICMS highlighted on the return note.
 *   ICMS_TAXED_NO_VALUE / ICMS_NOT_TAXED / ICMS_MONOPHASIC_FUEL / ICMS_MISSING / ICMS_CODE_UNKNOWN → no credit.
 *   ST charged on the note itself is reported apart as "charged" (cost, not credit).
 *   Regime gate: ICMS_REGIME_SIMPLES, ICMS_REGIME_UNKNOWN → not counted (potential).
 *
 * Totals: pis_credit / cofins_credit / icms_credit are the CONFIRMED credits (the headline); to_confirm_* hold the
 * candidates the data cannot prove; potential_* are what the item rules allow before the regime gate (confirmed
 * and to confirm). Amounts: decimal strings in and out, integer cents inside.
 */
import {
  MONOPHASIC_TABLE_VERSION,
  type MonophasicMatch,
  monophasicMatch,
  normalizeNcm,
} from '../common/ncm.ts';
import { applyRate, brl, type Cents, cents, money } from '../common/money.ts';
import { divRound } from '../../nfe/decimal.ts';
import { legalBasis } from './legal.ts';
import { inPeriod, type Month, noteDate, noteMonth, type Period } from '../common/period.ts';
import { isSimples, type RegimeClass, type ResolvedRegime } from '../common/regime.ts';

/**
 * 2026.12.1 (issue 16): ST purchases give no ICMS credit (fix 1); Simples suppliers give PIS/COFINS credit (fix 2);
 * the buyer's use of an item (entry CFOP, member classification) decides; confirmed vs to-confirm; imports and
 * purchase returns; legal basis per line.
 */
export const CREDIT_RULES_ID = 'credits-2026.12.1';
export const CREDIT_RULES_VERSION = `${CREDIT_RULES_ID}+monophasic-${MONOPHASIC_TABLE_VERSION}`;

export const PIS_RATE = 165n; // 1,65% at scale 4 (Lei 10.637/2002, art. 2º)
export const COFINS_RATE = 760n; // 7,6% (Lei 10.833/2003, art. 2º)
/** PIS/COFINS-Importação rates (Lei 10.865/2004, art. 8º, I and II, as amended by Lei 13.137/2015). */
export const PIS_IMPORT_RATE = 210n; // 2,1%
export const COFINS_IMPORT_RATE = 965n; // 9,65%
/** ICMS on fixed assets: 1/48 per month, the first in the month of entry (LC 87/1996, art. 20, §5º, I). */
export const CIAP_INSTALMENTS = 48n;
/** First issue date whose acquisition ICMS leaves the PIS/COFINS credit base (Lei 14.592/2023). */
export const ICMS_OUT_OF_BASE_FROM = '2023-05-01';

// --- inputs -----------------------------------------------------------------------------------------------

export interface CreditNote {
  id: string;
  access_key: string;
  issued_at: string | Date;
  issued_at_local: string | null;
  status: string;
  environment: number | null;
  /** From the company's point of view (xml_imports.direction); tpNF is `operation`. */
  direction?: 'entrada' | 'saida';
  operation?: 'entrada' | 'saida';
  /** finNFe: 1 normal, 2 complementar, 3 ajuste, 4 devolução. */
  purpose?: number | null;
  issuer_doc: string;
  issuer_name: string | null;
  issuer_crt: number | null;
  /** The counterparty of the company's own notes (imports: the foreign exporter, often without a document;
   * returns: the supplier). */
  recipient_doc?: string | null;
  recipient_name?: string | null;
}

export interface CreditItem {
  xml_import_id: string;
  item_number: number;
  product_code: string | null;
  description: string | null;
  ncm: string | null;
  cfop: string | null;
  total_value: string;
  discount: string | null;
  icms_group: string | null;
  icms_cst: string | null;
  icms_csosn: string | null;
  icms_value: string | null;
  icms_st_value: string | null;
  icms_sn_credit: string | null;
  pis_cst: string | null;
  cofins_cst: string | null;
  pis_value?: string | null;
  cofins_value?: string | null;
}

/** How the buyer uses an item: what decides whether a purchase gives credit. */
export type ItemUse = 'resale' | 'input' | 'own_use' | 'fixed_asset';
export const ITEM_USES: readonly ItemUse[] = ['resale', 'input', 'own_use', 'fixed_asset'];

/** The buyer's own entry of a received note (the ERP's "recebimento"): the entry CFOP per item (0 = every item). */
export interface BuyerEntry {
  access_key: string;
  item_number: number;
  entry_cfop: string;
}

/** A member's classification of a supplier's product (company_product_classifications). */
export interface ProductClassification {
  supplier_doc: string;
  product_code: string;
  use: ItemUse;
}

export interface CreditInput {
  regime: ResolvedRegime;
  period: Period;
  /** Notes where the company is the recipient (direction 'entrada'); others are ignored by the loader. */
  notes: CreditNote[];
  items: CreditItem[];
  entries?: BuyerEntry[];
  classifications?: ProductClassification[];
}

// --- outputs ----------------------------------------------------------------------------------------------

export type StKind = 'charged' | 'retained';
/** received: a supplier's note; import: the company's own entry note with CFOP 3xxx; purchase_return: the
 * company's own note returning goods to a supplier (reverses the credit). */
export type NoteKind = 'received' | 'import' | 'purchase_return';
/** confirmed: counted in the headline; to_confirm: a candidate the data cannot prove; none: no credit. */
export type CreditStatus = 'confirmed' | 'to_confirm' | 'none';
export type UseSource = 'classification' | 'entry_cfop' | 'note_cfop';
export type CfopClass =
  | 'purchase'
  | 'transfer'
  | 'return'
  | 'fixed_asset'
  | 'use_consumption'
  | 'entry_code'
  | 'other'
  | 'invalid';

export interface CreditLine {
  period: Month;
  xml_import_id: string;
  item_number: number;
  access_key: string;
  issued_on: string;
  supplier_doc: string;
  supplier_name: string | null;
  supplier_crt: number | null;
  product_code: string | null;
  description: string | null;
  ncm: string;
  cfop: string | null;
  cfop_class: CfopClass | null;
  monophasic_group: string | null;
  item_value: string;
  pis_cst: string | null;
  cofins_cst: string | null;
  icms_code: string | null;
  pis_cofins_rule: string;
  /** Eligible base by the item rules (before the regime gate); '0.00' when not eligible. */
  pis_cofins_base: string;
  pis_credit: string;
  cofins_credit: string;
  pis_cofins_explanation: string;
  icms_rule: string;
  /** What the item rules allow (before the regime gate). */
  icms_creditable: string;
  icms_credit: string;
  icms_explanation: string;
  st_kind: StKind | null;
  st_value: string;
  note_kind: NoteKind;
  /** The buyer's use of the item and where it came from; null when nothing tells. */
  use: ItemUse | null;
  use_source: UseSource | null;
  entry_cfop: string | null;
  pis_cofins_status: CreditStatus;
  icms_status: CreditStatus;
  /** Candidates not counted in pis_credit / cofins_credit / icms_credit (status 'to_confirm'). */
  to_confirm_pis_credit: string;
  to_confirm_cofins_credit: string;
  to_confirm_icms_credit: string;
  /** Why the line is to confirm and what would confirm it (pt-BR); null otherwise. */
  to_confirm_reason: string | null;
  to_confirm_action: string | null;
  pis_cofins_legal_basis: string;
  icms_legal_basis: string;
  /** ICMS of a fixed asset left for the next 47 CIAP months. */
  icms_ciap_future: string;
  /** Counted in totals (false for cancelled / excluded notes). */
  counted: boolean;
  rules_version: string;
}

export interface SupplierBreakdown {
  supplier_doc: string;
  supplier_name: string | null;
  supplier_crt: number | null;
  notes: number;
  items: number;
  value: string;
  pis_credit: string;
  cofins_credit: string;
  icms_credit: string;
  total_credit: string;
  to_confirm_credit: string;
  st_charged: string;
  st_retained: string;
}

export interface NcmBreakdown {
  ncm: string;
  monophasic_group: string | null;
  items: number;
  value: string;
  pis_credit: string;
  cofins_credit: string;
  icms_credit: string;
  total_credit: string;
  to_confirm_credit: string;
  st_charged: string;
  st_retained: string;
}

export interface CreditTotals {
  notes_total: number;
  notes_cancelled: number;
  notes_excluded: number;
  notes_analyzed: number;
  items_analyzed: number;
  purchases_value: string;
  pis_cofins_base: string;
  pis_credit: string;
  cofins_credit: string;
  icms_credit: string;
  potential_pis_credit: string;
  potential_cofins_credit: string;
  potential_icms_credit: string;
  to_confirm_pis_credit: string;
  to_confirm_cofins_credit: string;
  to_confirm_icms_credit: string;
  items_to_confirm: number;
  icms_ciap_future: string;
  st_charged: string;
  st_retained: string;
}

export interface CreditMonth extends CreditTotals {
  period: Month;
  by_supplier: SupplierBreakdown[];
  by_ncm: NcmBreakdown[];
  rule_counts: Record<string, number>;
}

export interface CreditResult {
  rules_version: string;
  regime: ResolvedRegime;
  period: Period;
  months: CreditMonth[];
  lines: CreditLine[];
  totals: CreditTotals;
  warnings: Array<{ code: string; message: string }>;
}

// --- classification helpers -------------------------------------------------------------------------------

function inRange(n: number, a: number, b: number): boolean {
  return n >= a && n <= b;
}

export function classifyCfop(cfop: string | null | undefined): CfopClass {
  const c = (cfop ?? '').trim();
  if (!/^[1-35-7][0-9]{3}$/.test(c)) return 'invalid';
  if ('123'.includes(c[0])) return 'entry_code';
  const n = Number(c.slice(1));
  if (inRange(n, 101, 125) || inRange(n, 401, 405) || inRange(n, 651, 656)) return 'purchase';
  if (inRange(n, 151, 156) || n === 408 || n === 409 || n === 658 || n === 659) return 'transfer';
  if (inRange(n, 201, 210) || inRange(n, 410, 415) || n === 553 || n === 556 || inRange(n, 660, 662)) {
    return 'return';
  }
  if (n === 551 || n === 552) return 'fixed_asset';
  if (n === 557) return 'use_consumption';
  return 'other';
}

const CFOP_TEXT: Record<Exclude<CfopClass, 'purchase' | 'transfer'>, { rule: string; text: string }> = {
  invalid: {
    rule: 'CFOP_INVALID',
    text: 'CFOP ausente ou inválido: não é possível afirmar que é uma compra',
  },
  entry_code: {
    rule: 'CFOP_ENTRY_CODE',
    text:
      'CFOP de entrada (1/2/3xxx) numa nota recebida: o emitente registrou uma entrada, não uma venda para a empresa',
  },
  return: { rule: 'CFOP_RETURN', text: 'devolução: não é aquisição, fica fora dos créditos de compra' },
  fixed_asset: {
    rule: 'CFOP_FIXED_ASSET',
    text:
      'ativo imobilizado: o crédito é pela depreciação (PIS/COFINS) e pelo CIAP em 1/48 (ICMS), fora desta análise',
  },
  use_consumption: {
    rule: 'CFOP_USE_CONSUMPTION',
    text:
      'material de uso e consumo: sem crédito de ICMS até 2033 (LC 87/1996, art. 33, I) nem de PIS/COFINS',
  },
  other: {
    rule: 'CFOP_OTHER',
    text: 'operação sem natureza de compra (remessa, retorno, bonificação, demonstração ou similar)',
  },
};

const PC_CST_REASON: Record<string, string> = {
  '04': 'operação tributável monofásica (revenda a alíquota zero)',
  '05': 'operação tributável por substituição tributária',
  '06': 'alíquota zero',
  '07': 'operação isenta da contribuição',
  '08': 'operação sem incidência da contribuição',
  '09': 'operação com suspensão da contribuição',
};

/** CRT of a Simples Nacional issuer: 1 Simples, 2 Simples over the sublimit, 4 MEI (NF-e layout, CRT). */
const SIMPLES_CRT = new Set([1, 2, 4]);

type PcCstClass = 'eligible' | 'not_creditable' | 'other' | 'missing';

function pcCstClass(cst: string | null): PcCstClass {
  const c = (cst ?? '').trim();
  if (!c) return 'missing';
  if (c === '01' || c === '02' || c === '03') return 'eligible';
  if (c in PC_CST_REASON) return 'not_creditable';
  return 'other';
}

const ICMS_TAXED_CST = new Set(['00', '10', '20', '51', '70', '90']);
const ICMS_NOT_TAXED_CST = new Set(['30', '40', '41', '50']);
const ICMS_MONO_FUEL_CST = new Set(['02', '15', '53', '61']);
const ICMS_ST_CHARGED_CST = new Set(['10', '30', '70', '90']);
const SN_CREDIT = new Set(['101']);
const SN_ST_PURCHASE = new Set(['201', '202', '203']);
const SN_NO_CREDIT = new Set(['102', '103', '300', '400', '900']);
const SN_ST_CHARGED = new Set(['201', '202', '203', '900']);

function retained(item: CreditItem, st: Cents): string {
  return item.icms_st_value === null || item.icms_st_value === undefined
    ? 'Valor do ICMS-ST retido não disponível nos dados importados'
    : `ICMS-ST retido informado: ${brl(st)}`;
}

interface IcmsOutcome {
  rule: string;
  creditable: Cents;
  /** The amount is a candidate whatever the item's use says (counted as "to confirm"). */
  review?: boolean;
  text: string;
  stKind: StKind | null;
  st: Cents;
}

/** The item rules for ICMS (before the regime gate). `use` is the buyer's use of the item when known. */
function icmsOutcome(item: CreditItem, use: ItemUse | null): IcmsOutcome {
  const csosn = item.icms_csosn?.trim() || null;
  const cst = item.icms_cst?.trim() || null;
  const group = item.icms_group?.trim() || null;
  const st = cents(item.icms_st_value);
  const vIcms = cents(item.icms_value);
  if (csosn) {
    const charged = SN_ST_CHARGED.has(csosn) && st > 0n;
    const stPart = charged ? `; ICMS-ST cobrado nesta nota ${brl(st)} (compõe o custo, sem crédito)` : '';
    const stOut = { stKind: charged ? ('charged' as const) : null, st: charged ? st : 0n };
    if (SN_ST_PURCHASE.has(csosn) || (csosn === '900' && st > 0n)) {
      // Fix 1 (issue 16): a purchase under ST gives the substituted buyer no credit, not even the supplier's own
      // share (vCredICMSSN on CSOSN 201). LEGAL_BASIS.ICMS_ST_PURCHASE.
      const cr = cents(item.icms_sn_credit);
      if (use === 'input' && cr > 0n) {
        return {
          rule: 'ICMS_ST_INPUT_REVIEW',
          creditable: cr,
          review: true,
          text:
            `CSOSN ${csosn} (com substituição tributária) em compra classificada como insumo: a ST não se aplica a mercadoria para industrialização; o crédito de ${
              brl(cr)
            } (vCredICMSSN) depende da regra do estado${stPart}.`,
          ...stOut,
        };
      }
      return {
        rule: 'ICMS_ST_PURCHASE',
        creditable: 0n,
        text:
          `CSOSN ${csosn}: compra sob substituição tributária; o adquirente substituído não se credita do ICMS do fornecedor${
            cr > 0n ? ` (vCredICMSSN ${brl(cr)} não aproveitável)` : ''
          } nem do ICMS-ST${stPart}.`,
        ...stOut,
      };
    }
    if (SN_CREDIT.has(csosn)) {
      const cr = cents(item.icms_sn_credit);
      if (cr > 0n) {
        return {
          rule: 'ICMS_SN_CREDIT',
          creditable: cr,
          text:
            `Fornecedor do Simples Nacional com CSOSN ${csosn}: crédito de ICMS limitado ao vCredICMSSN informado, ${
              brl(cr)
            } (LC 123/2006, art. 23)${stPart}.`,
          ...stOut,
        };
      }
      return {
        rule: 'ICMS_SN_CREDIT_ABSENT',
        creditable: 0n,
        text: `CSOSN ${csosn} sem vCredICMSSN informado: sem crédito de ICMS${stPart}.`,
        ...stOut,
      };
    }
    if (csosn === '500') {
      return {
        rule: 'ICMS_ST_RETAINED',
        creditable: 0n,
        text: `CSOSN 500: ICMS já cobrado anteriormente por substituição tributária; sem crédito. ${
          retained(item, st)
        }.`,
        stKind: 'retained',
        st,
      };
    }
    if (SN_NO_CREDIT.has(csosn)) {
      return {
        rule: 'ICMS_SN_NO_CREDIT',
        creditable: 0n,
        text:
          `Fornecedor do Simples Nacional com CSOSN ${csosn}: sem permissão de crédito de ICMS (só CSOSN 101/201 dão crédito, LC 123/2006, art. 23)${stPart}.`,
        ...stOut,
      };
    }
    return {
      rule: 'ICMS_CODE_UNKNOWN',
      creditable: 0n,
      text: `CSOSN ${csosn} desconhecido: sem crédito.`,
      stKind: null,
      st: 0n,
    };
  }
  if (group === 'ICMSST' || cst === '60') {
    return {
      rule: 'ICMS_ST_RETAINED',
      creditable: 0n,
      text: `CST ${cst ?? '60'}${
        group === 'ICMSST' ? ' (grupo ICMSST)' : ''
      }: ICMS já cobrado anteriormente por substituição tributária; o adquirente substituído não se credita. ${
        retained(item, st)
      }.`,
      stKind: 'retained',
      st,
    };
  }
  if (!cst) {
    return {
      rule: 'ICMS_MISSING',
      creditable: 0n,
      text: 'Item sem CST/CSOSN de ICMS: sem crédito.',
      stKind: null,
      st: 0n,
    };
  }
  const charged = ICMS_ST_CHARGED_CST.has(cst) && st > 0n;
  const stPart = charged ? `; ICMS-ST cobrado nesta nota ${brl(st)} (compõe o custo, sem crédito)` : '';
  const stOut = { stKind: charged ? ('charged' as const) : null, st: charged ? st : 0n };
  if (cst === '10' || cst === '70' || (cst === '90' && st > 0n)) {
    // Fix 1 (issue 16): supplier's own ICMS + ST charged on this note. The substituted buyer reselling the goods
    // credits neither (LEGAL_BASIS.ICMS_ST_PURCHASE); before rules 2026.12 the own ICMS was credited.
    if (use === 'input' && vIcms > 0n) {
      return {
        rule: 'ICMS_ST_INPUT_REVIEW',
        creditable: vIcms,
        review: true,
        text:
          `CST ${cst} (com substituição tributária) em compra classificada como insumo: a ST não se aplica a mercadoria para industrialização; o crédito do ICMS próprio do fornecedor, ${
            brl(vIcms)
          }, depende da regra do estado${stPart}.`,
        ...stOut,
      };
    }
    return {
      rule: 'ICMS_ST_PURCHASE',
      creditable: 0n,
      text:
        `CST ${cst}: compra sob substituição tributária; o adquirente substituído não se credita do ICMS próprio do fornecedor${
          vIcms > 0n ? ` (${brl(vIcms)})` : ''
        } nem do ICMS-ST${stPart}.`,
      ...stOut,
    };
  }
  if (ICMS_TAXED_CST.has(cst)) {
    if (vIcms > 0n) {
      return {
        rule: 'ICMS_TAXED',
        creditable: vIcms,
        text: `CST ${cst} (tributado): crédito do ICMS destacado pelo fornecedor, ${
          brl(vIcms)
        } (LC 87/1996, arts. 19 e 20)${stPart}.`,
        ...stOut,
      };
    }
    return {
      rule: 'ICMS_TAXED_NO_VALUE',
      creditable: 0n,
      text: `CST ${cst} sem ICMS destacado (vICMS zero ou ausente${
        cst === '51' ? ', diferimento' : ''
      }): sem crédito${stPart}.`,
      ...stOut,
    };
  }
  if (ICMS_NOT_TAXED_CST.has(cst)) {
    const what = cst === '30'
      ? 'isenta/não tributada com ST'
      : cst === '40'
      ? 'isenta'
      : cst === '41'
      ? 'não tributada'
      : 'com suspensão';
    return {
      rule: 'ICMS_NOT_TAXED',
      creditable: 0n,
      text: `CST ${cst} (operação ${what}): não há ICMS destacado para creditar${stPart}.`,
      ...stOut,
    };
  }
  if (ICMS_MONO_FUEL_CST.has(cst)) {
    return {
      rule: 'ICMS_MONOPHASIC_FUEL',
      creditable: 0n,
      text:
        `CST ${cst}: ICMS monofásico sobre combustíveis (LC 192/2022); não considerado nesta análise, revisar com o contador.`,
      stKind: null,
      st: 0n,
    };
  }
  return {
    rule: 'ICMS_CODE_UNKNOWN',
    creditable: 0n,
    text: `CST de ICMS ${cst} desconhecido: sem crédito.`,
    stKind: null,
    st: 0n,
  };
}

interface PcOutcome {
  rule: string;
  base: Cents;
  pis: Cents;
  cofins: Cents;
  text: string;
  /** The amount is a candidate whatever the item's use says (counted as "to confirm"). */
  review?: boolean;
}

/** The item rules for PIS/COFINS (before the regime gate) for a purchase CFOP. */
function pcOutcome(
  item: CreditItem,
  itemValue: Cents,
  issuedOn: string,
  mono: MonophasicMatch | null,
  supplierCrt: number | null,
  use: ItemUse | null,
): PcOutcome {
  if (mono && use === 'input') {
    // Art. 3º, I, b bars the credit on monophasic goods bought for RESALE; an input (art. 3º, II) is not barred,
    // but the sector laws set their own rates and conditions: the credit the CST rules give is to confirm.
    const o = pcOutcome(item, itemValue, issuedOn, null, supplierCrt, use);
    if (o.pis + o.cofins === 0n) return o;
    return {
      ...o,
      rule: 'PC_MONOPHASIC_INPUT_REVIEW',
      review: true,
      text:
        `NCM de produto monofásico (${mono.label}; ${mono.legalBasis}) usado como insumo: a vedação do art. 3º, I, b (Lei 10.833/2003) é só para revenda; o crédito depende das regras do setor, a confirmar. ${o.text}`,
    };
  }
  const none = (rule: string, text: string): PcOutcome => ({ rule, base: 0n, pis: 0n, cofins: 0n, text });
  if (mono) {
    return none(
      'PC_MONOPHASIC_NCM',
      `NCM de produto monofásico (${mono.label}; ${mono.legalBasis}): a revenda não gera crédito de PIS/COFINS (Lei 10.833/2003, art. 3º, I, b).`,
    );
  }
  const pisC = pcCstClass(item.pis_cst);
  const cofC = pcCstClass(item.cofins_cst);
  if (
    supplierCrt !== null && SIMPLES_CRT.has(supplierCrt) && pisC !== 'not_creditable' &&
    cofC !== 'not_creditable'
  ) {
    // Fix 2 (issue 16): a Simples Nacional supplier pays its PIS/COFINS inside the DAS and its CST (usually 49/99)
    // says nothing about the buyer's credit. The non-cumulative buyer credits 1,65% + 7,6% on the acquisition
    // (LEGAL_BASIS.PC_SIMPLES_SUPPLIER, ADI RFB 15/2007). Before rules 2026.12 these items were left out.
    // From 2023-05-01 the ICMS of the acquisition leaves the base: the highlighted vICMS, or, when a Simples
    // supplier highlights none, the ICMS it declares as included in the DAS (vCredICMSSN) — the conservative
    // reading of "ICMS que tenha incidido sobre a operação" (Lei 14.592/2023), see docs/analysis-credits-law.md.
    const vIcms = cents(item.icms_value);
    const icms = vIcms > 0n ? vIcms : cents(item.icms_sn_credit);
    const exclude = issuedOn >= ICMS_OUT_OF_BASE_FROM && icms > 0n;
    let base = itemValue - (exclude ? icms : 0n);
    if (base < 0n) base = 0n;
    const pis = applyRate(base, PIS_RATE);
    const cofins = applyRate(base, COFINS_RATE);
    const baseText = exclude
      ? `base ${brl(base)} (valor do item ${brl(itemValue)} menos ICMS ${brl(icms)}${
        vIcms > 0n ? ' destacado' : ' informado em vCredICMSSN'
      }, Lei 10.833/2003, art. 3º, §2º, III)`
      : `base ${brl(base)} (valor do item)`;
    return {
      rule: 'PC_SIMPLES_SUPPLIER',
      base,
      pis,
      cofins,
      text: `Fornecedor do Simples Nacional (CRT ${supplierCrt}, CST ${
        item.pis_cst?.trim() || 'ausente'
      }): o comprador do regime não cumulativo se credita sobre a aquisição (ADI RFB 15/2007); ${baseText}; PIS 1,65% = ${
        brl(pis)
      } e COFINS 7,6% = ${brl(cofins)}.`,
    };
  }
  const pisOk = pisC === 'eligible';
  const cofOk = cofC === 'eligible';
  if (!pisOk && !cofOk) {
    // Report the PIS reason first (COFINS when PIS has none to give).
    const [cls, cst] = pisC !== 'missing' || cofC === 'missing'
      ? [pisC, item.pis_cst]
      : [cofC, item.cofins_cst];
    const c = (cst ?? '').trim();
    if (cls === 'not_creditable') {
      return none(
        'PC_CST_NOT_CREDITABLE',
        `CST ${c} do fornecedor (${
          PC_CST_REASON[c]
        }): aquisição não sujeita ao pagamento da contribuição não dá crédito (Lei 10.833/2003, art. 3º, §2º, II).`,
      );
    }
    if (cls === 'other') {
      return none(
        'PC_CST_OTHER',
        `CST ${c} na nota do fornecedor não indica operação tributada (esperado 01, 02 ou 03): sem crédito; revisar.`,
      );
    }
    return none('PC_CST_MISSING', 'Item sem CST de PIS/COFINS: sem crédito.');
  }
  const icms = cents(item.icms_value);
  const excludeIcms = issuedOn >= ICMS_OUT_OF_BASE_FROM && icms > 0n;
  let base = itemValue - (excludeIcms ? icms : 0n);
  if (base < 0n) base = 0n;
  const pis = pisOk ? applyRate(base, PIS_RATE) : 0n;
  const cofins = cofOk ? applyRate(base, COFINS_RATE) : 0n;
  const baseText = excludeIcms
    ? `base ${brl(base)} (valor do item ${brl(itemValue)} menos ICMS destacado ${
      brl(icms)
    }, Lei 10.833/2003, art. 3º, §2º, III)`
    : `base ${brl(base)} (valor do item)`;
  if (pisOk && cofOk) {
    return {
      rule: 'PC_CST_ELIGIBLE',
      base,
      pis,
      cofins,
      text:
        `CST ${item.pis_cst?.trim()} do fornecedor (operação tributada) em compra para revenda ou insumo: ${baseText}; PIS 1,65% = ${
          brl(pis)
        } e COFINS 7,6% = ${brl(cofins)} (Leis 10.637/2002 e 10.833/2003, art. 3º).`,
    };
  }
  const [okName, okCst, badName, badCst] = pisOk
    ? ['PIS', item.pis_cst, 'COFINS', item.cofins_cst]
    : ['COFINS', item.cofins_cst, 'PIS', item.pis_cst];
  return {
    rule: 'PC_CST_PARTIAL',
    base,
    pis,
    cofins,
    text: `CST de ${okName} ${okCst?.trim()} (tributado) e de ${badName} ${
      badCst?.trim() || 'ausente'
    } (sem crédito): crédito apenas de ${okName}; ${baseText}; PIS = ${brl(pis)}, COFINS = ${brl(cofins)}.`,
  };
}

function pcRegimeGate(regime: RegimeClass): { rule: string; text: string } | null {
  switch (regime) {
    case 'lucro_real':
      return null;
    case 'lucro_presumido':
      return {
        rule: 'PC_REGIME_CUMULATIVE',
        text:
          'A empresa está no Lucro Presumido (PIS/COFINS cumulativos, 0,65% + 3%), que não admite créditos (Lei 10.833/2003, art. 10, II)',
      };
    case 'simples_nacional':
    case 'mei':
      return {
        rule: 'PC_REGIME_SIMPLES',
        text:
          'A empresa está no Simples Nacional: PIS/COFINS são pagos no DAS, sem créditos (LC 123/2006, art. 23)',
      };
    default:
      return {
        rule: 'PC_REGIME_UNKNOWN',
        text:
          'Regime tributário não informado: créditos de PIS/COFINS só existem no Lucro Real (o CRT 3 não distingue Presumido de Real); informe o regime no cadastro',
      };
  }
}

function icmsRegimeGate(regime: RegimeClass): { rule: string; text: string } | null {
  if (isSimples(regime)) {
    return {
      rule: 'ICMS_REGIME_SIMPLES',
      text: 'A empresa está no Simples Nacional: não se apropria de créditos de ICMS (LC 123/2006, art. 23)',
    };
  }
  if (regime === 'unknown') {
    return {
      rule: 'ICMS_REGIME_UNKNOWN',
      text:
        'Regime tributário não informado: o crédito de ICMS só vale para empresas do regime normal; informe o regime no cadastro',
    };
  }
  return null;
}

// --- the buyer's use of an item ---------------------------------------------------------------------------

function cfopDigits(cfop: string | null | undefined): string {
  return (cfop ?? '').trim().replace(/\D/g, '');
}

/**
 * The use an entry CFOP states (the buyer's own code: 1xxx/2xxx/3xxx), or null when it says nothing about use.
 * Tabela de CFOP (Convênio s/nº de 15/12/1970): x101/x111/x116/x120/x122 compra para industrialização,
 * x401 the same under ST, x151/x408 transferência para industrialização; x102/x113/x117/x118/x121 compra para
 * comercialização, x403 the same under ST, x152/x409 transferência para comercialização;
 * x551 and x406 ativo imobilizado; x556 and x407 uso e consumo.
 */
export function useFromEntryCfop(cfop: string | null | undefined): ItemUse | null {
  const c = cfopDigits(cfop);
  if (!/^[123]\d{3}$/.test(c)) return null;
  const n = Number(c.slice(1));
  if ([101, 111, 116, 120, 122, 151, 401, 408].includes(n)) return 'input';
  if ([102, 113, 117, 118, 121, 152, 403, 409].includes(n)) return 'resale';
  if (n === 551 || n === 406) return 'fixed_asset';
  if (n === 556 || n === 407) return 'own_use';
  return null;
}

/**
 * A return of a purchase the company issues (5xxx/6xxx): x201 / x410 devolução de compra para industrialização,
 * x202 / x411 para comercialização, x553 de bem do ativo imobilizado, x556 de material de uso ou consumo.
 */
export const PURCHASE_RETURN_CFOPS: readonly string[] = [
  '5201',
  '5202',
  '5410',
  '5411',
  '5553',
  '5556',
  '6201',
  '6202',
  '6410',
  '6411',
  '6553',
  '6556',
];

export function useFromReturnCfop(cfop: string | null | undefined): ItemUse | null {
  const c = cfopDigits(cfop);
  if (!PURCHASE_RETURN_CFOPS.includes(c)) return null;
  const n = Number(c.slice(1));
  if (n === 201 || n === 410) return 'input';
  if (n === 202 || n === 411) return 'resale';
  if (n === 553) return 'fixed_asset';
  return 'own_use';
}

/** Which kind of note this is for the credit analysis; null when the item is not part of it. */
function noteKind(note: CreditNote, item: CreditItem): NoteKind | null {
  const dir = note.direction ?? 'entrada';
  const op = note.operation ?? 'saida';
  if (dir === 'entrada' && op === 'saida') return 'received';
  if (dir === 'entrada' && op === 'entrada') return cfopDigits(item.cfop).startsWith('3') ? 'import' : null;
  if (dir === 'saida' && op === 'saida') return useFromReturnCfop(item.cfop) ? 'purchase_return' : null;
  return null;
}

const USE_LABEL: Record<ItemUse, string> = {
  resale: 'revenda',
  input: 'insumo',
  own_use: 'uso e consumo',
  fixed_asset: 'ativo imobilizado',
};

const SOURCE_LABEL: Record<UseSource, string> = {
  classification: 'classificação do produto feita pela empresa',
  entry_cfop: 'CFOP de entrada escriturado no ERP',
  note_cfop: 'CFOP da própria nota da empresa',
};

interface UseInfo {
  use: ItemUse | null;
  source: UseSource | null;
  entryCfop: string | null;
}

const TO_CONFIRM_REASON =
  'Nada nos dados diz o destino do item (revenda, insumo, uso e consumo ou ativo imobilizado): a NF-e do fornecedor não o informa';
const TO_CONFIRM_ACTION =
  'Confirma-se escriturando a entrada no ERP com o CFOP de entrada (1102/2102 revenda, 1101/2101 insumo, 1556/2556 uso e consumo, 1551/2551 ativo) ou classificando o produto na análise de créditos';

/** Why a line whose use is known is still "to confirm", per rule. */
const REVIEW_REASON: Record<string, string> = {
  PC_FIXED_ASSET: 'PIS/COFINS de ativo só existe para bens usados na produção ou na prestação de serviços',
  PC_IMPORT_REVIEW: 'produto monofásico importado tem alíquotas próprias',
  PC_MONOPHASIC_INPUT_REVIEW: 'produto monofásico usado como insumo: o crédito segue as regras do setor',
  ICMS_ST_INPUT_REVIEW: 'insumo recebido com ST: o crédito depende da regra do estado',
  PC_SALE_RETURN:
    'devolução de venda: o crédito existe se a receita da venda foi tributada; confirmar pela nota de venda',
  ICMS_SALE_RETURN: 'devolução de venda: o ICMS recupera o débito da venda; confirmar pela nota de venda',
};

// --- the analysis -----------------------------------------------------------------------------------------

interface Acc {
  value: Cents;
  pis: Cents;
  cofins: Cents;
  icms: Cents;
  toConfirm: Cents;
  stCharged: Cents;
  stRetained: Cents;
  items: number;
}

function acc(): Acc {
  return { value: 0n, pis: 0n, cofins: 0n, icms: 0n, toConfirm: 0n, stCharged: 0n, stRetained: 0n, items: 0 };
}

interface MonthAcc {
  notes: Set<string>;
  cancelled: Set<string>;
  excluded: Set<string>;
  analyzed: Set<string>;
  items: number;
  value: Cents;
  base: Cents;
  pis: Cents;
  cofins: Cents;
  icms: Cents;
  potPis: Cents;
  potCofins: Cents;
  potIcms: Cents;
  tcPis: Cents;
  tcCofins: Cents;
  tcIcms: Cents;
  itemsTc: number;
  ciapFuture: Cents;
  stCharged: Cents;
  stRetained: Cents;
  suppliers: Map<string, Acc & { name: string | null; crt: number | null; notes: Set<string> }>;
  ncms: Map<string, Acc & { mono: string | null }>;
  rules: Record<string, number>;
}

function monthAcc(): MonthAcc {
  return {
    notes: new Set(),
    cancelled: new Set(),
    excluded: new Set(),
    analyzed: new Set(),
    items: 0,
    value: 0n,
    base: 0n,
    pis: 0n,
    cofins: 0n,
    icms: 0n,
    potPis: 0n,
    potCofins: 0n,
    potIcms: 0n,
    tcPis: 0n,
    tcCofins: 0n,
    tcIcms: 0n,
    itemsTc: 0,
    ciapFuture: 0n,
    stCharged: 0n,
    stRetained: 0n,
    suppliers: new Map(),
    ncms: new Map(),
    rules: {},
  };
}

function bump(rules: Record<string, number>, k: string) {
  rules[k] = (rules[k] ?? 0) + 1;
}

/** One tax's outcome for a line before the regime gate. */
interface TaxOutcome {
  rule: string;
  status: CreditStatus;
  text: string;
}

interface PcLineOutcome extends TaxOutcome {
  base: Cents;
  pis: Cents;
  cofins: Cents;
}

interface IcmsLineOutcome extends TaxOutcome {
  amount: Cents;
  ciapFuture: Cents;
  stKind: StKind | null;
  st: Cents;
}

const noneText = (rule: string, text: string): PcLineOutcome => ({
  rule,
  status: 'none',
  text,
  base: 0n,
  pis: 0n,
  cofins: 0n,
});

/** Status of an amount given whether the use is known: nothing → none; a known use → confirmed. */
function statusOf(amount: Cents, useKnown: boolean, review = false): CreditStatus {
  if (amount === 0n) return 'none';
  return useKnown && !review ? 'confirmed' : 'to_confirm';
}

/** Applies the buyer's use to the item rules of a purchase (received note or import). */
function applyUse(
  use: ItemUse | null,
  pc: PcOutcome,
  ic: IcmsOutcome,
): { pc: PcLineOutcome; ic: IcmsLineOutcome } {
  const stOut = { stKind: ic.stKind, st: ic.st };
  if (use === 'own_use') {
    const text =
      `Item de ${USE_LABEL.own_use}: sem crédito de ICMS até 2033 (LC 87/1996, art. 33, I) nem de PIS/COFINS (não é insumo, Lei 10.833/2003, art. 3º, II).`;
    return {
      pc: noneText('USE_OWN_CONSUMPTION', text),
      ic: { rule: 'USE_OWN_CONSUMPTION', status: 'none', text, amount: 0n, ciapFuture: 0n, ...stOut },
    };
  }
  if (use === 'fixed_asset') {
    const pcOut: PcLineOutcome = pc.base > 0n
      ? {
        rule: 'PC_FIXED_ASSET',
        status: 'to_confirm',
        base: pc.base,
        pis: divRound(pc.pis, CIAP_INSTALMENTS),
        cofins: divRound(pc.cofins, CIAP_INSTALMENTS),
        text:
          `Ativo imobilizado: PIS/COFINS só se o bem for usado na produção ou na prestação de serviços (Lei 10.833/2003, art. 3º, VI); pela opção de 1/48 ao mês (art. 3º, §14), ${
            brl(divRound(pc.pis, CIAP_INSTALMENTS))
          } de PIS e ${brl(divRound(pc.cofins, CIAP_INSTALMENTS))} de COFINS neste mês (crédito integral ${
            brl(pc.pis)
          } + ${brl(pc.cofins)}). ${pc.text}`,
      }
      : noneText(pc.rule, pc.text);
    if (ic.creditable > 0n) {
      const first = divRound(ic.creditable, CIAP_INSTALMENTS);
      return {
        pc: pcOut,
        ic: {
          rule: 'ICMS_CIAP',
          status: ic.review ? 'to_confirm' : 'confirmed',
          amount: first,
          ciapFuture: ic.creditable - first,
          text: `Ativo imobilizado (CIAP): ICMS de ${
            brl(ic.creditable)
          } apropriado em 48 parcelas; a primeira, ${brl(first)}, no mês da entrada, e ${
            brl(ic.creditable - first)
          } nos 47 meses seguintes (LC 87/1996, art. 20, §5º, I). Proporcional às saídas tributadas do mês (§5º, III), que esta análise supõe integrais. ${ic.text}`,
          ...stOut,
        },
      };
    }
    return {
      pc: pcOut,
      ic: { rule: ic.rule, status: 'none', text: ic.text, amount: 0n, ciapFuture: 0n, ...stOut },
    };
  }
  const known = use !== null;
  return {
    pc: {
      rule: pc.rule,
      status: statusOf(pc.pis + pc.cofins, known, pc.review),
      text: pc.text,
      base: pc.base,
      pis: pc.pis,
      cofins: pc.cofins,
    },
    ic: {
      rule: ic.rule,
      status: statusOf(ic.creditable, known, ic.review),
      text: ic.text,
      amount: ic.creditable,
      ciapFuture: 0n,
      ...stOut,
    },
  };
}

/** PIS/COFINS and ICMS of an import entry (the company's own NF-e, CFOP 3xxx). */
function importOutcome(
  item: CreditItem,
  value: Cents,
  mono: MonophasicMatch | null,
): { pc: PcOutcome; ic: IcmsOutcome } {
  const vIcms = cents(item.icms_value);
  const ic: IcmsOutcome = vIcms > 0n
    ? {
      rule: 'ICMS_IMPORT',
      creditable: vIcms,
      text: `Importação: crédito do ICMS pago no desembaraço, ${
        brl(vIcms)
      } (LC 87/1996, arts. 12, IX, e 20).`,
      stKind: null,
      st: 0n,
    }
    : {
      rule: 'ICMS_TAXED_NO_VALUE',
      creditable: 0n,
      text: 'Importação sem ICMS informado na nota de entrada: sem crédito.',
      stKind: null,
      st: 0n,
    };
  const pis = applyRate(value, PIS_IMPORT_RATE);
  const cofins = applyRate(value, COFINS_IMPORT_RATE);
  const paid = item.pis_value != null || item.cofins_value != null
    ? ` Valores pagos informados na nota: PIS ${brl(cents(item.pis_value))}, COFINS ${
      brl(cents(item.cofins_value))
    }.`
    : '';
  const text = `Importação: crédito de PIS/COFINS-Importação sobre o valor aduaneiro ${
    brl(value)
  } (valor do item na nota de entrada): PIS 2,1% = ${brl(pis)} e COFINS 9,65% = ${
    brl(cofins)
  } (Lei 10.865/2004, arts. 7º, I, 8º e 15, §3º).${paid}`;
  if (mono) {
    return {
      pc: {
        rule: 'PC_IMPORT_REVIEW',
        base: value,
        pis,
        cofins,
        text:
          `${text} NCM monofásico (${mono.label}): alíquotas de importação e crédito específicos (Lei 10.865/2004, art. 8º e art. 15); confirmar.`,
      },
      ic,
    };
  }
  return { pc: { rule: 'PC_IMPORT', base: value, pis, cofins, text }, ic };
}

/** A return of a purchase the company issued: reverses the credit of the original entry (negative amounts). */
function returnOutcome(
  item: CreditItem,
  use: ItemUse,
  value: Cents,
  issuedOn: string,
  mono: MonophasicMatch | null,
): { pc: PcLineOutcome; ic: IcmsLineOutcome } {
  const cfop = cfopDigits(item.cfop);
  const noIcms = { amount: 0n, ciapFuture: 0n, stKind: null, st: 0n };
  if (use === 'own_use' || use === 'fixed_asset') {
    const text = use === 'own_use'
      ? `CFOP ${cfop}: devolução de material de uso e consumo; a entrada não deu crédito, nada a estornar.`
      : `CFOP ${cfop}: devolução de bem do ativo; as parcelas do CIAP deixam de ser apropriadas a partir deste mês (LC 87/1996, art. 20, §5º, V); nada a estornar das já tomadas.`;
    const rule = use === 'own_use' ? 'USE_OWN_CONSUMPTION' : 'ICMS_CIAP';
    return {
      pc: noneText(use === 'own_use' ? rule : 'PC_FIXED_ASSET', text),
      ic: { rule, status: 'none', text, ...noIcms },
    };
  }
  const cst = item.icms_cst?.trim() ?? '';
  const csosn = item.icms_csosn?.trim() ?? '';
  const vIcms = cents(item.icms_value);
  const st = cfop.endsWith('410') || cfop.endsWith('411') || ['10', '30', '60', '70'].includes(cst) ||
    ['201', '202', '203', '500'].includes(csosn);
  const ic: IcmsLineOutcome = st
    ? {
      rule: 'ICMS_ST_PURCHASE',
      status: 'none',
      text:
        `CFOP ${cfop}: devolução de compra sob substituição tributária; a entrada não deu crédito de ICMS, nada a estornar.`,
      ...noIcms,
    }
    : vIcms > 0n
    ? {
      rule: 'ICMS_PURCHASE_RETURN',
      status: 'confirmed',
      text: `CFOP ${cfop}: devolução ao fornecedor; o ICMS destacado na devolução, ${
        brl(vIcms)
      }, anula o crédito da entrada (LC 87/1996, arts. 19 e 20).`,
      amount: -vIcms,
      ciapFuture: 0n,
      stKind: null,
      st: 0n,
    }
    : {
      rule: 'ICMS_TAXED_NO_VALUE',
      status: 'none',
      text: `CFOP ${cfop}: devolução sem ICMS destacado.`,
      ...noIcms,
    };
  if (mono) {
    return {
      pc: noneText(
        'PC_MONOPHASIC_NCM',
        `CFOP ${cfop}: devolução de produto monofásico; a compra não deu crédito de PIS/COFINS.`,
      ),
      ic,
    };
  }
  const pisCst = item.pis_cst?.trim() ?? '';
  if (pisCst in PC_CST_REASON) {
    return {
      pc: noneText(
        'PC_CST_NOT_CREDITABLE',
        `CFOP ${cfop}: devolução com CST ${pisCst} (${PC_CST_REASON[pisCst]}); sem crédito a estornar.`,
      ),
      ic,
    };
  }
  const exclude = issuedOn >= ICMS_OUT_OF_BASE_FROM && vIcms > 0n;
  let base = value - (exclude ? vIcms : 0n);
  if (base < 0n) base = 0n;
  const pis = applyRate(base, PIS_RATE);
  const cofins = applyRate(base, COFINS_RATE);
  return {
    pc: {
      rule: 'PC_PURCHASE_RETURN',
      status: base > 0n ? 'confirmed' : 'none',
      base: -base,
      pis: -pis,
      cofins: -cofins,
      text: `CFOP ${cfop}: devolução ao fornecedor de ${USE_LABEL[use]}; estorno do crédito sobre ${
        brl(base)
      }${exclude ? ` (valor ${brl(value)} menos ICMS ${brl(vIcms)})` : ''}: PIS 1,65% = −${
        brl(pis)
      } e COFINS 7,6% = −${brl(cofins)}.`,
    },
    ic,
  };
}

/**
 * A customer returning goods the company sold (the customer's note, CFOP x201/x202/x410/x411, received by the
 * company). The return gives back the ICMS debited on the sale and, in the non-cumulative regime, a PIS/COFINS credit
 * on goods received in return whose sale revenue was taxed (Lei 10.833/2003, art. 3º, VIII). Whether the sale was
 * taxed is in the referenced sale note, which this analysis does not read: both are "to confirm".
 */
function saleReturnOutcome(
  item: CreditItem,
  value: Cents,
  issuedOn: string,
  mono: MonophasicMatch | null,
): { pc: PcLineOutcome; ic: IcmsLineOutcome } {
  const cfop = cfopDigits(item.cfop);
  const cst = item.icms_cst?.trim() ?? '';
  const csosn = item.icms_csosn?.trim() ?? '';
  const vIcms = cents(item.icms_value);
  const st = cfop.endsWith('410') || cfop.endsWith('411') || ['10', '30', '60', '70'].includes(cst) ||
    ['201', '202', '203', '500'].includes(csosn);
  const none = { amount: 0n, ciapFuture: 0n, stKind: null, st: 0n };
  const ic: IcmsLineOutcome = !st && vIcms > 0n
    ? {
      rule: 'ICMS_SALE_RETURN',
      status: 'to_confirm',
      text: `CFOP ${cfop}: devolução de venda pelo cliente; o ICMS destacado na devolução, ${
        brl(vIcms)
      }, recupera o débito da venda (LC 87/1996, arts. 19 e 20).`,
      amount: vIcms,
      ciapFuture: 0n,
      stKind: null,
      st: 0n,
    }
    : {
      rule: 'ICMS_SALE_RETURN',
      status: 'none',
      text: `CFOP ${cfop}: devolução de venda ${
        st ? 'sob substituição tributária' : 'sem ICMS destacado'
      }; nada a creditar.`,
      ...none,
    };
  if (mono) {
    return {
      pc: noneText(
        'PC_MONOPHASIC_NCM',
        `CFOP ${cfop}: devolução de venda de produto monofásico; a receita da revenda não foi tributada (alíquota zero), sem crédito (Lei 10.833/2003, art. 3º, VIII).`,
      ),
      ic,
    };
  }
  const exclude = issuedOn >= ICMS_OUT_OF_BASE_FROM && vIcms > 0n;
  let base = value - (exclude ? vIcms : 0n);
  if (base < 0n) base = 0n;
  const pis = applyRate(base, PIS_RATE);
  const cofins = applyRate(base, COFINS_RATE);
  return {
    pc: {
      rule: 'PC_SALE_RETURN',
      status: base > 0n ? 'to_confirm' : 'none',
      base,
      pis,
      cofins,
      text: `CFOP ${cfop}: devolução de venda pelo cliente; crédito sobre ${brl(base)}${
        exclude ? ` (valor ${brl(value)} menos ICMS ${brl(vIcms)})` : ''
      } se a receita da venda foi tributada (Lei 10.833/2003, art. 3º, VIII): PIS 1,65% = ${
        brl(pis)
      } e COFINS 7,6% = ${brl(cofins)}.`,
    },
    ic,
  };
}

export function analyzeCredits(input: CreditInput): CreditResult {
  const regime = input.regime;
  const notes = new Map(input.notes.map((n) => [n.id, n]));
  const months = new Map<Month, MonthAcc>();
  const lines: CreditLine[] = [];
  const pcGate = pcRegimeGate(regime.regime);
  const icmsGate = icmsRegimeGate(regime.regime);
  const entries = new Map<string, string>();
  for (const e of input.entries ?? []) entries.set(`${e.access_key}#${e.item_number}`, e.entry_cfop);
  const classes = new Map<string, ItemUse>();
  for (const c of input.classifications ?? []) classes.set(`${c.supplier_doc}#${c.product_code}`, c.use);

  // Every note in the period counts in notes_total, even one without items.
  for (const n of input.notes) {
    const m = noteMonth(n.issued_at_local, n.issued_at);
    if (!inPeriod(m, input.period)) continue;
    const ma = months.get(m) ?? monthAcc();
    months.set(m, ma);
    ma.notes.add(n.id);
    if (n.status === 'cancelled') ma.cancelled.add(n.id);
    else if (n.status !== 'authorized' || n.environment === 2) ma.excluded.add(n.id);
    else ma.analyzed.add(n.id);
  }

  const items = input.items.slice().sort((a, b) =>
    a.xml_import_id < b.xml_import_id
      ? -1
      : a.xml_import_id > b.xml_import_id
      ? 1
      : a.item_number - b.item_number
  );
  for (const item of items) {
    const note = notes.get(item.xml_import_id);
    if (!note) continue;
    const kind = noteKind(note, item);
    if (!kind) continue;
    const period = noteMonth(note.issued_at_local, note.issued_at);
    if (!inPeriod(period, input.period)) continue;
    const ma = months.get(period)!;
    const issuedOn = noteDate(note.issued_at_local, note.issued_at);
    const ncm = normalizeNcm(item.ncm);
    const mono = monophasicMatch(ncm);
    const itemValue = cents(item.total_value) - cents(item.discount);
    const icmsCode = item.icms_csosn?.trim() || item.icms_cst?.trim() || null;

    // The buyer's use: the member's classification, else the buyer's entry CFOP (received notes) or the CFOP of
    // the company's own note (imports, returns).
    // The supplier: the issuer of a received note, the recipient of the company's own notes.
    const supplier = kind === 'received'
      ? { doc: note.issuer_doc, name: note.issuer_name, crt: note.issuer_crt }
      : {
        doc: note.recipient_doc || note.issuer_doc,
        name: note.recipient_name ?? note.issuer_name,
        crt: null,
      };
    const classified = item.product_code ? classes.get(`${supplier.doc}#${item.product_code}`) : undefined;
    const entryCfop = kind === 'received'
      ? entries.get(`${note.access_key}#${item.item_number}`) ?? entries.get(`${note.access_key}#0`) ?? null
      : cfopDigits(item.cfop);
    const fromCfop = kind === 'purchase_return' ? useFromReturnCfop(entryCfop) : useFromEntryCfop(entryCfop);
    const useInfo: UseInfo = classified
      ? { use: classified, source: 'classification', entryCfop }
      : fromCfop
      ? { use: fromCfop, source: kind === 'received' ? 'entry_cfop' : 'note_cfop', entryCfop }
      : { use: null, source: null, entryCfop };

    const line: CreditLine = {
      period,
      xml_import_id: item.xml_import_id,
      item_number: item.item_number,
      access_key: note.access_key,
      issued_on: issuedOn,
      supplier_doc: supplier.doc,
      supplier_name: supplier.name,
      supplier_crt: supplier.crt,
      product_code: item.product_code,
      description: item.description,
      ncm,
      cfop: item.cfop,
      cfop_class: null,
      monophasic_group: mono?.group ?? null,
      item_value: money(kind === 'purchase_return' ? -itemValue : itemValue),
      pis_cst: item.pis_cst,
      cofins_cst: item.cofins_cst,
      icms_code: icmsCode,
      pis_cofins_rule: '',
      pis_cofins_base: '0.00',
      pis_credit: '0.00',
      cofins_credit: '0.00',
      pis_cofins_explanation: '',
      icms_rule: '',
      icms_creditable: '0.00',
      icms_credit: '0.00',
      icms_explanation: '',
      st_kind: null,
      st_value: '0.00',
      note_kind: kind,
      use: useInfo.use,
      use_source: useInfo.source,
      entry_cfop: useInfo.entryCfop,
      pis_cofins_status: 'none',
      icms_status: 'none',
      to_confirm_pis_credit: '0.00',
      to_confirm_cofins_credit: '0.00',
      to_confirm_icms_credit: '0.00',
      to_confirm_reason: null,
      to_confirm_action: null,
      pis_cofins_legal_basis: '',
      icms_legal_basis: '',
      icms_ciap_future: '0.00',
      counted: false,
      rules_version: CREDIT_RULES_VERSION,
    };

    // Note level.
    let noteRule: { rule: string; text: string } | null = null;
    if (note.status === 'cancelled') {
      noteRule = {
        rule: 'NOTE_CANCELLED',
        text: 'Nota cancelada (evento de cancelamento): excluída da análise.',
      };
    } else if (note.status !== 'authorized') {
      noteRule = { rule: 'NOTE_NOT_AUTHORIZED', text: 'Nota sem autorização de uso: excluída da análise.' };
    } else if (note.environment === 2) {
      noteRule = {
        rule: 'NOTE_HOMOLOGATION',
        text: 'Nota emitida em ambiente de homologação (tpAmb 2), sem valor fiscal: excluída da análise.',
      };
    }
    if (noteRule) {
      line.pis_cofins_rule = line.icms_rule = noteRule.rule;
      line.pis_cofins_explanation = line.icms_explanation = noteRule.text;
      line.pis_cofins_legal_basis = line.icms_legal_basis = legalBasis(noteRule.rule);
      bump(ma.rules, noteRule.rule);
      lines.push(line);
      continue;
    }

    line.counted = true;
    ma.items++;
    ma.value += kind === 'purchase_return' ? 0n : itemValue;
    let pc: PcLineOutcome;
    let ic: IcmsLineOutcome;
    if (kind === 'purchase_return') {
      line.cfop_class = 'return';
      ({ pc, ic } = returnOutcome(item, useInfo.use!, itemValue, issuedOn, mono));
    } else if (kind === 'import') {
      line.cfop_class = 'purchase';
      const o = importOutcome(item, itemValue, mono);
      ({ pc, ic } = applyUse(useInfo.use, o.pc, o.ic));
      if (o.pc.rule === 'PC_IMPORT_REVIEW' && pc.status === 'confirmed') pc.status = 'to_confirm';
    } else {
      const cls = classifyCfop(item.cfop);
      line.cfop_class = cls;
      if (
        cls === 'return' && useFromReturnCfop(item.cfop) !== null &&
        ['resale', 'input'].includes(useFromReturnCfop(item.cfop)!)
      ) {
        // A customer's return of a sale (its devolução de compra, x201/x202/x410/x411, to the company).
        ({ pc, ic } = saleReturnOutcome(item, itemValue, issuedOn, mono));
      } else if (cls === 'purchase' || cls === 'transfer') {
        const icRaw = icmsOutcome(item, useInfo.use);
        const pcRaw = cls === 'purchase'
          ? pcOutcome(item, itemValue, issuedOn, mono, note.issuer_crt, useInfo.use)
          : {
            rule: 'PC_TRANSFER',
            base: 0n,
            pis: 0n,
            cofins: 0n,
            text:
              `CFOP ${item.cfop}: transferência entre estabelecimentos da mesma empresa não é aquisição; sem crédito de PIS/COFINS.`,
          };
        ({ pc, ic } = applyUse(useInfo.use, pcRaw, icRaw));
      } else {
        const t = CFOP_TEXT[cls];
        const text = `CFOP ${item.cfop ?? '(ausente)'}: ${t.text}.`;
        pc = noneText(t.rule, text);
        ic = { rule: t.rule, status: 'none', text, amount: 0n, ciapFuture: 0n, stKind: null, st: 0n };
      }
    }
    const useText = useInfo.use
      ? ` Destino: ${USE_LABEL[useInfo.use]} (${SOURCE_LABEL[useInfo.source!]}${
        useInfo.source !== 'classification' && useInfo.entryCfop ? ` ${useInfo.entryCfop}` : ''
      }).`
      : '';

    // PIS/COFINS with the regime gate.
    const pcAmount = pc.pis + pc.cofins;
    ma.potPis += pc.pis;
    ma.potCofins += pc.cofins;
    if (pcGate && pcAmount !== 0n) {
      line.pis_cofins_rule = pcGate.rule;
      line.pis_cofins_status = 'none';
      line.pis_cofins_base = money(pc.base);
      line.pis_cofins_explanation = `${pcGate.text}. No Lucro Real o item daria PIS ${brl(pc.pis)} e COFINS ${
        brl(pc.cofins)
      }: ${pc.text}${useText}`;
    } else {
      line.pis_cofins_rule = pc.rule;
      line.pis_cofins_status = pc.status;
      line.pis_cofins_explanation = `${pc.text}${useText}`;
      line.pis_cofins_base = money(pc.base);
      if (pc.status === 'confirmed') {
        line.pis_credit = money(pc.pis);
        line.cofins_credit = money(pc.cofins);
        ma.base += pc.base;
        ma.pis += pc.pis;
        ma.cofins += pc.cofins;
      } else if (pc.status === 'to_confirm') {
        line.to_confirm_pis_credit = money(pc.pis);
        line.to_confirm_cofins_credit = money(pc.cofins);
        ma.tcPis += pc.pis;
        ma.tcCofins += pc.cofins;
      }
    }
    line.pis_cofins_legal_basis = legalBasis(line.pis_cofins_rule);

    // ICMS with the regime gate.
    line.icms_creditable = money(ic.amount);
    ma.potIcms += ic.amount;
    if (icmsGate && ic.amount !== 0n) {
      line.icms_rule = icmsGate.rule;
      line.icms_status = 'none';
      line.icms_explanation = `${icmsGate.text}. No regime normal o item daria crédito de ${
        brl(ic.amount)
      }: ${ic.text}${useText}`;
    } else {
      line.icms_rule = ic.rule;
      line.icms_status = ic.status;
      line.icms_explanation = `${ic.text}${useText}`;
      if (ic.status === 'confirmed') {
        line.icms_credit = money(ic.amount);
        line.icms_ciap_future = money(ic.ciapFuture);
        ma.icms += ic.amount;
        ma.ciapFuture += ic.ciapFuture;
      } else if (ic.status === 'to_confirm') {
        line.to_confirm_icms_credit = money(ic.amount);
        ma.tcIcms += ic.amount;
      }
    }
    line.icms_legal_basis = legalBasis(line.icms_rule);
    line.st_kind = ic.stKind;
    line.st_value = money(ic.st);
    if (ic.stKind === 'charged') ma.stCharged += ic.st;
    if (ic.stKind === 'retained') ma.stRetained += ic.st;

    if (line.pis_cofins_status === 'to_confirm' || line.icms_status === 'to_confirm') {
      ma.itemsTc++;
      const why: string[] = [];
      if (useInfo.use === null) why.push(TO_CONFIRM_REASON);
      for (const r of [line.pis_cofins_rule, line.icms_rule]) {
        if (REVIEW_REASON[r]) why.push(REVIEW_REASON[r]);
      }
      line.to_confirm_reason = `${why.join('; ')}.`;
      line.to_confirm_action = useInfo.use === null
        ? `${TO_CONFIRM_ACTION}.`
        : 'Confirmar com o contador o uso do bem e a regra aplicável; classificar o produto na análise de créditos registra a decisão.';
    }

    bump(ma.rules, line.pis_cofins_rule);
    if (line.icms_rule !== line.pis_cofins_rule) bump(ma.rules, line.icms_rule);

    // Breakdowns.
    const s = ma.suppliers.get(supplier.doc) ??
      { ...acc(), name: supplier.name, crt: supplier.crt, notes: new Set<string>() };
    ma.suppliers.set(supplier.doc, s);
    const k = ma.ncms.get(ncm) ?? { ...acc(), mono: mono?.group ?? null };
    ma.ncms.set(ncm, k);
    for (const a of [s, k]) {
      a.items++;
      a.value += cents(line.item_value);
      a.pis += cents(line.pis_credit);
      a.cofins += cents(line.cofins_credit);
      a.icms += cents(line.icms_credit);
      a.toConfirm += cents(line.to_confirm_pis_credit) + cents(line.to_confirm_cofins_credit) +
        cents(line.to_confirm_icms_credit);
      if (ic.stKind === 'charged') a.stCharged += ic.st;
      if (ic.stKind === 'retained') a.stRetained += ic.st;
    }
    s.notes.add(note.id);
    lines.push(line);
  }

  const monthList: CreditMonth[] = [...months.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(
    ([period, m]) => {
      const total = (a: Acc) => a.pis + a.cofins + a.icms;
      const bySupplier = [...m.suppliers.entries()]
        .sort(([da, a], [db, b]) => (total(b) > total(a) ? 1 : total(b) < total(a) ? -1 : da < db ? -1 : 1))
        .map(([doc, a]): SupplierBreakdown => ({
          supplier_doc: doc,
          supplier_name: a.name,
          supplier_crt: a.crt,
          notes: a.notes.size,
          items: a.items,
          value: money(a.value),
          pis_credit: money(a.pis),
          cofins_credit: money(a.cofins),
          icms_credit: money(a.icms),
          total_credit: money(total(a)),
          to_confirm_credit: money(a.toConfirm),
          st_charged: money(a.stCharged),
          st_retained: money(a.stRetained),
        }));
      const byNcm = [...m.ncms.entries()]
        .sort(([na, a], [nb, b]) => (total(b) > total(a) ? 1 : total(b) < total(a) ? -1 : na < nb ? -1 : 1))
        .map(([ncm, a]): NcmBreakdown => ({
          ncm,
          monophasic_group: a.mono,
          items: a.items,
          value: money(a.value),
          pis_credit: money(a.pis),
          cofins_credit: money(a.cofins),
          icms_credit: money(a.icms),
          total_credit: money(total(a)),
          to_confirm_credit: money(a.toConfirm),
          st_charged: money(a.stCharged),
          st_retained: money(a.stRetained),
        }));
      return {
        period,
        ...monthTotals(m),
        by_supplier: bySupplier,
        by_ncm: byNcm,
        rule_counts: Object.fromEntries(Object.entries(m.rules).sort(([a], [b]) => (a < b ? -1 : 1))),
      };
    },
  );

  const all = monthAcc();
  for (const m of months.values()) {
    for (const id of m.notes) all.notes.add(id);
    for (const id of m.cancelled) all.cancelled.add(id);
    for (const id of m.excluded) all.excluded.add(id);
    for (const id of m.analyzed) all.analyzed.add(id);
    all.items += m.items;
    all.value += m.value;
    all.base += m.base;
    all.pis += m.pis;
    all.cofins += m.cofins;
    all.icms += m.icms;
    all.potPis += m.potPis;
    all.potCofins += m.potCofins;
    all.potIcms += m.potIcms;
    all.tcPis += m.tcPis;
    all.tcCofins += m.tcCofins;
    all.tcIcms += m.tcIcms;
    all.itemsTc += m.itemsTc;
    all.ciapFuture += m.ciapFuture;
    all.stCharged += m.stCharged;
    all.stRetained += m.stRetained;
  }

  const warnings: CreditResult['warnings'] = [];
  if (input.notes.length === 0) {
    warnings.push({ code: 'NO_PURCHASE_NOTES', message: 'Nenhuma nota de entrada (compra) no período.' });
  }
  if (pcGate?.rule === 'PC_REGIME_UNKNOWN') {
    warnings.push({
      code: 'REGIME_UNKNOWN',
      message:
        'Regime tributário não informado: créditos de PIS/COFINS não calculados (só existem no Lucro Real). Os valores potenciais aparecem à parte.',
    });
  }
  if (icmsGate?.rule === 'ICMS_REGIME_UNKNOWN') {
    warnings.push({
      code: 'REGIME_AND_CRT_UNKNOWN',
      message: 'Sem regime nem CRT no cadastro: créditos de ICMS não contados (apenas potenciais).',
    });
  }
  if (all.itemsTc > 0) {
    warnings.push({
      code: 'CREDITS_TO_CONFIRM',
      message: `${all.itemsTc} item(ns) com crédito a confirmar (PIS ${brl(all.tcPis)}, COFINS ${
        brl(all.tcCofins)
      }, ICMS ${brl(all.tcIcms)}), fora do total confirmado: ${TO_CONFIRM_ACTION.charAt(0).toLowerCase()}${
        TO_CONFIRM_ACTION.slice(1)
      }.`,
    });
  }
  return {
    rules_version: CREDIT_RULES_VERSION,
    regime,
    period: input.period,
    months: monthList,
    lines,
    totals: monthTotals(all),
    warnings,
  };
}

function monthTotals(m: MonthAcc): CreditTotals {
  return {
    notes_total: m.notes.size,
    notes_cancelled: m.cancelled.size,
    notes_excluded: m.excluded.size,
    notes_analyzed: m.analyzed.size,
    items_analyzed: m.items,
    purchases_value: money(m.value),
    pis_cofins_base: money(m.base),
    pis_credit: money(m.pis),
    cofins_credit: money(m.cofins),
    icms_credit: money(m.icms),
    potential_pis_credit: money(m.potPis),
    potential_cofins_credit: money(m.potCofins),
    potential_icms_credit: money(m.potIcms),
    to_confirm_pis_credit: money(m.tcPis),
    to_confirm_cofins_credit: money(m.tcCofins),
    to_confirm_icms_credit: money(m.tcIcms),
    items_to_confirm: m.itemsTc,
    icms_ciap_future: money(m.ciapFuture),
    st_charged: money(m.stCharged),
    st_retained: money(m.stRetained),
  };
}

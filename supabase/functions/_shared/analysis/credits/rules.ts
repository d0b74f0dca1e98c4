/**
 * Credit analysis rules, pure: purchase NF-e items (notes where the company is the recipient) → one line per item
 * saying whether it yields a PIS/COFINS or ICMS credit and why, plus monthly totals and per-supplier and per-NCM
 * breakdowns. No I/O here (see sql.ts). Legal sources: PIS/COFINS non-cumulative credits — Lei 10.637/2002 art. 3
 * (https://www.planalto.gov.br/ccivil_03/leis/2002/l10637.htm) and Lei 10.833/2003 art. 3
 * (https://www.planalto.gov.br/ccivil_03/leis/2003/l10.833.htm); monophasic products — Lei 10.147/2000
 * (https://www.planalto.gov.br/ccivil_03/leis/l10147.htm) and Lei 10.485/2002
 * (https://www.planalto.gov.br/ccivil_03/leis/2002/l10485.htm); ICMS credits — LC 87/1996 arts. 19–21
 * (https://www.planalto.gov.br/ccivil_03/leis/lcp/lcp87.htm); CFOP — the table of Convênio s/nº de 1970
 * (CONFAZ, https://www.confaz.fazenda.gov.br/legislacao/convenios/1970/cvsn_70).
 *
 * Rules, in the order they apply (the first that decides a tax wins; each line records the rule id):
 *
 * Note level (both taxes)
 *   NOTE_CANCELLED         xml_imports.status = 'cancelled' → excluded, counted apart.
 *   NOTE_NOT_AUTHORIZED    status = 'unauthorized' → excluded.
 *   NOTE_HOMOLOGATION      environment (tpAmb) = 2: a test note without fiscal value → excluded.
 * Operation (supplier's CFOP; on a purchase NF-e it is the supplier's exit code, §2.5)
 *   CFOP_INVALID           missing or not 4 digits starting 1-3/5-7 → no credit.
 *   CFOP_ENTRY_CODE        1xxx/2xxx/3xxx on a note we received: an entry the issuer registered, not a sale to us.
 *   CFOP_RETURN            x201–x210, x410–x415, x553, x556, x660–x662: returns → outside purchase credits.
 *   CFOP_FIXED_ASSET       x551, x552: fixed assets → credit through depreciation (PIS/COFINS) and CIAP 1/48
 *                          (ICMS), outside this analysis.
 *   CFOP_USE_CONSUMPTION   x557: transfer of material for use/consumption → no credit (LC 87/1996 art. 33 I).
 *   CFOP_OTHER             any other x9xx/x5xx/... (remessas, retornos, bonificações, demonstração) → no credit.
 *   purchase CFOPs         x101–x125, x401–x405, x651–x656 → both taxes go on to the rules below.
 *   transfer CFOPs         x151–x156, x408–x409, x658–x659 → ICMS rules apply; PIS/COFINS: PC_TRANSFER (a transfer
 *                          between establishments is not an acquisition).
 * PIS/COFINS (Lei 10.637/2002 and Lei 10.833/2003, art. 3º)
 *   PC_MONOPHASIC_NCM      NCM in the monophasic table (data/monophasic-ncm.json) → no credit on resale
 *                          (art. 3º, I, b), whatever the supplier's CST.
 *   PC_CST_ELIGIBLE        supplier CST 01/02/03 for both PIS and COFINS → credit candidate:
 *                          base = vProd − vDesc − vICMS (ICMS excluded from the base for notes issued from
 *                          2023-05-01, art. 3º §2º III, Lei 14.592/2023), PIS = base × 1,65%, COFINS = base × 7,6%,
 *                          each rounded half-up to the cent per line.
 *   PC_CST_PARTIAL         only one of PIS/COFINS has CST 01/02/03 → credit only for that one.
 *   PC_CST_NOT_CREDITABLE  CST 04–09 (monofásica, ST, alíquota zero, isenta, sem incidência, suspensão) → no credit
 *                          (art. 3º §2º II: acquisitions not subject to the contribution).
 *   PC_SIMPLES_SUPPLIER_REVIEW  CST 49/99/other from a Simples Nacional supplier (CRT 1/2/4): not counted (the
 *                          issue's rule is CST 01/02/03), flagged for review: the RFB admits credits on purchases from
 *                          Simples suppliers (ADI SRF 15/2007).
 *   PC_CST_OTHER           CST 49/99 or an entry code (50+) on a regime normal supplier's note → no credit (review).
 *   PC_CST_MISSING         no CST → no credit.
 *   Regime gate (after the item rules; the eligible base is kept as "potential"):
 *   PC_REGIME_CUMULATIVE   Lucro Presumido: cumulative PIS/COFINS, no credits (Lei 10.833/2003, art. 10, II).
 *   PC_REGIME_SIMPLES      Simples Nacional / MEI: no credits (LC 123/2006, art. 23).
 *   PC_REGIME_UNKNOWN      regime not known (CRT 3 alone does not tell Presumido from Real) → not counted.
 * ICMS (LC 87/1996 arts. 19–20; LC 123/2006 art. 23 for Simples suppliers)
 *   ICMS_TAXED             CST 00/10/20/51/70/90 (also ICMSPart) with vICMS > 0 → credit = vICMS highlighted.
 *   ICMS_TAXED_NO_VALUE    the same CSTs with no vICMS (e.g. 51 fully deferred) → no credit.
 *   ICMS_SN_CREDIT         CSOSN 101/201 → credit = vCredICMSSN (the cap LC 123 art. 23 §1º allows).
 *   ICMS_SN_CREDIT_ABSENT  CSOSN 101/201 without vCredICMSSN → no credit.
 *   ICMS_SN_NO_CREDIT      CSOSN 102/103/202/203/300/400/900 → no credit.
 *   ICMS_ST_RETAINED       CST 60, CSOSN 500 or group ICMSST: ICMS already charged by ST → no credit; the ST
 *                          amount (icms_st_value) is reported apart as "retained".
 *   ICMS_NOT_TAXED         CST 30/40/41/50 → no ICMS highlighted.
 *   ICMS_MONOPHASIC_FUEL   CST 02/15/53/61 (single-phase fuel ICMS) → not counted here (review).
 *   ICMS_MISSING / ICMS_CODE_UNKNOWN → no credit.
 *   ST charged on the note itself (CST 10/30/70/90, CSOSN 201/202/203/900 with icms_st_value > 0) is reported apart
 *   as "charged": it is part of the cost, not a credit of the substituted buyer.
 *   Regime gate:
 *   ICMS_REGIME_SIMPLES    the company is Simples Nacional / MEI: no ICMS credits (LC 123/2006, art. 23).
 *   ICMS_REGIME_UNKNOWN    no regime and no CRT: not counted (shown as potential).
 *
 * Amounts: decimal strings in and out, integer cents inside. "Potential" totals are what the item rules allow
 * before the regime gate (what a Lucro Real / regime normal company would credit).
 */
import {
  MONOPHASIC_TABLE_VERSION,
  type MonophasicMatch,
  monophasicMatch,
  normalizeNcm,
} from '../common/ncm.ts';
import { applyRate, brl, type Cents, cents, money } from '../common/money.ts';
import { inPeriod, type Month, noteDate, noteMonth, type Period } from '../common/period.ts';
import { isSimples, type RegimeClass, type ResolvedRegime } from '../common/regime.ts';

export const CREDIT_RULES_ID = 'credits-2026.11.1';
export const CREDIT_RULES_VERSION = `${CREDIT_RULES_ID}+monophasic-${MONOPHASIC_TABLE_VERSION}`;

export const PIS_RATE = 165n; // 1,65% at scale 4 (Lei 10.637/2002, art. 2º)
export const COFINS_RATE = 760n; // 7,6% (Lei 10.833/2003, art. 2º)
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
  issuer_doc: string;
  issuer_name: string | null;
  issuer_crt: number | null;
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
}

export interface CreditInput {
  regime: ResolvedRegime;
  period: Period;
  /** Notes where the company is the recipient (direction 'entrada'); others are ignored by the loader. */
  notes: CreditNote[];
  items: CreditItem[];
}

// --- outputs ----------------------------------------------------------------------------------------------

export type StKind = 'charged' | 'retained';
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
const SN_CREDIT = new Set(['101', '201']);
const SN_NO_CREDIT = new Set(['102', '103', '202', '203', '300', '400', '900']);
const SN_ST_CHARGED = new Set(['201', '202', '203', '900']);

function retained(item: CreditItem, st: Cents): string {
  return item.icms_st_value === null || item.icms_st_value === undefined
    ? 'Valor do ICMS-ST retido não disponível nos dados importados'
    : `ICMS-ST retido informado: ${brl(st)}`;
}

interface IcmsOutcome {
  rule: string;
  creditable: Cents;
  text: string;
  stKind: StKind | null;
  st: Cents;
}

/** The item rules for ICMS (before the regime gate). */
function icmsOutcome(item: CreditItem): IcmsOutcome {
  const csosn = item.icms_csosn?.trim() || null;
  const cst = item.icms_cst?.trim() || null;
  const group = item.icms_group?.trim() || null;
  const st = cents(item.icms_st_value);
  const vIcms = cents(item.icms_value);
  if (csosn) {
    const charged = SN_ST_CHARGED.has(csosn) && st > 0n;
    const stPart = charged ? `; ICMS-ST cobrado nesta nota ${brl(st)} (compõe o custo, sem crédito)` : '';
    const stOut = { stKind: charged ? ('charged' as const) : null, st: charged ? st : 0n };
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
}

/** The item rules for PIS/COFINS (before the regime gate) for a purchase CFOP. */
function pcOutcome(
  item: CreditItem,
  itemValue: Cents,
  issuedOn: string,
  mono: MonophasicMatch | null,
  supplierCrt: number | null,
): PcOutcome {
  const none = (rule: string, text: string): PcOutcome => ({ rule, base: 0n, pis: 0n, cofins: 0n, text });
  if (mono) {
    return none(
      'PC_MONOPHASIC_NCM',
      `NCM de produto monofásico (${mono.label}; ${mono.legalBasis}): a revenda não gera crédito de PIS/COFINS (Lei 10.833/2003, art. 3º, I, b).`,
    );
  }
  const pisC = pcCstClass(item.pis_cst);
  const cofC = pcCstClass(item.cofins_cst);
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
    if (cls === 'other' && supplierCrt !== null && [1, 2, 4].includes(supplierCrt)) {
      return none(
        'PC_SIMPLES_SUPPLIER_REVIEW',
        `Fornecedor do Simples Nacional (CRT ${supplierCrt}) com CST ${c}: o PIS/COFINS dele é pago no DAS e não vem destacado. A RFB admite crédito no Lucro Real sobre compras de optantes do Simples (ADI SRF 15/2007), mas a regra desta análise só conta CST 01/02/03: não contado, revisar com o contador.`,
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

// --- the analysis -----------------------------------------------------------------------------------------

interface Acc {
  value: Cents;
  pis: Cents;
  cofins: Cents;
  icms: Cents;
  stCharged: Cents;
  stRetained: Cents;
  items: number;
}

function acc(): Acc {
  return { value: 0n, pis: 0n, cofins: 0n, icms: 0n, stCharged: 0n, stRetained: 0n, items: 0 };
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

export function analyzeCredits(input: CreditInput): CreditResult {
  const regime = input.regime;
  const notes = new Map(input.notes.map((n) => [n.id, n]));
  const months = new Map<Month, MonthAcc>();
  const lines: CreditLine[] = [];
  const pcGate = pcRegimeGate(regime.regime);
  const icmsGate = icmsRegimeGate(regime.regime);

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
    const period = noteMonth(note.issued_at_local, note.issued_at);
    if (!inPeriod(period, input.period)) continue;
    const ma = months.get(period)!;
    const issuedOn = noteDate(note.issued_at_local, note.issued_at);
    const ncm = normalizeNcm(item.ncm);
    const mono = monophasicMatch(ncm);
    const itemValue = cents(item.total_value) - cents(item.discount);
    const icmsCode = item.icms_csosn?.trim() || item.icms_cst?.trim() || null;

    const line: CreditLine = {
      period,
      xml_import_id: item.xml_import_id,
      item_number: item.item_number,
      access_key: note.access_key,
      issued_on: issuedOn,
      supplier_doc: note.issuer_doc,
      supplier_name: note.issuer_name,
      supplier_crt: note.issuer_crt,
      product_code: item.product_code,
      description: item.description,
      ncm,
      cfop: item.cfop,
      cfop_class: null,
      monophasic_group: mono?.group ?? null,
      item_value: money(itemValue),
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
      bump(ma.rules, noteRule.rule);
      lines.push(line);
      continue;
    }

    line.counted = true;
    ma.items++;
    ma.value += itemValue;
    const cls = classifyCfop(item.cfop);
    line.cfop_class = cls;
    let pc: PcOutcome;
    let ic: IcmsOutcome;
    if (cls === 'purchase' || cls === 'transfer') {
      ic = icmsOutcome(item);
      pc = cls === 'purchase' ? pcOutcome(item, itemValue, issuedOn, mono, note.issuer_crt) : {
        rule: 'PC_TRANSFER',
        base: 0n,
        pis: 0n,
        cofins: 0n,
        text:
          `CFOP ${item.cfop}: transferência entre estabelecimentos da mesma empresa não é aquisição; sem crédito de PIS/COFINS.`,
      };
    } else {
      const t = CFOP_TEXT[cls];
      const text = `CFOP ${item.cfop ?? '(ausente)'}: ${t.text}.`;
      pc = { rule: t.rule, base: 0n, pis: 0n, cofins: 0n, text };
      ic = { rule: t.rule, creditable: 0n, text, stKind: null, st: 0n };
    }

    // PIS/COFINS with the regime gate.
    line.pis_cofins_base = money(pc.base);
    ma.potPis += pc.pis;
    ma.potCofins += pc.cofins;
    if (pcGate && pc.base > 0n) {
      line.pis_cofins_rule = pcGate.rule;
      line.pis_cofins_explanation = `${pcGate.text}. No Lucro Real o item daria crédito de PIS ${
        brl(pc.pis)
      } e COFINS ${brl(pc.cofins)}: ${pc.text}`;
    } else {
      line.pis_cofins_rule = pc.rule;
      line.pis_cofins_explanation = pc.text;
      line.pis_credit = money(pc.pis);
      line.cofins_credit = money(pc.cofins);
      ma.base += pc.base;
      ma.pis += pc.pis;
      ma.cofins += pc.cofins;
    }

    // ICMS with the regime gate.
    line.icms_creditable = money(ic.creditable);
    ma.potIcms += ic.creditable;
    if (icmsGate && ic.creditable > 0n) {
      line.icms_rule = icmsGate.rule;
      line.icms_explanation = `${icmsGate.text}. No regime normal o item daria crédito de ${
        brl(ic.creditable)
      }: ${ic.text}`;
    } else {
      line.icms_rule = ic.rule;
      line.icms_explanation = ic.text;
      line.icms_credit = money(ic.creditable);
      ma.icms += ic.creditable;
    }
    line.st_kind = ic.stKind;
    line.st_value = money(ic.st);
    if (ic.stKind === 'charged') ma.stCharged += ic.st;
    if (ic.stKind === 'retained') ma.stRetained += ic.st;

    bump(ma.rules, line.pis_cofins_rule);
    if (line.icms_rule !== line.pis_cofins_rule) bump(ma.rules, line.icms_rule);

    // Breakdowns.
    const s = ma.suppliers.get(note.issuer_doc) ??
      { ...acc(), name: note.issuer_name, crt: note.issuer_crt, notes: new Set<string>() };
    ma.suppliers.set(note.issuer_doc, s);
    const k = ma.ncms.get(ncm) ?? { ...acc(), mono: mono?.group ?? null };
    ma.ncms.set(ncm, k);
    for (const a of [s, k]) {
      a.items++;
      a.value += itemValue;
      a.pis += cents(line.pis_credit);
      a.cofins += cents(line.cofins_credit);
      a.icms += cents(line.icms_credit);
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
    st_charged: money(m.stCharged),
    st_retained: money(m.stRetained),
  };
}

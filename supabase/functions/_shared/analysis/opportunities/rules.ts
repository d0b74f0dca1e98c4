/**
 * Opportunity matching, pure: the versioned catalogue (../data/opportunities.json) evaluated over facts about the
 * company (profile, DRE, credits found/taken, NCM analysis, ICMS-ST purchases vs sales). Each catalogue entry has
 * declarative conditions (all must hold) and a named estimator; a match carries the estimated value, its basis
 * (the analysed period or a year), a confidence, the evidence and the rule '<id>@<catalogue version>'.
 *
 * Condition facts:
 *   profile.regime              resolved regime class (lucro_real, lucro_presumido, simples_nacional, mei,
 *                               normal_unknown, unknown)
 *   profile.cnae                CNAE or null
 *   dre.months_with_data        months of the window with DRE rows
 *   dre.months_with_revenue     months with gross revenue > 0
 *   dre.revenue                 gross revenue in the window (money)
 *   ncm.available               analyze-ncm-from-xmls has rows for the company
 *   ncm.monophasic_sales        sales (value_out) in monophasic NCMs (money)
 *   credits.months              months with analysed purchases in the window
 *   credits.pis_cofins_found    PIS + COFINS credits found (money)
 *   credits.icms_found          ICMS credits found (money)
 *   st.ncm_units_compared       (NCM, unit) pairs bought with ICMS-ST and also sold in the window
 *
 * Estimators (all money in integer cents, rounded half-up):
 *   simples_monophasic  RBT12 = DRE revenue × 12 ÷ months with revenue (else NF-e sales × 12 ÷ months of the NCM
 *                       analysis); Anexo I bracket → effective rate = (RBT12 × nominal − deduction) ÷ RBT12;
 *                       value = monophasic sales × effective rate × PIS/COFINS share of the DAS (15,50% or 34,40%).
 *   unused_pis_cofins / unused_icms
 *                       value = found − taken (credits taken estimated in common/facts.ts); when taken cannot be
 *                       estimated, value = found with confidence 'baixa'; no match when taken ≥ found.
 *   icms_st_refund      per (NCM, unit): q = min(sold, bought); presumed base for q = ST base ÷ bought × q; actual
 *                       sales for q = sales value ÷ sold × q; gap = presumed − actual (only when > 0);
 *                       value = gap × (ST + own ICMS) ÷ ST base; summed over pairs.
 *   regime_comparison   annualised (× 12 ÷ months with revenue): Presumido = IRPJ 15% (+10% above R$ 240 mil) on
 *                       8% (32% services) of revenue + CSLL 9% on 12% (32%) + PIS/COFINS 3,65%; Real = IRPJ/CSLL on
 *                       the DRE result (with PIS/COFINS swapped to the other regime's) + PIS/COFINS 9,25% of revenue −
 *                       credits found (potential credits for a Presumido company); value = the saving of switching.
 */
import catalogue from '../data/opportunities.json' with { type: 'json' };
import { divRound, formatScaled, parseScaled } from '../../nfe/decimal.ts';
import type { Facts } from '../common/facts.ts';
import {
  applyRate,
  brl,
  type Cents,
  cents,
  maxC,
  minC,
  money,
  pct4,
  pctNum,
  ratio,
} from '../common/money.ts';
import { type Month, monthSpan } from '../common/period.ts';
import type { ResolvedRegime } from '../common/regime.ts';

export const CATALOGUE_VERSION: string = catalogue.version;
export const OPPORTUNITY_RULES_VERSION = `opportunities-${catalogue.version}`;

export type Confidence = 'alta' | 'media' | 'baixa';

export interface StRow {
  ncm: string;
  unit: string;
  /** Bought with ICMS-ST: quantity, ST base, ST + own ICMS. */
  qty: string;
  st_base: string;
  st_tax: string;
  items: number;
  sold_qty: string;
  sold_value: string;
  sold_items: number;
}

export interface OpportunityInput {
  regime: ResolvedRegime;
  cnae: string | null;
  facts: Facts;
  st: StRow[];
}

export interface Condition {
  fact: string;
  op: 'in' | 'not_in' | '==' | '!=' | '>' | '>=' | '<' | '<=';
  value: unknown;
}

export interface CatalogueEntry {
  id: string;
  category: string;
  title: string;
  description: string;
  legal_basis: string;
  conditions: Condition[];
  estimator: string;
  min_value: string;
}

export interface OpportunityMatch {
  opportunity_id: string;
  category: string;
  title: string;
  explanation: string;
  estimated_value: string;
  value_basis: 'period' | 'annual';
  confidence: Confidence;
  period_from: Month | null;
  period_to: Month | null;
  evidence: Record<string, unknown>;
  legal_basis: string;
  rule: string;
  catalogue_version: string;
}

export interface Evaluation {
  opportunity_id: string;
  matched: boolean;
  /** pt-BR: which condition failed, or why the estimate gave nothing. */
  reason: string;
}

export interface OpportunityResult {
  rules_version: string;
  catalogue_version: string;
  matches: OpportunityMatch[];
  evaluated: Evaluation[];
  facts: Record<string, unknown>;
}

interface Estimate {
  value: Cents;
  basis: 'period' | 'annual';
  confidence: Confidence;
  period_from: Month | null;
  period_to: Month | null;
  explanation: string;
  evidence: Record<string, unknown>;
}

type Estimator = (i: OpportunityInput) => Estimate | string;

const MONEY_RE = /^-?\d+(\.\d+)?$/;

/** The condition facts (see the header). */
export function conditionFacts(i: OpportunityInput): Record<string, unknown> {
  const f = i.facts;
  return {
    'profile.regime': i.regime.regime,
    'profile.cnae': i.cnae,
    'dre.months_with_data': f.dre.months_with_data,
    'dre.months_with_revenue': f.dre.months_with_revenue,
    'dre.revenue': money(f.dre.receita_bruta),
    'ncm.available': f.ncm.available,
    'ncm.monophasic_sales': money(f.ncm.monophasic_value_out),
    'credits.months': f.credits.months.length,
    'credits.pis_cofins_found': money(f.credits.pis + f.credits.cofins),
    'credits.icms_found': money(f.credits.icms),
    'st.ncm_units_compared': i.st.length,
  };
}

function compare(a: unknown, op: Condition['op'], b: unknown): boolean {
  if (op === 'in' || op === 'not_in') {
    const inList = Array.isArray(b) && b.includes(a);
    return op === 'in' ? inList : !inList;
  }
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  let x: bigint | number;
  let y: bigint | number;
  if (typeof a === 'string' && typeof b === 'string' && MONEY_RE.test(a) && MONEY_RE.test(b)) {
    x = cents(a);
    y = cents(b);
  } else if (typeof a === 'number' && typeof b === 'number') {
    x = a;
    y = b;
  } else {
    return false;
  }
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}

export function evaluateCondition(facts: Record<string, unknown>, c: Condition): boolean {
  return compare(facts[c.fact] ?? null, c.op, c.value);
}

const pctTo4 = (pct: string) => parseScaled(pct, 2); // '10.70' → 1070n (0,1070 at scale 4)

function cnaeDivision(cnae: string | null): number | null {
  const d = (cnae ?? '').replace(/\D/g, '');
  return d.length >= 2 ? Number(d.slice(0, 2)) : null;
}

// --- estimators -------------------------------------------------------------------------------------------

const simplesMonophasic: Estimator = ({ facts: f, cnae }) => {
  const mono = f.ncm.monophasic_value_out;
  const ncmMonths = f.ncm.period_from && f.ncm.period_to ? monthSpan(f.ncm.period_from, f.ncm.period_to) : 0;
  let rbt12: Cents;
  let rbtSource: string;
  if (f.dre.months_with_revenue > 0) {
    rbt12 = divRound(f.dre.receita_bruta * 12n, BigInt(f.dre.months_with_revenue));
    rbtSource = `receita bruta do DRE (${f.dre.months_with_revenue} mês(es) anualizados)`;
  } else if (f.ncm.total_value_out > 0n && ncmMonths > 0) {
    rbt12 = divRound(f.ncm.total_value_out * 12n, BigInt(ncmMonths));
    rbtSource = `vendas nas NF-e (${ncmMonths} mês(es) anualizados)`;
  } else {
    return 'sem receita para estimar a RBT12';
  }
  if (rbt12 <= 0n) return 'RBT12 zero';
  const anexo = catalogue.simples_anexo_i;
  const idx = anexo.brackets.findIndex((b) => rbt12 <= cents(b.up_to));
  if (idx < 0) return `RBT12 estimada de ${brl(rbt12)} acima do limite do Simples Nacional`;
  const b = anexo.brackets[idx];
  const tax = applyRate(rbt12, pctTo4(b.nominal_pct)) - cents(b.deduction);
  const share4 = pctTo4(b.pis_cofins_share_pct);
  const value = divRound(mono * tax * share4, rbt12 * 10_000n);
  const eff = ratio(tax, rbt12);
  const annual = ncmMonths > 0 ? divRound(value * 12n, BigInt(ncmMonths)) : value;
  const div = cnaeDivision(cnae);
  const trade = div !== null && div >= 45 && div <= 47;
  const confidence: Confidence = f.dre.months_with_revenue > 0 && (div === null || trade) ? 'media' : 'baixa';
  return {
    value,
    basis: 'period',
    confidence,
    period_from: f.ncm.period_from,
    period_to: f.ncm.period_to,
    explanation: `Vendas de produtos monofásicos de ${
      brl(mono)
    } (${f.ncm.period_from} a ${f.ncm.period_to}). RBT12 estimada ${brl(rbt12)} (${rbtSource}) → faixa ${
      idx + 1
    } do Anexo I, alíquota efetiva ${pctNum(eff, 2)}; PIS+COFINS são ${
      pct4(share4)
    } do DAS. Pago a mais se a receita não foi segregada: ${brl(mono)} × ${pctNum(eff, 2)} × ${
      pct4(share4)
    } = ${brl(value)} no período (≈ ${
      brl(annual)
    } por ano; a restituição alcança 5 anos). Confirme no PGDAS-D se a receita monofásica já foi segregada.`,
    evidence: {
      monophasic_sales: money(mono),
      by_group: f.ncm.by_group,
      rbt12: money(rbt12),
      rbt12_source: f.dre.months_with_revenue > 0 ? 'dre' : 'nfe',
      bracket: idx + 1,
      effective_rate: eff,
      pis_cofins_share_pct: b.pis_cofins_share_pct,
      annualized_estimate: money(annual),
      das_paid_in_window: money(f.payments.das),
      cnae,
      legal_basis_rates: anexo.legal_basis,
    },
  };
};

function unusedCredits(fam: 'icms' | 'pis_cofins'): Estimator {
  return ({ facts: f }) => {
    const t = f.taken[fam];
    const name = fam === 'icms' ? 'ICMS' : 'PIS/COFINS';
    const months = t.months;
    const evidence = {
      months,
      found: money(t.found),
      debits_on_sales: money(t.debits),
      paid: money(t.paid),
      payment_entries: t.payment_entries,
      taken_estimate: t.taken === null ? null : money(t.taken),
      by_tax: fam === 'icms'
        ? { icms: money(f.credits.icms) }
        : { pis: money(f.credits.pis), cofins: money(f.credits.cofins) },
    };
    const period = { period_from: months[0] ?? null, period_to: months[months.length - 1] ?? null };
    if (t.found <= 0n) return `nenhum crédito de ${name} encontrado`;
    if (t.taken === null) {
      return {
        value: t.found,
        basis: 'period',
        confidence: 'baixa',
        ...period,
        explanation: `Créditos de ${name} encontrados nas compras: ${brl(t.found)} (${months[0]} a ${
          months[months.length - 1]
        }). ${t.explanation} Confira na escrituração se já foram tomados.`,
        evidence,
      };
    }
    if (t.taken >= t.found) {
      return `créditos de ${name} aparentemente já aproveitados (${brl(t.taken)} ≥ ${brl(t.found)})`;
    }
    const value = t.found - t.taken;
    return {
      value,
      basis: 'period',
      confidence: 'media',
      ...period,
      explanation: `Créditos de ${name} encontrados nas compras: ${brl(t.found)}; aproveitados (estimado): ${
        brl(t.taken)
      }. ${t.explanation} Diferença possivelmente não aproveitada: ${brl(value)}.`,
      evidence,
    };
  };
}

const icmsStRefund: Estimator = ({ facts: f, st }) => {
  let total = 0n;
  const pairs: Array<Record<string, string>> = [];
  let above = 0;
  for (const r of st) {
    const bought = parseScaled(r.qty, 4);
    const sold = parseScaled(r.sold_qty, 4);
    const base = cents(r.st_base);
    if (bought <= 0n || sold <= 0n || base <= 0n) continue;
    const q = minC(bought, sold);
    const presumed = divRound(base * q, bought);
    const actual = divRound(cents(r.sold_value) * q, sold);
    const gap = presumed - actual;
    if (gap <= 0n) {
      above++;
      continue;
    }
    const est = divRound(gap * cents(r.st_tax), base);
    if (est <= 0n) continue;
    total += est;
    pairs.push({
      ncm: r.ncm,
      unit: r.unit,
      quantity_compared: formatScaled(q, 4),
      presumed_base: money(presumed),
      actual_sales: money(actual),
      gap: money(gap),
      effective_st_rate: pctNum(ratio(cents(r.st_tax), base), 2),
      estimate: money(est),
    });
  }
  if (total <= 0n) {
    return `nenhum produto vendido abaixo da base presumida do ICMS-ST (${st.length} NCM/unidade comparados)`;
  }
  pairs.sort((a, b) => (cents(b.estimate) > cents(a.estimate) ? 1 : -1));
  return {
    value: total,
    basis: 'period',
    confidence: 'baixa',
    period_from: f.period.from,
    period_to: f.period.to,
    explanation:
      `Em ${pairs.length} NCM/unidade, o preço médio de venda ficou abaixo da base presumida do ICMS-ST das compras; a diferença de base vezes a alíquota efetiva do ST dá ${
        brl(total)
      } no período. Estimativa por médias (${f.period.from} a ${f.period.to}); o pedido depende das regras do estado.${
        above
          ? ` Em ${above} NCM/unidade a venda ficou acima da base (alguns estados exigem complemento).`
          : ''
      }`,
    evidence: {
      pairs: pairs.slice(0, 20),
      pairs_total: pairs.length,
      pairs_above_base: above,
      compared: st.length,
    },
  };
};

const regimeComparison: Estimator = ({ facts: f, regime, cnae }) => {
  const p = catalogue.presumido;
  const n = f.dre.months_with_revenue;
  if (n <= 0) return 'sem receita no DRE';
  const annual = (c: Cents) => divRound(c * 12n, BigInt(n));
  const R = annual(f.dre.receita_bruta);
  const div = cnaeDivision(cnae);
  const trade = div === null || div <= 47;
  const pres = trade ? p.trade_industry : p.services;
  const irpj = (base: Cents) => {
    const b = maxC(base, 0n);
    return applyRate(b, pctTo4(p.irpj_rate_pct)) +
      applyRate(maxC(b - cents(p.irpj_additional_threshold_year), 0n), pctTo4(p.irpj_additional_pct));
  };
  const csll = (base: Cents) => applyRate(maxC(base, 0n), pctTo4(p.csll_rate_pct));

  // Presumido
  const pcPres = applyRate(R, pctTo4(p.pis_cofins_cumulative_pct));
  const irpjPres = irpj(applyRate(R, pctTo4(pres.irpj_presumption_pct)));
  const csllPres = csll(applyRate(R, pctTo4(pres.csll_presumption_pct)));
  const totalPres = irpjPres + csllPres + pcPres;

  // Real
  const creditMonths = f.credits.months.length;
  const creditsFound = regime.regime === 'lucro_real'
    ? f.credits.pis + f.credits.cofins
    : f.credits.potential_pis + f.credits.potential_cofins;
  const creditsYear = creditMonths > 0 ? divRound(creditsFound * 12n, BigInt(creditMonths)) : 0n;
  const pcReal = maxC(applyRate(R, pctTo4(p.pis_cofins_noncumulative_pct)) - creditsYear, 0n);
  const profitNow = annual(f.dre.resultado_antes_ir);
  const profitReal = regime.regime === 'lucro_presumido' ? profitNow + pcPres - pcReal : profitNow;
  const irpjReal = irpj(profitReal);
  const csllReal = csll(profitReal);
  const totalReal = irpjReal + csllReal + pcReal;

  const evidence = {
    months_with_revenue: n,
    revenue_year: money(R),
    profit_before_ir_year: money(profitNow),
    activity: trade ? 'comercio_industria' : 'servicos',
    cnae,
    presumido: {
      irpj: money(irpjPres),
      csll: money(csllPres),
      pis_cofins: money(pcPres),
      total: money(totalPres),
    },
    real: {
      profit: money(profitReal),
      irpj: money(irpjReal),
      csll: money(csllReal),
      pis_cofins: money(pcReal),
      pis_cofins_credits_year: money(creditsYear),
      total: money(totalReal),
    },
  };
  const confidence: Confidence = div !== null && creditMonths > 0 ? 'media' : 'baixa';
  const summary = `Estimativa anual (${n} mês(es) do DRE anualizados, receita ${brl(R)}, ${
    trade ? 'comércio/indústria: presunção 8%/12%' : 'serviços: presunção 32%/32%'
  }${div === null ? ', CNAE não informado' : ''}): Lucro Presumido ${brl(totalPres)} (IRPJ ${
    brl(irpjPres)
  }, CSLL ${brl(csllPres)}, PIS/COFINS ${brl(pcPres)}) contra Lucro Real ${brl(totalReal)} (IRPJ ${
    brl(irpjReal)
  }, CSLL ${brl(csllReal)}, PIS/COFINS ${brl(pcReal)} já descontados créditos de ${
    brl(creditsYear)
  }/ano). ICMS não muda entre os regimes e fica fora da conta.`;
  if (regime.regime === 'lucro_presumido') {
    if (totalReal >= totalPres) {
      return `o Lucro Presumido continua mais barato (${brl(totalPres)} ≤ ${brl(totalReal)})`;
    }
    return {
      value: totalPres - totalReal,
      basis: 'annual',
      confidence,
      period_from: f.period.from,
      period_to: f.period.to,
      explanation: `${summary} O Lucro Real parece ${brl(totalPres - totalReal)} por ano mais barato.`,
      evidence,
    };
  }
  if (R > cents(p.revenue_limit_year)) return 'receita anual acima do limite do Lucro Presumido';
  if (totalPres >= totalReal) {
    return `o Lucro Real continua mais barato (${brl(totalReal)} ≤ ${brl(totalPres)})`;
  }
  return {
    value: totalReal - totalPres,
    basis: 'annual',
    confidence,
    period_from: f.period.from,
    period_to: f.period.to,
    explanation: `${summary} O Lucro Presumido parece ${brl(totalReal - totalPres)} por ano mais barato.`,
    evidence,
  };
};

export const ESTIMATORS: Record<string, Estimator> = {
  simples_monophasic: simplesMonophasic,
  unused_pis_cofins: unusedCredits('pis_cofins'),
  unused_icms: unusedCredits('icms'),
  icms_st_refund: icmsStRefund,
  regime_comparison: regimeComparison,
};

export const CATALOGUE: CatalogueEntry[] = catalogue.opportunities as CatalogueEntry[];

function describe(c: Condition, actual: unknown): string {
  return `condição não atendida: ${c.fact} ${c.op} ${JSON.stringify(c.value)} (valor: ${
    JSON.stringify(actual ?? null)
  })`;
}

export function matchOpportunities(
  input: OpportunityInput,
  entries: CatalogueEntry[] = CATALOGUE,
): OpportunityResult {
  const facts = conditionFacts(input);
  const matches: OpportunityMatch[] = [];
  const evaluated: Evaluation[] = [];
  for (const e of entries) {
    const failed = e.conditions.find((c) => !evaluateCondition(facts, c));
    if (failed) {
      evaluated.push({ opportunity_id: e.id, matched: false, reason: describe(failed, facts[failed.fact]) });
      continue;
    }
    const est = ESTIMATORS[e.estimator];
    if (!est) throw new Error(`catalogue ${catalogue.version}: unknown estimator ${e.estimator}`);
    const r = est(input);
    if (typeof r === 'string') {
      evaluated.push({ opportunity_id: e.id, matched: false, reason: r });
      continue;
    }
    if (r.value < cents(e.min_value)) {
      evaluated.push({
        opportunity_id: e.id,
        matched: false,
        reason: `valor estimado ${brl(r.value)} abaixo do mínimo ${brl(cents(e.min_value))}`,
      });
      continue;
    }
    evaluated.push({ opportunity_id: e.id, matched: true, reason: 'todas as condições atendidas' });
    matches.push({
      opportunity_id: e.id,
      category: e.category,
      title: e.title,
      explanation: `${e.description} ${r.explanation}`,
      estimated_value: money(r.value),
      value_basis: r.basis,
      confidence: r.confidence,
      period_from: r.period_from,
      period_to: r.period_to,
      evidence: {
        ...r.evidence,
        conditions: e.conditions.map((c) => ({ ...c, actual: facts[c.fact] ?? null })),
      },
      legal_basis: e.legal_basis,
      rule: `${e.id}@${catalogue.version}`,
      catalogue_version: catalogue.version,
    });
  }
  return {
    rules_version: OPPORTUNITY_RULES_VERSION,
    catalogue_version: catalogue.version,
    matches,
    evaluated,
    facts,
  };
}

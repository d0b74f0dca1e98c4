/**
 * Facts the tax score and the opportunities share, built (pure) from rows the loaders read:
 *   - DRE over the window (company_dre, Lei 6.404/76 art. 187 lines);
 *   - credits found by analyze-credits (company_credit_analysis) in the window;
 *   - monophasic share of sales from analyze-ncm-from-xmls (company_ncm_analysis);
 *   - tax debits highlighted on the company's own sales notes and tax payments booked in the financial entries,
 *     from which the credits actually taken are estimated (debits − payments).
 *
 * DRE sign convention: company_dre does not fix the sign of cost lines, so magnitudes are used for
 * receita_bruta, deducoes, custos, despesas_operacionais and impostos_sobre_lucro, and the stored sign for
 * resultado_financeiro and outras_receitas_despesas (income positive). nao_classificado is left out and reported.
 *   result = receita − |deduções| − |custos| − |despesas| + financeiro + outras − |IR/CSLL|
 */
import { brl, type Cents, cents, money } from './money.ts';
import { type Month, monthOfDate, monthsOf, type Period } from './period.ts';

export interface DreRow {
  period: Date | string;
  line: string;
  amount: string;
}

export interface CreditMonthRow {
  period: Date | string;
  pis_credit: string;
  cofins_credit: string;
  icms_credit: string;
  potential_pis_credit: string;
  potential_cofins_credit: string;
  potential_icms_credit: string;
  st_charged: string;
  st_retained: string;
  purchases_value: string;
}

export interface NcmShareRow {
  monophasic_value_out: string | null;
  total_value_out: string | null;
  monophasic_value_in: string | null;
  period_from: Date | string | null;
  period_to: Date | string | null;
  rows: number;
  by_group: Record<string, string> | null;
}

export interface SalesDebitRow {
  month: string;
  notes: number;
  icms: string;
  pis: string;
  cofins: string;
  value: string;
}

export interface PaymentRow {
  month: string;
  category_name: string | null;
  amount: string;
  entries: number;
}

export interface FactsInput {
  period: Period;
  dre: DreRow[];
  credits: CreditMonthRow[];
  ncm: NcmShareRow | null;
  sales: SalesDebitRow[];
  payments: PaymentRow[];
}

export interface DreFacts {
  months_with_data: number;
  months_with_revenue: number;
  /** Revenue per month of the window, oldest first (months without rows are '0.00'). */
  monthly_revenue: Array<{ month: Month; revenue: string; has_data: boolean }>;
  receita_bruta: Cents;
  deducoes: Cents;
  custos: Cents;
  despesas_operacionais: Cents;
  resultado_financeiro: Cents;
  outras_receitas_despesas: Cents;
  impostos_sobre_lucro: Cents;
  nao_classificado: Cents;
  /** Before IR/CSLL. */
  resultado_antes_ir: Cents;
  resultado_liquido: Cents;
}

export type TaxFamily = 'icms' | 'pis_cofins';

export interface TakenEstimate {
  family: TaxFamily;
  /** Months (with analysed purchase notes) over which found/taken are compared. */
  months: Month[];
  found: Cents;
  debits: Cents;
  paid: Cents;
  payment_entries: number;
  /** null when it cannot be estimated (debits but no tax payment booked under a recognisable category). */
  taken: Cents | null;
  explanation: string;
}

export interface Facts {
  period: Period;
  dre: DreFacts;
  credits: {
    months: Month[];
    pis: Cents;
    cofins: Cents;
    icms: Cents;
    potential_pis: Cents;
    potential_cofins: Cents;
    potential_icms: Cents;
    st_charged: Cents;
    st_retained: Cents;
    purchases_value: Cents;
  };
  ncm: {
    available: boolean;
    monophasic_value_out: Cents;
    total_value_out: Cents;
    monophasic_value_in: Cents;
    period_from: Month | null;
    period_to: Month | null;
    by_group: Record<string, string>;
  };
  taken: Record<TaxFamily, TakenEstimate>;
  payments: { das: Cents; icms: Cents; pis_cofins: Cents; das_entries: number };
}

export function normaliseName(s: string | null | undefined): string {
  return (s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Which tax a payable's category pays, by its (normalised) name; null when none. */
export function classifyTaxPayment(
  category: string | null | undefined,
): 'icms' | 'pis_cofins' | 'das' | null {
  const n = normaliseName(category);
  if (!n) return null;
  if (/\b(das|simples nacional)\b/.test(n)) return 'das';
  if (/\b(pis|cofins)\b/.test(n)) return 'pis_cofins';
  if (/\bicms\b/.test(n) && !/\b(st|substituicao|difal|diferencial)\b/.test(n)) return 'icms';
  return null;
}

const abs = (c: Cents) => (c < 0n ? -c : c);

export function buildFacts(input: FactsInput): Facts {
  const months = monthsOf(input.period);
  const inWindow = new Set(months);

  // DRE
  const perMonth = new Map<Month, Map<string, Cents>>();
  for (const r of input.dre) {
    const m = monthOfDate(r.period);
    if (!inWindow.has(m)) continue;
    const lines = perMonth.get(m) ?? new Map<string, Cents>();
    lines.set(r.line, (lines.get(r.line) ?? 0n) + cents(r.amount));
    perMonth.set(m, lines);
  }
  const sumLine = (line: string, mag: boolean) => {
    let t = 0n;
    for (const lines of perMonth.values()) {
      const v = lines.get(line) ?? 0n;
      t += mag ? abs(v) : v;
    }
    return t;
  };
  const R = sumLine('receita_bruta', true);
  const D = sumLine('deducoes', true);
  const C = sumLine('custos', true);
  const E = sumLine('despesas_operacionais', true);
  const F = sumLine('resultado_financeiro', false);
  const O = sumLine('outras_receitas_despesas', false);
  const I = sumLine('impostos_sobre_lucro', true);
  const N = sumLine('nao_classificado', false);
  const beforeIr = R - D - C - E + F + O;
  const monthly = months.map((m) => {
    const lines = perMonth.get(m);
    return { month: m, revenue: money(abs(lines?.get('receita_bruta') ?? 0n)), has_data: !!lines };
  });
  const dre: DreFacts = {
    months_with_data: perMonth.size,
    months_with_revenue: monthly.filter((x) => cents(x.revenue) > 0n).length,
    monthly_revenue: monthly,
    receita_bruta: R,
    deducoes: D,
    custos: C,
    despesas_operacionais: E,
    resultado_financeiro: F,
    outras_receitas_despesas: O,
    impostos_sobre_lucro: I,
    nao_classificado: N,
    resultado_antes_ir: beforeIr,
    resultado_liquido: beforeIr - I,
  };

  // Credits found
  const credits = {
    months: [] as Month[],
    pis: 0n,
    cofins: 0n,
    icms: 0n,
    potential_pis: 0n,
    potential_cofins: 0n,
    potential_icms: 0n,
    st_charged: 0n,
    st_retained: 0n,
    purchases_value: 0n,
  };
  for (const c of input.credits) {
    const m = monthOfDate(c.period);
    if (!inWindow.has(m)) continue;
    credits.months.push(m);
    credits.pis += cents(c.pis_credit);
    credits.cofins += cents(c.cofins_credit);
    credits.icms += cents(c.icms_credit);
    credits.potential_pis += cents(c.potential_pis_credit);
    credits.potential_cofins += cents(c.potential_cofins_credit);
    credits.potential_icms += cents(c.potential_icms_credit);
    credits.st_charged += cents(c.st_charged);
    credits.st_retained += cents(c.st_retained);
    credits.purchases_value += cents(c.purchases_value);
  }
  credits.months.sort();

  // NCM share
  const n = input.ncm;
  const ncm = {
    available: !!n && n.rows > 0,
    monophasic_value_out: cents(n?.monophasic_value_out),
    total_value_out: cents(n?.total_value_out),
    monophasic_value_in: cents(n?.monophasic_value_in),
    period_from: n?.period_from ? monthOfDate(n.period_from) : null,
    period_to: n?.period_to ? monthOfDate(n.period_to) : null,
    by_group: n?.by_group ?? {},
  };

  // Debits on sales and payments, over the months that have analysed purchases.
  const creditMonths = new Set(credits.months);
  const debit = { icms: 0n, pis_cofins: 0n };
  for (const s of input.sales) {
    if (!creditMonths.has(s.month)) continue;
    debit.icms += cents(s.icms);
    debit.pis_cofins += cents(s.pis) + cents(s.cofins);
  }
  const paid = { icms: 0n, pis_cofins: 0n, das: 0n };
  const paidEntries = { icms: 0, pis_cofins: 0, das: 0 };
  const paidAll = { icms: 0n, pis_cofins: 0n, das: 0n };
  const entriesAll = { icms: 0, pis_cofins: 0, das: 0 };
  for (const p of input.payments) {
    const k = classifyTaxPayment(p.category_name);
    if (!k || !inWindow.has(p.month)) continue;
    paidAll[k] += cents(p.amount);
    entriesAll[k] += Number(p.entries);
    if (!creditMonths.has(p.month)) continue;
    paid[k] += cents(p.amount);
    paidEntries[k] += Number(p.entries);
  }
  const taken = (family: TaxFamily): TakenEstimate => {
    const found = family === 'icms' ? credits.icms : credits.pis + credits.cofins;
    const name = family === 'icms' ? 'ICMS' : 'PIS/COFINS';
    const base = {
      family,
      months: credits.months,
      found,
      debits: debit[family],
      paid: paid[family],
      payment_entries: paidEntries[family],
    };
    if (credits.months.length === 0) {
      return {
        ...base,
        taken: null,
        explanation: `Sem notas de compra analisadas na janela: não há como comparar créditos de ${name}.`,
      };
    }
    if (debit[family] === 0n) {
      return {
        ...base,
        taken: 0n,
        explanation:
          `Nenhum ${name} destacado nas notas de venda dos meses analisados: nenhum crédito pôde ser aproveitado (saldo credor acumulado).`,
      };
    }
    if (paidEntries[family] === 0) {
      return {
        ...base,
        taken: null,
        explanation:
          `Há ${name} nas notas de venda, mas nenhum pagamento de ${name} identificado no financeiro (categoria com "${
            family === 'icms' ? 'ICMS' : 'PIS/COFINS'
          }" no nome): não é possível estimar o crédito aproveitado.`,
      };
    }
    const t = debit[family] - paid[family];
    return {
      ...base,
      taken: t > 0n ? t : 0n,
      explanation: `Crédito aproveitado estimado = ${name} destacado nas vendas (${
        brl(debit[family])
      }) − ${name} pago (${brl(paid[family])}) nos meses ${credits.months[0]} a ${
        credits.months[credits.months.length - 1]
      }.`,
    };
  };

  return {
    period: input.period,
    dre,
    credits,
    ncm,
    taken: { icms: taken('icms'), pis_cofins: taken('pis_cofins') },
    payments: {
      das: paidAll.das,
      icms: paidAll.icms,
      pis_cofins: paidAll.pis_cofins,
      das_entries: entriesAll.das,
    },
  };
}

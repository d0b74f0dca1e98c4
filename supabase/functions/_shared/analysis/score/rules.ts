/**
 * Tax score rules, pure: Facts (common/facts.ts) + regime → a 0–100 score with every component, its nominal and
 * effective weight, its measured value, its own 0–100 score and a pt-BR explanation. Weights and thresholds are
 * data (../data/tax-score.json, versioned). A component that has no data or does not apply to the regime is
 * left out and the other weights are rescaled to 100; with no component left, the status is 'insufficient_data'
 * and the score is null.
 *
 * Components (x = measured value; lin(x, zero_at, full_at) = clamp((x − zero_at) / (full_at − zero_at), 0, 1) × 100):
 *   carga_tributaria   x = (deduções + IR/CSLL) ÷ receita bruta, in %; thresholds per regime.
 *   margem             x = resultado líquido ÷ receita bruta, in %.
 *   tendencia_receita  months with revenue, oldest first; k = ⌊n/2⌋; x = (mean of the last k − mean of the
 *                      first k) ÷ mean of the first k, in %; needs n ≥ 4.
 *   receita_monofasica Simples Nacional only: s = monophasic sales ÷ all sales (analyze-ncm-from-xmls);
 *                      score = (1 − s) × 100.
 *   creditos           regime normal only: for ICMS (and PIS/COFINS in Lucro Real) whose credits taken can be
 *                      estimated (facts.taken): score = Σ min(taken, found) ÷ Σ found × 100; 100 when nothing
 *                      was found.
 */
import config from '../data/tax-score.json' with { type: 'json' };
import type { Facts, TaxFamily } from '../common/facts.ts';
import { brl, type Cents, cents, minC, money, pctNum, ratio } from '../common/money.ts';
import type { RegimeClass, ResolvedRegime } from '../common/regime.ts';

export const SCORE_RULES_VERSION = `tax-score-${config.version}`;

type ComponentId = keyof typeof config.components;

export interface ScoreComponent {
  id: ComponentId;
  label: string;
  weight: number;
  /** Weight after rescaling over the available components (0 when left out). */
  effective_weight: number;
  applicable: boolean;
  available: boolean;
  /** The measured value (a ratio: 0.123 = 12,3%), when available. */
  value: number | null;
  score: number | null;
  explanation: string;
  evidence: Record<string, unknown>;
}

export interface TaxScoreResult {
  rules_version: string;
  status: 'ok' | 'insufficient_data';
  score: number | null;
  regime: ResolvedRegime;
  components: ScoreComponent[];
  explanation: string;
  inputs: Record<string, unknown>;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function lin(x: number, zeroAt: number, fullAt: number): number {
  const t = (x - zeroAt) / (fullAt - zeroAt);
  return round2(Math.min(1, Math.max(0, t)) * 100);
}

function comp(
  id: ComponentId,
  rest: Omit<ScoreComponent, 'id' | 'label' | 'weight' | 'effective_weight'>,
): ScoreComponent {
  const c = config.components[id];
  return { id, label: c.label, weight: c.weight, effective_weight: 0, ...rest };
}

function unavailable(
  id: ComponentId,
  explanation: string,
  applicable = true,
  evidence: Record<string, unknown> = {},
): ScoreComponent {
  return comp(id, { applicable, available: false, value: null, score: null, explanation, evidence });
}

function burden(f: Facts, regime: RegimeClass): ScoreComponent {
  const R = f.dre.receita_bruta;
  if (R <= 0n) {
    return unavailable(
      'carga_tributaria',
      'Sem receita bruta no DRE da janela: carga tributária não calculada.',
    );
  }
  const taxes = f.dre.deducoes + f.dre.impostos_sobre_lucro;
  const x = ratio(taxes, R);
  const th = config.components.carga_tributaria.thresholds_pct[regime];
  const score = lin(x * 100, th.zero_at, th.full_at);
  return comp('carga_tributaria', {
    applicable: true,
    available: true,
    value: x,
    score,
    explanation: `Deduções ${brl(f.dre.deducoes)} + IRPJ/CSLL ${
      brl(f.dre.impostos_sobre_lucro)
    } sobre receita bruta ${brl(R)} = ${
      pctNum(x)
    }. Referência para o regime: ${th.full_at}% ou menos vale 100, ${th.zero_at}% ou mais vale 0.`,
    evidence: {
      deducoes: money(f.dre.deducoes),
      impostos_sobre_lucro: money(f.dre.impostos_sobre_lucro),
      receita_bruta: money(R),
      ...th,
    },
  });
}

function margin(f: Facts): ScoreComponent {
  const R = f.dre.receita_bruta;
  if (R <= 0n) return unavailable('margem', 'Sem receita bruta no DRE da janela: margem não calculada.');
  const x = ratio(f.dre.resultado_liquido, R);
  const c = config.components.margem;
  return comp('margem', {
    applicable: true,
    available: true,
    value: x,
    score: lin(x * 100, c.zero_at_pct, c.full_at_pct),
    explanation: `Resultado líquido ${brl(f.dre.resultado_liquido)} sobre receita bruta ${
      brl(R)
    } = margem de ${pctNum(x)} (${c.zero_at_pct}% ou menos vale 0, ${c.full_at_pct}% ou mais vale 100).`,
    evidence: {
      receita_bruta: money(R),
      deducoes: money(f.dre.deducoes),
      custos: money(f.dre.custos),
      despesas_operacionais: money(f.dre.despesas_operacionais),
      resultado_financeiro: money(f.dre.resultado_financeiro),
      outras_receitas_despesas: money(f.dre.outras_receitas_despesas),
      impostos_sobre_lucro: money(f.dre.impostos_sobre_lucro),
      resultado_liquido: money(f.dre.resultado_liquido),
      nao_classificado: money(f.dre.nao_classificado),
    },
  });
}

function trend(f: Facts): ScoreComponent {
  const c = config.components.tendencia_receita;
  const withRevenue = f.dre.monthly_revenue.filter((m) => cents(m.revenue) > 0n);
  const n = withRevenue.length;
  if (n < c.min_months) {
    return unavailable(
      'tendencia_receita',
      `Só ${n} mês(es) com receita no DRE: a tendência precisa de pelo menos ${c.min_months}.`,
      true,
      { months: n },
    );
  }
  const k = Math.floor(n / 2);
  const sum = (xs: typeof withRevenue) => xs.reduce((t, m) => t + cents(m.revenue), 0n);
  const prior = withRevenue.slice(0, k);
  const recent = withRevenue.slice(n - k);
  const prevSum = sum(prior);
  const recSum = sum(recent);
  // Both halves have k months: compare the sums directly.
  const g = ratio(recSum - prevSum, prevSum);
  return comp('tendencia_receita', {
    applicable: true,
    available: true,
    value: g,
    score: lin(g * 100, c.zero_at_growth_pct, c.full_at_growth_pct),
    explanation: `Receita dos ${k} meses mais recentes com receita (${recent[0].month} a ${
      recent[k - 1].month
    }: ${brl(recSum)}) contra os ${k} mais antigos (${prior[0].month} a ${prior[k - 1].month}: ${
      brl(prevSum)
    }): variação de ${pctNum(g)} (${c.zero_at_growth_pct}% vale 0, +${c.full_at_growth_pct}% vale 100).`,
    evidence: { months: n, half: k, prior_revenue: money(prevSum), recent_revenue: money(recSum) },
  });
}

function monophasic(f: Facts, regime: RegimeClass): ScoreComponent {
  const c = config.components.receita_monofasica;
  if (!c.applies_to.includes(regime)) {
    return unavailable(
      'receita_monofasica',
      'Só se aplica ao Simples Nacional (segregação da receita monofásica no PGDAS-D).',
      false,
    );
  }
  if (!f.ncm.available || f.ncm.total_value_out <= 0n) {
    return unavailable(
      'receita_monofasica',
      'Sem vendas analisadas por NCM (rode a análise de NCM): exposição não calculada.',
    );
  }
  const s = ratio(f.ncm.monophasic_value_out, f.ncm.total_value_out);
  return comp('receita_monofasica', {
    applicable: true,
    available: true,
    value: s,
    score: round2((1 - s) * 100),
    explanation: `${pctNum(s)} das vendas (${brl(f.ncm.monophasic_value_out)} de ${
      brl(f.ncm.total_value_out)
    }) são de produtos monofásicos: sem segregação no PGDAS-D, o PIS/COFINS dessa receita é pago em duplicidade no DAS (LC 123/2006, art. 18, §4º-A).`,
    evidence: {
      monophasic_value_out: money(f.ncm.monophasic_value_out),
      total_value_out: money(f.ncm.total_value_out),
      ncm_period_from: f.ncm.period_from,
      ncm_period_to: f.ncm.period_to,
      by_group: f.ncm.by_group,
    },
  });
}

function credits(f: Facts, regime: RegimeClass): ScoreComponent {
  const c = config.components.creditos;
  if (!c.applies_to.includes(regime)) {
    return unavailable(
      'creditos',
      regime === 'unknown'
        ? 'Regime tributário não informado: não é possível saber quais créditos existem.'
        : 'No Simples Nacional a empresa não aproveita créditos (LC 123/2006, art. 23).',
      false,
    );
  }
  if (f.credits.months.length === 0) {
    return unavailable('creditos', 'Sem notas de compra analisadas na janela (rode a análise de créditos).');
  }
  const families: TaxFamily[] = regime === 'lucro_real' ? ['icms', 'pis_cofins'] : ['icms'];
  let found: Cents = 0n;
  let taken: Cents = 0n;
  const used: string[] = [];
  const skipped: string[] = [];
  for (const fam of families) {
    const t = f.taken[fam];
    if (t.taken === null) {
      skipped.push(t.explanation);
      continue;
    }
    found += t.found;
    taken += minC(t.taken, t.found);
    used.push(
      `${fam === 'icms' ? 'ICMS' : 'PIS/COFINS'}: encontrados ${brl(t.found)}, aproveitados (estimado) ${
        brl(t.taken)
      }. ${t.explanation}`,
    );
  }
  const evidence = {
    icms: takenEvidence(f, 'icms'),
    pis_cofins: families.includes('pis_cofins') ? takenEvidence(f, 'pis_cofins') : null,
  };
  if (used.length === 0) {
    return unavailable('creditos', skipped.join(' '), true, evidence);
  }
  if (found === 0n) {
    return comp('creditos', {
      applicable: true,
      available: true,
      value: 1,
      score: 100,
      explanation: `Nenhum crédito encontrado nas compras analisadas: nada deixado de aproveitar. ${
        used.join(' ')
      }`,
      evidence,
    });
  }
  const x = ratio(taken, found);
  return comp('creditos', {
    applicable: true,
    available: true,
    value: x,
    score: round2(x * 100),
    explanation: `Aproveitamento estimado de ${pctNum(x)} dos créditos encontrados. ${used.join(' ')}${
      skipped.length ? ` ${skipped.join(' ')}` : ''
    }`,
    evidence,
  });
}

function takenEvidence(f: Facts, fam: TaxFamily): Record<string, unknown> {
  const t = f.taken[fam];
  return {
    months: t.months,
    found: money(t.found),
    debits: money(t.debits),
    paid: money(t.paid),
    payment_entries: t.payment_entries,
    taken: t.taken === null ? null : money(t.taken),
  };
}

export function computeTaxScore(f: Facts, regime: ResolvedRegime): TaxScoreResult {
  const r = regime.regime;
  const comps = [burden(f, r), margin(f), trend(f), monophasic(f, r), credits(f, r)];
  const avail = comps.filter((c) => c.available);
  const wsum = avail.reduce((t, c) => t + c.weight, 0);
  let score: number | null = null;
  if (wsum > 0) {
    for (const c of avail) c.effective_weight = round2((c.weight / wsum) * 100);
    score = round2(avail.reduce((t, c) => t + c.weight * (c.score ?? 0), 0) / wsum);
  }
  const status = score === null ? 'insufficient_data' : 'ok';
  const explanation = score === null
    ? `Dados insuficientes para a nota tributária de ${f.period.from} a ${f.period.to}: ${
      comps.map((c) => `${c.label}: ${c.explanation}`).join(' ')
    }`
    : `Nota ${
      score.toFixed(2).replace('.', ',')
    } de 100 (${regime.label}, ${f.period.from} a ${f.period.to}) = média ponderada de ${
      avail.map((c) =>
        `${c.label} ${String(c.score).replace('.', ',')} × ${String(c.effective_weight).replace('.', ',')}%`
      ).join(' + ')
    }.${
      comps.some((c) => !c.available)
        ? ` Fora do cálculo: ${comps.filter((c) => !c.available).map((c) => c.label).join(', ')}.`
        : ''
    }`;
  return {
    rules_version: SCORE_RULES_VERSION,
    status,
    score,
    regime,
    components: comps,
    explanation,
    inputs: {
      period_from: f.period.from,
      period_to: f.period.to,
      regime: r,
      dre_months_with_data: f.dre.months_with_data,
      receita_bruta: money(f.dre.receita_bruta),
      resultado_liquido: money(f.dre.resultado_liquido),
      credit_months: f.credits.months,
      credits_found: {
        pis: money(f.credits.pis),
        cofins: money(f.credits.cofins),
        icms: money(f.credits.icms),
      },
      ncm_available: f.ncm.available,
    },
  };
}

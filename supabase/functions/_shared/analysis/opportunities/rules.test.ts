/**
 * Opportunity matching on generated facts. Expected values computed by hand from the catalogue
 * (data/opportunities.json) and the estimator formulas in rules.ts's header.
 */
import assert from 'node:assert/strict';
import { buildFacts, type CreditMonthRow, type DreRow, type FactsInput } from '../common/facts.ts';
import { addMonths } from '../common/period.ts';
import { resolveRegime } from '../common/regime.ts';
import { type CatalogueEntry, evaluateCondition, matchOpportunities, type StRow } from './rules.ts';

const WINDOW = { from: '2025-11', to: '2026-10' };

function dreMonths(first: string, n: number, lines: Record<string, string>): DreRow[] {
  const out: DreRow[] = [];
  for (let i = 0; i < n; i++) {
    for (const [line, amount] of Object.entries(lines)) {
      out.push({ period: `${addMonths(first, i)}-01`, line, amount });
    }
  }
  return out;
}

function creditRow(m: string, o: Partial<CreditMonthRow>): CreditMonthRow {
  return {
    period: `${m}-01`,
    pis_credit: '0.00',
    cofins_credit: '0.00',
    icms_credit: '0.00',
    potential_pis_credit: '0.00',
    potential_cofins_credit: '0.00',
    potential_icms_credit: '0.00',
    st_charged: '0.00',
    st_retained: '0.00',
    purchases_value: '0.00',
    ...o,
  };
}

function empty(): FactsInput {
  return { period: WINDOW, dre: [], credits: [], ncm: null, sales: [], payments: [] };
}

Deno.test('opportunities: Simples Nacional pharmacy → monophasic segregation (hand-computed)', () => {
  const input = empty();
  // 10 months × 100,000 → RBT12 = 1,000,000 × 12 / 10 = 1,200,000 → bracket 4 (10,70%, R$ 22.500)
  input.dre = dreMonths('2026-01', 10, { receita_bruta: '100000.00', deducoes: '8000.00' });
  input.ncm = {
    rows: 10,
    monophasic_value_out: '120000.00',
    total_value_out: '400000.00',
    monophasic_value_in: '80000.00',
    period_from: '2025-11-01',
    period_to: '2026-10-01',
    by_group: { pharma: '100000.00', toiletries: '20000.00' },
  };
  const r = matchOpportunities({
    regime: resolveRegime({ tax_regime: 'simples_nacional', crt: 1 }),
    cnae: '4771701',
    facts: buildFacts(input),
    st: [],
  });
  assert.deepEqual(r.matches.map((m) => m.opportunity_id), ['simples_monofasico_pgdas']);
  const m = r.matches[0];
  // effective = (1,200,000 × 10,7% − 22,500) / 1,200,000 = 105,900 / 1,200,000 = 8,825%
  // value = 120,000 × 8,825% × 15,50% = 10,590 × 0,155 = 1,641.45
  assert.equal(m.estimated_value, '1641.45');
  assert.equal(m.value_basis, 'period');
  assert.equal(m.confidence, 'media');
  assert.equal(m.rule, 'simples_monofasico_pgdas@2026.11.1');
  assert.equal(m.period_from, '2025-11');
  assert.equal(m.evidence.rbt12, '1200000.00');
  assert.equal(m.evidence.bracket, 4);
  assert.equal(m.evidence.annualized_estimate, '1641.45');
  assert.match(m.explanation, /PGDAS-D/);
  assert.match(m.legal_basis, /LC 123\/2006, art\. 18, §4º-A/);
  const ev = Object.fromEntries(r.evaluated.map((e) => [e.opportunity_id, e]));
  assert.equal(ev.lucro_real_pis_cofins_nao_aproveitados.matched, false);
  assert.match(ev.lucro_real_pis_cofins_nao_aproveitados.reason, /profile\.regime in/);
  assert.match(ev.icms_st_restituicao.reason, /st\.ncm_units_compared/);
});

function lucroRealFacts(): FactsInput {
  const base = {
    deducoes: '-10000.00',
    custos: '60000.00',
    despesas_operacionais: '20000.00',
    resultado_financeiro: '-1000.00',
    impostos_sobre_lucro: '3000.00',
  };
  return {
    period: WINDOW,
    dre: [
      ...dreMonths('2025-11', 6, { receita_bruta: '100000.00', ...base }),
      ...dreMonths('2026-05', 6, { receita_bruta: '110000.00', ...base }),
      { period: '2026-03-01', line: 'outras_receitas_despesas', amount: '5000.00' },
    ],
    credits: ['2026-08', '2026-09', '2026-10'].map((m) =>
      creditRow(m, {
        icms_credit: '1000.00',
        pis_credit: '100.00',
        cofins_credit: '460.00',
        potential_pis_credit: '100.00',
        potential_cofins_credit: '460.00',
        potential_icms_credit: '1000.00',
      })
    ),
    ncm: null,
    sales: ['2026-08', '2026-09', '2026-10'].map((m) => ({
      month: m,
      notes: 10,
      icms: '10000.00',
      pis: '1650.00',
      cofins: '7600.00',
      value: '110000.00',
    })),
    payments: ['2026-08', '2026-09', '2026-10'].flatMap((m) => [
      { month: m, category_name: 'ICMS a recolher', amount: '8000.00', entries: 1 },
      { month: m, category_name: 'PIS/COFINS a recolher', amount: '8900.00', entries: 1 },
    ]),
  };
}

const ST: StRow[] = [
  // 100 CX bought with ST base 5,000 (ST + own ICMS 900); 80 sold for 3,200.
  // q = 80; presumed 5,000 × 80/100 = 4,000; actual 3,200; gap 800; × 900/5,000 = 144.00
  {
    ncm: '30049099',
    unit: 'CX',
    qty: '100.0000',
    st_base: '5000.00',
    st_tax: '900.00',
    items: 3,
    sold_qty: '80.0000',
    sold_value: '3200.00',
    sold_items: 20,
  },
  // sold above the presumed base (150 for 10 vs 100): no refund, counted as "above"
  {
    ncm: '22021000',
    unit: 'UN',
    qty: '10',
    st_base: '100.00',
    st_tax: '18.00',
    items: 1,
    sold_qty: '20',
    sold_value: '300.00',
    sold_items: 5,
  },
];

Deno.test('opportunities: Lucro Real → unused PIS/COFINS, ICMS-ST refund, Presumido comparison (hand-computed)', () => {
  const r = matchOpportunities({
    regime: resolveRegime({ tax_regime: 'lucro_real', crt: 3 }),
    cnae: '4751201',
    facts: buildFacts(lucroRealFacts()),
    st: ST,
  });
  const by = Object.fromEntries(r.matches.map((m) => [m.opportunity_id, m]));
  assert.deepEqual(Object.keys(by), [
    'lucro_real_pis_cofins_nao_aproveitados',
    'icms_st_restituicao',
    'comparativo_presumido_real',
  ]);
  // PIS/COFINS: found 3 × 560 = 1,680; taken = 27,750 − 26,700 = 1,050 → 630.00
  assert.equal(by.lucro_real_pis_cofins_nao_aproveitados.estimated_value, '630.00');
  assert.equal(by.lucro_real_pis_cofins_nao_aproveitados.confidence, 'media');
  assert.deepEqual([
    by.lucro_real_pis_cofins_nao_aproveitados.period_from,
    by.lucro_real_pis_cofins_nao_aproveitados.period_to,
  ], ['2026-08', '2026-10']);
  // ICMS: found 3,000, taken 6,000 → nothing left
  const icms = r.evaluated.find((e) => e.opportunity_id === 'icms_creditos_nao_aproveitados')!;
  assert.equal(icms.matched, false);
  assert.match(icms.reason, /já aproveitados/);
  assert.equal(by.icms_st_restituicao.estimated_value, '144.00');
  assert.equal(by.icms_st_restituicao.confidence, 'baixa');
  assert.equal((by.icms_st_restituicao.evidence.pairs as unknown[]).length, 1);
  assert.equal(by.icms_st_restituicao.evidence.pairs_above_base, 1);
  // Presumido: PIS/COFINS 45,990 + IRPJ 15% × 100,800 = 15,120 + CSLL 9% × 151,200 = 13,608 → 74,718
  // Real: PIS/COFINS 116,550 − 6,720 = 109,830 + IRPJ 25,950 + CSLL 15,570 → 151,350; saving 76,632.00
  const cmp = by.comparativo_presumido_real;
  assert.equal(cmp.estimated_value, '76632.00');
  assert.equal(cmp.value_basis, 'annual');
  assert.equal(cmp.confidence, 'media');
  assert.deepEqual(cmp.evidence.presumido, {
    irpj: '15120.00',
    csll: '13608.00',
    pis_cofins: '45990.00',
    total: '74718.00',
  });
  assert.deepEqual(cmp.evidence.real, {
    profit: '173000.00',
    irpj: '25950.00',
    csll: '15570.00',
    pis_cofins: '109830.00',
    pis_cofins_credits_year: '6720.00',
    total: '151350.00',
  });
  assert.match(cmp.explanation, /Lucro Presumido parece R\$ 76\.632,00 por ano mais barato/);
  for (const m of r.matches) {
    assert.equal(m.catalogue_version, '2026.11.1');
    assert.ok(Array.isArray(m.evidence.conditions));
  }
});

Deno.test('opportunities: Lucro Presumido with a thin margin → Lucro Real comparison (hand-computed)', () => {
  const input = empty();
  input.dre = dreMonths('2025-11', 12, {
    receita_bruta: '100000.00',
    deducoes: '12500.00',
    custos: '75000.00',
    despesas_operacionais: '10833.33',
  });
  // result before IR = 12 × (100,000 − 12,500 − 75,000 − 10,833.33) = 12 × 1,666.67 = 20,000.04
  input.credits = ['2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10'].map((m) =>
    creditRow(m, { potential_pis_credit: '1650.00', potential_cofins_credit: '7600.00' })
  );
  const r = matchOpportunities({
    regime: resolveRegime({ tax_regime: 'lucro_presumido', crt: 3 }),
    cnae: '4711302',
    facts: buildFacts(input),
    st: [],
  });
  assert.deepEqual(r.matches.map((m) => m.opportunity_id), ['comparativo_presumido_real']);
  const m = r.matches[0];
  // Presumido: 43,800 + 14,400 + 12,960 = 71,160.00
  // Real: credits/yr 55,500 × 12/6 = 111,000; PIS/COFINS max(111,000 − 111,000, 0) = 0;
  //   profit 20,000.04 + 43,800 − 0 = 63,800.04; IRPJ 9,570.01 (9,570.006); CSLL 5,742.00 (5,742.0036) → 15,312.01
  //   saving 71,160.00 − 15,312.01 = 55,847.99
  assert.deepEqual(m.evidence.presumido, {
    irpj: '14400.00',
    csll: '12960.00',
    pis_cofins: '43800.00',
    total: '71160.00',
  });
  assert.equal((m.evidence.real as Record<string, string>).total, '15312.01');
  assert.equal(m.estimated_value, '55847.99');
  assert.match(m.explanation, /Lucro Real parece/);
});

Deno.test('opportunities: regime not known → nothing that depends on the regime matches', () => {
  const r = matchOpportunities({
    regime: resolveRegime(null),
    cnae: null,
    facts: buildFacts(lucroRealFacts()),
    st: [],
  });
  assert.deepEqual(r.matches, []);
  assert.equal(r.facts['profile.regime'], 'unknown');
  for (const e of r.evaluated) assert.equal(e.matched, false);
  assert.match(
    r.evaluated.find((e) => e.opportunity_id === 'comparativo_presumido_real')!.reason,
    /"unknown"/,
  );
});

Deno.test('opportunities: a company with no data', () => {
  const r = matchOpportunities({
    regime: resolveRegime({ tax_regime: 'lucro_real', crt: 3 }),
    cnae: null,
    facts: buildFacts(empty()),
    st: [],
  });
  assert.deepEqual(r.matches, []);
  assert.deepEqual(r.evaluated.map((e) => e.matched), [false, false, false, false, false]);
});

Deno.test('opportunities: unused credits with no way to estimate what was taken → low confidence, full value', () => {
  const input = lucroRealFacts();
  input.payments = [];
  const r = matchOpportunities({
    regime: resolveRegime({ tax_regime: 'lucro_presumido', crt: 3 }),
    cnae: '4751201',
    facts: buildFacts(input),
    st: [],
  });
  const icms = r.matches.find((m) => m.opportunity_id === 'icms_creditos_nao_aproveitados')!;
  assert.equal(icms.estimated_value, '3000.00');
  assert.equal(icms.confidence, 'baixa');
});

Deno.test('opportunities: condition operators', () => {
  const facts = { a: '10.00', b: 3, c: 'x', d: true };
  const t = (c: CatalogueEntry['conditions'][number]) => evaluateCondition(facts, c);
  assert.equal(t({ fact: 'a', op: '>', value: '9.99' }), true);
  assert.equal(t({ fact: 'a', op: '>', value: '10.00' }), false);
  assert.equal(t({ fact: 'a', op: '>=', value: '10' }), true);
  assert.equal(t({ fact: 'b', op: '<', value: 4 }), true);
  assert.equal(t({ fact: 'b', op: '<=', value: 2 }), false);
  assert.equal(t({ fact: 'c', op: 'in', value: ['x', 'y'] }), true);
  assert.equal(t({ fact: 'c', op: 'not_in', value: ['x'] }), false);
  assert.equal(t({ fact: 'd', op: '==', value: true }), true);
  assert.equal(t({ fact: 'd', op: '!=', value: true }), false);
  assert.equal(t({ fact: 'missing', op: '>', value: 0 }), false);
  assert.equal(t({ fact: 'a', op: '>', value: 1 }), false); // money vs number: never compared loosely
});

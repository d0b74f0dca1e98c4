/**
 * Tax score on generated facts. Expected values computed by hand from the rules (score/rules.ts header and
 * data/tax-score.json weights: carga 25, margem 20, tendência 15, monofásica 15, créditos 25).
 */
import assert from 'node:assert/strict';
import {
  buildFacts,
  classifyTaxPayment,
  type CreditMonthRow,
  type DreRow,
  type FactsInput,
  type PaymentRow,
  type SalesDebitRow,
} from '../common/facts.ts';
import { addMonths } from '../common/period.ts';
import { resolveRegime } from '../common/regime.ts';
import { computeTaxScore, lin } from './rules.ts';

const WINDOW = { from: '2025-11', to: '2026-10' };

function dreMonths(first: string, n: number, lines: Record<string, string>): DreRow[] {
  const out: DreRow[] = [];
  for (let i = 0; i < n; i++) {
    const m = addMonths(first, i);
    for (const [line, amount] of Object.entries(lines)) out.push({ period: `${m}-01`, line, amount });
  }
  return out;
}

function creditRow(m: string, icms: string, pis: string, cofins: string): CreditMonthRow {
  return {
    period: new Date(`${m}-01T00:00:00Z`),
    pis_credit: pis,
    cofins_credit: cofins,
    icms_credit: icms,
    potential_pis_credit: pis,
    potential_cofins_credit: cofins,
    potential_icms_credit: icms,
    st_charged: '0.00',
    st_retained: '0.00',
    purchases_value: '10000.00',
  };
}

function lucroRealInput(): FactsInput {
  const base = {
    deducoes: '-10000.00',
    custos: '60000.00',
    despesas_operacionais: '20000.00',
    resultado_financeiro: '-1000.00',
    impostos_sobre_lucro: '3000.00',
  };
  const dre = [
    ...dreMonths('2025-11', 6, { receita_bruta: '100000.00', ...base }),
    ...dreMonths('2026-05', 6, { receita_bruta: '110000.00', ...base }),
    { period: '2026-03-01', line: 'outras_receitas_despesas', amount: '5000.00' },
    { period: '2026-04-01', line: 'nao_classificado', amount: '2000.00' },
    // outside the window: ignored
    { period: '2025-10-01', line: 'receita_bruta', amount: '999999.00' },
  ];
  const credits = ['2026-08', '2026-09', '2026-10'].map((m) => creditRow(m, '1000.00', '100.00', '460.00'));
  const sales: SalesDebitRow[] = ['2026-08', '2026-09', '2026-10'].map((m) => ({
    month: m,
    notes: 10,
    icms: '10000.00',
    pis: '1650.00',
    cofins: '7600.00',
    value: '110000.00',
  }));
  const payments: PaymentRow[] = [
    ...['2026-08', '2026-09', '2026-10'].flatMap((m) => [
      { month: m, category_name: 'ICMS a recolher', amount: '8000.00', entries: 1 },
      { month: m, category_name: 'PIS/COFINS a recolher', amount: '8900.00', entries: 2 },
    ]),
    { month: '2026-09', category_name: 'ICMS ST a recolher', amount: '999.00', entries: 1 }, // not own ICMS
    { month: '2026-07', category_name: 'ICMS a recolher', amount: '8000.00', entries: 1 }, // no purchases analysed that month
    { month: '2026-07', category_name: 'Aluguel', amount: '5000.00', entries: 1 },
  ];
  return { period: WINDOW, dre, credits, ncm: null, sales, payments };
}

Deno.test('facts: DRE magnitudes, credits found and credits taken (hand-computed)', () => {
  const f = buildFacts(lucroRealInput());
  // R = 6 × 100,000 + 6 × 110,000
  assert.equal(f.dre.receita_bruta, 126_000_000n);
  assert.equal(f.dre.deducoes, 12_000_000n);
  // 1,260,000 − 120,000 − 720,000 − 240,000 − 12,000 + 5,000 = 173,000; − 36,000 = 137,000
  assert.equal(f.dre.resultado_antes_ir, 17_300_000n);
  assert.equal(f.dre.resultado_liquido, 13_700_000n);
  assert.equal(f.dre.nao_classificado, 200_000n);
  assert.equal(f.dre.months_with_data, 12);
  assert.deepEqual(f.credits.months, ['2026-08', '2026-09', '2026-10']);
  assert.equal(f.credits.icms, 300_000n);
  // ICMS: debits 30,000 − paid 24,000 = 6,000 taken
  assert.equal(f.taken.icms.debits, 3_000_000n);
  assert.equal(f.taken.icms.paid, 2_400_000n);
  assert.equal(f.taken.icms.taken, 600_000n);
  // PIS/COFINS: debits 3 × 9,250 = 27,750 − paid 26,700 = 1,050; found 3 × 560 = 1,680
  assert.equal(f.taken.pis_cofins.found, 168_000n);
  assert.equal(f.taken.pis_cofins.taken, 105_000n);
  assert.equal(f.payments.icms, 3_200_000n); // includes July
});

Deno.test('score: Lucro Real (hand-computed components and weighted score)', () => {
  const r = computeTaxScore(
    buildFacts(lucroRealInput()),
    resolveRegime({ tax_regime: 'lucro_real', crt: 3 }),
  );
  const by = Object.fromEntries(r.components.map((c) => [c.id, c]));
  // carga: 156,000 / 1,260,000 = 12.38%; (12.38 − 20) / (9 − 20) → 69.26
  assert.equal(by.carga_tributaria.score, 69.26);
  // margem: 137,000 / 1,260,000 = 10.87%; / 15% → 72.49
  assert.equal(by.margem.score, 72.49);
  // tendência: +10% → (10 + 20) / 40 → 75
  assert.equal(by.tendencia_receita.score, 75);
  assert.equal(by.receita_monofasica.applicable, false);
  // créditos: (min(6,000, 3,000) + min(1,050, 1,680)) / (3,000 + 1,680) = 4,050 / 4,680 = 86.54%
  assert.equal(by.creditos.score, 86.54);
  // (25 × 69.26 + 20 × 72.49 + 15 × 75 + 25 × 86.54) / 85 = 6,469.8 / 85 = 76.12
  assert.equal(r.score, 76.12);
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.components.map((c) => c.effective_weight), [29.41, 23.53, 17.65, 0, 29.41]);
  assert.deepEqual(r.components.map((c) => c.weight), [25, 20, 15, 15, 25]);
  for (const c of r.components) assert.ok(c.explanation.length > 10);
  assert.match(r.explanation, /Nota 76,12 de 100/);
});

function simplesInput(withNcm: boolean): FactsInput {
  return {
    period: WINDOW,
    dre: dreMonths('2026-05', 6, {
      receita_bruta: '50000.00',
      deducoes: '3000.00',
      custos: '30000.00',
      despesas_operacionais: '10000.00',
    }),
    credits: [],
    ncm: withNcm
      ? {
        rows: 4,
        monophasic_value_out: '30000.00',
        total_value_out: '120000.00',
        monophasic_value_in: '10000.00',
        period_from: '2025-11-01',
        period_to: '2026-10-01',
        by_group: { pharma: '30000.00' },
      }
      : null,
    sales: [],
    payments: [],
  };
}

Deno.test('score: Simples Nacional with monophasic sales', () => {
  const r = computeTaxScore(
    buildFacts(simplesInput(true)),
    resolveRegime({ tax_regime: 'simples_nacional', crt: 1 }),
  );
  const by = Object.fromEntries(r.components.map((c) => [c.id, c]));
  assert.equal(by.carga_tributaria.score, 100); // 6% at full_at 6%
  assert.equal(by.margem.score, 93.33); // 42,000 / 300,000 = 14%
  assert.equal(by.tendencia_receita.score, 50); // 3 vs 3 months, flat
  assert.equal(by.receita_monofasica.score, 75); // 25% monophasic
  assert.equal(by.creditos.applicable, false);
  // (2,500 + 20 × 93.33 + 750 + 1,125) / 75 = 6,241.6 / 75 = 83.22
  assert.equal(r.score, 83.22);
});

Deno.test('score: regime not known → credits and monophasic components left out, weights rescaled', () => {
  const r = computeTaxScore(buildFacts(simplesInput(false)), resolveRegime(null));
  const by = Object.fromEntries(r.components.map((c) => [c.id, c]));
  assert.equal(by.carga_tributaria.score, 100); // unknown: full_at 6%
  assert.equal(by.creditos.available, false);
  assert.match(by.creditos.explanation, /Regime tributário não informado/);
  // (2,500 + 1,866.6 + 750) / 60 = 85.28
  assert.equal(r.score, 85.28);
  assert.deepEqual(r.components.map((c) => c.effective_weight), [41.67, 33.33, 25, 0, 0]);
});

Deno.test('score: a company with no data', () => {
  const r = computeTaxScore(
    buildFacts({ period: WINDOW, dre: [], credits: [], ncm: null, sales: [], payments: [] }),
    resolveRegime({ tax_regime: 'lucro_real', crt: 3 }),
  );
  assert.equal(r.status, 'insufficient_data');
  assert.equal(r.score, null);
  assert.ok(r.components.every((c) => !c.available && c.effective_weight === 0));
  assert.match(r.explanation, /Dados insuficientes/);
});

Deno.test('score: credits taken not estimable for PIS/COFINS (no payments booked) → ICMS only', () => {
  const input = lucroRealInput();
  input.payments = input.payments.filter((p) => !/PIS/.test(p.category_name ?? ''));
  const r = computeTaxScore(buildFacts(input), resolveRegime({ tax_regime: 'lucro_real', crt: 3 }));
  const c = r.components.find((x) => x.id === 'creditos')!;
  assert.equal(c.score, 100); // min(6,000, 3,000) / 3,000
  assert.match(c.explanation, /nenhum pagamento de PIS\/COFINS/);
});

Deno.test('score: helpers', () => {
  assert.equal(lin(12, 20, 9), 72.73);
  assert.equal(lin(25, 20, 9), 0);
  assert.equal(lin(5, 20, 9), 100);
  assert.equal(classifyTaxPayment('DAS - Simples Nacional'), 'das');
  assert.equal(classifyTaxPayment('PIS/COFINS a recolher'), 'pis_cofins');
  assert.equal(classifyTaxPayment('ICMS a recolher'), 'icms');
  assert.equal(classifyTaxPayment('ICMS-ST a recolher'), null);
  assert.equal(classifyTaxPayment('DIFAL ICMS'), null);
  assert.equal(classifyTaxPayment('Aluguel'), null);
  assert.equal(classifyTaxPayment(null), null);
});

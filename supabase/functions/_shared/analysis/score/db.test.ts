/**
 * calculate-tax-score against the real database (TEST stack; skipped when down). The data are the Lucro Real
 * example of rules.test.ts, stored in the tables the score reads; the hand-computed score is 76.12.
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../../tests/helpers.ts';
import { connect, type Sql } from '../../db/client.ts';
import { addMonths } from '../common/period.ts';
import {
  createCompany,
  deleteCompany,
  insertDre,
  insertNote,
  insertPayables,
  type TestCompany,
} from '../testing/db.ts';
import { runTaxScore } from './mod.ts';

const WINDOW = { period_from: '2025-11', period_to: '2026-10' };
const CREDIT_MONTHS = ['2026-08', '2026-09', '2026-10'];

async function seed(sql: Sql, c: TestCompany) {
  const rows: Array<{ period: string; line: string; amount: string }> = [];
  for (let i = 0; i < 12; i++) {
    const m = addMonths('2025-11', i);
    const p = `${m}-01`;
    rows.push(
      { period: p, line: 'receita_bruta', amount: i < 6 ? '100000.00' : '110000.00' },
      { period: p, line: 'deducoes', amount: '-10000.00' },
      { period: p, line: 'custos', amount: '60000.00' },
      { period: p, line: 'despesas_operacionais', amount: '20000.00' },
      { period: p, line: 'resultado_financeiro', amount: '-1000.00' },
      { period: p, line: 'impostos_sobre_lucro', amount: '3000.00' },
    );
  }
  rows.push({ period: '2026-03-01', line: 'outras_receitas_despesas', amount: '5000.00' });
  await insertDre(sql, c.id, rows);
  for (const m of CREDIT_MONTHS) {
    await sql`insert into public.company_credit_analysis
      (company_id, period, tax_regime, regime_source, icms_credit, pis_credit, cofins_credit, rules_version)
      values (${c.id}, ${m + '-01'}, 'lucro_real', 'tax_regime', '1000.00', '100.00', '460.00', 'test')`;
    await insertNote(sql, c.id, {
      issued_at_local: `${m}-10T10:00:00-03:00`,
      direction: 'saida',
      issuer_doc: c.cnpj,
      total_icms: '10000.00',
      total_pis: '1650.00',
      total_cofins: '7600.00',
    }, [{ total_value: '110000.00' }]);
  }
  // A cancelled sale and a supplier's note must not count as the company's debits.
  await insertNote(sql, c.id, {
    issued_at_local: '2026-09-11T10:00:00-03:00',
    direction: 'saida',
    issuer_doc: c.cnpj,
    status: 'cancelled',
    total_icms: '99999.00',
  }, [
    { total_value: '1.00' },
  ]);
  await insertNote(sql, c.id, {
    issued_at_local: '2026-09-12T10:00:00-03:00',
    direction: 'entrada',
    issuer_doc: '11111111000191',
    total_icms: '88888.00',
  }, [
    { total_value: '1.00' },
  ]);
  await insertPayables(sql, c, [
    ...CREDIT_MONTHS.flatMap((m) => [
      { entry_date: `${m}-20`, amount: '8000.00', category_name: 'ICMS a recolher' },
      { entry_date: `${m}-20`, amount: '8900.00', category_name: 'PIS/COFINS a recolher' },
    ]),
    { entry_date: '2026-09-21', amount: '777.00', category_name: 'ICMS a recolher', status: 'cancelled' },
  ]);
}

stackTest(
  'calculate-tax-score (db): Lucro Real score 76.12 with components and weights, re-run replaces',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    try {
      await seed(sql, c);
      const req = { company_id: c.id, connection_id: c.connectionId, log_id: c.logId, ...WINDOW };
      const r = await runTaxScore(sql, req);
      assert.equal(r.score, 76.12);
      assert.equal(r.score_status, 'ok');
      assert.deepEqual(r.components.map((x) => [x.id, x.weight, x.effective_weight, x.score]), [
        ['carga_tributaria', 25, 29.41, 69.26],
        ['margem', 20, 23.53, 72.49],
        ['tendencia_receita', 15, 17.65, 75],
        ['receita_monofasica', 15, 0, null],
        ['creditos', 25, 29.41, 86.54],
      ]);
      await runTaxScore(sql, req);
      const rows = await sql<
        {
          score: string;
          status: string;
          components: Array<{ id: string; evidence: Record<string, unknown> }>;
          period_from: Date;
          explanation: string;
        }[]
      >`
      select score, status, components, period_from, explanation from public.company_tax_scores where company_id = ${c.id}`;
      assert.equal(rows.length, 1);
      assert.equal(rows[0].score, '76.12');
      assert.equal(rows[0].period_from.toISOString().slice(0, 10), '2025-11-01');
      const credits = rows[0].components.find((x) => x.id === 'creditos')!;
      assert.deepEqual((credits.evidence.icms as Record<string, unknown>).debits, '30000.00');
      assert.deepEqual((credits.evidence.icms as Record<string, unknown>).paid, '24000.00');
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);

stackTest(
  'calculate-tax-score (db): no data → insufficient_data; regime not known → fewer components',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real' });
    const u = await createCompany(sql, { regime: null });
    try {
      const r = await runTaxScore(sql, { company_id: c.id, ...WINDOW });
      assert.deepEqual([r.status, r.score_status, r.score], ['no_data', 'insufficient_data', null]);
      const [row] = await sql<
        { score: string | null; status: string }[]
      >`select score, status from public.company_tax_scores where company_id = ${c.id}`;
      assert.deepEqual([row.score, row.status], [null, 'insufficient_data']);

      await seed(sql, u);
      const k = await runTaxScore(sql, { company_id: u.id, ...WINDOW });
      // carga (unknown: 6% → 100, 20% → 0): 12.38% → (20 − 12.38) / 14 = 54.42; margem 72.49; tendência 75
      // (25 × 54.42 + 20 × 72.49 + 15 × 75) / 60 = (1,360.5 + 1,449.8 + 1,125) / 60 = 65.59
      assert.deepEqual(k.components.map((x) => [x.id, x.score]), [
        ['carga_tributaria', 54.42],
        ['margem', 72.49],
        ['tendencia_receita', 75],
        ['receita_monofasica', null],
        ['creditos', null],
      ]);
      assert.equal(k.score, 65.59);
      assert.equal(k.regime, 'unknown');
    } finally {
      await deleteCompany(sql, c.id);
      await deleteCompany(sql, u.id);
      await sql.end();
    }
  },
);

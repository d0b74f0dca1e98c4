/**
 * match-opportunities against the real database (TEST stack; skipped when down), fed by the real NCM analysis:
 * a Simples Nacional pharmacy with monophasic sales and a product bought with ICMS-ST and sold below its presumed
 * base. Values are the hand-computed ones of rules.test.ts (1,641.45 and 144.00).
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../../tests/helpers.ts';
import { connect } from '../../db/client.ts';
import { addMonths } from '../common/period.ts';
import { runNcmAnalysis } from '../ncm/mod.ts';
import { createCompany, deleteCompany, insertDre, insertNote } from '../testing/db.ts';
import { runOpportunityMatch } from './mod.ts';

const WINDOW = { period_from: '2025-11', period_to: '2026-10' };
const SUPPLIER = '11111111000191';

stackTest(
  'match-opportunities (db): Simples pharmacy → PGDAS-D segregation and ICMS-ST refund; re-run replaces',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'simples_nacional', crt: 1, cnae: '4771701' });
    try {
      // RBT12 = 10 × 100,000 × 12 / 10 = 1,200,000 (bracket 4)
      await insertDre(
        sql,
        c.id,
        Array.from(
          { length: 10 },
          (_, i) => ({ period: `${addMonths('2026-01', i)}-01`, line: 'receita_bruta', amount: '100000.00' }),
        ),
      );
      // Bought with ST: 100 CX, ST base 5,000, ST 900.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-03-02T10:00:00-03:00',
        direction: 'entrada',
        issuer_doc: SUPPLIER,
      }, [
        {
          ncm: '30049099',
          unit: 'CX',
          quantity: '100',
          cfop: '5401',
          total_value: '3000.00',
          icms_group: 'ICMS10',
          icms_cst: '10',
          icms_value: '0',
          icms_st_base: '5000.00',
          icms_st_value: '900.00',
          pis_cst: '04',
          cofins_cst: '04',
        },
      ]);
      // Sales: monophasic 3,200 + 116,800 = 120,000; other 280,000.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-04-02T10:00:00-03:00',
        direction: 'saida',
        issuer_doc: c.cnpj,
      }, [
        { ncm: '30049099', unit: 'cx', quantity: '80', total_value: '3200.00' },
        { ncm: '33051000', unit: 'UN', quantity: '1000', total_value: '116800.00' },
        { ncm: '84713012', unit: 'UN', quantity: '100', total_value: '280000.00' },
      ]);
      // Cancelled sale: must change nothing.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-04-03T10:00:00-03:00',
        direction: 'saida',
        issuer_doc: c.cnpj,
        status: 'cancelled',
      }, [
        { ncm: '30049099', unit: 'CX', quantity: '1000', total_value: '50000.00' },
      ]);
      await runNcmAnalysis(sql, { company_id: c.id, ...WINDOW });

      const req = { company_id: c.id, connection_id: c.connectionId, log_id: c.logId, ...WINDOW };
      const r = await runOpportunityMatch(sql, req);
      assert.deepEqual(r.matches.map((m) => [m.opportunity_id, m.estimated_value, m.confidence]), [
        ['simples_monofasico_pgdas', '1641.45', 'media'],
        ['icms_st_restituicao', '144.00', 'baixa'],
      ]);
      assert.equal(r.total_estimated_value, '1785.45');
      await runOpportunityMatch(sql, req);
      const rows = await sql<
        {
          opportunity_id: string;
          rule: string;
          evidence: Record<string, unknown>;
          legal_basis: string;
          value_basis: string;
          period_from: Date | null;
        }[]
      >`
      select opportunity_id, rule, evidence, legal_basis, value_basis, period_from from public.company_opportunities
      where company_id = ${c.id} order by opportunity_id`;
      assert.deepEqual(rows.map((x) => [x.opportunity_id, x.rule, x.value_basis]), [
        ['icms_st_restituicao', 'icms_st_restituicao@2026.11.1', 'period'],
        ['simples_monofasico_pgdas', 'simples_monofasico_pgdas@2026.11.1', 'period'],
      ]);
      assert.equal(rows[1].evidence.rbt12, '1200000.00');
      assert.equal(rows[1].period_from?.toISOString().slice(0, 10), '2025-11-01');
      const [run] = await sql<{ summary: { matched: number } }[]>`
      select summary from public.company_analysis_runs where company_id = ${c.id} and analysis = 'opportunities'`;
      assert.equal(run.summary.matched, 2);

      // The profile changes to Lucro Presumido: the Simples opportunity disappears on the re-run.
      await sql`update public.company_profile set tax_regime = 'lucro_presumido', crt = 3 where company_id = ${c.id}`;
      const after = await runOpportunityMatch(sql, req);
      assert.ok(!after.matches.some((m) => m.opportunity_id === 'simples_monofasico_pgdas'));
      const [n] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.company_opportunities where company_id = ${c.id} and opportunity_id = 'simples_monofasico_pgdas'`;
      assert.equal(n.n, 0);
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);

stackTest('match-opportunities (db): no data, and a regime not known', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const c = await createCompany(sql, { regime: 'lucro_real' });
  const u = await createCompany(sql, { regime: null });
  try {
    const r = await runOpportunityMatch(sql, { company_id: c.id, ...WINDOW });
    assert.deepEqual([r.status, r.matched], ['no_data', 0]);
    await insertDre(
      sql,
      u.id,
      Array.from(
        { length: 12 },
        (_, i) => ({ period: `${addMonths('2025-11', i)}-01`, line: 'receita_bruta', amount: '100000.00' }),
      ),
    );
    const k = await runOpportunityMatch(sql, { company_id: u.id, ...WINDOW });
    assert.deepEqual([k.regime, k.matched], ['unknown', 0]);
    const [run] = await sql<{ warnings: Array<{ code: string }> }[]>`
      select warnings from public.company_analysis_runs where company_id = ${u.id} and analysis = 'opportunities'`;
    assert.deepEqual(run.warnings.map((w) => w.code), ['REGIME_UNKNOWN']);
  } finally {
    await deleteCompany(sql, c.id);
    await deleteCompany(sql, u.id);
    await sql.end();
  }
});

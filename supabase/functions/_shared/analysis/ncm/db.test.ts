/**
 * analyze-ncm-from-xmls against the real database (TEST stack; skipped when down). Own company per test, deleted
 * at the end. Expectations written from the rules (ncm/rules.ts header).
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../../tests/helpers.ts';
import { connect } from '../../db/client.ts';
import { createCompany, deleteCompany, insertNote, insertProducts } from '../testing/db.ts';
import { runNcmAnalysis } from './mod.ts';

const S1 = '11111111000191';
const OCT = { period_from: '2026-10', period_to: '2026-10' };

stackTest('analyze-ncm-from-xmls (db): rows, flags, re-run replaces the company rows', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const c = await createCompany(sql, { regime: 'simples_nacional', crt: 1 });
  try {
    await insertProducts(sql, c, [{ code: 'P1', ncm: '3004.90.69' }, { code: 'P3', ncm: '94033000' }]);
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-02T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
    }, [
      { product_code: 'A', ncm: '3004.90.99', total_value: '100.00' },
    ]);
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-03T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
    }, [
      { product_code: 'A', ncm: '30049069', total_value: '50.00' },
    ]);
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-04T10:00:00-03:00',
      direction: 'saida',
      issuer_doc: c.cnpj,
    }, [
      { product_code: 'P1', ncm: '30049099', total_value: '300.00', discount: '20.00' },
      { product_code: 'X', ncm: '999', total_value: '10.00' },
    ]);
    // cancelled and homologation notes are not counted
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-05T10:00:00-03:00',
      direction: 'saida',
      issuer_doc: c.cnpj,
      status: 'cancelled',
    }, [
      { product_code: 'P1', ncm: '30049099', total_value: '9999.00' },
    ]);
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-06T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
      environment: 2,
    }, [
      { product_code: 'Z', ncm: '84713012', total_value: '9999.00' },
    ]);

    const req = { company_id: c.id, connection_id: c.connectionId, log_id: c.logId, ...OCT };
    const r = await runNcmAnalysis(sql, req);
    assert.equal(r.status, 'success');
    assert.equal(r.totals.ncms, 4);
    // in: 100 + 50; out: 280 + 10
    assert.deepEqual([r.totals.value_in, r.totals.value_out, r.totals.monophasic_value_out], [
      '150.00',
      '290.00',
      '280.00',
    ]);
    const rows = await sql<
      {
        ncm: string;
        items_in: number;
        items_out: number;
        value_in: string;
        value_out: string;
        products: number;
        flags: Array<{ code: string }>;
        monophasic_group: string | null;
        legal_basis: string | null;
        rule_version: string;
        period_from: Date;
        log_id: string;
        explanation: string;
      }[]
    >`
      select ncm, items_in, items_out, value_in, value_out, products, flags, monophasic_group, legal_basis, rule_version,
             period_from, log_id, explanation
      from public.company_ncm_analysis where company_id = ${c.id} order by ncm`;
    assert.deepEqual(
      rows.map((x) => [
        x.ncm,
        x.items_in,
        x.items_out,
        x.value_in,
        x.value_out,
        x.products,
        x.flags.map((f) => f.code),
        x.monophasic_group,
      ]),
      [
        ['30049069', 1, 0, '50.00', '0.00', 1, ['NCM_CODE_CONFLICT', 'MONOPHASIC'], 'pharma'],
        [
          '30049099',
          1,
          1,
          '100.00',
          '280.00',
          0,
          ['NCM_CODE_CONFLICT', 'NCM_MASTER_MISMATCH', 'MONOPHASIC'],
          'pharma',
        ],
        ['94033000', 0, 0, '0.00', '0.00', 1, [], null],
        ['999', 0, 1, '0.00', '10.00', 0, ['NCM_FORMAT_INVALID'], null],
      ],
    );
    assert.match(rows[0].legal_basis!, /Lei 10\.147\/2000/);
    assert.match(rows[0].rule_version, /^ncm-.*\+monophasic-/);
    assert.equal(rows[0].period_from.toISOString().slice(0, 10), '2026-10-01');
    assert.equal(rows[0].log_id, c.logId);
    assert.ok(rows.every((x) => x.explanation.startsWith('NCM ')));

    // A product leaves the master: the re-run replaces every row of the company.
    await sql`delete from public.company_products where company_id = ${c.id} and code = 'P3'`;
    const again = await runNcmAnalysis(sql, req);
    assert.equal(again.totals.ncms, 3);
    const [n] = await sql<
      { n: number }[]
    >`select count(*)::int as n from public.company_ncm_analysis where company_id = ${c.id}`;
    assert.equal(n.n, 3);
  } finally {
    await deleteCompany(sql, c.id);
    await sql.end();
  }
});

stackTest('analyze-ncm-from-xmls (db): no data, and a regime not known changes nothing', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const c = await createCompany(sql, { regime: null });
  try {
    const r = await runNcmAnalysis(sql, { company_id: c.id, ...OCT });
    assert.equal(r.status, 'no_data');
    assert.deepEqual(r.warnings.map((w) => w.code), ['NO_DATA']);
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-02T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
    }, [
      { product_code: 'A', ncm: '22021000', total_value: '12.00' },
    ]);
    const r2 = await runNcmAnalysis(sql, { company_id: c.id, ...OCT });
    assert.deepEqual([r2.status, r2.totals.ncms, r2.totals.monophasic_value_in], ['success', 1, '12.00']);
  } finally {
    await deleteCompany(sql, c.id);
    await sql.end();
  }
});

/**
 * analyze-credits against the real database (TEST stack; skipped with a message when it is down). Each test uses
 * its own company (fresh UUID) and deletes it at the end. The October mix and its numbers are the ones computed
 * by hand in rules.test.ts (PIS 13.53, COFINS 62.32, ICMS 243.00, ST charged 30.00 / retained 15.00).
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../../tests/helpers.ts';
import { connect, type Sql } from '../../db/client.ts';
import { isAppError } from '../../errors.ts';
import {
  createCompany,
  deleteCompany,
  insertNote,
  insertPurchaseEntry,
  type TestCompany,
} from '../testing/db.ts';
import { runCreditAnalysis } from './mod.ts';

const S1 = '11111111000191';
const S2 = '22222222000191';
const OCT = { period_from: '2026-10', period_to: '2026-10' };

async function octoberMix(sql: Sql, c: TestCompany): Promise<Record<string, string>> {
  const A = await insertNote(sql, c.id, {
    issued_at_local: '2026-10-05T10:00:00-03:00',
    direction: 'entrada',
    issuer_doc: S1,
  }, [
    { total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' },
    {
      ncm: '30049099',
      cfop: '5405',
      total_value: '200.00',
      icms_group: 'ICMS60',
      icms_cst: '60',
      icms_st_value: '15.00',
      pis_cst: '04',
      cofins_cst: '04',
    },
    {
      ncm: '94033000',
      cfop: '6102',
      total_value: '500.00',
      discount: '50.00',
      icms_group: 'ICMS10',
      icms_cst: '10',
      icms_value: '54.00',
      icms_st_value: '30.00',
      pis_cst: '06',
      cofins_cst: '06',
    },
  ]);
  const B = await insertNote(sql, c.id, {
    issued_at_local: '2026-10-20T12:00:00-03:00',
    direction: 'entrada',
    issuer_doc: S2,
    issuer_crt: 1,
  }, [
    {
      ncm: '94033000',
      total_value: '300.00',
      icms_group: 'ICMSSN101',
      icms_csosn: '101',
      icms_sn_credit: '9.00',
      pis_cst: '49',
      cofins_cst: '49',
    },
    {
      ncm: '94033000',
      total_value: '100.00',
      icms_group: 'ICMSSN102',
      icms_csosn: '102',
      pis_cst: '49',
      cofins_cst: '49',
    },
  ]);
  const C = await insertNote(sql, c.id, {
    issued_at_local: '2026-10-25T09:00:00-03:00',
    direction: 'entrada',
    issuer_doc: S1,
    status: 'cancelled',
  }, [
    { total_value: '10000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '1800.00' },
  ]);
  const D = await insertNote(sql, c.id, {
    issued_at_local: '2026-10-28T09:00:00-03:00',
    direction: 'entrada',
    issuer_doc: S1,
  }, [
    {
      ncm: '94033000',
      cfop: '5910',
      total_value: '100.00',
      icms_group: 'ICMS00',
      icms_cst: '00',
      icms_value: '18.00',
    },
  ]);
  // Not in the analysis: the company's own entry note (it is the issuer) and its own sale.
  await insertNote(sql, c.id, {
    issued_at_local: '2026-10-06T10:00:00-03:00',
    direction: 'entrada',
    operation: 'entrada',
    issuer_doc: c.cnpj,
  }, [
    { cfop: '1102', total_value: '5000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '900.00' },
  ]);
  await insertNote(sql, c.id, {
    issued_at_local: '2026-10-07T10:00:00-03:00',
    direction: 'saida',
    issuer_doc: c.cnpj,
  }, [
    { total_value: '7000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '1260.00' },
  ]);
  // The buyer booked every supplier note as a purchase for resale (entry CFOP 1102): credits are confirmed.
  for (const id of [A, B, C, D]) await insertPurchaseEntry(sql, c.id, id, '1102');
  return { A, B, C, D };
}

stackTest(
  'analyze-credits (db): Lucro Real month, re-run replaces, a later cancellation drops the note',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    try {
      const ids = await octoberMix(sql, c);
      // September has one purchase: analysed first, must survive the October runs untouched.
      const sepNote = await insertNote(sql, c.id, {
        issued_at_local: '2026-09-15T10:00:00-03:00',
        direction: 'entrada',
        issuer_doc: S1,
      }, [
        { total_value: '100.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' },
      ]);
      await insertPurchaseEntry(sql, c.id, sepNote, '1102', 1);
      const sep = await runCreditAnalysis(sql, {
        company_id: c.id,
        period_from: '2026-09',
        period_to: '2026-09',
      });
      assert.equal(sep.totals.icms_credit, '18.00');

      const req = { company_id: c.id, connection_id: c.connectionId, log_id: c.logId, ...OCT };
      const first = await runCreditAnalysis(sql, req);
      assert.equal(first.status, 'success');
      assert.equal(first.regime, 'lucro_real');
      assert.equal(first.lines, 7);
      assert.deepEqual(
        [
          first.totals.notes_total,
          first.totals.notes_cancelled,
          first.totals.notes_analyzed,
          first.totals.items_analyzed,
        ],
        [4, 1, 3, 6],
      );
      assert.deepEqual(
        [
          first.totals.purchases_value,
          first.totals.pis_credit,
          first.totals.cofins_credit,
          first.totals.icms_credit,
          first.totals.st_charged,
          first.totals.st_retained,
        ],
        // rules 2026.12 (hand computation in rules.test.ts): fix 1 drops A3's 54, fix 2 adds B1/B2's PIS/COFINS
        ['2150.00', '19.98', '92.04', '189.00', '30.00', '15.00'],
      );

      const second = await runCreditAnalysis(sql, req);
      assert.deepEqual(second.totals, first.totals);
      const months = await sql<
        {
          period: Date;
          icms_credit: string;
          pis_credit: string;
          by_supplier: Array<{ supplier_doc: string; total_credit: string }>;
          rules_version: string;
          log_id: string;
        }[]
      >`
      select period, icms_credit, pis_credit, by_supplier, rules_version, log_id from public.company_credit_analysis
      where company_id = ${c.id} order by period`;
      assert.deepEqual(months.map((m) => [m.period.toISOString().slice(0, 7), m.icms_credit]), [[
        '2026-09',
        '18.00',
      ], ['2026-10', '189.00']]);
      assert.deepEqual(months[1].by_supplier.map((s) => [s.supplier_doc, s.total_credit]), [[S1, '255.85'], [
        S2,
        '45.17',
      ]]);
      assert.equal(months[1].log_id, c.logId);
      const [lines] = await sql<{ n: number; counted: number }[]>`
      select count(*)::int as n, count(*) filter (where counted)::int as counted from public.company_credit_lines
      where company_id = ${c.id} and period = '2026-10-01'`;
      assert.deepEqual([lines.n, lines.counted], [7, 6]);
      const [a1] = await sql<
        { pis_cofins_rule: string; pis_credit: string; pis_cofins_explanation: string; icms_rule: string }[]
      >`
      select pis_cofins_rule, pis_credit, pis_cofins_explanation, icms_rule from public.company_credit_lines
      where xml_import_id = ${ids.A} and item_number = 1`;
      assert.equal(a1.pis_cofins_rule, 'PC_CST_ELIGIBLE');
      assert.equal(a1.pis_credit, '13.53');
      assert.match(a1.pis_cofins_explanation, /R\$ 820,00/);
      const [run] = await sql<{ status: string; period_from: Date; connection_id: string }[]>`
      select status, period_from, connection_id from public.company_analysis_runs where company_id = ${c.id} and analysis = 'credits'`;
      assert.equal(run.status, 'success');
      assert.equal(run.connection_id, c.connectionId);

      // A cancellation that arrives later: the re-run drops note A (ICMS 180, PIS/COFINS 13.53/62.32); B stays.
      await sql`update public.xml_imports set status = 'cancelled' where id = ${ids.A}`;
      const third = await runCreditAnalysis(sql, req);
      assert.deepEqual(
        [
          third.totals.notes_cancelled,
          third.totals.pis_credit,
          third.totals.cofins_credit,
          third.totals.icms_credit,
          third.totals.st_charged,
        ],
        [2, '6.45', '29.72', '9.00', '0.00'],
      );
      const [after] = await sql<
        { n: number }[]
      >`select count(*)::int as n from public.company_credit_lines where company_id = ${c.id} and period = '2026-10-01'`;
      assert.equal(after.n, 7);
      const [sepAfter] = await sql<{ icms_credit: string }[]>`
      select icms_credit from public.company_credit_analysis where company_id = ${c.id} and period = '2026-09-01'`;
      assert.equal(sepAfter.icms_credit, '18.00');

      // Two runs at once: serialised by the per-company lock, same result, no duplicate rows.
      const [x, y] = await Promise.all([runCreditAnalysis(sql, req), runCreditAnalysis(sql, req)]);
      assert.deepEqual(x.totals, y.totals);
      const [cnt] = await sql<
        { n: number }[]
      >`select count(*)::int as n from public.company_credit_analysis where company_id = ${c.id}`;
      assert.equal(cnt.n, 2);
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);

stackTest('analyze-credits (db): a company with no data', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
  try {
    const r = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
    assert.equal(r.status, 'no_data');
    assert.equal(r.months, 0);
    assert.deepEqual(r.warnings.map((w) => w.code), ['NO_PURCHASE_NOTES']);
    const [n] = await sql<
      { n: number }[]
    >`select count(*)::int as n from public.company_credit_analysis where company_id = ${c.id}`;
    assert.equal(n.n, 0);
    const [run] = await sql<
      { status: string }[]
    >`select status from public.company_analysis_runs where company_id = ${c.id}`;
    assert.equal(run.status, 'no_data');
  } finally {
    await deleteCompany(sql, c.id);
    await sql.end();
  }
});

stackTest('analyze-credits (db): regime not known (no profile) and cancelled-only notes', async (env) => {
  const sql = connect(env.DB_URL, 3);
  const c = await createCompany(sql, { regime: null });
  const d = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
  try {
    await insertNote(sql, c.id, {
      issued_at_local: '2026-10-05T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
    }, [
      { total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' },
    ]);
    const r = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
    assert.equal(r.regime, 'unknown');
    assert.equal(r.regime_source, 'no_profile');
    // Nothing counted; potential = 13.53 / 62.32 / 180.00 (base 1000 − 180 = 820)
    assert.deepEqual(
      [
        r.totals.pis_credit,
        r.totals.icms_credit,
        r.totals.potential_pis_credit,
        r.totals.potential_cofins_credit,
        r.totals.potential_icms_credit,
      ],
      ['0.00', '0.00', '13.53', '62.32', '180.00'],
    );
    assert.deepEqual(r.warnings.map((w) => w.code), ['REGIME_UNKNOWN', 'REGIME_AND_CRT_UNKNOWN']);

    await insertNote(sql, d.id, {
      issued_at_local: '2026-10-05T10:00:00-03:00',
      direction: 'entrada',
      issuer_doc: S1,
      status: 'cancelled',
    }, [
      { total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' },
    ]);
    const k = await runCreditAnalysis(sql, { company_id: d.id, ...OCT });
    assert.deepEqual([k.totals.notes_total, k.totals.notes_cancelled, k.totals.icms_credit, k.lines], [
      1,
      1,
      '0.00',
      1,
    ]);
  } finally {
    await deleteCompany(sql, c.id);
    await deleteCompany(sql, d.id);
    await sql.end();
  }
});

stackTest(
  'analyze-credits (db): unknown company, foreign connection or log → clear errors, nothing written',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real' });
    const other = await createCompany(sql, { regime: 'lucro_real' });
    try {
      await assert.rejects(
        runCreditAnalysis(sql, { company_id: crypto.randomUUID() }),
        (e) => isAppError(e) && e.code === 'COMPANY_NOT_FOUND' && e.status === 404,
      );
      await assert.rejects(
        runCreditAnalysis(sql, { company_id: c.id, connection_id: other.connectionId }),
        (e) => isAppError(e) && e.status === 400 && /connection_id/.test(e.message),
      );
      await assert.rejects(
        runCreditAnalysis(sql, { company_id: c.id, log_id: other.logId }),
        (e) => isAppError(e) && e.status === 400 && /log_id/.test(e.message),
      );
      const [n] = await sql<
        { n: number }[]
      >`select count(*)::int as n from public.company_analysis_runs where company_id = ${c.id}`;
      assert.equal(n.n, 0);
    } finally {
      await deleteCompany(sql, c.id);
      await deleteCompany(sql, other.id);
      await sql.end();
    }
  },
);

stackTest(
  'analyze-credits (db): unknown use is "to confirm"; a member classification confirms it and survives re-runs',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    const member = crypto.randomUUID();
    const stranger = crypto.randomUUID();
    try {
      await sql`insert into auth.users (id, email) values (${member}, ${member + '@teste.local'}),
        (${stranger}, ${stranger + '@teste.local'})`;
      await sql`insert into public.company_members (company_id, user_id) values (${c.id}, ${member})`;
      // 1,000 with ICMS 180 (CST 00, PIS/COFINS 01), product P1 of S1; nobody says what it is for.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-10-05T10:00:00-03:00',
        direction: 'entrada',
        issuer_doc: S1,
      }, [
        {
          product_code: 'P1',
          total_value: '1000.00',
          icms_group: 'ICMS00',
          icms_cst: '00',
          icms_value: '180.00',
        },
      ]);
      const r1 = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
      // Headline 0; to confirm: PIS 820 × 1,65% = 13.53, COFINS 820 × 7,6% = 62.32, ICMS 180.
      assert.deepEqual(
        [
          r1.totals.pis_credit,
          r1.totals.icms_credit,
          r1.totals.to_confirm_pis_credit,
          r1.totals.to_confirm_cofins_credit,
          r1.totals.to_confirm_icms_credit,
          r1.totals.items_to_confirm,
        ],
        ['0.00', '0.00', '13.53', '62.32', '180.00', 1],
      );
      const [line] = await sql<
        { pis_cofins_status: string; to_confirm_reason: string; icms_legal_basis: string }[]
      >`
        select pis_cofins_status, to_confirm_reason, icms_legal_basis from public.company_credit_lines where company_id = ${c.id}`;
      assert.equal(line.pis_cofins_status, 'to_confirm');
      assert.match(line.to_confirm_reason, /destino do item/);
      assert.match(line.icms_legal_basis, /LC 87\/1996/);

      // The member classifies the product as own use (RLS: members write their company's rows, strangers none).
      const asUser = (uid: string, q: string) =>
        sql.begin(async (tx) => {
          await tx.unsafe('set local role authenticated');
          await tx`select set_config('request.jwt.claims', ${
            JSON.stringify({ sub: uid, role: 'authenticated' })
          }, true)`;
          return await tx.unsafe(q);
        });
      const ins =
        `insert into public.company_product_classifications (company_id, supplier_doc, product_code, use)
        values ('${c.id}', '${S1}', 'P1', 'own_use')`;
      await assert.rejects(asUser(stranger, ins), /row-level security/);
      await asUser(member, ins);
      const seen = await asUser(
        stranger,
        `select * from public.company_product_classifications where company_id = '${c.id}'`,
      );
      assert.equal(seen.length, 0);
      const r2 = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
      assert.deepEqual([r2.totals.pis_credit, r2.totals.icms_credit, r2.totals.to_confirm_icms_credit], [
        '0.00',
        '0.00',
        '0.00',
      ]);
      // Reclassified as resale: confirmed 13.53 / 62.32 / 180.00; the row is the company's, untouched by runs.
      await asUser(
        member,
        `update public.company_product_classifications set use = 'resale' where company_id = '${c.id}'`,
      );
      const r3 = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
      assert.deepEqual([r3.totals.pis_credit, r3.totals.cofins_credit, r3.totals.icms_credit], [
        '13.53',
        '62.32',
        '180.00',
      ]);
      const [cls] = await sql<{ n: number }[]>`
        select count(*)::int as n from public.company_product_classifications where company_id = ${c.id}`;
      assert.equal(cls.n, 1);
    } finally {
      await deleteCompany(sql, c.id);
      await sql`delete from auth.users where id in (${member}, ${stranger})`;
      await sql.end();
    }
  },
);

stackTest(
  'analyze-credits (db): imports (CFOP 3102) and returns to suppliers (5202) from the company own notes',
  async (env) => {
    const sql = connect(env.DB_URL, 3);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    try {
      // A supplier's note booked as resale: PIS 13.53, COFINS 62.32, ICMS 180 (base 1000 − 180 = 820).
      const n1 = await insertNote(sql, c.id, {
        issued_at_local: '2026-10-05T10:00:00-03:00',
        direction: 'entrada',
        issuer_doc: S1,
      }, [{ total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' }]);
      await insertPurchaseEntry(sql, c.id, n1, '1102');
      // The company's own import entry: customs value 10,000 → PIS 2,1% = 210.00, COFINS 9,65% = 965.00, ICMS 1,900.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-10-08T10:00:00-03:00',
        direction: 'entrada',
        operation: 'entrada',
        issuer_doc: c.cnpj,
      }, [{
        cfop: '3102',
        total_value: '10000.00',
        icms_group: 'ICMS00',
        icms_cst: '00',
        icms_value: '1900.00',
        pis_cst: '50',
        cofins_cst: '50',
      }]);
      // The company's return of part of N1: 200 with ICMS 36 → base 164: PIS −2.71, COFINS −12.46, ICMS −36.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-10-20T10:00:00-03:00',
        direction: 'saida',
        issuer_doc: c.cnpj,
      }, [{
        cfop: '5202',
        total_value: '200.00',
        icms_group: 'ICMS00',
        icms_cst: '00',
        icms_value: '36.00',
        pis_cst: '49',
        cofins_cst: '49',
      }]);
      // Its own sale: not a purchase.
      await insertNote(sql, c.id, {
        issued_at_local: '2026-10-21T10:00:00-03:00',
        direction: 'saida',
        issuer_doc: c.cnpj,
      }, [{
        cfop: '5102',
        total_value: '5000.00',
        icms_group: 'ICMS00',
        icms_cst: '00',
        icms_value: '900.00',
      }]);
      const r = await runCreditAnalysis(sql, { company_id: c.id, ...OCT });
      // PIS 13.53 + 210.00 − 2.71 = 220.82; COFINS 62.32 + 965.00 − 12.46 = 1014.86; ICMS 180 + 1900 − 36 = 2044.
      assert.deepEqual(
        [
          r.totals.notes_total,
          r.totals.purchases_value,
          r.totals.pis_credit,
          r.totals.cofins_credit,
          r.totals.icms_credit,
        ],
        [3, '11000.00', '220.82', '1014.86', '2044.00'],
      );
      const kinds = await sql<{ note_kind: string; n: number }[]>`
      select note_kind, count(*)::int as n from public.company_credit_lines where company_id = ${c.id}
      group by note_kind order by note_kind`;
      assert.deepEqual(kinds.map((k) => [k.note_kind, k.n]), [['import', 1], ['purchase_return', 1], [
        'received',
        1,
      ]]);
    } finally {
      await deleteCompany(sql, c.id);
      await sql.end();
    }
  },
);

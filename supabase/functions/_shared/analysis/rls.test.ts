/**
 * RLS on the analyses' output tables (TEST stack; skipped when down): a member of the company reads its rows,
 * another user reads none, anon reads nothing, and neither can write.
 */
import assert from 'node:assert/strict';
import { stackTest } from '../../../tests/helpers.ts';
import { connect, type Sql } from '../db/client.ts';
import { createCompany, deleteCompany } from './testing/db.ts';

const TABLES = [
  'company_analysis_runs',
  'company_credit_analysis',
  'company_credit_lines',
  'company_tax_scores',
  'company_opportunities',
  // The buyer's entries of received notes (issue 16): written by the sync only.
  'company_purchase_entries',
];

async function asRole<T>(
  sql: Sql,
  role: 'authenticated' | 'anon',
  userId: string | null,
  fn: (tx: Sql) => Promise<T>,
): Promise<T> {
  let out: T | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role })}, true)`;
      out = await fn(tx as unknown as Sql);
      throw new Error('__rollback__');
    });
  } catch (e) {
    if (!(e instanceof Error && e.message === '__rollback__')) throw e;
  }
  return out as T;
}

stackTest(
  'analysis outputs: members read their company, nobody else reads, nobody but the service role writes',
  async (env) => {
    const sql = connect(env.DB_URL, 2);
    const c = await createCompany(sql, { regime: 'lucro_real' });
    const member = crypto.randomUUID();
    const stranger = crypto.randomUUID();
    try {
      await sql`insert into auth.users (id, email) values (${member}, ${
        member + '@teste.local'
      }), (${stranger}, ${stranger + '@teste.local'})`;
      await sql`insert into public.company_members (company_id, user_id) values (${c.id}, ${member})`;
      // One row in every table (as the service role / owner).
      const [note] = await sql<{ id: string }[]>`
      insert into public.xml_imports (company_id, access_key, model, series, number, issued_at, issued_at_local, direction,
        operation, issuer_doc, total_products, total_invoice, raw_xml)
      values (${c.id}, ${
        '1'.repeat(44)
      }, 55, 1, 1, now(), '2026-10-01T10:00:00-03:00', 'entrada', 'saida', '1', 1, 1, '<x/>')
      returning id`;
      await sql`insert into public.company_analysis_runs (company_id, analysis, status, period_from, period_to, rules_version, started_at)
      values (${c.id}, 'credits', 'success', '2026-10-01', '2026-10-01', 't', now())`;
      await sql`insert into public.company_credit_analysis (company_id, period, tax_regime, regime_source, rules_version)
      values (${c.id}, '2026-10-01', 'lucro_real', 'tax_regime', 't')`;
      await sql`insert into public.company_credit_lines (company_id, period, xml_import_id, item_number, access_key, issued_on,
        supplier_doc, ncm, item_value, pis_cofins_rule, pis_cofins_explanation, icms_rule, icms_explanation, counted, rules_version)
      values (${c.id}, '2026-10-01', ${note.id}, 1, ${
        '1'.repeat(44)
      }, '2026-10-01', '1', '84713012', 1, 'R', 'x', 'R', 'x', true, 't')`;
      await sql`insert into public.company_tax_scores (company_id, period_from, period_to, score, status, tax_regime, explanation, rules_version)
      values (${c.id}, '2025-11-01', '2026-10-01', 50, 'ok', 'lucro_real', 'x', 't')`;
      await sql`insert into public.company_opportunities (company_id, opportunity_id, category, title, explanation, estimated_value,
        value_basis, confidence, rule, catalogue_version)
      values (${c.id}, 'x', 'credito', 't', 'e', 1, 'period', 'baixa', 'x@1', '1')`;

      await sql`insert into public.company_purchase_entries (company_id, access_key, item_number, entry_cfop)
      values (${c.id}, ${'1'.repeat(44)}, 0, '1102')`;

      for (const t of TABLES) {
        const q = `select count(*)::int as n from public.${t} where company_id = '${c.id}'`;
        const mine = await asRole(sql, 'authenticated', member, (tx) => tx.unsafe(q));
        assert.equal(mine[0].n, 1, `${t}: member`);
        const theirs = await asRole(sql, 'authenticated', stranger, (tx) => tx.unsafe(q));
        assert.equal(theirs[0].n, 0, `${t}: stranger`);
        await assert.rejects(
          asRole(sql, 'anon', null, (tx) => tx.unsafe(q)),
          /permission denied/,
          `${t}: anon`,
        );
        await assert.rejects(
          asRole(
            sql,
            'authenticated',
            member,
            (tx) => tx.unsafe(`delete from public.${t} where company_id = '${c.id}'`),
          ),
          /permission denied/,
          `${t}: member delete`,
        );
      }
      const ncmCols = await asRole(
        sql,
        'authenticated',
        member,
        (tx) =>
          tx.unsafe(
            `select period_from, explanation, monophasic_check from public.company_ncm_analysis where company_id = '${c.id}'`,
          ),
      );
      assert.equal(ncmCols.length, 0);
    } finally {
      await deleteCompany(sql, c.id);
      await sql`delete from auth.users where id in (${member}, ${stranger})`;
      await sql.end();
    }
  },
);

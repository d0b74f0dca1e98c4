// Issue #13 items 8 and 9: the DRE rebuild of two connections of one company at once, and a page that repeats
// an external id.
import assert from 'node:assert/strict';
import type { FinancialEntry, Product } from '../../functions/_shared/adapters/contract.ts';
import { connect } from '../../functions/_shared/db/client.ts';
import { rebuildDre, upsertFinancialEntries, upsertProducts } from '../../functions/_shared/db/synced-data.ts';
import { sqlFor, stackTest } from '../helpers.ts';

async function company(sql: ReturnType<typeof sqlFor>, conns: number) {
  const [c] = await sql`insert into public.companies (name) values ('Empresa DRE teste') returning id`;
  const ids: string[] = [];
  for (let i = 0; i < conns; i++) {
    const [r] = await sql`insert into public.erp_connections (company_id, erp_type, api_base_url, account_key)
                          values (${c.id}, 'tiny', 'http://127.0.0.1:1', ${'acc-' + crypto.randomUUID()}) returning id`;
    ids.push(r.id as string);
  }
  return { companyId: c.id as string, connectionIds: ids };
}

const entry = (externalId: string, amount: string, over: Partial<FinancialEntry> = {}): FinancialEntry => ({
  externalId,
  kind: 'receivable',
  date: '2026-10-15',
  amount,
  status: 'paid',
  categoryId: null,
  categoryName: 'Vendas',
  dreLine: 'receita_bruta',
  dreRule: 'test',
  description: null,
  ...over,
});

stackTest('DRE rebuild: two connections of one company rebuilding at once never collide', async (env) => {
  const sql = sqlFor(env);
  const pool = connect(env.DB_URL, 4);
  const { companyId, connectionIds: [a, b] } = await company(sql, 2);
  try {
    await upsertFinancialEntries(pool, companyId, a, [entry('a1', '100.00'), entry('a2', '40.00', { kind: 'payable', dreLine: 'custos' })]);
    await upsertFinancialEntries(pool, companyId, b, [entry('b1', '250.00'), entry('b2', '10.00', { date: '2026-11-02' })]);
    // Last night's lines exist, including one that no entry supports any more.
    await rebuildDre(pool, companyId, '2026-10-01', '2026-11-30', 'tiny');
    await sql`insert into public.company_dre (company_id, period, line, amount, entries) values
              (${companyId}, '2026-11-01', 'deducoes', 5, 1)`;

    // Hold the company's DRE rows so both rebuilds are surely in flight together, then let them go.
    const holder = await sql.reserve();
    let rebuilds: Promise<PromiseSettledResult<number>[]>;
    try {
      await holder`begin`;
      await holder`select 1 from public.company_dre where company_id = ${companyId} for update`;
      rebuilds = Promise.allSettled([
        rebuildDre(pool, companyId, '2026-10-01', '2026-11-30', 'tiny'),
        rebuildDre(pool, companyId, '2026-10-01', '2026-11-30', 'tiny'),
      ]);
      // Both are waiting (on the rows or on each other) before the holder lets go.
      const waiting = async () => {
        const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
                                  where wait_event_type = 'Lock' and query ~ 'company_dre|pg_advisory_xact_lock'`;
        return n;
      };
      for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
      await holder`commit`;
    } finally {
      holder.release();
    }
    const settled = await rebuilds;
    assert.deepEqual(settled.map((s) => s.status === 'rejected' ? String(s.reason) : 'ok'), ['ok', 'ok']);

    const lines = await sql`select period::text, line, amount::text, entries from public.company_dre
                            where company_id = ${companyId} order by period, line`;
    assert.deepEqual(lines.map((l) => `${l.period} ${l.line} ${l.amount} ${l.entries}`), [
      '2026-10-01 custos -40.00 1',
      '2026-10-01 receita_bruta 350.00 2',
      '2026-11-01 receita_bruta 10.00 1',
    ], 'both connections counted, the unsupported line removed');
  } finally {
    await sql`delete from public.companies where id = ${companyId}`;
    await pool.end();
    await sql.end();
  }
});

stackTest('a page that repeats an external id: de-duplicated, last wins, and the caller is told', async (env) => {
  const sql = sqlFor(env);
  const { companyId, connectionIds: [a] } = await company(sql, 1);
  try {
    const product = (externalId: string, name: string): Product => ({
      externalId, code: null, name, ncm: '22030000', cest: null, unit: 'UN', price: '1.00', active: true,
    });
    const told: string[][] = [];
    const written = await upsertProducts(
      sql as never,
      companyId,
      a,
      [product('p1', 'first'), product('p2', 'other'), product('p1', 'last')],
      (ids) => told.push(ids),
    );
    assert.equal(written, 2);
    assert.deepEqual(told, [['p1']]);
    const rows = await sql`select external_id, name from public.company_products where connection_id = ${a} order by external_id`;
    assert.deepEqual(rows.map((r) => `${r.external_id}=${r.name}`), ['p1=last', 'p2=other']);

    const toldFin: string[][] = [];
    const fin = await upsertFinancialEntries(sql as never, companyId, a, [entry('f1', '1.00'), entry('f1', '2.00')], (ids) => toldFin.push(ids));
    assert.equal(fin, 1);
    assert.deepEqual(toldFin, [['f1']]);
    const [f] = await sql`select amount::text from public.company_financial_entries where connection_id = ${a} and external_id = 'f1'`;
    assert.equal(f.amount, '2.00');
  } finally {
    await sql`delete from public.companies where id = ${companyId}`;
    await sql.end();
  }
});

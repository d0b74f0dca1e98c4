/**
 * The four analysis functions' HTTP contract, running their real index.ts modules in-process against the TEST
 * stack's database (the service key is set for this process), plus a smoke test through the stack's functions
 * gateway. Needs the stack (see tests/helpers.ts: fails under npm test / CI when it is down, ignored otherwise).
 */
import assert from 'node:assert/strict';
import { gatewayRefusal, stackTest } from '../../../tests/helpers.ts';
import { closeDb, connect } from '../db/client.ts';
import credits from '../../analyze-credits/index.ts';
import ncm from '../../analyze-ncm-from-xmls/index.ts';
import score from '../../calculate-tax-score/index.ts';
import opportunities from '../../match-opportunities/index.ts';
import { createCompany, deleteCompany } from './testing/db.ts';

const FUNCTIONS = {
  'analyze-credits': credits,
  'analyze-ncm-from-xmls': ncm,
  'calculate-tax-score': score,
  'match-opportunities': opportunities,
};
const KEY = `test-service-key-${crypto.randomUUID()}`;

function post(
  fn: { fetch: (r: Request) => Response | Promise<Response> },
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
) {
  return fn.fetch(
    new Request('http://localhost/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const j = await res.json();
  return { status: res.status, code: j.error?.code, message: j.error?.message };
}

stackTest(
  'analysis functions: auth, body validation naming the field, 404, and a summary on success',
  async (env) => {
    const saved = { db: Deno.env.get('SUPABASE_DB_URL'), key: Deno.env.get('SUPABASE_SERVICE_ROLE_KEY') };
    Deno.env.set('SUPABASE_DB_URL', env.DB_URL);
    Deno.env.set('SUPABASE_SERVICE_ROLE_KEY', KEY);
    const sql = connect(env.DB_URL, 2);
    const c = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    const other = await createCompany(sql, { regime: 'lucro_real', crt: 3 });
    try {
      for (const [name, fn] of Object.entries(FUNCTIONS)) {
        const ok = { company_id: c.id, connection_id: c.connectionId, log_id: c.logId };
        assert.deepEqual(await errorOf(await post(fn, ok, {})), {
          status: 401,
          code: 'MISSING_SECRET',
          message: 'missing service key',
        }, name);
        assert.equal(
          (await errorOf(await post(fn, ok, { authorization: `Bearer ${env.ANON_KEY}` }))).status,
          401,
          name,
        );
        assert.equal(
          (await fn.fetch(
            new Request('http://localhost/', { method: 'GET', headers: { authorization: `Bearer ${KEY}` } }),
          )).status,
          405,
        );
        const bad: Array<[unknown, string]> = [
          ['', '(body)'],
          ['{not json', '(body)'],
          [{}, 'company_id'],
          [{ company_id: 'not-a-uuid' }, 'company_id'],
          [{ company_id: c.id, foo: 1 }, 'foo'],
          [{ company_id: c.id, connection_id: 42 }, 'connection_id'],
          [{ company_id: c.id, period_from: '2026-13' }, 'period_from'],
          [{ company_id: c.id, period_from: '2026-10', period_to: '2026-09' }, 'period_to'],
          [{ company_id: c.id, period_from: '2020-01', period_to: '2026-10' }, 'period_to'],
          [{ company_id: c.id, connection_id: other.connectionId }, 'connection_id'],
          [{ company_id: c.id, log_id: other.logId }, 'log_id'],
        ];
        for (const [body, field] of bad) {
          const e = await errorOf(await post(fn, body));
          assert.equal(e.status, 400, `${name} ${JSON.stringify(body)}`);
          if (field !== '(body)') {
            assert.match(
              e.message,
              new RegExp(`'${field}'`),
              `${name} ${JSON.stringify(body)}: ${e.message}`,
            );
          }
        }
        const nf = await errorOf(await post(fn, { company_id: crypto.randomUUID() }));
        assert.deepEqual([nf.status, nf.code], [404, 'COMPANY_NOT_FOUND'], name);

        const res = await post(fn, { ...ok, period_from: '2026-01', period_to: '2026-10' });
        assert.equal(res.status, 200, name);
        const j = await res.json();
        assert.equal(j.company_id, c.id);
        assert.equal(j.period_from, '2026-01');
        assert.ok(['success', 'no_data'].includes(j.status), name);
        assert.match(j.rules_version, /\d{4}\.\d{2}\.\d+/);
      }
      const runs = await sql<{ analysis: string; log_id: string }[]>`
      select analysis, log_id from public.company_analysis_runs where company_id = ${c.id} order by analysis`;
      assert.deepEqual(runs.map((r) => [r.analysis, r.log_id]), [
        ['credits', c.logId],
        ['ncm', c.logId],
        ['opportunities', c.logId],
        ['tax_score', c.logId],
      ]);
      const [none] = await sql<
        { n: number }[]
      >`select count(*)::int as n from public.company_analysis_runs where company_id = ${other.id}`;
      assert.equal(none.n, 0);
    } finally {
      await deleteCompany(sql, c.id);
      await deleteCompany(sql, other.id);
      await sql.end();
      await closeDb();
      for (
        const [k, v] of [['SUPABASE_DB_URL', saved.db], ['SUPABASE_SERVICE_ROLE_KEY', saved.key]] as const
      ) {
        if (v === undefined) Deno.env.delete(k);
        else Deno.env.set(k, v);
      }
    }
  },
);

stackTest('analysis functions are served by the stack gateway (401 without the service key)', async (env) => {
  const refusal = await gatewayRefusal(env, Object.keys(FUNCTIONS));
  if (refusal) throw new Error(refusal);
  for (const name of Object.keys(FUNCTIONS)) {
    const url = `${env.FUNCTIONS_URL}/${name}`;
    const noJwt = await fetch(url, { method: 'POST', body: '{}' });
    await noJwt.body?.cancel();
    assert.equal(noJwt.status, 401, `${name} without a JWT`);
    // The anon key passes the gateway's JWT check but is not the service key: the function itself says no.
    const anon = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ANON_KEY}` },
      body: '{}',
    });
    const j = await anon.json();
    assert.equal(anon.status, 401, name);
    assert.equal(j.error.code, 'INVALID_SECRET', name);
  }
});

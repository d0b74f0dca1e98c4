// erp-auto-sync is authorised by its secret only: no key, the anon key, a wrong or near-miss key → 401 and
// nothing written (not even a run row); bad bodies → 400 naming the field.
import assert from 'node:assert/strict';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

stackTest('erp-auto-sync: rejects missing, public and wrong keys without writing anything', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const [{ n: before }] = await sql`select count(*)::int as n from public.erp_sync_runs`;
    const secret = env.ERP_AUTO_SYNC_SECRET;
    const nearMiss = secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a');
    const attempts: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['anon key as bearer', { Authorization: `Bearer ${env.ANON_KEY}` }],
      ['anon key as apikey', { apikey: env.ANON_KEY }],
      ['wrong key', { Authorization: 'Bearer sb_secret_wrong_wrong_wrong_wrong' }],
      ['near-miss key', { Authorization: `Bearer ${nearMiss}` }],
      ['secret with a prefix', { Authorization: `Bearer x${secret}` }],
      ['truncated secret', { Authorization: `Bearer ${secret.slice(0, -1)}` }],
    ];
    for (const [what, headers] of attempts) {
      const r = await f.autoSync({ source: 'ops' }, headers);
      assert.equal(r.status, 401, what);
      assert.ok(r.body?.error?.code, `${what}: a stable error code`);
      assert.ok(!JSON.stringify(r.body).includes(secret), `${what}: the secret is not echoed`);
    }
    const [{ n: after }] = await sql`select count(*)::int as n from public.erp_sync_runs`;
    assert.equal(after, before, 'no run row was written');

    // The right key works as Bearer and as apikey (dry run: changes nothing).
    assert.equal((await f.autoSync({ source: 'ops', dry_run: true })).status, 200);
    assert.equal((await f.autoSync({ source: 'ops', dry_run: true }, { apikey: secret })).status, 200);
  } finally {
    await sql.end();
  }
});

stackTest('erp-auto-sync: bad bodies → 400 naming the bad field, nothing written', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const [{ n: before }] = await sql`select count(*)::int as n from public.erp_sync_runs`;
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /not valid JSON/],
      [{}, /'source'/],
      [{ source: 'nightly' }, /'source'/],
      [{ source: 'ops', concurrency: 0 }, /'concurrency'/],
      [{ source: 'ops', concurrency: 'many' }, /'concurrency'/],
      [{ source: 'ops', connection_ids: ['not-a-uuid'] }, /'connection_ids\.0'/],
      [{ source: 'ops', dry_run: 'yes' }, /'dry_run'/],
      [{ source: 'ops', surprise: true }, /surprise|unrecognized/i],
      [[1, 2], /'\(body\)'/],
    ];
    for (const [body, msg] of cases) {
      const r = await f.autoSync(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error.message, msg, JSON.stringify(body));
    }
    const big = await f.autoSync({ source: 'ops', pad: 'x'.repeat(70_000) });
    assert.equal(big.status, 400);
    assert.equal(big.body.error.code, 'BODY_TOO_LARGE');
    const [{ n: after }] = await sql`select count(*)::int as n from public.erp_sync_runs`;
    assert.equal(after, before);
  } finally {
    await sql.end();
  }
});

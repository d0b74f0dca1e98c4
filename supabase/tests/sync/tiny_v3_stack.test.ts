// Tiny API v3 on the stack: a Tiny connection with api_version 'v3' (OAuth grant provisioned on the stack's v3
// simulator, pair in Vault) is synced by erp-auto-sync over HTTP — the functions process, its TINY_CLIENT_ID/
// _SECRET and the served simulator at TINY_V3_URL — with an expired access token: the adapter refreshes once,
// the rotated pair is saved to Vault (the simulator refuses the old refresh token and honours the saved one),
// and NF-e, products, DRE and profile land. (supabase/tests/sync/tiny_v3_e2e.test.ts covers the same path
// in-process; this one goes through the served pieces.)
import assert from 'node:assert/strict';
import { API_PATHS } from '../../../dev/simulators/serve.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, simAdmin } from './fixtures.ts';

stackTest('Tiny v3 through erp-auto-sync over HTTP against the served v3 simulator: data lands, rotated token saved', async (env) => {
  assert.ok(env.TINY_V3_URL, 'the stack serves the Tiny v3 simulator (TINY_V3_URL in `stack status --env`)');
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const p = await f.connection({ erp: 'tiny', apiVersion: 'v3', nfeCount: 4, productCount: 3, financialCount: 4 });
    const c = await f.conn(p.connectionId);
    assert.equal(c.api_version, 'v3');
    assert.ok(c.api_base_url.startsWith(env.TINY_V3_URL + API_PATHS.tiny_v3.api), c.api_base_url);
    const [before] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${c.credentials_secret_id}`;
    const provisioned = JSON.parse(before.decrypted_secret);
    // The access token the grant handed out is expired at the simulator: the sync must refresh it.
    await simAdmin(env, 'tiny_v3', 'expire', { accountId: p.accountId });

    const res = await f.autoSync({ source: 'ops', connection_ids: [p.connectionId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.processed, 1);
    assert.equal(res.body.succeeded, 1, JSON.stringify(res.body.results));

    const [log] = await f.logs(p.connectionId);
    assert.equal(log.status, 'success', log.error_message);
    assert.ok(log.records_synced > 0);

    // The served v3 simulator answered this account on the v3 API.
    const calls = (await simAdmin(env, 'tiny_v3', 'log') as Array<{ path: string; accountId: string | null }>)
      .filter((e) => e.accountId === p.accountId).map((e) => e.path.replace(/\/\d+(?=\/|$)/g, '/{id}'));
    for (const path of ['/info', '/notas', '/notas/{id}/xml', '/produtos/{id}']) {
      assert.ok(calls.includes(API_PATHS.tiny_v3.api + path), `called ${path}: ${[...new Set(calls)].join(' ')}`);
    }

    // Data landed.
    const { input } = await simAdmin(env, 'tiny_v3', 'dataset', { accountId: p.accountId });
    assert.equal(input.nfeCount, 4);
    const [{ n }] = await sql`select count(*)::int as n from public.xml_imports where company_id = ${p.companyId}`;
    assert.ok(n > 0, 'NF-e landed in xml_imports');
    const [{ prods }] = await sql`select count(*)::int as prods from public.company_products where company_id = ${p.companyId}`;
    assert.equal(prods, 3, 'every product');
    const [{ d }] = await sql`select count(*)::int as d from public.company_dre where company_id = ${p.companyId}`;
    assert.ok(d > 0, 'DRE months written');
    const [prof] = await sql`select cnpj from public.company_profile where company_id = ${p.companyId}`;
    assert.equal(prof?.cnpj, p.cnpj);

    // The rotated refresh token was saved: the simulator refuses the provisioned one and honours the saved one.
    const [after] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${c.credentials_secret_id}`;
    const saved = JSON.parse(after.decrypted_secret);
    assert.notEqual(saved.refresh_token, provisioned.refresh_token, 'a new refresh token in Vault');
    assert.ok(Date.parse(saved.expires_at) > Date.now(), 'with its new expiry');
    const refresh = (token: string) =>
      fetch(`${env.TINY_V3_URL}${API_PATHS.tiny_v3.auth}/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: token,
          client_id: 'tiny-client-id',
          client_secret: 'tiny-client-secret',
        }),
      });
    const old = await refresh(provisioned.refresh_token);
    assert.equal(old.status, 400, 'the provisioned refresh token was used up by the rotation');
    assert.equal((await old.json()).error, 'invalid_grant');
    const live = await refresh(saved.refresh_token);
    assert.equal(live.status, 200, 'the saved refresh token is the live one');
    await live.body?.cancel();
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

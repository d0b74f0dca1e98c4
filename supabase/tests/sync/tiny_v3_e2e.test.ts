// Tiny API v3 end to end on its simulator: a Tiny connection with api_version 'v3' (OAuth pair in Vault,
// expired access token) is claimed and synced by the real orchestrator and engine against the test stack's
// database: the token is refreshed once and the ROTATED pair is persisted to Vault, NF-e land in xml_imports,
// products, DRE and profile are written, and a v2 Tiny connection beside it keeps using the v2 API.
import assert from 'node:assert/strict';
import { adapterFor } from '../../functions/_shared/sync/adapter-context.ts';
import type { EngineDeps } from '../../functions/_shared/sync/engine.ts';
import { executeRun, openAutoSyncRun } from '../../functions/_shared/sync/orchestrator.ts';
import { importNfeDocuments } from '../../functions/_shared/nfe/import.ts';
import { createTinyV3Simulator, TINY_V3_API_PATH, TINY_V3_AUTH_PATH } from '../../../dev/simulators/tiny_v3/index.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from './fixtures.ts';

stackTest('Tiny v3: orchestrator → engine → v3 adapter → simulator → database, rotated tokens in Vault', async (env) => {
  const sim = createTinyV3Simulator({ seed: 11 });
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, sim.handler);
  const origin = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  const sql = sqlFor(env, 4);
  const f = new Fixture(sql, env);
  const saved = { id: Deno.env.get('TINY_CLIENT_ID'), secret: Deno.env.get('TINY_CLIENT_SECRET') };
  let companyId: string | null = null;
  try {
    const acc = sim.admin.provision({ accountId: `e2e-${crypto.randomUUID().slice(0, 8)}`, nfeCount: 4, productCount: 3, financialCount: 4 });
    Deno.env.set('TINY_CLIENT_ID', acc.oauthClient!.clientId);
    Deno.env.set('TINY_CLIENT_SECRET', acc.oauthClient!.clientSecret);
    const stale = { ...acc.credentials, expires_at: new Date(Date.now() - 60_000).toISOString() };
    [{ id: companyId }] = await sql`insert into public.companies (name, cnpj) values ('Loja Tiny v3', ${acc.company.cnpj}) returning id`;
    const [secret] = await sql`select vault.create_secret(${JSON.stringify(stale)}, ${`erp-credentials:tiny_v3:${acc.accountId}`}) as id`;
    const [conn] = await sql`
      insert into public.erp_connections (company_id, erp_type, api_version, name, status, sync_config, api_base_url,
                                          auth_base_url, account_key, credentials_secret_id)
      values (${companyId}, 'tiny', 'v3', 'Loja Tiny v3', 'active', ${sql.json({ auto_sync: true })},
              ${origin + TINY_V3_API_PATH}, ${origin + TINY_V3_AUTH_PATH}, ${`tiny_v3:${acc.accountId}`}, ${secret.id})
      returning id`;
    // A v2 connection beside it: still served by the v2 adapter and the v2 simulator of the stack.
    const v2 = await f.connection({ erp: 'tiny', nfeCount: 2, productCount: 2, financialCount: 2 });

    const deps: EngineDeps = {
      sql: sql as never,
      now: () => new Date(),
      adapterFor: (c, signal) => adapterFor(sql as never, c, signal),
      importNfe: importNfeDocuments,
      trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 200 }),
      leaseSeconds: 60,
      owner: 'tiny-v3-e2e',
    };
    const ids = [conn.id as string, v2.connectionId];
    const run = (await openAutoSyncRun(sql as never, { source: 'ops', connectionIds: ids }, new Date(), 60))!;
    const summary = await executeRun(deps, run.runId, 0, { source: 'ops', connectionIds: ids }, { claimMs: 120_000, maxConcurrency: 2 });
    assert.equal(summary.processed, 2);

    const logs = await sql`select connection_id, status, records_synced, error_message from public.erp_sync_logs
                           where connection_id = any(${ids}::uuid[])`;
    for (const log of logs) assert.equal(log.status, 'success', `${log.connection_id}: ${log.error_message}`);
    const v3log = logs.find((l) => l.connection_id === conn.id)!;
    assert.ok(v3log.records_synced > 0);

    // The v3 API was used for the v3 connection: token endpoint once, then Bearer calls (the adapter keeps to
    // 21 calls a minute, so the account stays small).
    assert.equal(sim.admin.stats().tokenCalls, 1, 'one refresh of the expired access token');
    const paths = new Set(sim.admin.log().map((e) => e.path.replace(/\/\d+(?=\/|$)/g, '/{id}')));
    for (const p of ['/public-api/v3/notas', '/public-api/v3/notas/{id}/xml', '/public-api/v3/produtos/{id}', '/public-api/v3/info']) {
      assert.ok(paths.has(p), `called ${p}`);
    }
    const [stored] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${secret.id}`;
    const creds = JSON.parse(stored.decrypted_secret);
    assert.notEqual(creds.refresh_token, acc.credentials.refresh_token, 'the rotated refresh token was persisted');
    assert.ok(Date.parse(creds.expires_at) > Date.now(), 'with its new expiry');

    const data = sim.admin.data!(acc.accountId);
    const [{ n }] = await sql`select count(*)::int as n from public.xml_imports where company_id = ${companyId}`;
    assert.ok(n >= data.notes.filter((x) => x.authorised).length, `NF-e imported (${n})`);
    const [{ p }] = await sql`select count(*)::int as p from public.company_products where company_id = ${companyId}`;
    assert.equal(p, data.products.length);
    const [prof] = await sql`select cnpj from public.company_profile where company_id = ${companyId}`;
    assert.equal(prof.cnpj, acc.company.cnpj);
    const [{ d }] = await sql`select count(*)::int as d from public.company_dre where company_id = ${companyId}`;
    assert.ok(d > 0, 'DRE months written');
  } finally {
    if (saved.id === undefined) Deno.env.delete('TINY_CLIENT_ID');
    else Deno.env.set('TINY_CLIENT_ID', saved.id);
    if (saved.secret === undefined) Deno.env.delete('TINY_CLIENT_SECRET');
    else Deno.env.set('TINY_CLIENT_SECRET', saved.secret);
    if (companyId) f.companies.push(companyId);
    await f.cleanup();
    await sql.end();
    await server.shutdown();
  }
});

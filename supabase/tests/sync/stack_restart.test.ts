// Issue #13 item 16: the local stack survives its own restart. The simulators keep the accounts and tokens
// they issued under the stack's data folder, so connections whose credentials Vault keeps still sync after
// the simulators restart (as after `npm run stack -- down` and `up`) — including a refresh with the rotating
// refresh token issued before the restart. Tiny's API v3 simulator (served beside v2, whose simulator core it
// shares) keeps its own accounts and tokens too.
import assert from 'node:assert/strict';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture, simAdmin } from './fixtures.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function restartSimulators() {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${ROOT}dev/stack/stack.ts`, '--profile', 'test', 'restart', 'simulators'],
    stdout: 'null',
    stderr: 'piped',
  }).output();
  if (out.code !== 0) throw new Error(`restart simulators failed: ${new TextDecoder().decode(out.stderr)}`);
}

stackTest('after the simulators restart, OAuth and token connections still sync (state kept under STACK_DIR)', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    const bling = await f.connection({ erp: 'bling' });
    const tiny = await f.connection({ erp: 'tiny' });
    const tinyV3 = await f.connection({ erp: 'tiny', apiVersion: 'v3', nfeCount: 1, productCount: 1, financialCount: 1 });
    const ids = [bling.connectionId, tiny.connectionId, tinyV3.connectionId];
    const first = await f.autoSync({ source: 'ops', connection_ids: ids });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(first.body.results.every((r: { success: boolean }) => r.success), JSON.stringify(first.body.results));

    // An Omie account provisioned before the restart (not synced: Omie refuses an identical call within 60 s).
    const omie = await f.connection({ erp: 'omie' });
    const [{ decrypted_secret }] = await sql`select v.decrypted_secret from vault.decrypted_secrets v
      join public.erp_connections c on c.credentials_secret_id = v.id where c.id = ${omie.connectionId}`;
    const omieKeys = JSON.parse(decrypted_secret as string) as { app_key: string; app_secret: string };

    await restartSimulators();

    // Omie still knows the keys it handed out.
    const res = await fetch(`${env.OMIE_URL}/api/v1/geral/empresas/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ call: 'ListarEmpresas', ...omieKeys, param: [{ pagina: 1, registros_por_pagina: 50 }] }),
    });
    const omieBody = await res.json();
    assert.equal(res.status, 200, JSON.stringify(omieBody));
    assert.ok(Array.isArray(omieBody.empresas_cadastro), JSON.stringify(omieBody));
    // Force the OAuth connection through a refresh with the refresh token issued before the restart.
    await simAdmin(env, 'bling', 'expire', { accountId: bling.accountId });
    await simAdmin(env, 'tiny_v3', 'expire', { accountId: tinyV3.accountId });
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = any(${ids}::uuid[])`;
    const second = await f.autoSync({ source: 'ops', connection_ids: ids });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const outcomes = second.body.results.map((r: { success: boolean; error?: string }) => r.success ? 'ok' : r.error);
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok']);
    const conns = await sql`select status from public.erp_connections where id = any(${ids}::uuid[])`;
    assert.ok(conns.every((c) => c.status === 'active'));
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

// Through the stack's functions gateway, as a browser on another origin would call it (docs/local-vs-hosted.md):
// the preflight reaches each browser-facing function without a JWT and the function answers it; the function's
// answers (errors included) carry the CORS headers; the gateway's own 401 carries none, as on the platform.
import assert from 'node:assert/strict';
import { corsHeaders } from '../../functions/_shared/api/cors.ts';
import { sqlFor, stackTest } from '../helpers.ts';
import { Fixture } from '../sync/fixtures.ts';

const ORIGIN = 'http://localhost:5173';

function assertFunctionCors(res: Response, what: string) {
  for (const [k, v] of Object.entries(corsHeaders)) assert.equal(res.headers.get(k), v, `${what}: ${k}`);
}

stackTest('gateway: preflights reach the browser-facing functions, which answer them with CORS', async (env) => {
  for (const [name, method] of [['erp-sync', 'POST'], ['erp-connections', 'GET'], ['erp-connections', 'PATCH']]) {
    const res = await fetch(`${env.FUNCTIONS_URL}/${name}`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'authorization,x-client-info,apikey,content-type',
      },
    });
    await res.body?.cancel();
    assert.ok(res.status >= 200 && res.status < 300, `${name} preflight for ${method}: ${res.status}`);
    // The header set is the function's (supabase-js's corsHeaders), not one the gateway made up.
    assertFunctionCors(res, `${name} preflight`);
  }
});

stackTest('gateway: function errors carry CORS; the gateway\'s own 401 does not', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  let user: string | null = null;
  try {
    user = await f.user();
    const jwt = await f.userJwt(user);
    const bad = await fetch(`${env.FUNCTIONS_URL}/erp-sync`, {
      method: 'POST',
      headers: { Origin: ORIGIN, Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'not-a-uuid' }),
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, 'INVALID_BODY');
    assertFunctionCors(bad, 'erp-sync 400');

    const unknown = await fetch(`${env.FUNCTIONS_URL}/erp-connections`, {
      method: 'PATCH',
      headers: { Origin: ORIGIN, Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: crypto.randomUUID(), auto_sync: false }),
    });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    assertFunctionCors(unknown, 'erp-connections 404');

    const gatewayRejects = await fetch(`${env.FUNCTIONS_URL}/erp-sync`, {
      method: 'POST',
      headers: { Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: crypto.randomUUID() }),
    });
    assert.equal(gatewayRejects.status, 401);
    assert.deepEqual(await gatewayRejects.json(), { code: 401, message: 'Missing authorization header' });
    assert.equal(gatewayRejects.headers.get('Access-Control-Allow-Origin'), null, 'the platform adds no CORS headers');
  } finally {
    if (user) await sql`delete from auth.users where id = ${user}`.catch(() => {});
    await sql.end();
  }
});

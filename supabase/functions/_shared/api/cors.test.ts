// CORS is each function's job (the hosted gateway neither answers preflights nor adds headers): every function
// answers OPTIONS with 2xx and the CORS headers, and every answer, errors included, carries them. The functions
// are imported exactly as deployed (index.ts `default.fetch`) and called in-process, no stack needed; each call
// here fails before anything reaches the database.
import assert from 'node:assert/strict';
import { corsHeaders, withCors } from './cors.ts';
import { AppError } from '../errors.ts';

const FUNCTIONS = new URL('../../', import.meta.url);

/** Every deployed function: each folder of supabase/functions with an index.ts. */
async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(FUNCTIONS)) {
    if (!e.isDirectory || e.name.startsWith('_') || e.name.startsWith('.')) continue;
    try {
      await Deno.stat(new URL(`${e.name}/index.ts`, FUNCTIONS));
      names.push(e.name);
    } catch { /* not a function */ }
  }
  return names.sort();
}

async function load(name: string): Promise<(req: Request) => Promise<Response>> {
  const mod = await import(new URL(`${name}/index.ts`, FUNCTIONS).href);
  return (req) => Promise.resolve(mod.default.fetch(req));
}

function assertCors(res: Response, what: string) {
  for (const [k, v] of Object.entries(corsHeaders)) assert.deepEqual(res.headers.get(k), v, `${what}: ${k}`);
}

/** The preflight Chromium sends before supabase-js's functions.invoke (no Authorization on a preflight). */
function preflight(name: string, method: string): Request {
  return new Request(`http://127.0.0.1/functions/v1/${name}`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://localhost:5173',
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization,x-client-info,apikey,content-type',
    },
  });
}

const BROWSER_FACING: Record<string, string[]> = {
  'erp-sync': ['POST'],
  'erp-connections': ['GET', 'PATCH'],
  'erp-alerts': ['GET', 'POST'],
  'erp-ops': ['GET'],
};

Deno.test('the header set is supabase-js\'s and allows every header and method the app sends', () => {
  const allowed = corsHeaders['Access-Control-Allow-Headers'].split(',').map((h) => h.trim().toLowerCase());
  for (const h of ['authorization', 'x-client-info', 'apikey', 'content-type']) assert.ok(allowed.includes(h), h);
  const methods = corsHeaders['Access-Control-Allow-Methods'].split(',').map((m) => m.trim());
  for (const m of ['GET', 'POST', 'PATCH']) assert.ok(methods.includes(m), m);
  assert.deepEqual(corsHeaders['Access-Control-Allow-Origin'], '*');
});

Deno.test('every function answers a preflight with 2xx and the CORS headers, without credentials', async () => {
  const names = await functionNames();
  for (const name of Object.keys(BROWSER_FACING)) assert.ok(names.includes(name), `${name} is deployed`);
  // The browser-facing ones first: they are what a browser preflights.
  const ordered = [...Object.keys(BROWSER_FACING), ...names.filter((n) => !(n in BROWSER_FACING))];
  for (const name of ordered) {
    const fetch = await load(name);
    for (const method of BROWSER_FACING[name] ?? ['POST']) {
      const res = await fetch(preflight(name, method));
      await res.body?.cancel();
      assert.ok(res.status >= 200 && res.status < 300, `${name} OPTIONS (${method}) answered ${res.status}`);
      assertCors(res, `${name} OPTIONS`);
    }
  }
});

Deno.test('error answers of the browser-facing functions carry the CORS headers', async () => {
  const cases: Array<[string, RequestInit, number]> = [
    ['erp-sync', { method: 'GET' }, 405],
    ['erp-sync', { method: 'POST', body: '{}' }, 401], // no user JWT
    ['erp-sync', { method: 'POST', body: '{}', headers: { Authorization: 'Bearer not-a-jwt' } }, 401],
    ['erp-connections', { method: 'DELETE' }, 405],
    ['erp-connections', { method: 'GET' }, 401],
    ['erp-connections', { method: 'PATCH', body: '{}', headers: { Authorization: 'Bearer not-a-jwt' } }, 401],
  ];
  const saved = Deno.env.get('SUPABASE_JWT_SECRET');
  Deno.env.set('SUPABASE_JWT_SECRET', 'cors-test-secret-cors-test-secret-0123');
  try {
    for (const [name, init, status] of cases) {
      const res = await (await load(name))(new Request(`http://127.0.0.1/functions/v1/${name}`, init));
      const body = await res.json();
      assert.deepEqual(res.status, status, `${name} ${init.method}: ${JSON.stringify(body)}`);
      assert.ok(typeof body?.error?.code === 'string', `${name} ${init.method}: the project's error shape`);
      assertCors(res, `${name} ${init.method} → ${status}`);
    }
  } finally {
    if (saved === undefined) Deno.env.delete('SUPABASE_JWT_SECRET');
    else Deno.env.set('SUPABASE_JWT_SECRET', saved);
  }
});

Deno.test('withCors: the handler never sees a preflight; thrown errors still answer with CORS', async () => {
  let calls = 0;
  const handler = withCors((req) => {
    calls++;
    if (req.method === 'PUT') throw new AppError('conflict', 'BUSY', 'busy');
    if (req.method === 'DELETE') throw new Error('boom: secret detail');
    return new Response('plain', { headers: { 'Access-Control-Allow-Origin': 'https://app.example' } });
  });
  const pre = await handler(new Request('http://x/', { method: 'OPTIONS' }));
  assert.deepEqual([pre.status, await pre.text(), calls], [200, 'ok', 0]);
  assertCors(pre, 'preflight');

  const own = await handler(new Request('http://x/', { method: 'GET' }));
  assert.deepEqual(await own.text(), 'plain');
  assert.deepEqual(own.headers.get('Access-Control-Allow-Origin'), 'https://app.example', 'the handler\'s own value wins');
  assert.deepEqual(own.headers.get('Access-Control-Allow-Headers'), corsHeaders['Access-Control-Allow-Headers']);

  const conflict = await handler(new Request('http://x/', { method: 'PUT' }));
  assert.deepEqual(conflict.status, 409);
  assert.deepEqual((await conflict.json()).error.code, 'BUSY');
  assertCors(conflict, 'thrown AppError');

  const internal = await handler(new Request('http://x/', { method: 'DELETE' }));
  assert.deepEqual(internal.status, 500);
  const text = await internal.text();
  assert.ok(!text.includes('secret detail'), 'an internal error hides its cause');
  assertCors(internal, 'thrown Error');
});

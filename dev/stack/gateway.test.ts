// The local gateway does what the hosted one does and nothing more (docs/local-vs-hosted.md): JWT check per
// verify_jwt, preflights through to the function without a JWT, no CORS of its own — so a function that does not
// answer its own preflight fails here as it would on a hosted project.
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { gateway, type Handler } from './gateway.ts';

const SECRET = 'gateway-test-secret-gateway-test-secret';

async function jwt(secret = SECRET): Promise<string> {
  return await new SignJWT({ role: 'authenticated', sub: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

function setup(extra: Record<string, Handler | Error> = {}) {
  const seen: string[] = [];
  const echo: Handler = (req) => {
    seen.push(req.method);
    return new Response(`fn:${req.method}`, { status: req.method === 'OPTIONS' ? 405 : 200 });
  };
  const functions = new Map<string, Handler | Error>([['secured', echo], ['open', echo], ...Object.entries(extra)]);
  const routes = gateway({ functions, verifyJwt: (n) => n !== 'open', jwtSecret: SECRET, onError: () => {} });
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await routes(new Request(`http://127.0.0.1${path}`, init));
    assert.ok(res, `${path} is a functions path`);
    return res;
  };
  return { seen, call };
}

function assertNoCors(res: Response, what: string) {
  for (const [k] of res.headers) assert.ok(!k.startsWith('access-control-'), `${what}: the gateway added ${k}`);
}

Deno.test('a preflight reaches a verify_jwt function without a JWT, and its answer is passed on untouched', async () => {
  const { seen, call } = setup();
  const res = await call('/functions/v1/secured', {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
  });
  assert.deepEqual(seen, ['OPTIONS'], 'the function itself answered the preflight');
  assert.equal(res.status, 405, 'a function that does not handle OPTIONS fails its preflight, as on the platform');
  assert.equal(await res.text(), 'fn:OPTIONS');
  assertNoCors(res, 'preflight');
});

Deno.test('verify_jwt: no or a bad JWT is the platform\'s 401, without CORS headers and without running the function', async () => {
  const { seen, call } = setup();
  const missing = await call('/functions/v1/secured', { method: 'POST', headers: { Origin: 'http://localhost:5173' } });
  assert.equal(missing.status, 401);
  assert.deepEqual(await missing.json(), { code: 401, message: 'Missing authorization header' });
  assertNoCors(missing, 'missing JWT');
  for (const auth of [`Bearer ${await jwt('another-secret-another-secret-another')}`, 'Bearer nope', 'Basic abc']) {
    const bad = await call('/functions/v1/secured', { method: 'POST', headers: { Authorization: auth } });
    assert.equal(bad.status, 401, auth);
    assert.deepEqual(await bad.json(), { code: 401, message: 'Invalid JWT' });
    assertNoCors(bad, auth);
  }
  assert.deepEqual(seen, [], 'the function never ran');

  const ok = await call('/functions/v1/secured/sub/path', { method: 'POST', headers: { Authorization: `Bearer ${await jwt()}` } });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'fn:POST');
  assertNoCors(ok, 'function answer');
});

Deno.test('verify_jwt = false: the function gets the request whatever its Authorization', async () => {
  const { seen, call } = setup();
  const res = await call('/functions/v1/open', { method: 'POST', headers: { Authorization: 'Bearer a-cron-secret' } });
  assert.equal(res.status, 200);
  assert.deepEqual(seen, ['POST']);
});

Deno.test('unknown, failing-to-boot and throwing functions get the platform\'s answers, without CORS', async () => {
  const { call } = setup({
    broken: new Error('syntax error'),
    thrower: () => {
      throw new Error('boom');
    },
  });
  const auth = { Authorization: `Bearer ${await jwt()}` };
  const cases: Array<[string, number, string]> = [
    ['/functions/v1/nope', 404, 'NOT_FOUND'],
    ['/functions/v1/broken', 503, 'BOOT_ERROR'],
    ['/functions/v1/thrower', 500, 'WORKER_ERROR'],
  ];
  for (const [path, status, code] of cases) {
    const res = await call(path, { method: 'POST', headers: auth });
    assert.equal(res.status, status, path);
    assert.equal((await res.json()).code, code, path);
    assertNoCors(res, path);
  }
  const preflightUnknown = await call('/functions/v1/nope', { method: 'OPTIONS' });
  assert.equal(preflightUnknown.status, 404, 'not even a preflight is answered for a function that does not exist');
  await preflightUnknown.body?.cancel();
});

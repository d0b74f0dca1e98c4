// Issue #13 item 12: a user JWT must carry exp and sub (jose requiredClaims).
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { AppError } from '../errors.ts';
import { requireUser } from './user-jwt.ts';

const SECRET = 'unit-test-jwt-secret-at-least-32-chars!';
const USER = '0b7c4c8e-8f57-4f7e-9d7a-3c1f7c2b9a10';

function request(token: string) {
  return new Request('http://localhost/erp-sync', { headers: { Authorization: `Bearer ${token}` } });
}

async function sign(claims: { sub?: string; exp?: boolean }) {
  let jwt = new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience('authenticated').setIssuedAt();
  if (claims.sub) jwt = jwt.setSubject(claims.sub);
  if (claims.exp !== false) jwt = jwt.setExpirationTime('1h');
  return await jwt.sign(new TextEncoder().encode(SECRET));
}

async function outcome(token: string, env: Record<string, string>) {
  const names = ['SUPABASE_JWT_SECRET', 'ERP_JWT_SECRET', 'SUPABASE_JWKS'];
  const saved = names.map((n) => [n, Deno.env.get(n)] as const);
  for (const n of names) Deno.env.delete(n);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    return (await requireUser(request(token))).userId;
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  } finally {
    for (const [n, v] of saved) v === undefined ? Deno.env.delete(n) : Deno.env.set(n, v);
  }
}

Deno.test('user JWT: exp and sub are required; the legacy secret can be given as ERP_JWT_SECRET', async () => {
  const env = { SUPABASE_JWT_SECRET: SECRET };
  assert.equal(await outcome(await sign({ sub: USER }), env), USER);
  assert.equal(await outcome(await sign({ sub: USER, exp: false }), env), '401 INVALID_JWT', 'a token that never expires');
  assert.equal(await outcome(await sign({}), env), '401 INVALID_JWT', 'a token without sub');
  assert.equal(await outcome(await sign({ sub: USER }), { ERP_JWT_SECRET: SECRET }), USER, 'CLI-settable name');
  assert.equal(await outcome(await sign({ sub: USER }), {}), '500 MISSING_JWT_KEYS');
});

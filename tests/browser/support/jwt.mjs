// HS256 JWTs signed with the stack's local JWT secret (what Supabase Auth would issue for a signed-in user).
import { createHmac } from 'node:crypto';

const b64url = (data) => Buffer.from(data).toString('base64url');

export function signJwt(secret, claims, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now, exp: now + ttlSeconds, ...claims }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function userJwt(secret, userId, email) {
  return signJwt(secret, { sub: userId, role: 'authenticated', aud: 'authenticated', email });
}

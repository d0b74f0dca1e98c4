/**
 * User JWT verification for functions called from the app (erp-sync, erp-connections). The gateway checks
 * the JWT too when verify_jwt = true, but the function verifies it again cryptographically (signature,
 * expiry, audience 'authenticated', role) before trusting `sub`:
 *  - legacy HS256 projects and the local stack: SUPABASE_JWT_SECRET;
 *  - asymmetric signing keys: the JWKS in SUPABASE_JWKS (JSON) — both are tried when present.
 */
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { AppError } from '../errors.ts';

export interface AuthenticatedUser {
  userId: string;
  claims: JWTPayload & { role?: string; email?: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function bearerToken(req: Request): string | null {
  const m = (req.headers.get('authorization') ?? '').match(/^Bearer\s+(\S+)$/i);
  return m ? m[1] : null;
}

export async function requireUser(req: Request): Promise<AuthenticatedUser> {
  const token = bearerToken(req);
  if (!token) throw new AppError('unauthorized', 'MISSING_JWT', 'missing Authorization: Bearer <user JWT>');
  const secret = Deno.env.get('SUPABASE_JWT_SECRET');
  const jwks = Deno.env.get('SUPABASE_JWKS');
  const options = { audience: 'authenticated', clockTolerance: 5 };
  let payload: JWTPayload | null = null;
  let lastError: unknown = null;
  if (jwks) {
    try {
      payload = (await jwtVerify(token, createLocalJWKSet(JSON.parse(jwks)), options)).payload;
    } catch (e) {
      lastError = e;
    }
  }
  if (!payload && secret) {
    try {
      payload = (await jwtVerify(token, new TextEncoder().encode(secret), { ...options, algorithms: ['HS256'] })).payload;
    } catch (e) {
      lastError = e;
    }
  }
  if (!payload) {
    if (!secret && !jwks) throw new AppError('config', 'MISSING_JWT_KEYS', 'no JWT verification key configured');
    const expired = (lastError as { code?: string })?.code === 'ERR_JWT_EXPIRED';
    throw new AppError('unauthorized', expired ? 'JWT_EXPIRED' : 'INVALID_JWT', expired ? 'JWT expired' : 'invalid JWT');
  }
  if (payload.role !== 'authenticated' || typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
    throw new AppError('unauthorized', 'NOT_A_USER', 'a signed-in user JWT is required');
  }
  return { userId: payload.sub, claims: payload };
}

/**
 * User JWT verification for functions called from the app (erp-sync, erp-connections). The gateway checks
 * the JWT too when verify_jwt = true, but the function verifies it again cryptographically (signature,
 * expiry, audience 'authenticated', role) before trusting `sub`; a token without `exp` or `sub` is refused
 * (jose `requiredClaims`: a token that never expires is never accepted).
 *  - asymmetric signing keys: the JWKS in SUPABASE_JWKS (JSON; Supabase sets it for every Edge Function, see
 *    https://supabase.com/docs/guides/functions/secrets);
 *  - legacy HS256 projects: the project's JWT secret in ERP_JWT_SECRET (the CLI refuses to set secrets named
 *    SUPABASE_*), or SUPABASE_JWT_SECRET where the platform provides it (the local stack does).
 * Every key present is tried.
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
  const secret = Deno.env.get('ERP_JWT_SECRET') || Deno.env.get('SUPABASE_JWT_SECRET');
  const jwks = Deno.env.get('SUPABASE_JWKS');
  const options = { audience: 'authenticated', clockTolerance: 5, requiredClaims: ['exp', 'sub'] };
  let payload: JWTPayload | null = null;
  let lastError: unknown = null;
  if (jwks) {
    try {
      const set = JSON.parse(jwks);
      payload = (await jwtVerify(token, createLocalJWKSet(Array.isArray(set) ? { keys: set } : set), options)).payload;
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

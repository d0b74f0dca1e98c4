/**
 * The secret that authorises the nightly run (erp-auto-sync, verify_jwt = false). Set as the function secret
 * ERP_AUTO_SYNC_SECRET and stored in Vault as 'erp_auto_sync_secret' for the cron job. Accepted as
 * `Authorization: Bearer <secret>` or `apikey: <secret>`, compared in constant time. The anon/publishable
 * key is public and never authorises anything here.
 */
import { AppError } from '../errors.ts';

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
}

/** Constant-time equality (hashing first makes the comparison independent of both lengths). */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function presentedSecrets(req: Request): string[] {
  const out: string[] = [];
  const m = (req.headers.get('authorization') ?? '').match(/^Bearer\s+(\S+)$/i);
  if (m) out.push(m[1]);
  const apikey = req.headers.get('apikey');
  if (apikey) out.push(apikey.trim());
  return out;
}

export async function requireCronSecret(req: Request): Promise<void> {
  const expected = Deno.env.get('ERP_AUTO_SYNC_SECRET');
  if (!expected || expected.length < 16) {
    throw new AppError('config', 'MISSING_CRON_SECRET', 'ERP_AUTO_SYNC_SECRET is not configured');
  }
  const presented = presentedSecrets(req);
  if (presented.length === 0) throw new AppError('unauthorized', 'MISSING_SECRET', 'missing secret (Authorization: Bearer or apikey)');
  for (const p of presented) if (await timingSafeEqual(p, expected)) return;
  throw new AppError('unauthorized', 'INVALID_SECRET', 'invalid secret');
}

/** Service-role callers (the sync engine triggering analyses). */
export async function requireServiceRole(req: Request): Promise<void> {
  const keys = [Deno.env.get('SUPABASE_SERVICE_ROLE_KEY')];
  try {
    const dict = JSON.parse(Deno.env.get('SUPABASE_SECRET_KEYS') ?? '{}') as Record<string, string>;
    keys.push(...Object.values(dict));
  } catch { /* not set */ }
  const valid = keys.filter((k): k is string => !!k && k.length >= 16);
  if (valid.length === 0) throw new AppError('config', 'MISSING_SERVICE_KEY', 'no service key configured');
  const presented = presentedSecrets(req);
  if (presented.length === 0) throw new AppError('unauthorized', 'MISSING_SECRET', 'missing service key');
  for (const p of presented) for (const k of valid) if (await timingSafeEqual(p, k)) return;
  throw new AppError('unauthorized', 'INVALID_SECRET', 'invalid service key');
}

/**
 * Which ERP base URLs (erp_connections.api_base_url / auth_base_url) a connection may use: https, or plain http
 * only to a loopback host (localhost, 127.0.0.0/8, [::1]) — the local stack's simulators. Credentials travel in
 * every request (Tiny even puts its token in the query string), so nothing else may go out unencrypted.
 * The database enforces the same rule on write (public.erp_base_url_is_allowed, migration 20261203001010);
 * supabase/tests/sync/base_urls.test.ts runs both over one table of cases.
 */
import { AppError } from '../errors.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Why `raw` is not an allowed base URL, or null. */
export function baseUrlProblem(raw: string): string | null {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(raw);
  if (!m) return 'not an http(s) URL';
  const [, scheme, authority] = m;
  if (!authority || authority.includes('@')) return 'no host, or credentials in the URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (scheme.toLowerCase() === 'https') return null;
  return LOOPBACK.test(url.hostname) ? null : 'must be https (plain http only for the local stack on loopback)';
}

/** Throws AppError 'config' INSECURE_BASE_URL naming which URL of the connection is refused. */
export function assertBaseUrl(provider: string, which: string, raw: string): void {
  const problem = baseUrlProblem(raw);
  if (problem) throw new AppError('config', 'INSECURE_BASE_URL', `${provider}: ${which} refused (${problem})`);
}

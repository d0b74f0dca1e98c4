/**
 * Conta Azul transport (https://developers.contaazul.com/auth, /requestingcode, /renewingaccesstoken; the
 * OpenAPI documents' 401/429 answers; docs/erp-sources.md):
 *   - API `https://api-v2.contaazul.com/v1/...`, Bearer access token (1 h);
 *   - tokens from `POST https://auth.contaazul.com/oauth2/token` (AWS Cognito) with HTTP Basic client auth;
 *     the refresh token ROTATES: refreshed ahead of expiry, single-flight, persisted before use (adapters/oauth.ts);
 *     a reused/revoked refresh token answers 400 `invalid_grant` → AppError 'auth';
 *   - 600 req/min and 10 req/s per connected account; 429 above that.
 */
import { createErpOAuthHttp, type ErpOAuthHttp, type ErpOAuthSpec } from '../common/http.ts';
import {
  type AdapterDeps,
  type InspectInput,
  type LimitPolicy,
  type ProviderSignal,
} from '../../http/mod.ts';
import type { AdapterContext } from '../contract.ts';
import { CaErrorSchema } from './schemas.ts';

export const CONTA_AZUL_DEFAULT_AUTH_URL = 'https://auth.contaazul.com';
export const CONTA_AZUL_TOKEN_PATH = '/oauth2/token';

/**
 * 600 req/min and 10 req/s per connected account (Conta Azul's API limits, https://developers.contaazul.com/faq);
 * we keep to 8/s and 500/min: headroom for other apps connected to the same account.
 */
export const CONTA_AZUL_LIMITS: LimitPolicy = {
  windows: [{ limit: 8, intervalMs: 1_000 }, { limit: 500, intervalMs: 60_000 }],
};

/** Module-dependent error bodies → a readable detail; status rules (401/403 auth, 429, 5xx) stay in classify.ts. */
export function contaAzulInspector(r: InspectInput): ProviderSignal | undefined {
  if (r.status < 400 || r.status === 401 || r.status === 403 || r.status === 429 || r.status >= 500) {
    return undefined;
  }
  const b = CaErrorSchema.safeParse(r.json());
  const detail = b.success ? (b.data.message ?? b.data.error_description ?? b.data.error) : undefined;
  const code = b.success && b.data.code !== undefined
    ? `CONTA_AZUL_${String(b.data.code)}`
    : `CONTA_AZUL_HTTP_${r.status}`;
  return { signal: 'data', code, detail };
}

export interface ContaAzulClientOptions extends AdapterDeps {
  /** Replaces CONTA_AZUL_LIMITS (e.g. a tighter budget when other apps share the account). */
  limits?: LimitPolicy;
  /** Refresh this long before expiry. Default 5 min. */
  refreshSkewMs?: number;
}

/** Conta Azul's HttpClient data for the kit's factory (common/http.ts). */
export const CONTA_AZUL_HTTP: ErpOAuthSpec = {
  provider: 'conta_azul',
  erp: 'conta_azul',
  limits: CONTA_AZUL_LIMITS,
  inspect: () => contaAzulInspector,
  headers: { accept: 'application/json' },
  defaultAuthUrl: CONTA_AZUL_DEFAULT_AUTH_URL,
  tokenPath: CONTA_AZUL_TOKEN_PATH,
  clientAuth: 'basic',
};

export function createContaAzulHttp(ctx: AdapterContext, opts: ContaAzulClientOptions = {}): ErpOAuthHttp {
  return createErpOAuthHttp(ctx, opts, {
    ...CONTA_AZUL_HTTP,
    limits: opts.limits ?? CONTA_AZUL_LIMITS,
    refreshSkewMs: opts.refreshSkewMs,
  });
}

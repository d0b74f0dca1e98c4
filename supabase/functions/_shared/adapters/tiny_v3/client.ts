/**
 * Tiny ERP (Olist ERP) API v3 transport: `https://api.tiny.com.br/public-api/v3`, `Authorization: Bearer`
 * access tokens from the Keycloak realm `tiny` at `https://accounts.tiny.com.br/realms/tiny`
 * (`POST /protocol/openid-connect/token`, form body with client_id/client_secret — the OpenAPI document's
 * description, see docs/tiny-v3.md). Access tokens last 4 h and refresh tokens 1 day, and Keycloak rotates the
 * refresh token: the shared OAuth helper (adapters/oauth.ts) refreshes ahead of expiry, single-flight, and
 * persists the new pair before using it — the same rotation-safe refresh as Bling and Conta Azul. A refresh
 * token unused for a day is dead: the refusal (`invalid_grant`) becomes an 'auth' error asking the user to
 * reconnect.
 *
 * Errors: 400 carries ErrorDTO `{mensagem, detalhes}` (→ a data error for that record); 401/403 auth; 404, 5xx
 * by status. Limits: the per-minute quota is per ERP account and shared with the ERP's own apps (no public
 * number for v3 — we keep to the v2 figure of the lowest paid plan, 30/min, at 70%); a 429 is honoured with
 * its Retry-After.
 */
import { createErpOAuthHttp, type ErpOAuthHttp, type ErpOAuthSpec } from '../common/http.ts';
import {
  type AdapterDeps,
  type InspectInput,
  type LimitPolicy,
  MINUTE,
  type ProviderSignal,
} from '../../http/mod.ts';
import type { AdapterContext } from '../contract.ts';
import { TinyV3ErrorSchema } from './schemas.ts';

export const TINY_V3_BASE_URL = 'https://api.tiny.com.br/public-api/v3';
export const TINY_V3_AUTH_URL = 'https://accounts.tiny.com.br/realms/tiny';
export const TINY_V3_TOKEN_PATH = '/protocol/openid-connect/token';

/** 70% of 30 requests per minute, per Tiny account (see the module comment). */
export const TINY_V3_LIMITS: LimitPolicy = { windows: [{ limit: 21, intervalMs: MINUTE }] };

/** ErrorDTO on 400 → a data error naming Tiny's message; other statuses keep the default rules. */
export function tinyV3Inspector(r: InspectInput): ProviderSignal | undefined {
  if (r.status !== 400 && r.status !== 422) return undefined;
  const b = TinyV3ErrorSchema.safeParse(r.json());
  const detail = b.success
    ? [
      b.data.mensagem,
      ...(b.data.detalhes ?? []).map((d) => [d.campo, d.mensagem].filter(Boolean).join(': ')),
    ]
      .filter(Boolean).join('; ')
    : undefined;
  return { signal: 'data', code: `TINY_V3_HTTP_${r.status}`, detail };
}

/** Tiny v3's HttpClient data for the kit's factory (common/http.ts). */
export const TINY_V3_HTTP: ErpOAuthSpec = {
  provider: 'tiny',
  erp: 'tiny_v3',
  limits: TINY_V3_LIMITS,
  inspect: () => tinyV3Inspector,
  headers: { accept: 'application/json' },
  defaultAuthUrl: TINY_V3_AUTH_URL,
  tokenPath: TINY_V3_TOKEN_PATH,
  clientAuth: 'body',
};

export function createTinyV3Http(ctx: AdapterContext, deps: AdapterDeps = {}): ErpOAuthHttp {
  return createErpOAuthHttp(ctx, deps, TINY_V3_HTTP);
}

/**
 * Bling v3 transport: HttpClient on the configured base URL with Bearer auth from the shared OAuth helper
 * (Basic client auth on /oauth/token, 6 h access, rotating refresh persisted before use), the account limiter
 * (3 req/s and 120,000/day per Bling account, shared by every connection of the account) and Bling's
 * error signals (429 body `{"error":{"type":"TOO_MANY_REQUESTS","limit","period"}}`).
 * Docs: https://developer.bling.com.br/limites, /erros-comuns, /aplicativos
 */
import { BRASILIA_OFFSET_MS } from '../common/normalize.ts';
import type { AdapterContext } from '../contract.ts';
import { createErpOAuthHttp, type ErpOAuthHttp, type ErpOAuthSpec } from '../common/http.ts';
import {
  type AdapterDeps,
  DAY,
  type InspectInput,
  type LimitPolicy,
  type LimitSpec,
  MINUTE,
  parseRetryAfter,
  type ProviderSignal,
  SECOND,
} from '../../http/mod.ts';
import { BlingErrorSchema } from './schemas.ts';

export const BLING_BASE_URL = 'https://api.bling.com.br/Api/v3';
export const BLING_TOKEN_PATH = '/oauth/token';

/**
 * Documented per-account limits (https://developer.bling.com.br/limites). Bling counts requests when they
 * arrive; the limiter counts each from its answer, the latest it can have arrived, so network jitter cannot put
 * four of them in one of Bling's seconds (http/limiter.ts). A send-time window padded to 1,150 ms still met
 * about 3 answers 429 per nightly connection in the 2,000-connection bench.
 */
export const BLING_LIMITS: LimitPolicy = {
  windows: [{ limit: 3, intervalMs: SECOND }, { limit: 120_000, intervalMs: DAY }],
};

/** Token endpoint: >20 calls in 60 s blocks the IP for 60 min; stay well below, process-wide. */
export const BLING_TOKEN_LIMITS: LimitSpec[] = [
  { key: 'bling:token-endpoint', policy: { windows: [{ limit: 15, intervalMs: MINUTE }] } },
];

/** Milliseconds until the next midnight in Brasília (UTC-3, no DST since 2019) + 1 s. */
export function msUntilBrasiliaMidnight(nowMs: number): number {
  const offset = BRASILIA_OFFSET_MS;
  const local = nowMs - offset;
  const nextMidnightLocal = (Math.floor(local / DAY) + 1) * DAY;
  return nextMidnightLocal + offset - nowMs + 1000;
}

export function blingInspector(nowMs: () => number) {
  return (r: InspectInput): ProviderSignal | undefined => {
    if (r.status < 400) return undefined;
    const parsed = BlingErrorSchema.safeParse(r.json());
    const err = parsed.success ? parsed.data.error : undefined;
    const detail = err ? [err.type, err.description ?? err.message].filter(Boolean).join(': ') : undefined;
    if (r.status === 429) {
      const header = parseRetryAfter(r.headers.get('retry-after'), nowMs());
      const retryAfterMs = err?.period === 'day' ? msUntilBrasiliaMidnight(nowMs()) : header ?? SECOND;
      return {
        signal: 'rate_limited',
        code: err?.period === 'day' ? 'BLING_DAILY_LIMIT' : 'BLING_RATE_LIMIT',
        retryAfterMs,
        detail,
      };
    }
    if (r.status === 401 || r.status === 403) {
      return { signal: 'auth', code: `BLING_${(err?.type ?? `HTTP_${r.status}`).toUpperCase()}`, detail };
    }
    if (r.status >= 500) return { signal: 'transient', code: `BLING_HTTP_${r.status}`, detail };
    return { signal: 'data', code: `BLING_${(err?.type ?? `HTTP_${r.status}`).toUpperCase()}`, detail };
  };
}

/** Bling's HttpClient data for the kit's factory (common/http.ts). */
export const BLING_HTTP: ErpOAuthSpec = {
  provider: 'bling',
  erp: 'bling',
  limits: BLING_LIMITS,
  inspect: blingInspector,
  headers: { accept: 'application/json' },
  tokenPath: BLING_TOKEN_PATH,
  clientAuth: 'basic',
  tokenLimits: BLING_TOKEN_LIMITS,
};

/**
 * The token endpoint lives on authUrl when given (production may set https://www.bling.com.br/Api/v3 so the
 * NF-e `xml` links on www.bling.com.br are on an allowed origin too); no default: the API base URL.
 */
export function createBlingTransport(ctx: AdapterContext, deps: AdapterDeps = {}): ErpOAuthHttp {
  return createErpOAuthHttp(ctx, deps, BLING_HTTP);
}

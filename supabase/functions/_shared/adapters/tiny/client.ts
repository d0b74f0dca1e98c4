/**
 * Tiny v2 transport. Every call is a POST form to `<baseUrl>/<service>.php` with `token` and `formato=json`
 * (POST keeps the token out of URLs and logs); HTTP 200 carries errors in `retorno.status`/`codigo_erro`
 * (JSON, or XML for nota.fiscal.obter.xml.php), which tinyInspector turns into provider signals:
 *   see `tinySignal` for each codigo_erro; a text "API Bloqueada" without a code → rate_limited.
 * Limits: per Tiny account, 70% of the plan's per-minute limit (the quota is shared with the ERP's own UI and
 * other integrations), learnt from the `x-limit-api` header (30/min assumed before the first answer), and at
 * most a quarter of the plan in flight.
 * Docs: https://tiny.com.br/api-docs/api2-limites-api and the api2-* service pages.
 */
import { registerSecret } from '../../errors.ts';
import type { AdapterContext } from '../contract.ts';
import { createErpHttp } from '../common/http.ts';
import {
  type AdapterDeps,
  fromSignal,
  type HttpClient,
  type HttpResponse,
  type InspectInput,
  type LimitPolicy,
  MINUTE,
  type ProviderSignal,
  type Query,
} from '../../http/mod.ts';
import { tinyXmlStatus } from './mappers.ts';
import { TinyCredentialsSchema, type TinyEnvelope, TinyEnvelopeSchema } from './schemas.ts';

export const TINY_BASE_URL = 'https://api.tiny.com.br/api2';
/** Lowest paid plan (Crescer): 30 req/min. */
export const TINY_DEFAULT_PLAN_PER_MINUTE = 30;
export const TINY_QUOTA_SHARE = 0.7;

const BLOCKED_RE = /api bloqueada/i;

/** codigo_erro 21, "A Consulta retornou muitos registros": the adapter splits the date window. */
export const TINY_TOO_MANY_RECORDS = 'TINY_TOO_MANY_RECORDS';

/**
 * Tiny's error codes (the table every service page refers to, e.g. https://tiny.com.br/api-docs/api2-notas-fiscais-pesquisar;
 * reproduced in linkiez/TinyERPv2-SDK@d8b4221221729fdff67dc49407b9df82827511a5 src/types/CodigoErro.ts) → signals:
 *   1/2 token missing/invalid → auth · 5 API blocked or without access, 8 company blocked → auth (account
 *   problems only the user can solve; sync/messages.ts says what to do) · 6 per-minute quota → rate_limited 60 s
 *   · 11 too many concurrent calls → rate_limited 10 s · 35 unexpected error, 99 maintenance → transient ·
 *   21 too many records → data TINY_TOO_MANY_RECORDS (the window is split) · 20/23 → empty list · others → data.
 */
export function tinySignal(
  codigo: string | null | undefined,
  erro: string | null | undefined,
): ProviderSignal | undefined {
  const detail = erro ?? undefined;
  switch (codigo) {
    case undefined:
    case null:
    case '':
      return BLOCKED_RE.test(erro ?? '')
        ? { signal: 'rate_limited', code: 'TINY_API_BLOCKED', retryAfterMs: 60_000, detail }
        : undefined;
    case '1':
    case '2':
      return { signal: 'auth', code: codigo === '1' ? 'TINY_TOKEN_MISSING' : 'TINY_TOKEN_INVALID', detail };
    case '5':
      return { signal: 'auth', code: 'TINY_API_NO_ACCESS', detail };
    case '8':
      return { signal: 'auth', code: 'TINY_ACCOUNT_BLOCKED', detail };
    case '6':
      return { signal: 'rate_limited', code: 'TINY_API_BLOCKED', retryAfterMs: 60_000, detail };
    case '11':
      return { signal: 'rate_limited', code: 'TINY_TOO_MANY_CONCURRENT', retryAfterMs: 10_000, detail };
    case '21':
      return { signal: 'data', code: TINY_TOO_MANY_RECORDS, detail };
    case '35':
      return { signal: 'transient', code: 'TINY_UNEXPECTED_ERROR', detail };
    case '99':
      return { signal: 'transient', code: 'TINY_MAINTENANCE', detail };
    case '20':
    case '23':
      return undefined; // empty result / page past the end: the caller reads them as "no records"
    default:
      if (BLOCKED_RE.test(erro ?? '')) {
        return { signal: 'rate_limited', code: 'TINY_API_BLOCKED', retryAfterMs: 60_000, detail };
      }
      return { signal: 'data', code: `TINY_ERROR_${codigo}`, detail };
  }
}

export function tinyInspector(r: InspectInput): ProviderSignal | undefined {
  if (r.status !== 200) return undefined; // infrastructure errors: status rules (5xx transient...)
  const head = r.text.trimStart();
  if (head.startsWith('<')) {
    const s = tinyXmlStatus(r.text);
    return s.status === 'Erro' ? tinySignal(s.codigo, s.erro) : undefined;
  }
  const env = TinyEnvelopeSchema.safeParse(r.json());
  if (!env.success) return undefined; // malformed: the caller's json() reports it as a data error
  const ret = env.data.retorno;
  if (ret.status !== 'Erro') return undefined;
  return tinySignal(ret.codigo_erro ?? null, ret.erros?.map((e) => e.erro).filter(Boolean).join('; '));
}

/** True when a (successful) envelope says "no records" (20) or "page does not exist" (23). */
export function isEmptyResult(env: TinyEnvelope): boolean {
  return env.retorno.status === 'Erro' &&
    (env.retorno.codigo_erro === '20' || env.retorno.codigo_erro === '23');
}

export interface TinyTransport {
  http: HttpClient;
  /** POST `<service>.php` with the token; returns the parsed envelope (retorno) or the raw response. */
  call(service: string, params?: Query, opts?: { label?: string }): Promise<HttpResponse>;
  policy: LimitPolicy;
}

export function createTinyTransport(ctx: AdapterContext, deps: AdapterDeps = {}): TinyTransport {
  const policy: LimitPolicy = {
    windows: [{ limit: Math.floor(TINY_DEFAULT_PLAN_PER_MINUTE * TINY_QUOTA_SHARE), intervalMs: MINUTE }],
    maxConcurrent: Math.max(1, Math.floor(TINY_DEFAULT_PLAN_PER_MINUTE / 4)),
  };
  let token: string | null = null;
  // `policy` is the limiter's own object: learnPlan below tightens or widens it in place.
  const { http } = createErpHttp(ctx, deps, {
    provider: 'tiny',
    erp: 'tiny',
    limits: policy,
    inspect: () => tinyInspector,
    auth: {
      async apply({ form }) {
        if (!token) {
          const parsed = TinyCredentialsSchema.safeParse(await ctx.credentials.load());
          if (!parsed.success) {
            throw fromSignal(
              {
                signal: 'auth',
                code: 'TINY_TOKEN_MISSING',
                detail: 'no API token stored for this connection',
              },
              { provider: 'tiny', method: 'POST', path: '(credentials)' },
            );
          }
          token = parsed.data.token;
          registerSecret(token);
        }
        form?.set('token', token);
      },
    },
  });

  function learnPlan(res: HttpResponse): void {
    const plan = Number(res.headers.get('x-limit-api'));
    if (!Number.isFinite(plan) || plan <= 0) return;
    const limit = Math.max(1, Math.floor(plan * TINY_QUOTA_SHARE));
    if (policy.windows![0].limit !== limit) {
      policy.windows = [{ limit, intervalMs: MINUTE }];
      policy.maxConcurrent = Math.max(1, Math.floor(plan / 4));
    }
  }

  return {
    http,
    policy,
    async call(service, params = {}, opts = {}) {
      const form: Record<string, string> = { formato: 'json' };
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) form[k] = String(v);
      const res = await http.request({
        method: 'POST',
        path: `/${service}.php`,
        form,
        idempotent: true, // every service the adapter calls is a read
        label: opts.label ?? `/${service}.php`,
      });
      learnPlan(res);
      return res;
    },
  };
}

/**
 * Omie transport (sources: docs/erp-sources.md, Omie):
 *   - every call is `POST https://app.omie.com.br/api/v1/{module}/{service}/` (trailing slash required, else 301)
 *     with `{"call", "app_key", "app_secret", "param":[{...}]}`
 *     (https://ajuda.omie.com.br/pt-BR/articles/5412721-caracteristicas-e-recomendacoes);
 *   - errors come as `{"faultstring","faultcode"}`, usually with HTTP 500 and sometimes with 200, so the body
 *     is always inspected; the fault → AppError translation lives in `omieInspector` (a ProviderSignal handed
 *     to http/classify.ts);
 *   - an empty result is a fault, not an error: `SOAP-ENV:Client-5113` ("Não existem registros para a página
 *     [N]!") and `SOAP-ENV:Client-101` ("Nenhuma conta corrente foi encontrada!") — both quoted from live answers
 *     in OmieSharp/OmieSharp@c00c24d897ba4163ea067bfeefcfabe3ffa6ed59 src/OmieSharp/OmieSharpClient.cs;
 *   - a bad key is `SOAP-ENV:Server` "A chave de acesso não está preenchida ou não é válida.", as open-source
 *     clients quote it from live answers (no vendor page states it; docs/erp-sources.md);
 *   - limits: 240 req/min and 4 in flight per app_key + method; the same request repeated within 60 s is refused
 *     (`SOAP-ENV:Client-1100` "Esta requisição já foi processada ou está sendo processada e você pode tentar
 *     novamente às 19:04:08." — OmieSharpClient.cs above); repeated abuse blocks the key (MISUSE_API_PROCESS).
 */
import { AppError, registerSecret } from '../../errors.ts';
import type { AdapterContext } from '../contract.ts';
import { createErpHttp, type ErpHttpSpec } from '../common/http.ts';
import { onceUntilFailure } from '../common/once.ts';
import {
  type AdapterDeps,
  type HttpClient,
  type InspectInput,
  type LimitPolicy,
  MINUTE,
  type ProviderSignal,
  SECOND,
} from '../../http/mod.ts';
import { type OmieCredentials, OmieCredentialsSchema, OmieFaultSchema } from './schemas.ts';
import { BRASILIA_OFFSET_MS } from '../common/normalize.ts';

/**
 * Per app_key + method: 240/min and 4 simultaneous (Omie's help page on API errors above). We keep to 200/min:
 * headroom for the customer's other integrations on the same key.
 */
export const OMIE_METHOD_LIMITS: LimitPolicy = {
  windows: [{ limit: 200, intervalMs: MINUTE }],
  maxConcurrent: 4,
};

/**
 * The shortest wait after a redundant-call refusal: Omie frees a repeated request only after 60 s
 * ("Requisições redundantes liberadas a cada 60 segundos"), and retrying sooner counts towards a key block.
 */
export const OMIE_REDUNDANT_MIN_WAIT_MS = 60 * SECOND;
/** Wait used when a MISUSE_API_PROCESS block does not say how long (clients report ~30 min). */
export const OMIE_BLOCK_DEFAULT_WAIT_MS = 30 * MINUTE;

/** Faults that mean "no records" (an empty page / empty result), never an error. */
const EMPTY_RESULT = /Client-(5113|101)\b/;
const BAD_KEY = /chave de acesso|app_key|app_secret|aplicativo.*(inv[aá]lid|bloquead)/i;
/** Omie's clock is Brasília time. */
const BRT_OFFSET_MS = BRASILIA_OFFSET_MS;

function waitSeconds(text: string): number | undefined {
  const m = /(\d+)\s*segundo/i.exec(text);
  return m ? Number(m[1]) * SECOND : undefined;
}

/** "... tentar novamente às 19:04:08" → ms from `nowMs` until that Brasília wall-clock time (next occurrence). */
export function waitUntilStatedTime(text: string, nowMs: number): number | undefined {
  const m = /(?:^|\s)(?:à|a)s\s+(\d{1,2}):(\d{2})(?::(\d{2}))?/i.exec(text);
  if (!m) return undefined;
  const [h, mi, se] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || se > 59) return undefined;
  const local = new Date(nowMs - BRT_OFFSET_MS);
  let at = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h, mi, se) +
    BRT_OFFSET_MS;
  // A time a little in the past is our clock running ahead of Omie's; far in the past means tomorrow.
  if (at < nowMs - 12 * 3_600_000) at += 24 * 3_600_000;
  return at - nowMs;
}

/**
 * Translates Omie's body-level signals into ProviderSignals (the one place an Omie fault is classified).
 * `nowMs` places a stated "tente novamente às HH:MM:SS" on our clock.
 */
export function omieInspector(r: InspectInput, nowMs: number = Date.now()): ProviderSignal | undefined {
  const parsed = OmieFaultSchema.safeParse(r.json());
  if (!parsed.success) {
    if (r.status === 429) {
      // "Too Many Requests" on the per-minute limits (Omie's help page on API errors); Retry-After if sent.
      const ra = r.headers.get('retry-after');
      return {
        signal: 'rate_limited',
        code: 'OMIE_429',
        detail: '429: Too many Requests',
        retryAfterMs: ra && /^\d+$/.test(ra.trim()) ? Number(ra) * SECOND : 20 * SECOND,
      };
    }
    return undefined; // status rules (and JSON parsing by the caller) apply
  }
  const { faultstring, faultcode } = parsed.data;
  const code = faultcode.trim();
  const text = faultstring;
  const detail = `${code}: ${text}`;
  if (/MISUSE_API_PROCESS/.test(code) || /consumo indevido/i.test(text)) {
    return {
      signal: 'rate_limited',
      code: 'OMIE_BLOCKED',
      detail,
      retryAfterMs: waitSeconds(text) ?? OMIE_BLOCK_DEFAULT_WAIT_MS,
    };
  }
  if (
    /Client-1100\b/.test(code) || /REDUNDANT/i.test(code) || /Client-6\b/.test(code) ||
    /redundante|j[aá] foi processada/i.test(text)
  ) {
    // Never a quick retry: wait until the stated time, and never less than Omie's 60 s rule.
    const stated = waitUntilStatedTime(text, nowMs) ?? waitSeconds(text) ?? 0;
    return {
      signal: 'rate_limited',
      code: 'OMIE_REDUNDANT',
      detail,
      retryAfterMs: Math.max(OMIE_REDUNDANT_MIN_WAIT_MS, stated),
    };
  }
  if (BAD_KEY.test(text)) return { signal: 'auth', code: 'OMIE_INVALID_KEY', detail };
  if (EMPTY_RESULT.test(code)) return { signal: 'ok' };
  // Client-1880 "Já existe uma requisição desse método sendo executada": another call of the method is running.
  if (/Client-1880\b/.test(code) || /sendo (processada|executada)/i.test(text)) {
    return { signal: 'transient', code: 'OMIE_IN_FLIGHT', detail };
  }
  if (/^SOAP-ENV:Server/i.test(code) || /^Server\b/i.test(code)) {
    return { signal: 'transient', code: 'OMIE_SERVER', detail };
  }
  if (/Client-105\b/.test(code)) return { signal: 'data', code: 'OMIE_NOT_FOUND', detail };
  if (/Invalid JSON|SyntaxError/i.test(text)) return { signal: 'config', code: 'OMIE_BAD_REQUEST', detail };
  return { signal: 'data', code: 'OMIE_FAULT', detail };
}

/**
 * Omie's HttpClient data for the kit's factory (common/http.ts). No account-wide limits: they are per app_key +
 * method, added by each call. A redundant-call refusal asks for 60 s (plus the stated time's rounding): slept
 * through in process; longer stated waits go back to the engine, which reschedules.
 */
export const OMIE_HTTP: ErpHttpSpec = {
  provider: 'omie',
  erp: 'omie',
  inspect: (now) => (r) => omieInspector(r, now()),
  timeoutMs: 60_000,
  retry: { maxRetryAfterMs: OMIE_REDUNDANT_MIN_WAIT_MS + 5 * SECOND },
};

export type OmieCallResult = { end: true } | { end: false; body: unknown };

export class OmieClient {
  readonly http: HttpClient;
  /** The connection's keys, read once (again after a failure: keys saved later are picked up). */
  private readonly credentials: () => Promise<OmieCredentials>;

  constructor(private readonly ctx: AdapterContext, deps: AdapterDeps = {}) {
    this.http = createErpHttp(ctx, deps, OMIE_HTTP).http;
    this.credentials = onceUntilFailure(() =>
      ctx.credentials.load().then((raw) => {
        const c = OmieCredentialsSchema.safeParse(raw);
        if (!c.success) {
          throw new AppError(
            'auth',
            'OMIE_MISSING_KEYS',
            'Omie: app_key/app_secret ausentes nas credenciais da conexão',
          );
        }
        registerSecret(c.data.app_key);
        registerSecret(c.data.app_secret);
        return c.data;
      })
    );
  }

  /**
   * Calls `{service}` (e.g. 'produtos/nfconsultar') method `call` with one `param` object. Returns
   * `{end:true}` for the "no records" faults (Client-5113, Client-101), the parsed body otherwise.
   * Every Omie call we make is a read, so retries are safe (`idempotent: true`).
   */
  async call(service: string, call: string, param: Record<string, unknown>): Promise<OmieCallResult> {
    const { app_key, app_secret } = await this.credentials();
    const path = `/${service.replace(/^\/+|\/+$/g, '')}/`; // the trailing slash is mandatory
    const res = await this.http.request({
      method: 'POST',
      path,
      json: { call, app_key, app_secret, param: [param] },
      idempotent: true,
      label: `${path} ${call}`,
      extraLimits: [{ key: `omie:${this.ctx.accountKey}:${call}`, policy: OMIE_METHOD_LIMITS }],
    });
    const body = res.json<unknown>();
    const fault = OmieFaultSchema.safeParse(body);
    if (fault.success) {
      if (EMPTY_RESULT.test(fault.data.faultcode)) return { end: true };
      // the inspector classifies every other fault; reaching here means a fault it let through
      throw new AppError('data', 'OMIE_FAULT', `omie ${path} ${call}: ${fault.data.faultcode}`);
    }
    return { end: false, body };
  }
}

/**
 * Omie transport (research/erp-apis.md §2.2, §2.7-2.9):
 *   - every call is `POST https://app.omie.com.br/api/v1/{module}/{service}/` (trailing slash required, else 301)
 *     with `{"call", "app_key", "app_secret", "param":[{...}]}`;
 *   - errors come as `{"faultstring","faultcode"}`, usually with HTTP 500 and sometimes with 200, so the body
 *     is always inspected; the fault → AppError translation lives in `omieInspector` (a ProviderSignal handed
 *     to http/classify.ts);
 *   - an empty page is the fault `SOAP-ENV:Client-5113` ("Não existem registros para a página [N]!") = end of
 *     data, not an error;
 *   - limits: 240 req/min and 4 in flight per app_key + method; the same method with the same parameters within
 *     60 s is refused as "consumo redundante" (wait N s); repeated abuse blocks the key (MISUSE_API_PROCESS).
 */
import { AppError, registerSecret } from '../../errors.ts';
import type { AdapterContext } from '../contract.ts';
import {
  type AdapterDeps,
  clockFor,
  HttpClient,
  type InspectInput,
  type LimitPolicy,
  MINUTE,
  type ProviderSignal,
  SECOND,
} from '../../http/mod.ts';
import { type OmieCredentials, OmieCredentialsSchema, OmieFaultSchema } from './schemas.ts';

/**
 * Per app_key + method (§2.8): 240/min and 4 simultaneous. We keep to 200/min (research §6.3: headroom for the
 * customer's other integrations on the same key). Omie's 960/min per source IP is not per account (see report).
 */
export const OMIE_METHOD_LIMITS: LimitPolicy = {
  windows: [{ limit: 200, intervalMs: MINUTE }],
  maxConcurrent: 4,
};

/** Wait used when a redundant-call fault does not say how long (the rule is "within 60 s"). */
export const OMIE_REDUNDANT_DEFAULT_WAIT_MS = 60 * SECOND;
/** Wait used when a MISUSE_API_PROCESS block does not say how long (clients report ~30 min). */
export const OMIE_BLOCK_DEFAULT_WAIT_MS = 30 * MINUTE;

const END_OF_DATA = /Client-5113\b/;

function waitFromText(text: string): number | undefined {
  const m = /(\d+)\s*segundo/i.exec(text);
  return m ? Number(m[1]) * SECOND : undefined;
}

/** Translates Omie's body-level signals into ProviderSignals (the one place an Omie fault is classified). */
export function omieInspector(r: InspectInput): ProviderSignal | undefined {
  const parsed = OmieFaultSchema.safeParse(r.json());
  if (!parsed.success) {
    if (r.status === 429) {
      // "429: Too many Requests" (plain text) on the per-minute limits; no Retry-After documented [U].
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
  if (END_OF_DATA.test(code)) return { signal: 'ok' };
  if (
    /Client-101\b/.test(code) ||
    /chave de acesso|app_key|app_secret|aplicativo.*(inv[aá]lid|bloquead)/i.test(text)
  ) {
    if (!/consumo/i.test(text)) return { signal: 'auth', code: 'OMIE_INVALID_KEY', detail };
  }
  if (/MISUSE_API_PROCESS/.test(code) || /consumo indevido/i.test(text)) {
    return {
      signal: 'rate_limited',
      code: 'OMIE_BLOCKED',
      detail,
      retryAfterMs: waitFromText(text) ?? OMIE_BLOCK_DEFAULT_WAIT_MS,
    };
  }
  if (/REDUNDANT/i.test(code) || /Client-6\b/.test(code) || /redundante/i.test(text)) {
    return {
      signal: 'rate_limited',
      code: 'OMIE_REDUNDANT',
      detail,
      retryAfterMs: waitFromText(text) ?? OMIE_REDUNDANT_DEFAULT_WAIT_MS,
    };
  }
  if (/Client-1880\b/.test(code) || /sendo processada/i.test(text)) {
    return { signal: 'transient', code: 'OMIE_IN_FLIGHT', detail };
  }
  if (/^SOAP-ENV:Server/i.test(code) || /^Server\b/i.test(code)) {
    return { signal: 'transient', code: 'OMIE_SERVER', detail };
  }
  if (/Client-105\b/.test(code)) return { signal: 'data', code: 'OMIE_NOT_FOUND', detail };
  if (/Invalid JSON|SyntaxError/i.test(text)) return { signal: 'config', code: 'OMIE_BAD_REQUEST', detail };
  return { signal: 'data', code: 'OMIE_FAULT', detail };
}

export type OmieCallResult = { end: true } | { end: false; body: unknown };

export class OmieClient {
  readonly http: HttpClient;
  private creds: Promise<OmieCredentials> | null = null;

  constructor(private readonly ctx: AdapterContext, deps: AdapterDeps = {}) {
    this.http = new HttpClient({
      provider: 'omie',
      baseUrl: ctx.baseUrl,
      fetch: ctx.fetch,
      clock: clockFor(ctx, deps),
      limiter: deps.limiter,
      retry: deps.retry,
      timeoutMs: deps.timeoutMs ?? 60_000,
      random: deps.random,
      onEvent: deps.onEvent,
      signal: ctx.signal,
      inspect: omieInspector,
      limits: [],
    });
  }

  private credentials(): Promise<OmieCredentials> {
    this.creds ??= this.ctx.credentials.load().then((raw) => {
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
    });
    this.creds.catch(() => (this.creds = null));
    return this.creds;
  }

  /**
   * Calls `{service}` (e.g. 'produtos/nfconsultar') method `call` with one `param` object. Returns
   * `{end:true}` for the "no records for this page" fault (Client-5113), the parsed body otherwise.
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
      if (END_OF_DATA.test(fault.data.faultcode)) return { end: true };
      // the inspector classifies every other fault; reaching here means a fault it let through
      throw new AppError('data', 'OMIE_FAULT', `omie ${path} ${call}: ${fault.data.faultcode}`);
    }
    return { end: false, body };
  }
}

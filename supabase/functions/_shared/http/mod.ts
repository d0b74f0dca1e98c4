/**
 * Public API of the http layer. Adapters import from here (`../../http/mod.ts`).
 *
 *   const http = new HttpClient({
 *     provider: 'omie',
 *     baseUrl: ctx.baseUrl,                       // only this origin (and authUrl's) can be called
 *     fetch: ctx.fetch, signal: ctx.signal,
 *     clock: deps.clock, limiter: deps.limiter, random: deps.random,
 *     limits: [{ key: `omie:${ctx.accountKey}`, policy: { windows: [{ limit: 960, intervalMs: MINUTE }] } }],
 *     inspect: (r) => ...ProviderSignal | undefined,  // body-level signals (faultstring, codigo_erro)
 *     auth: oauthManager.authProvider(),            // or { apply: ({ url, headers, form }) => ... }
 *   });
 *   const res = await http.request({
 *     method: 'POST', path: '/produtos/nfconsultar/', json: body, idempotent: true,
 *     extraLimits: [{ key: `omie:${ctx.accountKey}:ListarNF`, policy: { windows: [...], maxConcurrent: 4 } }],
 *   });
 *   const body = res.json<unknown>();              // malformed → AppError('data', 'MALFORMED_RESPONSE')
 *
 * Failures are AppErrors classified in classify.ts (401/403 auth, 429 rate_limited, 5xx/network/timeout
 * transient, other 4xx data; provider signals override). Retries: idempotent requests only (GET, or
 * `idempotent: true`), DEFAULT_RETRY = 4 attempts, full-jitter backoff, Retry-After honoured up to 60 s,
 * longer waits are thrown with `retryAfterMs` for the engine to reschedule.
 */
export { BodyTooLarge, DEFAULT_MAX_RESPONSE_BYTES, gunzipCapped, readCapped } from './body.ts';
export { type Clock, FakeClock, systemClock } from './clock.ts';
export {
  classifyStatus,
  classifyThrown,
  fromSignal,
  invalidRecord,
  malformedBody,
  notSupported,
  parseRetryAfter,
  type ProviderSignal,
  type RequestFacts,
} from './classify.ts';
export {
  DAY,
  HOUR,
  type Lease,
  type LimitPolicy,
  type LimitSpec,
  MINUTE,
  RateLimiter,
  type RateWindow,
  SECOND,
  sharedLimiter,
} from './limiter.ts';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
export {
  type AdapterDeps,
  type AuthProvider,
  clockFor,
  HttpClient,
  type HttpClientOptions,
  type HttpEvent,
  type HttpMethod,
  type HttpResponse,
  type InspectInput,
  type Query,
  type RequestOptions,
  type ResponseInspector,
} from './client.ts';

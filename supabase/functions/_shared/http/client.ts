/**
 * HttpClient: the only way adapters talk to an ERP.
 *
 * Every request: is confined to the configured baseUrl/authUrl origins (else AppError 'config'); waits for the
 * per-account rate limiter; runs under a timeout (AbortSignal.timeout, combined with the caller's signal);
 * has its response passed through the provider inspector (body-level signals such as Tiny's HTTP 200
 * `codigo_erro` 6) and then the status rules in classify.ts; is retried, when idempotent and the error is
 * transient/rate-limited, with exponential backoff + full jitter or exactly the server's Retry-After; and
 * blocks the account's limiter key after a 429 so concurrent requests of the account wait too.
 * Response bodies are read as streams under a byte cap (`maxResponseBytes`, default 16 MiB, counted after any
 * Content-Encoding is undone): a larger answer or a gzip bomb is a 'data' error RESPONSE_TOO_LARGE for that one
 * request — the record or the page it carried fails, the isolate does not.
 */
import { AppError } from '../errors.ts';
import {
  badBaseUrl,
  classifyStatus,
  classifyThrown,
  fromSignal,
  malformedBody,
  originNotAllowed,
  parseRetryAfter,
  type ProviderSignal,
  type RequestFacts,
} from './classify.ts';
import { BodyTooLarge, DEFAULT_MAX_RESPONSE_BYTES, readCapped } from './body.ts';
import { type Clock, systemClock } from './clock.ts';
import { type LimitSpec, type RateLimiter, sharedLimiter } from './limiter.ts';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>;
export type Query = Record<string, QueryValue>;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Adds credentials to each attempt (so a refreshed token is picked up on retry). */
export interface AuthProvider {
  apply(req: { url: URL; headers: Headers; form?: URLSearchParams }): Promise<void>;
  /** After a 401/403 classified as auth: return true to retry once (e.g. after a forced token refresh). */
  onUnauthorized?(): Promise<boolean>;
}

export interface InspectInput {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json(): unknown;
  facts: RequestFacts;
}

/** Provider hook: return a signal to override the status rules, or undefined to apply them. */
export type ResponseInspector = (r: InspectInput) => ProviderSignal | undefined;

export interface HttpEvent {
  provider: string;
  method: string;
  path: string;
  attempt: number;
  status?: number;
  error?: AppError;
  durationMs: number;
}

export interface HttpClientOptions {
  /** Provider name used in messages and limiter keys: 'bling', 'tiny', 'omie', 'conta_azul'. */
  provider: string;
  baseUrl: string;
  /** Token endpoint base when it differs from baseUrl; its origin is allowed too. */
  authUrl?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Random source for jitter (tests pass a fixed one). */
  random?: () => number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
  /** Largest response body read (bytes, after decompression). Default 16 MiB. */
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  limiter?: RateLimiter;
  /** Limits applied to every request (e.g. `[{ key: 'bling:<account>', policy: BLING_LIMITS }]`). */
  limits?: LimitSpec[];
  inspect?: ResponseInspector;
  auth?: AuthProvider;
  headers?: Record<string, string>;
  /** The caller's (engine's) signal: aborts everything, never retried. */
  signal?: AbortSignal;
  onEvent?: (e: HttpEvent) => void;
}

export interface RequestOptions {
  method?: HttpMethod;
  /** Path appended to baseUrl (or authUrl when `base: 'auth'`), e.g. '/nfe'. */
  path?: string;
  /** Absolute URL (e.g. an XML link returned by the API); must be on an allowed origin. */
  url?: string;
  base?: 'api' | 'auth';
  query?: Query;
  headers?: Record<string, string>;
  /** JSON body (sets Content-Type). */
  json?: unknown;
  /** Form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  timeoutMs?: number;
  /** Largest response body read for this request (bytes). Default: the client's. */
  maxResponseBytes?: number;
  /** false = single attempt. */
  retry?: Partial<RetryPolicy> | false;
  /** Replaces the client's default limits for this request. */
  limits?: LimitSpec[];
  /** Extra limits on top of the defaults (e.g. Omie per-method key). */
  extraLimits?: LimitSpec[];
  inspect?: ResponseInspector;
  /** false = no AuthProvider (token endpoint, public links). Default true. */
  auth?: boolean;
  /** Non-GET requests are retried only when idempotent is true (Omie's read-only POST calls). */
  idempotent?: boolean;
  /** Path used in messages instead of the real one (e.g. '/nfe/{id}'). */
  label?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  url: string;
  text: string;
  /** Parses the body as JSON; malformed → AppError 'data' MALFORMED_RESPONSE. */
  json<T = unknown>(): T;
}

function parseUrl(provider: string, which: string, raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badBaseUrl(provider, which);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badBaseUrl(provider, which);
  return u;
}

function joinPath(base: URL, path: string): URL {
  const u = new URL(base.href);
  const basePath = u.pathname.replace(/\/+$/, '');
  const rel = path.startsWith('/') ? path : `/${path}`;
  u.pathname = basePath + rel;
  u.search = '';
  return u;
}

function appendQuery(u: URL, query: Query | undefined): void {
  if (!query) return;
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) { for (const item of v) u.searchParams.append(k, String(item)); }
    else u.searchParams.set(k, String(v));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class HttpClient {
  readonly provider: string;
  readonly clock: Clock;
  readonly limiter: RateLimiter;
  private readonly base: URL;
  private readonly authBase: URL;
  private readonly origins: Set<string>;
  private readonly opts: HttpClientOptions;
  private readonly fetchFn: typeof fetch;
  private readonly random: () => number;

  constructor(opts: HttpClientOptions) {
    this.opts = opts;
    this.provider = opts.provider;
    this.base = parseUrl(opts.provider, 'baseUrl', opts.baseUrl);
    this.authBase = opts.authUrl ? parseUrl(opts.provider, 'authUrl', opts.authUrl) : this.base;
    this.origins = new Set([this.base.origin, this.authBase.origin]);
    this.clock = opts.clock ?? systemClock;
    this.limiter = opts.limiter ?? sharedLimiter;
    this.fetchFn = opts.fetch ?? fetch;
    this.random = opts.random ?? Math.random;
  }

  /** True when `url` is on the configured API/auth origins. */
  isAllowed(url: string): boolean {
    try {
      return this.origins.has(new URL(url).origin);
    } catch {
      return false;
    }
  }

  /** Builds the request URL (origin-checked). */
  resolve(req: Pick<RequestOptions, 'path' | 'url' | 'base' | 'query'>): URL {
    let u: URL;
    if (req.url !== undefined) {
      try {
        u = new URL(req.url);
      } catch {
        throw originNotAllowed(this.provider, 'an invalid URL');
      }
      if (!this.origins.has(u.origin)) throw originNotAllowed(this.provider, u.origin);
    } else {
      u = joinPath(req.base === 'auth' ? this.authBase : this.base, req.path ?? '/');
    }
    appendQuery(u, req.query);
    return u;
  }

  async request(req: RequestOptions): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const urlTemplate = this.resolve(req);
    const facts: RequestFacts = { provider: this.provider, method, path: req.label ?? urlTemplate.pathname };
    const policy: RetryPolicy = req.retry === false
      ? { ...DEFAULT_RETRY, ...this.opts.retry, maxAttempts: 1 }
      : { ...DEFAULT_RETRY, ...this.opts.retry, ...req.retry };
    const idempotent = req.idempotent ?? (method === 'GET');
    const limits = [...(req.limits ?? this.opts.limits ?? []), ...(req.extraLimits ?? [])];
    const callerSignal = anySignal([this.opts.signal, req.signal]);
    const inspect = req.inspect ?? this.opts.inspect;
    const useAuth = req.auth !== false && this.opts.auth !== undefined;
    let unauthorizedRetried = false;

    for (let attempt = 1;; attempt++) {
      let error: AppError | null = null;
      let response: HttpResponse | null = null;
      const started = this.clock.now();
      let lease;
      let answeredAt: number | undefined; // when the answer's head arrived (the rate windows count from it)
      try {
        lease = await this.limiter.acquire(limits, { signal: callerSignal });
      } catch (e) {
        throw classifyThrown(e, facts, callerSignal?.aborted ?? false);
      }
      try {
        const url = new URL(urlTemplate.href);
        const headers = new Headers({ ...this.opts.headers, ...req.headers });
        let form: URLSearchParams | undefined;
        let body: string | undefined;
        if (req.form) form = new URLSearchParams(req.form);
        if (useAuth) await this.opts.auth!.apply({ url, headers, form });
        if (form) {
          headers.set('content-type', 'application/x-www-form-urlencoded');
          body = form.toString();
        } else if (req.json !== undefined) {
          headers.set('content-type', 'application/json');
          body = JSON.stringify(req.json);
        }
        if (!this.origins.has(url.origin)) throw originNotAllowed(this.provider, url.origin);
        const timeout = AbortSignal.timeout(req.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
        const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
        try {
          const res = await this.fetchFn(url.href, { method, headers, body, signal, redirect: 'manual' });
          answeredAt = this.clock.now();
          const max = req.maxResponseBytes ?? this.opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
          const declared = Number(res.headers.get('content-length'));
          if (!res.headers.has('content-encoding') && Number.isFinite(declared) && declared > max) {
            await res.body?.cancel().catch(() => {});
            throw responseTooLarge(facts, max);
          }
          const bytes = await readCapped(res.body, max).catch((e) => {
            throw e instanceof BodyTooLarge ? responseTooLarge(facts, max) : e;
          });
          response = makeResponse(res.status, res.headers, url.href, new TextDecoder().decode(bytes), facts);
        } catch (e) {
          throw classifyThrown(e, facts, callerSignal?.aborted ?? false);
        }
        error = this.classify(response, facts, inspect);
      } catch (e) {
        error = e instanceof AppError ? e : classifyThrown(e, facts, callerSignal?.aborted ?? false);
      } finally {
        lease.release(answeredAt);
      }
      this.opts.onEvent?.({
        provider: this.provider,
        method,
        path: facts.path,
        attempt,
        status: response?.status,
        error: error ?? undefined,
        durationMs: this.clock.now() - started,
      });
      if (!error) return response!;

      if (error.kind === 'rate_limited' && error.retryAfterMs !== undefined) {
        for (const l of limits) this.limiter.block(l.key, this.clock.now() + error.retryAfterMs);
      }
      if (error.kind === 'auth' && useAuth && !unauthorizedRetried && this.opts.auth!.onUnauthorized) {
        unauthorizedRetried = true;
        if (await this.opts.auth!.onUnauthorized()) {
          attempt--; // the auth retry does not consume a retry attempt
          continue;
        }
      }
      const retryable = policy.retryOn.includes(error.kind) && error.code !== 'ABORTED' &&
        error.code !== 'RATE_LIMIT_WAIT';
      if (!retryable || !idempotent || attempt >= policy.maxAttempts) throw error;
      let delay: number;
      if (error.retryAfterMs !== undefined) {
        if (error.retryAfterMs > policy.maxRetryAfterMs) throw error;
        // The limiter block already enforces the wait for everyone; add a little jitter so waiters spread.
        delay = error.retryAfterMs + Math.floor(this.random() * Math.min(1000, policy.baseDelayMs));
      } else {
        delay = backoffDelay(attempt, policy, this.random);
      }
      await this.clock.sleep(delay, callerSignal).catch((e) => {
        throw classifyThrown(e, facts, true);
      });
    }
  }

  /** GET + JSON parse. */
  async getJson<T = unknown>(path: string, query?: Query, opts: Omit<RequestOptions, 'path' | 'query'> = {}) {
    const res = await this.request({ ...opts, method: 'GET', path, query });
    return res.json<T>();
  }

  private classify(res: HttpResponse, facts: RequestFacts, inspect?: ResponseInspector): AppError | null {
    if (inspect) {
      let parsed: unknown = null;
      let done = false;
      const sig = inspect({
        status: res.status,
        headers: res.headers,
        text: res.text,
        json: () => {
          if (!done) {
            parsed = safeJson(res.text);
            done = true;
          }
          return parsed;
        },
        facts,
      });
      if (sig) return fromSignal(sig, facts, res.status);
    }
    if (res.status >= 300 && res.status < 400) {
      // Redirects are not followed (they could leave the allowed origin): a data error names it.
      return classifyStatus(400, facts, { detail: `unexpected redirect ${res.status}` });
    }
    return classifyStatus(res.status, facts, {
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.clock.now()),
    });
  }
}

function responseTooLarge(facts: RequestFacts, max: number): AppError {
  return new AppError('data', 'RESPONSE_TOO_LARGE', `${facts.provider} ${facts.method} ${facts.path}: answer larger than ${max} bytes`, {
    details: { provider: facts.provider, path: facts.path, limit: max },
  });
}

function makeResponse(
  status: number,
  headers: Headers,
  url: string,
  text: string,
  facts: RequestFacts,
): HttpResponse {
  return {
    status,
    headers,
    url,
    text,
    json<T>(): T {
      try {
        return JSON.parse(text) as T;
      } catch (e) {
        throw malformedBody(facts, 'JSON', e instanceof Error ? e.name : undefined);
      }
    },
  };
}

function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const s = signals.filter((x): x is AbortSignal => x !== undefined);
  if (s.length === 0) return undefined;
  if (s.length === 1) return s[0];
  return AbortSignal.any(s);
}

/**
 * Optional second argument of every adapter factory (`createBlingAdapter(ctx, deps)`): injectables for tests,
 * the benchmark and the engine. Production passes nothing (system clock, the process-wide shared limiter).
 */
export interface AdapterDeps {
  clock?: Clock;
  limiter?: RateLimiter;
  random?: () => number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** In-process OAuth single-flight registry (tests model separate processes with separate maps). */
  oauthInflight?: Map<string, Promise<unknown>>;
  onEvent?: (e: HttpEvent) => void;
}

/** The adapter's clock: deps.clock, else ctx.now (with real sleeps), else the system clock. */
export function clockFor(ctx: { now?: () => Date }, deps: AdapterDeps = {}): Clock {
  if (deps.clock) return deps.clock;
  if (ctx.now) {
    const now = ctx.now;
    return { now: () => now().getTime(), sleep: systemClock.sleep };
  }
  return systemClock;
}

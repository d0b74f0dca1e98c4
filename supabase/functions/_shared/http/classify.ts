/**
 * The ONE place where HTTP outcomes become AppErrors. Adapters never build transport errors themselves: they
 * either let the HttpClient classify a response (status codes), or translate a provider quirk into a
 * ProviderSignal (Tiny's HTTP 200 + codigo_erro 6, Omie's HTTP 500 faultstring, an OAuth `invalid_grant`) and
 * hand it here.
 *
 * Rules:
 *   401, 403                      → auth          (the connection needs the user)
 *   429                           → rate_limited  (retryAfterMs from Retry-After when given)
 *   408, 5xx, network, timeout    → transient     (retry with backoff)
 *   other 4xx                     → data          (this record/request failed, go on)
 *   caller aborted (ctx.signal)   → transient 'ABORTED', never retried
 * Messages are built from facts (provider, method, path without query string, status, provider code) and
 * pass through redact() in the AppError constructor: they never carry credentials.
 */
import { AppError, type ErrorKind } from '../errors.ts';

/** What a provider-specific inspector can say about a response, overriding the status-code rules. */
export type ProviderSignal =
  /** Treat the response as a success whatever its status (e.g. Omie "no records" fault on HTTP 500). */
  | { signal: 'ok' }
  | {
    signal: 'auth' | 'rate_limited' | 'transient' | 'data' | 'not_supported' | 'config';
    /** Stable machine code, e.g. 'TINY_API_BLOCKED', 'OMIE_REDUNDANT', 'OAUTH_INVALID_GRANT'. */
    code: string;
    /** Short human detail from the provider (truncated and redacted). */
    detail?: string;
    retryAfterMs?: number;
  };

export interface RequestFacts {
  provider: string;
  method: string;
  /** URL path (no query string: Tiny sends its token in the query). */
  path: string;
}

const MAX_DETAIL = 200;

function truncate(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_DETAIL ? `${one.slice(0, MAX_DETAIL)}…` : one;
}

function where(f: RequestFacts): string {
  return `${f.provider} ${f.method} ${f.path}`;
}

/** Parses a Retry-After header (delta-seconds or HTTP-date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Default classification of a non-2xx status. Returns null for success statuses (1xx-3xx). */
export function classifyStatus(
  status: number,
  facts: RequestFacts,
  opts: { retryAfterMs?: number; detail?: string } = {},
): AppError | null {
  if (status < 400) return null;
  const detail = truncate(opts.detail);
  const msg = `${where(facts)}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  const details = { provider: facts.provider, path: facts.path, status };
  if (status === 401 || status === 403) {
    return new AppError('auth', `HTTP_${status}`, msg, { details });
  }
  if (status === 429) {
    return new AppError('rate_limited', 'HTTP_429', msg, { details, retryAfterMs: opts.retryAfterMs });
  }
  if (status === 408 || status >= 500) {
    return new AppError('transient', `HTTP_${status}`, msg, { details, retryAfterMs: opts.retryAfterMs });
  }
  return new AppError('data', `HTTP_${status}`, msg, { details });
}

/** Turns a provider signal into an AppError (null for 'ok'). */
export function fromSignal(sig: ProviderSignal, facts: RequestFacts, status?: number): AppError | null {
  if (sig.signal === 'ok') return null;
  const detail = truncate(sig.detail);
  const kind: ErrorKind = sig.signal;
  const msg = `${where(facts)}: ${sig.code}${status !== undefined ? ` (HTTP ${status})` : ''}${
    detail ? `: ${detail}` : ''
  }`;
  return new AppError(kind, sig.code, msg, {
    retryAfterMs: sig.retryAfterMs,
    details: { provider: facts.provider, path: facts.path, ...(status !== undefined ? { status } : {}) },
  });
}

/** Classifies something thrown by fetch / body reading. `callerAborted` = the caller's own signal fired. */
export function classifyThrown(e: unknown, facts: RequestFacts, callerAborted: boolean): AppError {
  if (e instanceof AppError) return e;
  if (callerAborted) {
    return new AppError('transient', 'ABORTED', `${where(facts)}: aborted by the caller`, { cause: e });
  }
  const name = e instanceof Error || e instanceof DOMException ? e.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AppError('transient', 'TIMEOUT', `${where(facts)}: request timed out`, { cause: e });
  }
  // Network failures (connection refused/reset, DNS, TLS) surface as TypeError from fetch. Their text may
  // contain the full URL (and a query-string token): keep only the error name.
  return new AppError('transient', 'NETWORK', `${where(facts)}: network error (${name || 'unknown'})`, {
    cause: e,
  });
}

/** A body that is not the JSON/XML the provider promised: this record fails, the sync goes on. */
export function malformedBody(facts: RequestFacts, what: string, detail?: string): AppError {
  const d = truncate(detail);
  return new AppError(
    'data',
    'MALFORMED_RESPONSE',
    `${where(facts)}: malformed ${what}${d ? ` (${d})` : ''}`,
    {
      details: { provider: facts.provider, path: facts.path },
    },
  );
}

/** A payload that parsed but does not match the provider schema (zod), for one record. */
export function invalidRecord(
  provider: string,
  entity: string,
  externalId: string | undefined,
  detail: string,
) {
  return new AppError(
    'data',
    'INVALID_RECORD',
    `${provider} ${entity}${externalId ? ` ${externalId}` : ''}: unexpected payload (${truncate(detail)})`,
    { details: { provider, entity, ...(externalId ? { externalId } : {}) } },
  );
}

/** The limiter would have to wait longer than allowed (e.g. daily cap reached, long Retry-After). */
export function limiterWaitTooLong(key: string, waitMs: number): AppError {
  return new AppError(
    'rate_limited',
    'RATE_LIMIT_WAIT',
    `rate limit for ${key.split(':')[0]} needs a ${waitMs} ms wait`,
    {
      retryAfterMs: waitMs,
    },
  );
}

/** A request aimed outside the configured base URL / auth URL origins. */
export function originNotAllowed(provider: string, origin: string): AppError {
  return new AppError(
    'config',
    'ORIGIN_NOT_ALLOWED',
    `${provider}: refusing a request to ${origin} (not the configured API origin)`,
  );
}

export function badBaseUrl(provider: string, which: string): AppError {
  return new AppError('config', 'BAD_BASE_URL', `${provider}: ${which} is not a valid http(s) URL`);
}

/** Something the ERP does not offer. */
export function notSupported(provider: string, what: string): AppError {
  return new AppError('not_supported', 'NOT_SUPPORTED', `${provider} does not offer ${what}`);
}

/**
 * The one error taxonomy of the project. Every failure that crosses a module boundary is an AppError:
 * `kind` drives behaviour (retry? ask the user? record and go on?), `code` is stable and machine-readable,
 * `status` is the HTTP status a handler answers with. Messages never contain credentials: build them from
 * facts (ERP name, endpoint path, status) and pass anything user-supplied through `redact()`.
 */
export type ErrorKind =
  | 'auth' // the connection needs the user (revoked grant, failed refresh, bad keys)
  | 'rate_limited' // the ERP asked us to slow down; retry after `retryAfterMs`
  | 'transient' // network, 5xx, timeouts: retry with backoff
  | 'data' // one record is bad: record it as failed and go on
  | 'not_supported' // the ERP does not offer this entity/operation
  | 'config' // our configuration is wrong (missing env, bad base URL)
  | 'bad_request' // the caller sent bad input (HTTP 400)
  | 'unauthorized' // missing/invalid caller credentials (HTTP 401)
  | 'forbidden' // valid caller, not allowed (HTTP 403)
  | 'not_found' // HTTP 404
  | 'conflict' // e.g. a sync already running (HTTP 409)
  | 'internal';

const DEFAULT_STATUS: Record<ErrorKind, number> = {
  auth: 502,
  rate_limited: 503,
  transient: 503,
  data: 422,
  not_supported: 501,
  config: 500,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  internal: 500,
};

export interface AppErrorOptions {
  status?: number;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly status: number;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(kind: ErrorKind, code: string, message: string, opts: AppErrorOptions = {}) {
    super(redact(message), { cause: opts.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.status = opts.status ?? DEFAULT_STATUS[kind];
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }

  /** Retrying the same call may succeed. */
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Wraps anything thrown into an AppError without leaking its text unredacted. */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return new AppError('transient', 'TIMEOUT', 'request timed out', { cause: e });
  }
  if (e instanceof TypeError) {
    return new AppError('transient', 'NETWORK', `network error: ${e.message}`, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new AppError('internal', 'INTERNAL', message, { cause: e });
}

// --- the database's own failures ----------------------------------------------------------------------------

/** The Postgres error code of a failed query (postgres.js puts it on `code`, its own codes too). */
export function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * PostgreSQL ended the session (SQLSTATE 57P01 admin_shutdown: a restart or pg_terminate_backend; 57P02
 * crash_shutdown; 57P03 cannot_connect_now, while it starts): the statement and its transaction rolled back.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function sessionEnded(e: unknown): boolean {
  const c = pgCode(e);
  return c === '57P01' || c === '57P02' || c === '57P03';
}

/** postgres.js's codes for a database it cannot reach or that dropped the connection. */
const CONNECTION_LOST = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
]);

/** The database was unreachable for a moment (ended session or lost connection): the same call may succeed later. */
export function databaseUnavailable(e: unknown): boolean {
  return sessionEnded(e) || CONNECTION_LOST.has(pgCode(e) ?? '');
}

// --- secret redaction -------------------------------------------------------------------------------------

const registered = new Set<string>();

/** Registers a secret value (token, key, password) so that `redact()` removes it wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) registered.add(value);
}

const PATTERNS: RegExp[] = [
  /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /(basic\s+)[A-Za-z0-9+/=]{8,}/gi,
  /((?:access_token|refresh_token|client_secret|app_secret|app_key|token|apikey|api_key|password|secret)["']?\s*[:=]\s*["']?)[^"'&\s,}]{4,}/gi,
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];

/** Removes registered secrets and anything shaped like a credential from a text. */
export function redact(text: string): string {
  let out = text;
  for (const s of registered) out = out.split(s).join('[REDACTED]');
  for (const p of PATTERNS) {
    out = out.replace(p, (_m, prefix?: string) => `${typeof prefix === 'string' ? prefix : ''}[REDACTED]`);
  }
  return out;
}

/**
 * Thin-handler helpers (Supabase edge-function style): parse, authorise, call _shared, answer.
 * Every error answer is `{ error: { code, message, details? } }` with the AppError's HTTP status;
 * internal errors hide their cause. CORS (preflight and headers) is added around the handler by ./cors.ts.
 */
import type { z } from 'zod';
import { AppError, databaseUnavailable, toAppError } from '../errors.ts';
import { BodyTooLarge, readCapped } from '../http/body.ts';

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}

/** The database dropped the request's session or connection (a restart, a failover) after the retries it allows. */
const DATABASE_UNAVAILABLE = (cause: unknown) =>
  new AppError(
    'transient',
    'DATABASE_UNAVAILABLE',
    'O banco de dados ficou indisponível por um instante. Tente novamente em alguns segundos.',
    { retryAfterMs: 5_000, cause },
  );

export function errorResponse(e: unknown): Response {
  const err = databaseUnavailable(e) ? DATABASE_UNAVAILABLE(e) : toAppError(e);
  if (err.kind === 'internal' || err.status >= 500) console.error(`[${err.code}]`, err.message);
  const message = err.kind === 'internal' ? 'Internal error' : err.message;
  // A 429 or 503 says when to come back (RFC 9110 §10.2.3: Retry-After in seconds).
  const headers: Record<string, string> = (err.status === 429 || err.status === 503) && err.retryAfterMs
    ? { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) }
    : {};
  return json({ error: { code: err.code, message, ...(err.details ? { details: err.details } : {}) } }, err.status, headers);
}

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON body (bounded), validates it with zod; 400 naming the bad field otherwise. */
export async function parseJsonBody<T extends z.ZodTypeAny>(req: Request, schema: T, opts: { allowEmpty?: boolean } = {}): Promise<z.infer<T>> {
  const len = Number(req.headers.get('content-length') ?? 0);
  if (len > MAX_BODY_BYTES) throw new AppError('bad_request', 'BODY_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
  // Streamed under the cap: a chunked body without content-length is cut off at the limit, never read whole.
  const buf = await readCapped(req.body, MAX_BODY_BYTES).catch((e) => {
    if (e instanceof BodyTooLarge) throw new AppError('bad_request', 'BODY_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
    throw e;
  });
  const text = new TextDecoder().decode(buf).trim();
  let value: unknown = {};
  if (text.length === 0) {
    if (!opts.allowEmpty) throw new AppError('bad_request', 'EMPTY_BODY', 'request body is required (JSON)');
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('bad_request', 'INVALID_JSON', 'request body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : '(body)';
    throw new AppError('bad_request', 'INVALID_BODY', `invalid field '${field}': ${issue.message}`, {
      details: { field, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

/**
 * Per-record results shared by every ERP adapter: a raw item either parses into its schema or becomes a data
 * error for that record only (the page goes on).
 */
import type { z } from 'zod';
import { AppError, isAppError } from '../../errors.ts';
import type { FailedRecord } from '../contract.ts';
import { invalidRecord } from '../../http/classify.ts';

export type MapResult<T> = { ok: true; value: T } | { ok: false; externalId?: string; error: AppError };

export const ok = <T>(value: T): MapResult<T> => ({ ok: true, value });

export const fail = <T>(
  code: string,
  message: string,
  externalId?: string,
  details?: Record<string, unknown>,
): MapResult<T> => ({
  ok: false,
  externalId,
  error: new AppError('data', code, message, details ? { details } : {}),
});

/** Who is parsing: the label in messages ('Omie') and the error code ('OMIE_INVALID_RECORD'). */
export interface RecordSource {
  label: string;
  code: string;
}

/** Validates one raw list item; a bad item becomes a data error (`source.code`) for that record only. */
export function parseItem<S extends z.ZodType>(
  source: RecordSource,
  schema: S,
  raw: unknown,
  what: string,
  idOf: (raw: Record<string, unknown>) => unknown,
): MapResult<z.infer<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return ok(r.data);
  let externalId: string | undefined;
  try {
    const id = raw && typeof raw === 'object' ? idOf(raw as Record<string, unknown>) : undefined;
    if (typeof id === 'string' || typeof id === 'number') externalId = String(id);
  } catch { /* keep undefined */ }
  if (externalId === '') externalId = undefined;
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return fail(source.code, `${source.label}: ${what} inválido (${issues.join('; ')})`, externalId, {
    issues,
  });
}

/** Splits per-record results into the records and the failures of a page. */
export function collect<T>(results: Array<MapResult<T>>): { records: T[]; failed: FailedRecord[] } {
  const records: T[] = [];
  const failed: FailedRecord[] = [];
  for (const r of results) {
    if (r.ok) records.push(r.value);
    else failed.push({ ...(r.externalId ? { externalId: r.externalId } : {}), error: r.error });
  }
  return { records, failed };
}

/** A per-record call that failed for that record only (bad payload, not found) becomes its failure; anything
 * else (auth, rate limit, transient) is rethrown and ends the page. */
export function recordFailure<T>(e: unknown, externalId: string): MapResult<T> {
  if (isAppError(e) && e.kind === 'data') return { ok: false, externalId, error: e };
  throw e;
}

/**
 * Parses the items of a list page by their id (`item.id`); the valid ones are returned, each invalid one is
 * pushed to `failed` as an INVALID_RECORD data error of `provider` — the page goes on.
 */
export function parseItems<S extends z.ZodType>(
  provider: string,
  raw: unknown[],
  schema: S,
  entity: string,
  failed: FailedRecord[],
): Array<z.infer<S>> {
  const out: Array<z.infer<S>> = [];
  for (const item of raw) {
    const p = schema.safeParse(item);
    if (p.success) out.push(p.data);
    else {
      const id = (item as { id?: unknown } | null | undefined)?.id;
      const externalId = id !== undefined && id !== null ? String(id) : undefined;
      failed.push({
        externalId,
        error: invalidRecord(provider, entity, externalId, p.error.issues[0]?.message ?? 'invalid'),
      });
    }
  }
  return out;
}

/**
 * The parser of whole response bodies (a list page, a detail) of `erp`: a body outside its schema is a data error
 * MALFORMED_RESPONSE naming `erp` and what was read.
 */
export function responseParser(erp: string) {
  return <S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> => {
    const r = schema.safeParse(body);
    if (!r.success) {
      throw new AppError('data', 'MALFORMED_RESPONSE', `${erp} ${what}: resposta fora do formato esperado`);
    }
    return r.data;
  };
}

/**
 * Months ('YYYY-MM') and analysis periods. Brazil has had no daylight saving time since 2019, so "today in
 * Brasília" is UTC-3 all year; fiscal months of a note come from its own dhEmi as written (offset kept).
 */

export type Month = string; // 'YYYY-MM'

export const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface Period {
  from: Month;
  to: Month;
}

/** The longest period one request may cover (5 years: the limitation period for tax recovery). */
export const MAX_PERIOD_MONTHS = 60;

function parts(m: Month): [number, number] {
  const r = MONTH_RE.exec(m);
  if (!r) throw new RangeError(`not a month: ${JSON.stringify(m)}`);
  return [Number(r[1]), Number(r[2])];
}

export function isMonth(s: string): boolean {
  return MONTH_RE.test(s);
}

export function addMonths(m: Month, n: number): Month {
  const [y, mo] = parts(m);
  const idx = y * 12 + (mo - 1) + n;
  return `${String(Math.floor(idx / 12)).padStart(4, '0')}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

/** Number of months from a to b inclusive (1 when equal; <= 0 when b is before a). */
export function monthSpan(a: Month, b: Month): number {
  const [ya, ma] = parts(a);
  const [yb, mb] = parts(b);
  return (yb * 12 + mb) - (ya * 12 + ma) + 1;
}

export function monthsOf(p: Period): Month[] {
  const n = monthSpan(p.from, p.to);
  return Array.from({ length: Math.max(0, n) }, (_, i) => addMonths(p.from, i));
}

/** 'YYYY-MM' → 'YYYY-MM-01' (the `date` the tables store for a month). */
export function monthStart(m: Month): string {
  parts(m);
  return `${m}-01`;
}

/** A `date` column value (Date at UTC midnight or 'YYYY-MM-DD' string) → 'YYYY-MM'. */
export function monthOfDate(d: Date | string): Month {
  if (d instanceof Date) return d.toISOString().slice(0, 7);
  return String(d).slice(0, 7);
}

/** The current month in Brasília (UTC-3). */
export function currentMonthBrt(now: Date): Month {
  return new Date(now.getTime() - 3 * 3600_000).toISOString().slice(0, 7);
}

/**
 * The fiscal month of a note: the date part of dhEmi as the issuer wrote it ('2026-11-30T23:10:00-03:00' is
 * November even though it is December in UTC). Falls back to the UTC instant shifted to Brasília.
 */
export function noteMonth(issuedAtLocal: string | null | undefined, issuedAt: Date | string): Month {
  if (issuedAtLocal && /^\d{4}-(0[1-9]|1[0-2])/.test(issuedAtLocal)) return issuedAtLocal.slice(0, 7);
  const t = issuedAt instanceof Date ? issuedAt : new Date(issuedAt);
  return currentMonthBrt(t);
}

/** The date part ('YYYY-MM-DD') of a note's dhEmi as written, with the same fallback. */
export function noteDate(issuedAtLocal: string | null | undefined, issuedAt: Date | string): string {
  if (issuedAtLocal && /^\d{4}-\d{2}-\d{2}/.test(issuedAtLocal)) return issuedAtLocal.slice(0, 10);
  const t = issuedAt instanceof Date ? issuedAt : new Date(issuedAt);
  return new Date(t.getTime() - 3 * 3600_000).toISOString().slice(0, 10);
}

export function inPeriod(m: Month, p: Period): boolean {
  return m >= p.from && m <= p.to;
}

/**
 * Money for the analyses: integer cents (bigint) in memory, decimal strings in and out, never binary floats.
 * Rates are written as basis points of a percent (scale 4 of a fraction): 1,65% = 165n, 7,6% = 760n.
 */
import { centsToString, divRound, toCents } from '../../nfe/decimal.ts';

export type Cents = bigint;

/** A numeric column (postgres.js gives numerics as strings) or a decimal string → cents; null/empty → 0. */
export function cents(v: string | number | null | undefined): Cents {
  if (v === null || v === undefined || v === '') return 0n;
  return toCents(typeof v === 'number' ? String(v) : v);
}

export function money(c: Cents): string {
  return centsToString(c);
}

/** cents × rate (fraction at scale 4, e.g. 165n = 0,0165), rounded half away from zero to the cent. */
export function applyRate(c: Cents, rate4: bigint): Cents {
  return divRound(c * rate4, 10_000n);
}

export function maxC(a: Cents, b: Cents): Cents {
  return a > b ? a : b;
}

export function minC(a: Cents, b: Cents): Cents {
  return a < b ? a : b;
}

export function sumC(values: Iterable<Cents>): Cents {
  let t = 0n;
  for (const v of values) t += v;
  return t;
}

/** 'R$ 1.234,56' (pt-BR), exact from cents. */
export function brl(c: Cents): string {
  const neg = c < 0n;
  const abs = neg ? -c : c;
  const int = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}R$ ${int},${frac}`;
}

/** A rate at scale 4 as a pt-BR percentage: 165n → '1,65%', 760n → '7,6%', 925n → '9,25%'. */
export function pct4(rate4: bigint): string {
  const s = (Number(rate4) / 100).toFixed(2).replace(/\.?0+$/, '');
  return `${s.replace('.', ',')}%`;
}

/** A ratio (plain number) as a pt-BR percentage with 1 decimal: 0.1234 → '12,3%'. Display only. */
export function pctNum(x: number, decimals = 1): string {
  return `${(x * 100).toFixed(decimals).replace('.', ',')}%`;
}

/** Ratio of two cent amounts as a plain number (display and scoring only; never stored as money). */
export function ratio(a: Cents, b: Cents): number {
  if (b === 0n) return 0;
  return Number((a * 1_000_000n) / b) / 1_000_000;
}

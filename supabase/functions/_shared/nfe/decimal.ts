/**
 * Exact decimal arithmetic on strings via scaled bigints. NF-e money and quantities never touch binary floats.
 * `scale` is the number of decimal places of the bigint representation (2 = cents).
 */

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** True for plain decimal strings like '0', '12', '12.5', '-3.40' (no exponent, no thousands separators). */
export function isDecimalString(s: string): boolean {
  const m = DECIMAL_RE.exec(s);
  return m !== null && (m[2].length > 0 || (m[3] ?? '').length > 0);
}

/**
 * Parses a decimal string to a bigint scaled by 10^scale, rounding half away from zero when the string has
 * more decimals than `scale`. Throws RangeError on anything that is not a plain decimal.
 */
export function parseScaled(s: string, scale: number): bigint {
  const m = DECIMAL_RE.exec(s.trim());
  if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) {
    throw new RangeError(`not a decimal: ${JSON.stringify(s)}`);
  }
  const neg = m[1] === '-';
  const intPart = m[2] || '0';
  const frac = m[3] ?? '';
  let v: bigint;
  if (frac.length <= scale) {
    v = BigInt(intPart + frac.padEnd(scale, '0'));
  } else {
    v = BigInt(intPart + frac.slice(0, scale));
    if (frac.charCodeAt(scale) >= 53 /* '5' */) v += 1n;
  }
  return neg ? -v : v;
}

/** Formats a scaled bigint with exactly `decimals` places (<= scale; extra places are rounded half-up). */
export function formatScaled(v: bigint, scale: number, decimals: number = scale): string {
  let x = v;
  if (decimals < scale) x = divRound(x, 10n ** BigInt(scale - decimals));
  else if (decimals > scale) x = x * 10n ** BigInt(decimals - scale);
  const neg = x < 0n;
  const abs = (neg ? -x : x).toString().padStart(decimals + 1, '0');
  const out = decimals === 0
    ? abs
    : `${abs.slice(0, abs.length - decimals)}.${abs.slice(abs.length - decimals)}`;
  return neg ? `-${out}` : out;
}

/** Integer division rounding half away from zero. */
export function divRound(n: bigint, d: bigint): bigint {
  if (d < 0n) return divRound(-n, -d);
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  if ((r < 0n ? -r : r) * 2n >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** a (scale sa) * b (scale sb), rounded to scale `out`. */
export function mulScaled(a: bigint, sa: number, b: bigint, sb: number, out: number): bigint {
  const p = a * b;
  const s = sa + sb;
  return s >= out ? divRound(p, 10n ** BigInt(s - out)) : p * 10n ** BigInt(out - s);
}

/** Money string ('12.3', '0', '100.00') to integer cents (half-up beyond 2 decimals). */
export function toCents(s: string): bigint {
  return parseScaled(s, 2);
}

/** Integer cents to a money string with two decimals ('1234' -> '12.34'). */
export function centsToString(c: bigint): string {
  return formatScaled(c, 2, 2);
}

/** Sum of money strings, exact, as a two-decimal string. Undefined/empty entries count as zero. */
export function sumMoney(values: Iterable<string | undefined | null>): string {
  let t = 0n;
  for (const v of values) if (v) t += toCents(v);
  return centsToString(t);
}

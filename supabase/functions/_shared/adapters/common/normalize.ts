/**
 * Normalisers shared by every ERP adapter: document numbers, NCM/CEST, decimals, text, dates.
 * Pure; each concept is written once here and imported by the ERP folders (which never import each other).
 */
import { CNPJ_RE } from '../../nfe/documents.ts';

export const onlyDigits = (s: string | null | undefined): string => (s ?? '').replace(/\D+/g, '');

/** NCM '9999.99.99' → '99999999'; not 8 digits, or '00000000' (services / "sem NCM"), → null. */
export function normalizeNcm(ncm: string | null | undefined): string | null {
  const d = onlyDigits(ncm);
  return d.length === 8 && d !== '00000000' ? d : null;
}

/** CEST '99.999.99' → 7 digits, else null. */
export function normalizeCest(cest: string | null | undefined): string | null {
  const d = onlyDigits(cest);
  return d.length === 7 ? d : null;
}

/** '11.222.333/0001-81' → '11222333000181'; alphanumeric CNPJs (2026) keep their letters. Invalid → null. */
export function normalizeCnpj(s: string | null | undefined): string | null {
  const c = (s ?? '').toUpperCase().replace(/[.\-/\s]/g, '');
  return CNPJ_RE.test(c) ? c : null;
}

/** Lowercase, accents removed, spaces collapsed: the form every text rule matches against. */
export function normText(s: string | null | undefined): string {
  return (s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * A JSON number (or numeric string, pt-BR decimal comma allowed) as a plain decimal string, exactly as the ERP
 * wrote it (shortest round-trip form), never re-rounded. `minScale` pads decimals (2 for money).
 */
export function toDecimalString(v: number | string | null | undefined, minScale = 0): string | null {
  if (v === null || v === undefined || v === '') return null;
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    s = String(v);
    if (/e/i.test(s)) s = expandExponent(s);
  } else {
    s = v.trim();
    if (/^-?\d+,\d+$/.test(s)) s = s.replace(',', '.'); // pt-BR decimal comma
    if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  }
  let [int, frac = ''] = s.split('.');
  if (frac.length < minScale) frac = frac.padEnd(minScale, '0');
  int = int.replace(/^(-?)0+(?=\d)/, '$1');
  return frac ? `${int}.${frac}` : int;
}

function expandExponent(s: string): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', expStr] = m;
  const exp = Number(expStr);
  const digits = lead + rest;
  if (exp >= 0) {
    const intPart = digits.padEnd(exp + 1, '0');
    return sign + intPart.slice(0, exp + 1) + (intPart.length > exp + 1 ? '.' + intPart.slice(exp + 1) : '');
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

const DAY_MS = 86_400_000;
/** Brasília time is UTC-3 (no daylight saving since 2019). */
export const BRASILIA_OFFSET_MS = 3 * 3_600_000;
const BRT_OFFSET_MS = BRASILIA_OFFSET_MS;

/** 'YYYY-MM-DD' + n days (n may be negative). */
export function addDays(iso: string, days: number): string {
  const t = Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  return new Date(t + days * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar day in Brasília at `nowMs` ('YYYY-MM-DD'). */
export function brasiliaDate(nowMs: number): string {
  return new Date(nowMs - BRT_OFFSET_MS).toISOString().slice(0, 10);
}

/** Brasília wall-clock time at `nowMs` as 'YYYY-MM-DD HH:MM:SS'. */
export function brasiliaDateTime(nowMs: number): string {
  return new Date(nowMs - BRT_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

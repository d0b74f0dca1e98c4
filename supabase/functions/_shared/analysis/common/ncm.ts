/**
 * NCM helpers (NF-e layout field NCM; TIPI, Decreto 11.158/2022): normalisation, format and chapter checks, and the monophasic PIS/COFINS
 * lookup over the versioned table in ../data/monophasic-ncm.json.
 */
import table from '../data/monophasic-ncm.json' with { type: 'json' };

export type MonophasicGroup = keyof typeof table.groups;

export interface MonophasicEntry {
  prefix: string;
  group: MonophasicGroup;
  check: 'research' | 'to_verify';
  except?: string[];
  note?: string;
}

export interface MonophasicMatch {
  group: MonophasicGroup;
  label: string;
  legalBasis: string;
  prefix: string;
  check: 'research' | 'to_verify';
  /** The table's version ('2026.11.1'). */
  version: string;
}

export const MONOPHASIC_TABLE_VERSION: string = table.version;

const ENTRIES = (table.entries as MonophasicEntry[]).slice().sort((a, b) =>
  b.prefix.length - a.prefix.length
);

/** Digits only: '3004.90.99' → '30049099'; null/blank → ''. Letters and other characters are kept (→ invalid). */
export function normalizeNcm(raw: string | null | undefined): string {
  if (!raw) return '';
  return raw.trim().replace(/[.\s-]/g, '');
}

export type NcmFormat =
  | 'valid' // 8 digits
  | 'missing'
  | 'non_goods' // '00': services / non-goods lines (allowed by the schema)
  | 'chapter_only' // 2 digits other than '00' (allowed only outside foreign trade and when not subject to IPI)
  | 'invalid';

export function ncmFormat(ncm: string): NcmFormat {
  if (ncm === '') return 'missing';
  if (ncm === '00') return 'non_goods';
  if (/^[0-9]{8}$/.test(ncm)) return 'valid';
  if (/^[0-9]{2}$/.test(ncm)) return 'chapter_only';
  return 'invalid';
}

/**
 * Chapters in use in the NCM: 01 to 97 except 77 (reserved in the Harmonized System); 98/99 are reserved for
 * national use and hold no goods classification (§2.6).
 */
export function chapterKnown(ncm: string): boolean {
  const ch = Number(ncm.slice(0, 2));
  return /^[0-9]{2}/.test(ncm) && ch >= 1 && ch <= 97 && ch !== 77;
}

/** The monophasic group of an 8-digit NCM, or null. Longest prefix wins; 'except' entries do not match. */
export function monophasicMatch(ncm: string): MonophasicMatch | null {
  if (!/^[0-9]{8}$/.test(ncm)) return null;
  for (const e of ENTRIES) {
    if (!ncm.startsWith(e.prefix)) continue;
    if (e.except?.includes(ncm)) return null;
    const g = table.groups[e.group];
    return {
      group: e.group,
      label: g.label,
      legalBasis: g.legal_basis,
      prefix: e.prefix,
      check: e.check,
      version: table.version,
    };
  }
  return null;
}

/** '30049099' → '3004.90.99' for messages. */
export function formatNcm(ncm: string): string {
  return /^[0-9]{8}$/.test(ncm)
    ? `${ncm.slice(0, 4)}.${ncm.slice(4, 6)}.${ncm.slice(6)}`
    : ncm || '(sem NCM)';
}

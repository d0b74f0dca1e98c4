/**
 * The 44-character chave de acesso: layout, mod-11 check digit, and agreement with `ide`/`emit`.
 * Positions 7-20 (issuer CNPJ) may hold letters in the first 12 characters (alphanumeric CNPJ, NT 2025.001);
 * every character weighs `charCode - 48` (digits 0-9, 'A' = 17 ...), the CNPJ rule generalised to the key.
 */

/** PL_010 `TChNFe`: [0-9]{6}[0-9A-Z]{12}[0-9]{26}. */
export const ACCESS_KEY_RE = /^[0-9]{6}[0-9A-Z]{12}[0-9]{26}$/;

export interface AccessKeyParts {
  cUF: string; // 2
  aamm: string; // 4, YYMM of dhEmi
  cnpj: string; // 14, issuer CNPJ (a CPF is left-padded with zeros)
  mod: string; // 2
  serie: string; // 3
  nNF: string; // 9
  tpEmis: string; // 1
  cNF: string; // 8
  cDV: string; // 1
}

/** Mod-11 check digit of the first 43 characters (weights 2..9 from the right; remainder 0/1 -> 0). */
export function accessKeyCheckDigit(first43: string): string {
  if (first43.length !== 43) {
    throw new RangeError(`access key body must have 43 characters, got ${first43.length}`);
  }
  let sum = 0;
  let w = 2;
  for (let i = 42; i >= 0; i--) {
    const v = first43.charCodeAt(i) - 48;
    if (v < 0 || v > 42) {
      throw new RangeError(`invalid character in access key: ${JSON.stringify(first43[i])}`);
    }
    sum += v * w;
    w = w === 9 ? 2 : w + 1;
  }
  const r = sum % 11;
  return r < 2 ? '0' : String(11 - r);
}

/** Well-formed (pattern) and with the right check digit. */
export function isValidAccessKey(key: string): boolean {
  return ACCESS_KEY_RE.test(key) && accessKeyCheckDigit(key.slice(0, 43)) === key[43];
}

/** Cuts a 44-character key into its fields (no validation beyond the length). */
export function splitAccessKey(key: string): AccessKeyParts {
  if (key.length !== 44) throw new RangeError(`access key must have 44 characters, got ${key.length}`);
  return {
    cUF: key.slice(0, 2),
    aamm: key.slice(2, 6),
    cnpj: key.slice(6, 20),
    mod: key.slice(20, 22),
    serie: key.slice(22, 25),
    nNF: key.slice(25, 34),
    tpEmis: key.slice(34, 35),
    cNF: key.slice(35, 43),
    cDV: key.slice(43, 44),
  };
}

export interface AccessKeyInput {
  cUF: string | number;
  /** 'YYMM' or an ISO date-time whose local date part gives it ('2026-11-10T14:30:00-03:00' -> '2611'). */
  aamm?: string;
  issuedAt?: string;
  /** Issuer CNPJ (14 chars) or CPF (11 digits, left-padded). */
  cnpjOrCpf: string;
  mod: string | number;
  serie: string | number;
  nNF: string | number;
  tpEmis?: string | number;
  cNF: string | number;
}

/** Builds a key (with check digit) from its fields, zero-padding numeric fields. */
export function buildAccessKey(p: AccessKeyInput): string {
  const aamm = p.aamm ?? (p.issuedAt ? p.issuedAt.slice(2, 4) + p.issuedAt.slice(5, 7) : undefined);
  if (!aamm || !/^\d{4}$/.test(aamm)) throw new RangeError('access key needs aamm or issuedAt');
  const body = pad(p.cUF, 2) + aamm + pad(p.cnpjOrCpf, 14) + pad(p.mod, 2) + pad(p.serie, 3) + pad(p.nNF, 9) +
    pad(p.tpEmis ?? 1, 1) + pad(p.cNF, 8);
  if (body.length !== 43) throw new RangeError(`access key fields too long (${body.length} characters)`);
  return body + accessKeyCheckDigit(body);
}

function pad(v: string | number, n: number): string {
  return String(v).padStart(n, '0');
}

/** The facts of a note the key must agree with (strings as read from the XML; missing ones are not checked). */
export interface AccessKeyFacts {
  cUF?: string;
  dhEmi?: string;
  cnpj?: string;
  cpf?: string;
  mod?: string;
  serie?: string;
  nNF?: string;
  tpEmis?: string;
  cNF?: string;
  cDV?: string;
}

export interface AccessKeyWarning {
  code: string;
  message: string;
}

/**
 * Checks a key against the pattern, its check digit and the note's fields. Returns warnings (never throws):
 * SEFAZ would reject these (227/236/561), but fixtures and anonymised files break them often.
 */
export function checkAccessKey(key: string, f: AccessKeyFacts): AccessKeyWarning[] {
  const w: AccessKeyWarning[] = [];
  if (!ACCESS_KEY_RE.test(key)) {
    w.push({ code: 'KEY_FORMAT', message: `chave de acesso com formato inválido: ${JSON.stringify(key)}` });
    return w;
  }
  const dv = accessKeyCheckDigit(key.slice(0, 43));
  if (dv !== key[43]) {
    w.push({
      code: 'KEY_CHECK_DIGIT',
      message: `dígito verificador da chave inválido (esperado ${dv}, encontrado ${key[43]})`,
    });
  }
  const k = splitAccessKey(key);
  const mismatch = (field: string, inKey: string, inNote: string) =>
    w.push({ code: 'KEY_MISMATCH', message: `chave diverge de ${field}: chave ${inKey}, nota ${inNote}` });
  if (f.cUF !== undefined && pad(f.cUF, 2) !== k.cUF) mismatch('ide/cUF', k.cUF, f.cUF);
  if (f.dhEmi && /^\d{4}-\d{2}/.test(f.dhEmi)) {
    const aamm = f.dhEmi.slice(2, 4) + f.dhEmi.slice(5, 7);
    if (aamm !== k.aamm) mismatch('ide/dhEmi (AAMM)', k.aamm, aamm);
  }
  const doc = f.cnpj ?? (f.cpf !== undefined ? f.cpf.padStart(14, '0') : undefined);
  if (doc !== undefined && doc.padStart(14, '0') !== k.cnpj) {
    mismatch(f.cnpj !== undefined ? 'emit/CNPJ' : 'emit/CPF', k.cnpj, doc);
  }
  if (f.mod !== undefined && pad(f.mod, 2) !== k.mod) mismatch('ide/mod', k.mod, f.mod);
  if (f.serie !== undefined && pad(f.serie, 3) !== k.serie) mismatch('ide/serie', k.serie, f.serie);
  if (f.nNF !== undefined && pad(f.nNF, 9) !== k.nNF) mismatch('ide/nNF', k.nNF, f.nNF);
  if (f.tpEmis !== undefined && f.tpEmis !== k.tpEmis) mismatch('ide/tpEmis', k.tpEmis, f.tpEmis);
  if (f.cNF !== undefined && pad(f.cNF, 8) !== k.cNF) mismatch('ide/cNF', k.cNF, f.cNF);
  if (f.cDV !== undefined && f.cDV !== k.cDV) mismatch('ide/cDV', k.cDV, f.cDV);
  return w;
}

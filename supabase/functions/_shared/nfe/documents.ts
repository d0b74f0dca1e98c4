/** CNPJ (numeric and alphanumeric) and CPF check digits. */

export const CNPJ_RE = /^[0-9A-Z]{12}[0-9]{2}$/;
export const CPF_RE = /^[0-9]{11}$/;

function mod11(body: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += (body.charCodeAt(i) - 48) * weights[i];
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/** The two check digits of a CNPJ from its first 12 characters (letters weigh ASCII - 48, IN RFB 2.229/2024). */
export function cnpjCheckDigits(first12: string): string {
  const d1 = mod11(first12, CNPJ_W1);
  const d2 = mod11(first12 + d1, CNPJ_W2);
  return `${d1}${d2}`;
}

export function isValidCnpj(cnpj: string): boolean {
  return CNPJ_RE.test(cnpj) && cnpjCheckDigits(cnpj.slice(0, 12)) === cnpj.slice(12);
}

/** The two check digits of a CPF from its first 9 digits. */
export function cpfCheckDigits(first9: string): string {
  const w1 = [10, 9, 8, 7, 6, 5, 4, 3, 2];
  const w2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
  const d1 = mod11(first9, w1);
  const d2 = mod11(first9 + d1, w2);
  return `${d1}${d2}`;
}

export function isValidCpf(cpf: string): boolean {
  return CPF_RE.test(cpf) && !/^(\d)\1{10}$/.test(cpf) && cpfCheckDigits(cpf.slice(0, 9)) === cpf.slice(9);
}

/** IBGE state codes (cUF) by UF, as used in the access key and `ide/cUF`. */
export const UF_CODES: Readonly<Record<string, string>> = Object.freeze({
  RO: '11',
  AC: '12',
  AM: '13',
  RR: '14',
  PA: '15',
  AP: '16',
  TO: '17',
  MA: '21',
  PI: '22',
  CE: '23',
  RN: '24',
  PB: '25',
  PE: '26',
  AL: '27',
  SE: '28',
  BA: '29',
  MG: '31',
  ES: '32',
  RJ: '33',
  SP: '35',
  PR: '41',
  SC: '42',
  RS: '43',
  MS: '50',
  MT: '51',
  GO: '52',
  DF: '53',
});

const BY_CODE: Record<string, string> = Object.fromEntries(
  Object.entries(UF_CODES).map(([uf, c]) => [c, uf]),
);

/** UF for an IBGE code ('35' -> 'SP'); undefined when unknown (e.g. '91' = Ambiente Nacional). */
export function ufFromCode(code: string): string | undefined {
  return BY_CODE[code];
}

/** IBGE code for a UF ('SP' -> '35'); undefined when unknown. */
export function ufCode(uf: string): string | undefined {
  return UF_CODES[uf.toUpperCase()];
}

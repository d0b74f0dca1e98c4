/**
 * Pure mappers: raw Tiny API v3 payloads (./schemas.ts) → domain records. v3 sends numbers as JSON numbers
 * and dates as YYYY-MM-DD (the OpenAPI examples, e.g. `dataInicialEmissao: 2024-01-01`).
 */
import type { CompanyProfile, FinancialEntry, Product, TaxRegime } from '../contract.ts';
import { mapCategoryToDre } from '../dre-mapping.ts';
import type { TinyV3AccountInfo, TinyV3Product, TinyV3Title } from './schemas.ts';

const onlyDigits = (s: string | null | undefined): string => (s ?? '').replace(/\D+/g, '');

/** A JSON number of money → decimal string with 2 places, rounded half-up on its shortest decimal form. */
export function money(n: number | null | undefined): string | null {
  if (n === null || n === undefined || !Number.isFinite(n)) return null;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(Math.abs(n) >= 1e21 ? '' : String(n));
  if (!m) return null;
  const [, sign, int, frac = ''] = m;
  let cents = BigInt(int + (frac + '000').slice(0, 3));
  cents = (cents + 5n) / 10n;
  const s = cents.toString().padStart(3, '0');
  const out = `${s.slice(0, -2)}.${s.slice(-2)}`;
  return sign && cents !== 0n ? `-${out}` : out;
}

/** 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' → 'YYYY-MM-DD'; null otherwise. */
export function isoDay(raw: string | null | undefined): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec((raw ?? '').trim());
  return m ? m[1] : null;
}

/**
 * Note situações with an authorised XML (OpenAPI BaseNotaFiscalModel.situacao): 2 Emitida, 3 Cancelada,
 * 6 Autorizada, 7 Emitida DANFE, 8 Registrada (entry notes typed or imported into the ERP).
 */
export const NOTE_SITUACOES_WITH_XML = new Set(['2', '3', '6', '7', '8']);

export function mapTinyV3Product(p: TinyV3Product): Product {
  const ncm = onlyDigits(p.ncm);
  return {
    externalId: p.id,
    code: p.sku?.trim() || null,
    name: p.descricao.trim(),
    ncm: ncm.length === 8 ? ncm : null,
    cest: null, // not in ObterProdutoModelResponse
    unit: p.unidade?.trim() || null,
    price: money(p.precos?.preco),
    active: (p.situacao ?? 'A').toUpperCase() === 'A',
  };
}

/** situacao aberto|cancelada|pago|parcial|prevista (OpenAPI) → status; open past its due date → overdue. */
export function titleStatus(situacao: string | null | undefined, due: string | null, today: string): FinancialEntry['status'] {
  switch ((situacao ?? '').toLowerCase()) {
    case 'pago':
      return 'paid';
    case 'parcial':
      return 'partial';
    case 'cancelada':
      return 'cancelled';
    default:
      return due && due < today ? 'overdue' : 'open';
  }
}

export function mapTinyV3Title(kind: 'receivable' | 'payable', t: TinyV3Title, today: string): FinancialEntry {
  const category = t.categoria?.descricao?.trim() || null;
  const dre = mapCategoryToDre({ name: category, side: kind });
  const due = isoDay(t.dataVencimento);
  const amount = money(t.valor) ?? '0.00';
  return {
    externalId: `${kind === 'receivable' ? 'receber' : 'pagar'}:${t.id}`,
    kind,
    date: isoDay(t.dataCompetencia) ?? due ?? isoDay(t.data) ?? '',
    amount: amount.replace(/^-/, ''),
    status: titleStatus(t.situacao, due, today),
    categoryId: t.categoria?.id ?? null,
    categoryName: category,
    dreLine: dre.line,
    dreRule: dre.rule,
    description: t.historico?.trim() || null,
  };
}

/** regimeTributario 1..4 (the CRT codes) → regime + CRT; 3 "Regime Normal" leaves presumido/real unknown. */
export function tinyV3Regime(raw: number | string | null | undefined): { taxRegime: TaxRegime; crt: 1 | 2 | 3 | 4 | null } {
  switch (String(raw ?? '')) {
    case '1':
      return { taxRegime: 'simples_nacional', crt: 1 };
    case '2':
      return { taxRegime: 'simples_nacional', crt: 2 };
    case '3':
      return { taxRegime: 'unknown', crt: 3 };
    case '4':
      return { taxRegime: 'mei', crt: 4 };
    default:
      return { taxRegime: 'unknown', crt: null };
  }
}

export function mapTinyV3Company(c: TinyV3AccountInfo): CompanyProfile {
  const doc = onlyDigits(c.cpfCnpj);
  const regime = tinyV3Regime(c.regimeTributario);
  const uf = c.enderecoEmpresa?.uf?.trim().toUpperCase() || null;
  const out: CompanyProfile = {
    cnpj: doc.length === 14 ? doc : null,
    legalName: c.razaoSocial?.trim() || null,
    tradeName: c.fantasia?.trim() || null,
    taxRegime: regime.taxRegime,
    crt: regime.crt,
    cnae: null, // /info has no CNAE
    uf: uf && /^[A-Z]{2}$/.test(uf) ? uf : null,
    city: c.enderecoEmpresa?.municipio?.trim() || null,
    unavailable: ['cnae'],
  };
  for (const k of ['cnpj', 'legalName', 'tradeName', 'crt', 'uf', 'city'] as const) {
    if (out[k] === null) out.unavailable.push(k);
  }
  return out;
}

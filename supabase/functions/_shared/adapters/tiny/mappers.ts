/**
 * Pure mappers: raw Tiny v2 payloads → domain records, plus the XML envelope of nota.fiscal.obter.xml.php.
 */
import type { CompanyProfile, FinancialEntry, Product, TaxRegime } from '../contract.ts';
import { mapCategoryToDre } from '../dre-mapping.ts';
import { normalizeCest, normalizeNcm, onlyDigits } from '../common/normalize.ts';
import type { TinyAccountInfo, TinyProduct, TinyTitle } from './schemas.ts';

/** Tiny decimal strings ('10.5', '1234,56', '1.234,56') → '10.50' (scale 2); null when not a number. */
export function decimalString(raw: string | null | undefined, scale = 2): string | null {
  if (raw === null || raw === undefined) return null;
  let s = raw.trim();
  if (s === '') return null;
  if (s.includes(',')) s = s.replace(/\./g, '').replace(',', '.');
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return null;
  const [, sign, int, frac = ''] = m;
  // Round half-up on the decimal digits without floats.
  const digits = (int + (frac + '0'.repeat(scale + 1)).slice(0, scale + 1)).replace(/^0+(?=\d)/, '');
  let n = BigInt(digits);
  n = (n + 5n) / 10n;
  const str = n.toString().padStart(scale + 1, '0');
  const out = `${str.slice(0, -scale)}.${str.slice(-scale)}`;
  return sign && n !== 0n ? `-${out}` : out;
}

/** 'dd/mm/yyyy' | 'mm/yyyy' | 'yyyy-mm-dd' → 'yyyy-mm-dd' (mm/yyyy → first day); null otherwise. */
export function tinyDate(raw: string | null | undefined): string | null {
  const s = (raw ?? '').trim();
  let m = /^(\d{2})\/(\d{2})\/(\d{4})/.exec(s);
  if (m) return `${m[3]}-${m[2]}-${m[1]}`;
  m = /^(\d{2})\/(\d{4})$/.exec(s);
  if (m) return `${m[2]}-${m[1]}-01`;
  m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  return null;
}

/** 'YYYY-MM-DD' → 'dd/mm/yyyy'. */
export function toTinyDate(iso: string): string {
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

/** Note situations with an authorised XML (Tiny's "Situações das Notas Fiscais": 1 pendente ... 10 denegada): 2 emitida, 3 cancelada,
 * 6 autorizada, 7 emitida DANFE, 8 registrada. */
export const NOTE_SITUACOES_WITH_XML = new Set(['2', '3', '6', '7', '8']);
export const NOTE_SITUACAO_CANCELADA = '3';

export function titleStatus(
  situacao: string | undefined,
  dueDate: string | null,
  today: string,
): FinancialEntry['status'] {
  switch ((situacao ?? '').toLowerCase()) {
    case 'pago':
    case 'paga':
    case 'liquidada':
      return 'paid';
    case 'parcial':
      return 'partial';
    case 'cancelada':
    case 'cancelado':
      return 'cancelled';
    default:
      return dueDate && dueDate < today ? 'overdue' : 'open';
  }
}

export function mapTinyProduct(p: TinyProduct): Product {
  return {
    externalId: p.id,
    code: p.codigo?.trim() || null,
    name: p.nome.trim(),
    ncm: normalizeNcm(p.ncm),
    cest: normalizeCest(p.cest),
    unit: p.unidade?.trim() || null,
    price: decimalString(p.preco ?? null),
    active: (p.situacao ?? 'A').toUpperCase() === 'A',
  };
}

export function mapTinyTitle(kind: 'receivable' | 'payable', t: TinyTitle, today: string): FinancialEntry {
  const category = t.categoria?.trim() || null;
  const dre = mapCategoryToDre({ name: category, side: kind });
  const due = tinyDate(t.vencimento);
  const amount = decimalString(t.valor);
  return {
    externalId: `${kind === 'receivable' ? 'receber' : 'pagar'}:${t.id}`,
    kind,
    date: tinyDate(t.competencia) ?? due ?? tinyDate(t.data) ?? '',
    amount: amount ? amount.replace(/^-/, '') : '0.00',
    status: titleStatus(t.situacao, due, today),
    // v2 has no category ids: the name is the identity.
    categoryId: category,
    categoryName: category,
    dreLine: dre.line,
    dreRule: dre.rule,
    description: t.historico?.trim() || null,
  };
}

/** `regime_tributario` as text (or a CRT code) → regime + CRT. "Regime Normal" leaves presumido/real unknown. */
export function tinyRegime(
  raw: string | null | undefined,
): { taxRegime: TaxRegime; crt: 1 | 2 | 3 | 4 | null } {
  const s = (raw ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  if (s === '1') return { taxRegime: 'simples_nacional', crt: 1 };
  if (s === '2') return { taxRegime: 'simples_nacional', crt: 2 };
  if (s === '3') return { taxRegime: 'unknown', crt: 3 };
  if (s === '4' || /\bmei\b|microempreendedor/.test(s)) return { taxRegime: 'mei', crt: 4 };
  if (/simples/.test(s)) return { taxRegime: 'simples_nacional', crt: /excesso|sublimite/.test(s) ? 2 : 1 };
  if (/presumido/.test(s)) return { taxRegime: 'lucro_presumido', crt: 3 };
  if (/lucro real/.test(s)) return { taxRegime: 'lucro_real', crt: 3 };
  if (/normal/.test(s)) return { taxRegime: 'unknown', crt: 3 };
  return { taxRegime: 'unknown', crt: null };
}

export function mapTinyCompany(c: TinyAccountInfo): CompanyProfile {
  const doc = onlyDigits(c.cnpj_cpf);
  const regime = tinyRegime(c.regime_tributario);
  const uf = c.estado?.trim().toUpperCase() || null;
  const unavailable: CompanyProfile['unavailable'] = ['cnae'];
  const out: CompanyProfile = {
    cnpj: doc.length === 14 ? doc : null,
    legalName: c.razao_social?.trim() || null,
    tradeName: c.fantasia?.trim() || null,
    taxRegime: regime.taxRegime,
    crt: regime.crt,
    cnae: null,
    uf: uf && /^[A-Z]{2}$/.test(uf) ? uf : null,
    city: c.cidade?.trim() || null,
    unavailable,
  };
  for (const k of ['cnpj', 'legalName', 'tradeName', 'crt', 'uf', 'city'] as const) {
    if (out[k] === null) unavailable.push(k);
  }
  return out;
}

/** Unwraps `<![CDATA[...]]>` and leading declarations inside an envelope element. */
function innerXml(s: string): string {
  let t = s.trim();
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(t);
  if (cdata) t = cdata[1].trim();
  return t;
}

export interface TinyXmlResult {
  nfe: string | null;
  cancellation: string | null;
}

/**
 * Extracts `<xml_nfe>` and `<xml_cancelamento>` from the nota.fiscal.obter.xml.php envelope by string
 * positions (no re-serialisation: the signed XML must stay byte-identical). null when the element is absent.
 */
export function unwrapTinyXml(body: string): TinyXmlResult {
  const grab = (tag: string): string | null => {
    const open = body.indexOf(`<${tag}>`);
    if (open < 0) return null;
    const close = body.lastIndexOf(`</${tag}>`);
    if (close < open) return null;
    return innerXml(body.slice(open + tag.length + 2, close)) || null;
  };
  return { nfe: grab('xml_nfe'), cancellation: grab('xml_cancelamento') };
}

/** Reads status/codigo_erro of an XML envelope (the XML endpoint answers errors as XML too). */
export function tinyXmlStatus(
  body: string,
): { status: string | null; codigo: string | null; erro: string | null } {
  const head = body.slice(0, 2000);
  const status = /<status>([^<]*)<\/status>/.exec(head)?.[1] ?? null;
  const codigo = /<codigo_erro>\s*(\d+)\s*<\/codigo_erro>/.exec(head)?.[1] ?? null;
  const erro = /<erro>([^<]*)<\/erro>/.exec(head)?.[1] ?? null;
  return { status, codigo, erro };
}

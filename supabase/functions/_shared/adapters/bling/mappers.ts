/**
 * Pure mappers: raw Bling v3 payloads (schemas.ts) → domain records (contract.ts). No I/O here except the
 * base64+gzip decoding of /nfe/documento, which is pure but async.
 */
import { gunzipCapped } from '../../http/body.ts';
import { DEFAULT_MAX_BYTES } from '../../nfe/xml.ts';
import type { CompanyProfile, FinancialEntry, Product } from '../contract.ts';
import { mapCategoryToDre } from '../dre-mapping.ts';
import { normalizeCest, normalizeNcm, onlyDigits } from '../common/normalize.ts';
import type { BlingCategory, BlingCompany, BlingProductDetail, BlingTitleDetail } from './schemas.ts';

/** A JSON number (Bling money) → decimal string with `scale` places; null for non-finite. */
export function decimalFromNumber(n: number | null | undefined, scale = 2): string | null {
  if (n === null || n === undefined || !Number.isFinite(n)) return null;
  return n.toFixed(scale);
}

/** NF-e `tipo` (0 entrada, 1 saída) → contract origin. `tipo` per GET /nfe in the OpenAPI document. */
export function nfeOrigin(tipo: number | undefined): 'issued' | 'received' {
  return tipo === 0 ? 'received' : 'issued';
}

/**
 * NF-e `situacao` values whose XML exists (authorised, cancelled, DANFE issued, registered entry note).
 * Pending (1), awaiting receipt/protocol (3, 8), rejected (4), denied (9), checking (10) and blocked (11)
 * notes have no authorised XML and are skipped.
 */
export const NFE_SITUACOES_WITH_XML = new Set([2, 5, 6, 7]);
/** NF-e `situacao` 2 = Cancelada (GET /nfe in the Bling v3 OpenAPI document). */
export const NFE_SITUACAO_CANCELADA = 2;

/** Bling title `situacao` → contract status (1 em aberto, 2 recebido/pago, 3 parcial, 4 devolvido,
 * 5 cancelado, 6 devolvido parcial, 7 confirmado). An open title past its due date is 'overdue'. */
export function titleStatus(
  situacao: number,
  dueDate: string | undefined,
  today: string,
): FinancialEntry['status'] {
  switch (situacao) {
    case 2:
    case 7:
      return 'paid';
    case 3:
    case 6:
      return 'partial';
    case 4:
    case 5:
      return 'cancelled';
    default:
      return dueDate && dueDate < today ? 'overdue' : 'open';
  }
}

export interface CategoryIndex {
  get(id: string): { name: string; parentId: string | null } | undefined;
}

export function indexCategories(
  cats: BlingCategory[],
): Map<string, { name: string; parentId: string | null }> {
  const m = new Map<string, { name: string; parentId: string | null }>();
  for (const c of cats) {
    const parent = c.idCategoriaPai && c.idCategoriaPai !== '0' ? c.idCategoriaPai : null;
    m.set(c.id, { name: c.descricao, parentId: parent });
  }
  return m;
}

/** Parent names from the nearest to the root (cycle-safe). */
export function parentNames(index: CategoryIndex, id: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>([id]);
  let cur = index.get(id)?.parentId ?? null;
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    const c = index.get(cur);
    if (!c) break;
    out.push(c.name);
    cur = c.parentId;
  }
  return out;
}

export function mapBlingProduct(d: BlingProductDetail): Product {
  return {
    externalId: d.id,
    code: d.codigo?.trim() || null,
    name: d.nome.trim(),
    ncm: normalizeNcm(d.tributacao?.ncm),
    cest: normalizeCest(d.tributacao?.cest),
    unit: d.unidade?.trim() || null,
    price: decimalFromNumber(d.preco ?? null),
    active: (d.situacao ?? 'A') === 'A',
  };
}

export function mapBlingTitle(
  kind: 'receivable' | 'payable',
  d: BlingTitleDetail,
  categories: CategoryIndex,
  today: string,
): FinancialEntry {
  const catId = d.categoria?.id && d.categoria.id !== '0' ? d.categoria.id : null;
  const cat = catId ? categories.get(catId) : undefined;
  const dre = mapCategoryToDre({
    name: cat?.name ?? null,
    parents: catId ? parentNames(categories, catId) : [],
    side: kind,
  });
  const date =
    (d.competencia && /^\d{4}-\d{2}-\d{2}/.test(d.competencia)
      ? d.competencia
      : d.vencimento ?? d.dataEmissao ?? '')
      .slice(0, 10);
  return {
    externalId: `${kind === 'receivable' ? 'receber' : 'pagar'}:${d.id}`,
    kind,
    date,
    amount: decimalFromNumber(Math.abs(d.valor))!,
    status: titleStatus(d.situacao, d.vencimento, today),
    categoryId: catId,
    categoryName: cat?.name ?? null,
    dreLine: dre.line,
    dreRule: dre.rule,
    description: d.historico?.trim() || null,
  };
}

/** Bling has no CRT/regime, CNAE or address in its company endpoint: those are reported unavailable. */
export function mapBlingCompany(c: BlingCompany): CompanyProfile {
  const cnpj = onlyDigits(c.cnpj);
  const unavailable: CompanyProfile['unavailable'] = ['tradeName', 'taxRegime', 'crt', 'cnae', 'uf', 'city'];
  if (cnpj.length !== 14) unavailable.unshift('cnpj');
  if (!c.nome?.trim()) unavailable.unshift('legalName');
  return {
    cnpj: cnpj.length === 14 ? cnpj : null,
    legalName: c.nome?.trim() || null,
    tradeName: null,
    taxRegime: 'unknown',
    crt: null,
    cnae: null,
    uf: null,
    city: null,
    unavailable,
  };
}

/** base64(gzip(xml)) → xml text. Throws on bad base64 / gzip, and past the NF-e size limit (a gzip bomb). */
export async function decodeBlingDocumento(conteudo: string): Promise<string> {
  const bin = atob(conteudo.replace(/\s+/g, ''));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const isGzip = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!isGzip) return new TextDecoder().decode(bytes); // tolerate plain base64 XML
  return new TextDecoder().decode(await gunzipCapped(bytes, DEFAULT_MAX_BYTES));
}

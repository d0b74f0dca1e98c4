/**
 * Pure mappers from raw Conta Azul payloads (schemas.ts) to the domain records of contract.ts.
 * Generic helpers (decimals, NCM, XML sanity check, DRE text rules) come from ../common/.
 */
import type {
  CompanyProfile,
  DateWindow,
  DreLine,
  FinancialEntry,
  NfeDocument,
  Product,
} from '../contract.ts';
import type { z } from 'zod';
import { type DreFallback, dreLineFromText } from '../common/dre.ts';
import {
  addDays,
  normalizeCest,
  normalizeCnpj,
  normalizeNcm,
  normText,
  toDecimalString,
} from '../common/normalize.ts';
import { fail, type MapResult, ok, parseItem, type RecordSource } from '../common/records.ts';
import { nfeXmlProblem } from '../common/xml.ts';
import { ACCESS_KEY_RE } from '../../nfe/access-key.ts';
import {
  type CaCategoria,
  CaCategoriaSchema,
  type CaContaConectada,
  type CaDreItem,
  type CaEventoFinanceiro,
  CaEventoFinanceiroSchema,
  type CaNotaFiscal,
  CaNotaFiscalSchema,
  CaProdutoDetalheSchema,
  type CaProdutoResumo,
  CaProdutoResumoSchema,
} from './schemas.ts';

export type { DreFallback, MapResult };

const CONTA_AZUL: RecordSource = { label: 'Conta Azul', code: 'CONTA_AZUL_INVALID_RECORD' };
export const parseCaItem = <S extends z.ZodType>(
  schema: S,
  raw: unknown,
  what: string,
  idOf: (raw: Record<string, unknown>) => unknown,
) => parseItem(CONTA_AZUL, schema, raw, what, idOf);

// --- dates / windows ----------------------------------------------------------------------------------------

/** 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:mm:ss' (São Paulo local, no zone) → 'YYYY-MM-DD'. */
export function caDate(d: string | null | undefined): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec((d ?? '').trim());
  if (!m) return null;
  const month = Number(m[2]), day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

const toEpochDay = (iso: string) =>
  Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));

/**
 * Splits an inclusive window into consecutive inclusive chunks of at most `maxDays` days
 * (Conta Azul's NF-e/NFS-e filters refuse ranges over 15 days).
 */
export function splitWindow(window: DateWindow, maxDays = 15): DateWindow[] {
  if (toEpochDay(window.to) < toEpochDay(window.from)) return [];
  const out: DateWindow[] = [];
  for (let start = window.from; toEpochDay(start) <= toEpochDay(window.to); start = addDays(start, maxDays)) {
    const end = addDays(start, maxDays - 1);
    out.push({ from: start, to: toEpochDay(end) > toEpochDay(window.to) ? window.to : end });
  }
  return out;
}

// --- NF-e ---------------------------------------------------------------------------------------------------

export function parseNotaFiscal(raw: unknown): MapResult<CaNotaFiscal> {
  const r = parseCaItem(CaNotaFiscalSchema, raw, 'nota fiscal', (x) => x.chave_acesso ?? x.id);
  if (r.ok && !ACCESS_KEY_RE.test(r.value.chave_acesso.trim())) {
    return fail('CONTA_AZUL_INVALID_RECORD', 'Conta Azul: chave de acesso inválida', r.value.chave_acesso);
  }
  return r;
}

/**
 * Body of GET /v1/notas-fiscais/{chave}: the XML itself (`application/xml`, string, in Conta Azul's invoice
 * OpenAPI; copy clark-neitzel/cahardt@cf92b2bf4d9112210f338bdf27e9863eecf0c307 docs/open-api-invoice.yaml). A
 * JSON body carrying the XML in a string field is accepted too (some clients read it as JSON).
 */
export function extractXml(body: string, contentType: string | null): string | null {
  const t = body.trim();
  if (t.startsWith('<')) return t;
  if ((contentType ?? '').includes('json') || t.startsWith('{')) {
    try {
      const j = JSON.parse(t) as unknown;
      const seen = [j];
      while (seen.length) {
        const v = seen.shift();
        if (typeof v === 'string' && v.trim().startsWith('<') && /infNFe/.test(v)) return v.trim();
        if (v && typeof v === 'object') seen.push(...Object.values(v as Record<string, unknown>));
      }
    } catch { /* not JSON either */ }
  }
  return null;
}

export function mapCaNfe(
  nota: CaNotaFiscal,
  xmlBody: string,
  contentType: string | null,
): MapResult<NfeDocument> {
  const key = nota.chave_acesso.trim();
  const xml = extractXml(xmlBody, contentType);
  const problem = nfeXmlProblem(xml);
  if (problem) return fail('CONTA_AZUL_BAD_XML', `Conta Azul: ${problem} na NF-e ${key}`, key);
  return ok({ externalId: key, accessKey: key, origin: 'issued', xml: xml! });
}

// --- products -----------------------------------------------------------------------------------------------

export function parseProdutoResumo(raw: unknown): MapResult<CaProdutoResumo> {
  return parseCaItem(CaProdutoResumoSchema, raw, 'produto', (x) => x.id);
}

/** GET /v1/produtos/{id} → Product (NCM only exists here: `fiscal.ncm.codigo`). */
export function mapCaProduct(raw: unknown): MapResult<Product> {
  const p = parseCaItem(CaProdutoDetalheSchema, raw, 'produto', (x) => x.id);
  if (!p.ok) return p;
  const v = p.value;
  const unit = v.fiscal?.unidade_medida;
  return ok({
    externalId: String(v.id),
    code: v.codigo_sku?.trim() || null,
    name: v.nome.trim(),
    ncm: normalizeNcm(v.fiscal?.ncm?.codigo),
    cest: normalizeCest(v.fiscal?.cest?.codigo),
    unit: (unit?.sigla ?? unit?.codigo ?? unit?.descricao)?.trim() || null,
    price: toDecimalString(v.estoque?.valor_venda ?? null, 2),
    active: (v.status ?? 'ATIVO').toUpperCase() !== 'INATIVO',
  });
}

// --- DRE ----------------------------------------------------------------------------------------------------

/**
 * `entrada_dre` enum (official OpenAPI, GET /v1/financeiro/categorias/{id}) → DRE line. Totalizer entries
 * (LUCRO_*, RECEITA_LIQUIDA_VENDAS) carry no line of their own and fall through to the next rule.
 * `DESPESSAS_FINANCEIRAS` is spelt so by the API.
 */
export const CA_ENTRADA_DRE: Record<string, DreLine> = {
  RECEITA_BRUTA_VENDAS: 'receita_bruta',
  RECEITAS_OPERACIONAIS: 'receita_bruta',
  RECEITA_VENDA_PRODUTOS_SERVICOS: 'receita_bruta',
  RECEITA_FRETES_ENTREGAS: 'receita_bruta',
  DEDUCOES_RECEITA_BRUTA: 'deducoes',
  IMPOSTOS_SOBRE_VENDAS: 'deducoes',
  COMISSOES_SOBRE_VENDAS: 'deducoes',
  DESCONTOS_INCONDICIONAIS: 'deducoes',
  DEVOLUCOES_DE_VENDAS: 'deducoes',
  CUSTOS_OPERACIONAIS: 'custos',
  CUSTO_PRODUTOS_VENDIDOS: 'custos',
  CUSTO_VENDAS_PRODUTOS: 'custos',
  CUSTO_SERVICOS_PRESTADOS: 'custos',
  DESPESAS_OPERACIONAIS_NIVEL_1: 'despesas_operacionais',
  DESPESAS_COMERCIAIS: 'despesas_operacionais',
  DESPESAS_ADMINISTRATIVAS: 'despesas_operacionais',
  DESPESAS_OPERACIONAIS_NIVEL_2: 'despesas_operacionais',
  RECEITAS_DESPESAS_FINANCEIRAS: 'resultado_financeiro',
  RECEITAS_RENDIMENTOS_FINANCEIROS: 'resultado_financeiro',
  DESPESSAS_FINANCEIRAS: 'resultado_financeiro',
  DESPESAS_FINANCEIRAS: 'resultado_financeiro',
  OUTRAS_RECEITAS_DESPESAS_NAO_OPERACIONAIS: 'outras_receitas_despesas',
  OUTRAS_RECEITAS_NAO_OPERACIONAIS: 'outras_receitas_despesas',
  OUTRAS_DESPESAS_NAO_OPERACIONAIS: 'outras_receitas_despesas',
};

export interface CaDreResolution {
  categoryName: string | null;
  line: DreLine;
  rule: string;
}

/** Flattens the categorias-dre tree into category id → descriptions from the nearest DRE item up to the root. */
export function indexDreTree(items: CaDreItem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (item: CaDreItem, path: string[]) => {
    const here = [item.descricao ?? '', ...path];
    for (const c of item.categorias_financeiras ?? []) if (!out.has(c.id)) out.set(c.id, here);
    for (const s of item.subitens ?? []) walk(s, here);
  };
  for (const i of items) walk(i, []);
  return out;
}

/**
 * Category → DRE line: its `entrada_dre` → the DRE item it hangs under in /v1/financeiro/categorias-dre (by
 * description, nearest first) → its parent category (same two rules) → the fallback mapping on its name.
 */
export function buildCaDreResolver(
  categorias: CaCategoria[],
  dreTree: CaDreItem[],
  fallback: DreFallback,
): (cat: { id: string; nome?: string | null } | null, kind: FinancialEntry['kind']) => CaDreResolution {
  const byId = new Map(categorias.map((c) => [c.id, c]));
  const tree = indexDreTree(dreTree);
  const fromCategory = (
    c: CaCategoria | undefined,
    depth: number,
  ): { line: DreLine; rule: string } | null => {
    if (!c || depth > 5) return null;
    const entrada = (c.entrada_dre ?? '').trim().toUpperCase();
    if (entrada && CA_ENTRADA_DRE[entrada]) {
      return { line: CA_ENTRADA_DRE[entrada], rule: `conta_azul:entrada_dre=${entrada}` };
    }
    for (const text of tree.get(c.id) ?? []) {
      const line = dreLineFromText(text);
      if (line) return { line, rule: `conta_azul:categorias-dre=${normText(text)}` };
    }
    return c.categoria_pai ? fromCategory(byId.get(c.categoria_pai), depth + 1) : null;
  };
  return (ref, kind) => {
    if (!ref) {
      const fb = fallback({ name: null, kind, code: null });
      return { categoryName: null, line: fb.line, rule: fb.rule };
    }
    const cat = byId.get(ref.id);
    const name = cat?.nome ?? ref.nome ?? null;
    const hit = fromCategory(cat, 0);
    if (hit) return { categoryName: name, ...hit };
    const parents: string[] = [];
    for (let p = cat?.categoria_pai ? byId.get(cat.categoria_pai) : undefined; p && parents.length < 6;) {
      parents.push(p.nome);
      p = p.categoria_pai ? byId.get(p.categoria_pai) : undefined;
    }
    const fb = fallback({ name, kind, parents, code: ref.id });
    return { categoryName: name, line: fb.line, rule: fb.rule };
  };
}

export function parseCaCategoria(raw: unknown): MapResult<CaCategoria> {
  return parseCaItem(CaCategoriaSchema, raw, 'categoria', (x) => x.id);
}

// --- financials ---------------------------------------------------------------------------------------------

/**
 * Financial status. The search endpoints send an English enum in `status` (ACQUITTED, PENDING, OVERDUE, ...) and
 * the Portuguese label in `status_traduzido` (RECEBIDO, EM_ABERTO, ATRASADO, RECEBIDO_PARCIAL, RENEGOCIADO,
 * PERDIDO; payables PAGO...): see docs/erp-sources.md (Conta Azul) and
 * https://developers.contaazul.com/docs/financial-apis-openapi. Installment endpoints use PENDENTE, QUITADO,
 * CANCELADO. Both vocabularies are read; `null` for a value neither knows. A renegotiated installment is replaced by
 * new ones, so it counts as cancelled (no double counting).
 */
function caStatusOf(status: string | null | undefined): FinancialEntry['status'] | null {
  const t = normText(status).toUpperCase().replace(/[\s-]+/g, '_');
  if (!t) return null;
  if (t.includes('PARCIAL') || t.startsWith('PARTIAL')) return 'partial';
  if (
    ['RECEBIDO', 'PAGO', 'QUITADO', 'LIQUIDADO', 'CONCILIADO', 'ACQUITTED', 'PAID', 'RECEIVED'].includes(t)
  ) {
    return 'paid';
  }
  if (['ATRASADO', 'VENCIDO', 'OVERDUE'].includes(t)) return 'overdue';
  if (
    ['CANCELADO', 'PERDIDO', 'RENEGOCIADO', 'ESTORNADO', 'CANCELLED', 'CANCELED', 'LOST', 'RENEGOTIATED']
      .includes(t)
  ) return 'cancelled';
  if (['EM_ABERTO', 'PENDENTE', 'ABERTO', 'PENDING', 'OPEN'].includes(t)) return 'open';
  return null;
}

/** The entry's status from whichever of `status_traduzido` / `status` is known; 'open' when neither is. */
export function mapCaStatus(
  status: string | null | undefined,
  statusTraduzido?: string | null,
): FinancialEntry['status'] {
  return caStatusOf(statusTraduzido) ?? caStatusOf(status) ?? 'open';
}

export function mapCaEvento(
  raw: unknown,
  kind: FinancialEntry['kind'],
  resolve: ReturnType<typeof buildCaDreResolver>,
): MapResult<FinancialEntry> {
  const p = parseCaItem(
    CaEventoFinanceiroSchema,
    raw,
    kind === 'receivable' ? 'conta a receber' : 'conta a pagar',
    (x) => x.id,
  );
  if (!p.ok) return p;
  const e: CaEventoFinanceiro = p.value;
  const id = String(e.id);
  const date = caDate(e.data_competencia) ?? caDate(e.data_vencimento);
  if (!date) return fail('CONTA_AZUL_INVALID_RECORD', `Conta Azul: lançamento ${id} sem data válida`, id);
  const amount = toDecimalString(e.total, 2);
  if (amount === null) {
    return fail('CONTA_AZUL_INVALID_RECORD', `Conta Azul: lançamento ${id} com valor inválido`, id);
  }
  const cats = e.categorias ?? [];
  // The search result carries categories without amounts: the whole value goes to the first one.
  const r = resolve(cats[0] ?? null, kind);
  return ok({
    externalId: id,
    kind,
    date,
    amount: amount.replace(/^-/, ''),
    status: mapCaStatus(e.status, e.status_traduzido),
    categoryId: cats[0]?.id ?? null,
    categoryName: r.categoryName,
    dreLine: r.line,
    dreRule: cats.length > 1 ? `${r.rule};categorias=${cats.length}` : r.rule,
    description: e.descricao?.trim() || null,
  });
}

// --- company ------------------------------------------------------------------------------------------------

/** conta-conectada has no regime/CRT/CNAE: those are always declared unavailable, never guessed. */
export function mapCaContaConectada(c: CaContaConectada): CompanyProfile {
  const uf = (c.endereco?.estado ?? c.endereco?.uf ?? '').trim().toUpperCase();
  const profile: CompanyProfile = {
    cnpj: normalizeCnpj(c.documento),
    legalName: c.razao_social?.trim() || null,
    tradeName: c.nome_fantasia?.trim() || null,
    taxRegime: 'unknown',
    crt: null,
    cnae: null,
    uf: /^[A-Z]{2}$/.test(uf) ? uf : null,
    city: c.endereco?.cidade?.trim() || null,
    unavailable: [],
  };
  const fields = ['cnpj', 'legalName', 'tradeName', 'uf', 'city'] as const;
  profile.unavailable = ['taxRegime', 'crt', 'cnae', ...fields.filter((f) => profile[f] === null)];
  return profile;
}

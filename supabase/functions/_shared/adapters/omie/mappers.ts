/**
 * Pure mappers from raw Omie payloads (schemas.ts) to the domain records of contract.ts.
 * No I/O, no clock: every function here is replayed against recorded fixtures in mappers.test.ts.
 */
import type {
  CompanyProfile,
  DreLine,
  FinancialEntry,
  NfeDocument,
  Product,
  TaxRegime,
} from '../contract.ts';
import { decodeXML } from 'entities';
import { ACCESS_KEY_RE } from '../../nfe/access-key.ts';
import { AppError } from '../../errors.ts';
import { type DreFallback, dreLineFromText } from '../common/dre.ts';
import {
  normalizeCest,
  normalizeCnpj,
  normalizeNcm,
  normText,
  onlyDigits,
  toDecimalString,
} from '../common/normalize.ts';
import { fail, type MapResult, ok, parseItem as parseRecord, type RecordSource } from '../common/records.ts';
import { nfeXmlProblem } from '../common/xml.ts';
import {
  type OmieCategoria,
  OmieCategoriaSchema,
  type OmieConta,
  OmieContaSchema,
  type OmieDocumento,
  OmieDocumentoSchema,
  type OmieDreLinha,
  OmieDreLinhaSchema,
  type OmieEmpresa,
  OmieEmpresaSchema,
  type OmieNfCadastro,
  OmieNfCadastroSchema,
  type OmieObterNfeResponse,
  OmieProdutoSchema,
  type OmieRecebimento,
  OmieRecebimentoSchema,
} from './schemas.ts';
import type { z } from 'zod';

const OMIE: RecordSource = { label: 'Omie', code: 'OMIE_INVALID_RECORD' };
const parseItem = <S extends z.ZodType>(
  schema: S,
  raw: unknown,
  what: string,
  idOf: (raw: Record<string, unknown>) => unknown,
) => parseRecord(OMIE, schema, raw, what, idOf);

// --- scalar helpers -----------------------------------------------------------------------------------------

/** 'dd/mm/aaaa' → 'YYYY-MM-DD' (null when absent or malformed). */
export function omieDateToIso(d: string | null | undefined): string | null {
  if (!d) return null;
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(d.trim());
  if (!m) return null;
  const [, dd, mm, yyyy] = m;
  const day = Number(dd), month = Number(mm);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return `${yyyy}-${mm}-${dd}`;
}

/** 'YYYY-MM-DD' → 'dd/mm/aaaa' (Omie request format). */
export function isoToOmieDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new AppError('bad_request', 'BAD_DATE', `data inválida: ${iso}`);
  return `${m[3]}/${m[2]}/${m[1]}`;
}

/** Decimal string → integer cents (money has at most 2 decimals in these APIs; extra digits are truncated). */
function toCents(dec: string): bigint {
  const neg = dec.startsWith('-');
  const [i, f = ''] = dec.replace('-', '').split('.');
  const cents = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  return neg ? -cents : cents;
}
function centsToDecimal(c: bigint): string {
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}
const abs = (dec: string): string => dec.replace(/^-/, '');

// --- NF-e ---------------------------------------------------------------------------------------------------

/**
 * Omie sends the XML either as is or HTML-escaped once (`&lt;?xml ...`): clients decode `cXmlNfe` with
 * html.unescape / html_entity_decode (docs/erp-sources.md). An escaped document is decoded once; anything else
 * is returned untouched.
 */
export function omieXmlText(xml: string | null | undefined): string | null {
  if (xml == null) return null;
  const t = xml.trim();
  return t.startsWith('&lt;') ? decodeXML(t).trim() : t;
}

/** 44-character key (alphanumeric CNPJ positions allowed, NT 2025.001). */
const isAccessKey = (k: string | null | undefined): k is string => !!k && ACCESS_KEY_RE.test(k);

export function parseListarNfItem(raw: unknown): MapResult<OmieNfCadastro> {
  return parseItem(
    OmieNfCadastroSchema,
    raw,
    'NF-e',
    (r) => (r.compl as Record<string, unknown> | undefined)?.nIdNF,
  );
}

/** The XML of an issued note (ObterNfe) → NfeDocument, or a data error for that note only. */
export function mapOmieIssuedNfe(nf: OmieNfCadastro, doc: OmieObterNfeResponse): MapResult<NfeDocument> {
  const externalId = String(nf.compl.nIdNF);
  const status = doc.cCodStatus === undefined || doc.cCodStatus === null
    ? '0'
    : String(doc.cCodStatus).trim();
  if (status !== '0' && status !== '') {
    return fail('OMIE_XML_UNAVAILABLE', `Omie: XML da NF-e indisponível (cCodStatus ${status})`, externalId, {
      cCodStatus: status,
    });
  }
  const xml = omieXmlText(doc.cXmlNfe);
  const problem = nfeXmlProblem(xml);
  if (problem) return fail('OMIE_BAD_XML', `Omie: ${problem} na NF-e ${externalId}`, externalId);
  const key = nf.compl.cChaveNFe ?? (doc.nChaveNfe != null ? String(doc.nChaveNfe) : null);
  return ok({
    externalId,
    ...(isAccessKey(key) ? { accessKey: key } : {}),
    origin: 'issued',
    xml: xml!,
  });
}

export function parseRecebimentoItem(raw: unknown): MapResult<OmieRecebimento> {
  return parseItem(
    OmieRecebimentoSchema,
    raw,
    'recebimento de NF-e',
    (r) => (r.cabec as Record<string, unknown> | undefined)?.nIdReceb,
  );
}

export function parseDocumentoItem(raw: unknown): MapResult<OmieDocumento> {
  return parseItem(OmieDocumentoSchema, raw, 'documento fiscal', (r) => r.nChave ?? r.nIdReceb ?? r.nIdNF);
}

/**
 * A received supplier note (ListarRecebimentos) with the document found for it in /contador/xml/ → NfeDocument.
 * `doc` is null when the accountant service has no XML for the receipt (e.g. an entry keyed by hand).
 */
export function mapOmieReceivedNfe(rec: OmieRecebimento, doc: OmieDocumento | null): MapResult<NfeDocument> {
  const externalId = `receb:${rec.cabec.nIdReceb}`;
  if (!doc) {
    return fail(
      'OMIE_XML_NOT_FOUND',
      `Omie: XML não encontrado para o recebimento ${rec.cabec.nIdReceb}`,
      externalId,
    );
  }
  const xml = omieXmlText(doc.cXml);
  const problem = nfeXmlProblem(xml);
  if (problem) {
    return fail('OMIE_BAD_XML', `Omie: ${problem} no recebimento ${rec.cabec.nIdReceb}`, externalId);
  }
  const key = rec.cabec.cChaveNfe ?? (doc.nChave != null ? String(doc.nChave) : null);
  return ok({
    externalId,
    ...(isAccessKey(key) ? { accessKey: key } : {}),
    origin: 'received',
    xml: xml!,
  });
}

// --- products -----------------------------------------------------------------------------------------------

export function mapOmieProduct(raw: unknown): MapResult<Product> {
  const p = parseItem(OmieProdutoSchema, raw, 'produto', (r) => r.codigo_produto);
  if (!p.ok) return p;
  const v = p.value;
  return ok({
    externalId: String(v.codigo_produto),
    code: v.codigo?.trim() || null,
    name: v.descricao.trim(),
    ncm: normalizeNcm(v.ncm),
    cest: normalizeCest(v.cest),
    unit: v.unidade?.trim() || null,
    price: toDecimalString(v.valor_unitario ?? null, 2),
    active: (v.inativo ?? 'N').toUpperCase() !== 'S',
  });
}

// --- DRE ----------------------------------------------------------------------------------------------------

export interface OmieDreResolution {
  categoryName: string | null;
  line: DreLine;
  rule: string;
}

/**
 * Builds the category → DRE line resolver from `ListarCategorias` and `ListarCadastroDRE`.
 * Order: the category's own DRE link (`codigo_dre` / `dadosDRE`) → its DRE line's description (then its
 * ancestors' by dotted code) → the fallback mapping on the category name. Categories hidden from the DRE
 * (`naoExibirDRE`='S') and transfers are 'nao_classificado', so they never inflate revenue or expenses.
 */
export function buildOmieDreResolver(
  categorias: OmieCategoria[],
  dreLista: OmieDreLinha[],
  fallback: DreFallback,
): (codigoCategoria: string | null | undefined, kind: FinancialEntry['kind']) => OmieDreResolution {
  const cats = new Map(categorias.map((c) => [c.codigo, c]));
  const dre = new Map(dreLista.map((d) => [d.codigoDRE, d]));
  const parentNames = (cat: OmieCategoria | undefined): string[] => {
    const out: string[] = [];
    for (
      let p = cat?.categoria_superior ? cats.get(cat.categoria_superior) : undefined;
      p && out.length < 6;
    ) {
      out.push(p.descricao);
      p = p.categoria_superior && p.categoria_superior !== p.codigo
        ? cats.get(p.categoria_superior)
        : undefined;
    }
    return out;
  };
  const ancestorsText = (code: string): Array<string | null | undefined> => {
    const parts = code.split('.');
    const out: Array<string | null | undefined> = [];
    for (let n = parts.length; n >= 1; n--) out.push(dre.get(parts.slice(0, n).join('.'))?.descricaoDRE);
    return out;
  };
  return (codigo, kind) => {
    const cat = codigo ? cats.get(codigo) : undefined;
    const name = cat?.descricao ?? null;
    if (cat) {
      if ((cat.transferencia ?? '').toUpperCase() === 'S') {
        return { categoryName: name, line: 'nao_classificado', rule: 'omie:transferencia' };
      }
      const code = cat.codigo_dre || cat.dadosDRE?.codigoDRE || null;
      if (code) {
        const hidden =
          (cat.dadosDRE?.naoExibirDRE ?? dre.get(code)?.naoExibirDRE ?? '').toUpperCase() === 'S';
        if (hidden) {
          return {
            categoryName: name,
            line: 'nao_classificado',
            rule: `omie:codigo_dre=${code}:naoExibirDRE`,
          };
        }
        for (const text of [cat.dadosDRE?.descricaoDRE, ...ancestorsText(code)]) {
          const line = dreLineFromText(text);
          if (line) return { categoryName: name, line, rule: `omie:codigo_dre=${code}` };
        }
      }
    }
    const fb = fallback({ name, kind, parents: parentNames(cat), code: codigo ?? null });
    return { categoryName: name, line: fb.line, rule: fb.rule };
  };
}

export function parseCategoria(raw: unknown): MapResult<OmieCategoria> {
  return parseItem(OmieCategoriaSchema, raw, 'categoria', (r) => r.codigo);
}
export function parseDreLinha(raw: unknown): MapResult<OmieDreLinha> {
  return parseItem(OmieDreLinhaSchema, raw, 'linha da DRE', (r) => r.codigoDRE);
}

// --- financials ---------------------------------------------------------------------------------------------

/** `status_titulo` → contract status. Values (ListarContasReceber filtrar_por_status): CANCELADO, PAGO, LIQUIDADO, EMABERTO, PAGTO_PARCIAL, ... */
export function mapOmieStatus(s: string | null | undefined): FinancialEntry['status'] {
  const t = (s ?? '').toUpperCase().replace(/[\s_]/g, '');
  if (t.startsWith('CANCEL')) return 'cancelled';
  if (t.includes('PARCIAL')) return 'partial';
  if (t === 'PAGO' || t === 'LIQUIDADO' || t === 'RECEBIDO' || t === 'QUITADO') return 'paid';
  if (t === 'ATRASADO' || t === 'VENCIDO') return 'overdue';
  return 'open'; // EMABERTO, AVENCER, VENCEHOJE, ''
}

/**
 * One receivable/payable title → one entry per category of its apportionment (`categorias[]`), each with
 * its DRE line. Single-category titles keep the Omie id as externalId; split ones get `<id>:<categoria>`.
 */
export function mapOmieConta(
  raw: unknown,
  kind: FinancialEntry['kind'],
  resolve: ReturnType<typeof buildOmieDreResolver>,
): MapResult<FinancialEntry[]> {
  const p = parseItem(
    OmieContaSchema,
    raw,
    kind === 'receivable' ? 'conta a receber' : 'conta a pagar',
    (r) => r.codigo_lancamento_omie,
  );
  if (!p.ok) return p;
  const c: OmieConta = p.value;
  const id = String(c.codigo_lancamento_omie);
  const date = omieDateToIso(c.data_emissao) ?? omieDateToIso(c.data_vencimento) ??
    omieDateToIso(c.data_registro);
  if (!date) return fail('OMIE_INVALID_RECORD', `Omie: título ${id} sem data válida`, id);
  const total = toDecimalString(c.valor_documento, 2);
  if (total === null) return fail('OMIE_INVALID_RECORD', `Omie: título ${id} com valor inválido`, id);
  const status = mapOmieStatus(c.status_titulo);
  const description = c.observacao?.trim() || c.numero_documento?.trim() || null;

  const split = (c.categorias ?? []).filter((x) => x.codigo_categoria);
  const parts: Array<{ cat: string | null; amount: string }> = [];
  if (split.length > 1) {
    const totalCents = toCents(abs(total));
    let assigned = 0n;
    split.forEach((s, i) => {
      let cents: bigint;
      const v = toDecimalString(s.valor ?? null, 2);
      if (v !== null) cents = toCents(abs(v));
      else if (i === split.length - 1) cents = totalCents - assigned;
      else {
        const pct = Number(s.percentual ?? 0);
        cents = BigInt(Math.round((Number(totalCents) * pct) / 100));
      }
      assigned += cents;
      parts.push({ cat: s.codigo_categoria, amount: centsToDecimal(cents) });
    });
  } else {
    parts.push({ cat: split[0]?.codigo_categoria ?? c.codigo_categoria ?? null, amount: abs(total) });
  }

  return ok(parts.map((part) => {
    const r = resolve(part.cat, kind);
    return {
      externalId: parts.length > 1 ? `${id}:${part.cat}` : id,
      kind,
      date,
      amount: part.amount,
      status,
      categoryId: part.cat,
      categoryName: r.categoryName,
      dreLine: r.line,
      dreRule: r.rule,
      description,
    };
  }));
}

// --- company ------------------------------------------------------------------------------------------------

/** Omie's `regime_tributario` code list is undocumented: only textual values and the Simples flag are read. */
export function omieTaxRegime(
  e: Pick<OmieEmpresa, 'regime_tributario' | 'optante_simples_nacional'>,
): TaxRegime {
  const t = normText(
    e.regime_tributario === null || e.regime_tributario === undefined ? '' : String(e.regime_tributario),
  );
  if (/\bmei\b|microempreendedor/.test(t)) return 'mei';
  if ((e.optante_simples_nacional ?? '').toUpperCase() === 'S' || /simples/.test(t)) {
    return 'simples_nacional';
  }
  if (/presumido/.test(t)) return 'lucro_presumido';
  if (/\breal\b/.test(t)) return 'lucro_real';
  return 'unknown';
}

/** Picks the company of the key (one key = one company; the first active one if Omie lists several). */
export function pickOmieEmpresa(rawItems: unknown[]): MapResult<OmieEmpresa> {
  const parsed = rawItems.map((r) => parseItem(OmieEmpresaSchema, r, 'empresa', (x) => x.codigo_empresa));
  const good = parsed.filter((p): p is { ok: true; value: OmieEmpresa } => p.ok);
  const active = good.filter((g) => (g.value.inativa ?? 'N').toUpperCase() !== 'S');
  const chosen = active[0] ?? good[0];
  if (chosen) return chosen;
  const firstBad = parsed.find((p) => !p.ok);
  return firstBad ?? fail('OMIE_NO_COMPANY', 'Omie: nenhuma empresa retornada por ListarEmpresas');
}

export function mapOmieEmpresa(e: OmieEmpresa): CompanyProfile {
  const cnae = onlyDigits(e.cnae);
  const taxRegime = omieTaxRegime(e);
  // CRT follows from the regime only where it is unambiguous: MEI → 4, regime normal → 3. Simples can be 1 or 2.
  const crt: CompanyProfile['crt'] = taxRegime === 'mei'
    ? 4
    : taxRegime === 'lucro_presumido' || taxRegime === 'lucro_real'
    ? 3
    : null;
  const uf = (e.estado ?? '').trim().toUpperCase();
  const city = (e.cidade ?? '').replace(/\s*\([A-Z]{2}\)\s*$/, '').trim(); // Omie writes 'SAO PAULO (SP)'
  const profile: CompanyProfile = {
    cnpj: normalizeCnpj(e.cnpj),
    legalName: e.razao_social?.trim() || null,
    tradeName: e.nome_fantasia?.trim() || null,
    taxRegime,
    crt,
    cnae: cnae.length === 7 ? cnae : null,
    uf: /^[A-Z]{2}$/.test(uf) ? uf : null,
    city: city || null,
    unavailable: [],
  };
  const fields = ['cnpj', 'legalName', 'tradeName', 'crt', 'cnae', 'uf', 'city'] as const;
  profile.unavailable = fields.filter((f) => profile[f] === null);
  if (taxRegime === 'unknown') profile.unavailable.push('taxRegime');
  return profile;
}

/**
 * Omie adapter (sources: docs/erp-sources.md). One app_key/app_secret pair per company, in the connection's
 * Vault JSON as `{ "app_key": "...", "app_secret": "..." }`.
 *
 * Entities and the calls behind them (every call POST `{baseUrl}/{module}/{service}/`):
 *   nfe issued    /produtos/nfconsultar/ ListarNF (dEmiInicial/dEmiFinal) → per note /produtos/dfedocs/ ObterNfe
 *                 (`cXmlNfe` inline). Cancelled/denied notes (ide.dCan / cDeneg) are skipped.
 *   nfe received  /produtos/recebimentonfe/ ListarRecebimentos (dtEmissaoDe/Ate) → per receipt /contador/xml/
 *                 ListarDocumentos (cModelo 55, cOperacao 0, nIdReceb) → `cXml`.
 *   products      /geral/produtos/ ListarProdutos (NCM on every list item: no detail calls).
 *   financials    /geral/categorias/ ListarCategorias + /geral/dre/ ListarCadastroDRE (once per run), then
 *                 /financas/contareceber/ ListarContasReceber and /financas/contapagar/ ListarContasPagar
 *                 filtered by emission date; categories' `codigo_dre` → DRE line, shared mapping as fallback.
 *   profile       /geral/empresas/ ListarEmpresas.
 *
 * Checkpoints: `{ from, to, phase, page }` (next page to fetch); a checkpoint for another window is ignored.
 */
import type {
  AdapterContext,
  AdapterFactory,
  Capabilities,
  Checkpoint,
  CompanyProfile,
  DateWindow,
  ErpAdapter,
  FailedRecord,
  FinancialEntry,
  NfeDocument,
  Page,
  Product,
} from '../contract.ts';
import { mapLimit } from '../concurrency.ts';
import { type DreFallback, sharedDreFallback } from '../common/dre.ts';
import type { MapResult } from '../common/records.ts';
import { AppError, isAppError } from '../../errors.ts';
import { OmieClient } from './client.ts';
import type { AdapterDeps } from '../../http/mod.ts';
import {
  buildOmieDreResolver,
  isoToOmieDate,
  mapOmieConta,
  mapOmieEmpresa,
  mapOmieIssuedNfe,
  mapOmieProduct,
  mapOmieReceivedNfe,
  parseCategoria,
  parseDocumentoItem,
  parseDreLinha,
  parseListarNfItem,
  parseRecebimentoItem,
  pickOmieEmpresa,
} from './mappers.ts';
import {
  type OmieCategoria,
  type OmieDocumento,
  type OmieDreLinha,
  OmieListarCadastroDREResponseSchema,
  OmieListarCategoriasResponseSchema,
  OmieListarContasPagarResponseSchema,
  OmieListarContasReceberResponseSchema,
  OmieListarDocumentosResponseSchema,
  OmieListarEmpresasResponseSchema,
  OmieListarNFResponseSchema,
  OmieListarProdutosResponseSchema,
  OmieListarRecebimentosResponseSchema,
  OmieObterNfeResponseSchema,
  omieTotalPages,
} from './schemas.ts';
import type { z } from 'zod';

export const OMIE_CAPABILITIES: Capabilities = {
  nfeIssued: true,
  nfeReceived: true,
  products: true,
  financials: true,
  profile: true,
};

/** AdapterDeps (clock, limiter, retry... from the engine or tests) plus Omie tuning. */
export interface OmieAdapterOptions extends AdapterDeps {
  pageSizes?: Partial<
    { nfe: number; received: number; products: number; financials: number; categories: number }
  >;
  /** Parallel XML calls per page (Omie allows 4 in flight per method; the limiter enforces it anyway). */
  xmlConcurrency?: number;
  /** Category → DRE line when Omie's category has no DRE link (the shared mapping table in production). */
  dreFallback?: DreFallback;
}

const DEFAULT_PAGE_SIZES = { nfe: 50, received: 50, products: 200, financials: 200, categories: 500 };

type Phase<P extends string> = { phase: P; page: number };

function readCheckpoint<P extends string>(
  cp: Checkpoint | null,
  phases: readonly P[],
  window?: DateWindow,
): Phase<P> | { phase: 'done'; page: number } {
  const first = { phase: phases[0], page: 1 };
  if (!cp) return first;
  if (window && (cp.from !== window.from || cp.to !== window.to)) return first;
  if (cp.phase === 'done') return { phase: 'done', page: 0 };
  const phase = phases.find((p) => p === cp.phase);
  const page = typeof cp.page === 'number' && Number.isInteger(cp.page) && cp.page >= 1 ? cp.page : 1;
  return phase ? { phase, page } : first;
}

function windowOf(window?: DateWindow): Checkpoint {
  return window ? { from: window.from, to: window.to } : {};
}

/** Runs `fn` over `items` with at most `n` in flight, keeping order. */
function collect<T>(results: Array<MapResult<T>>): { records: T[]; failed: FailedRecord[] } {
  const records: T[] = [];
  const failed: FailedRecord[] = [];
  for (const r of results) {
    if (r.ok) records.push(r.value);
    else failed.push({ ...(r.externalId ? { externalId: r.externalId } : {}), error: r.error });
  }
  return { records, failed };
}

/** A per-record call failure that only concerns that record (bad payload / not found) becomes a FailedRecord. */
function asRecordFailure<T>(e: unknown, externalId: string): MapResult<T> {
  if (isAppError(e) && e.kind === 'data') return { ok: false, externalId, error: e };
  throw e;
}

/** The XML carries a cancellation event (procEventoNFe / embedded retEvento with tpEvento 110111). */
function hasCancellation(xml: string | null | undefined): boolean {
  return !!xml && /<tpEvento>\s*110111\s*<\/tpEvento>/.test(xml);
}

function recordError<T>(externalId: string, code: string, message: string): MapResult<T> {
  return { ok: false, externalId, error: new AppError('data', code, message) };
}

function parsePage<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new AppError('data', 'MALFORMED_RESPONSE', `omie ${what}: resposta fora do formato esperado`);
  }
  return r.data;
}

export function createOmieAdapter(ctx: AdapterContext, opts: OmieAdapterOptions = {}): ErpAdapter {
  const client = new OmieClient(ctx, opts);
  const size = { ...DEFAULT_PAGE_SIZES, ...opts.pageSizes };
  const xmlConcurrency = opts.xmlConcurrency ?? 3;
  const fallback = opts.dreFallback ?? sharedDreFallback;

  async function* issued(window: DateWindow, startPage: number): AsyncGenerator<Page<NfeDocument>> {
    for (let page = startPage;; page++) {
      const res = await client.call('produtos/nfconsultar', 'ListarNF', {
        pagina: page,
        registros_por_pagina: size.nfe,
        dEmiInicial: isoToOmieDate(window.from),
        dEmiFinal: isoToOmieDate(window.to),
      });
      if (res.end) return;
      const body = parsePage(OmieListarNFResponseSchema, res.body, 'ListarNF');
      const parsed = body.nfCadastro.map(parseListarNfItem);
      // Denied / voided numbers have no authorised XML: skipped, not failures.
      const live = parsed.filter((p) => {
        if (!p.ok) return true;
        const ide = p.value.ide;
        return !(ide?.dInut?.trim() || (ide?.cDeneg ?? '').toUpperCase() === 'S');
      });
      const results = await mapLimit(
        live,
        xmlConcurrency,
        async (p): Promise<MapResult<NfeDocument | null>> => {
          if (!p.ok) return p;
          const id = String(p.value.compl.nIdNF);
          try {
            const x = await client.call('produtos/dfedocs', 'ObterNfe', { nIdNfe: p.value.compl.nIdNF });
            if (x.end) {
              return recordError(id, 'OMIE_XML_UNAVAILABLE', `Omie: XML da NF-e ${id} não encontrado`);
            }
            const doc = OmieObterNfeResponseSchema.safeParse(x.body);
            if (!doc.success) {
              return recordError(
                id,
                'MALFORMED_RESPONSE',
                `Omie: resposta de ObterNfe inválida (NF-e ${id})`,
              );
            }
            const mapped = mapOmieIssuedNfe(p.value, doc.data);
            // A cancelled note (ide.dCan) whose XML lacks the cancellation event still lands cancelled: the
            // NF-e module never keeps it as authorised (also when it was imported before the cancellation).
            if (mapped.ok && p.value.ide?.dCan?.trim() && !hasCancellation(mapped.value.xml)) {
              return { ok: true, value: { ...mapped.value, erpCancelled: { source: 'Omie ide.dCan' } } };
            }
            return mapped;
          } catch (e) {
            return asRecordFailure(e, id);
          }
        },
      );
      const last = page >= body.total_de_paginas;
      const { records, failed } = collect(results);
      yield {
        records: records.filter((r): r is NfeDocument => r !== null),
        failed,
        checkpoint: {
          ...windowOf(window),
          ...(last ? { phase: 'received', page: 1 } : { phase: 'issued', page: page + 1 }),
        },
      };
      if (last) return;
    }
  }

  async function findReceivedXml(nIdReceb: string | number): Promise<OmieDocumento | null> {
    const res = await client.call('contador/xml', 'ListarDocumentos', {
      nPagina: 1,
      nRegPorPagina: 5,
      cModelo: '55',
      cOperacao: '0',
      nIdReceb,
    });
    if (res.end) return null;
    const body = parsePage(OmieListarDocumentosResponseSchema, res.body, 'ListarDocumentos');
    for (const raw of body.documentosEncontrados) {
      const d = parseDocumentoItem(raw);
      if (
        d.ok && d.value.cXml && (d.value.nIdReceb == null || String(d.value.nIdReceb) === String(nIdReceb))
      ) {
        return d.value;
      }
    }
    return null;
  }

  async function* received(window: DateWindow, startPage: number): AsyncGenerator<Page<NfeDocument>> {
    for (let page = startPage;; page++) {
      const res = await client.call('produtos/recebimentonfe', 'ListarRecebimentos', {
        nPagina: page,
        nRegistrosPorPagina: size.received,
        dtEmissaoDe: isoToOmieDate(window.from),
        dtEmissaoAte: isoToOmieDate(window.to),
      });
      if (res.end) return;
      const body = parsePage(OmieListarRecebimentosResponseSchema, res.body, 'ListarRecebimentos');
      const results = await mapLimit(
        body.recebimentos.map(parseRecebimentoItem),
        xmlConcurrency,
        async (p): Promise<MapResult<NfeDocument | null>> => {
          if (!p.ok) return p;
          const id = `receb:${p.value.cabec.nIdReceb}`;
          try {
            const doc = await findReceivedXml(p.value.cabec.nIdReceb);
            // cStatus 20 denegado / 40 pendente: no authorised note (skipped, not a failure); 10 cancelado lands
            // cancelled (by its event when the XML carries it, else on Omie's word).
            const st = (doc?.cStatus ?? '').trim();
            if (doc && (st === '20' || st === '40')) return { ok: true, value: null };
            const mapped = mapOmieReceivedNfe(p.value, doc);
            if (mapped.ok && st === '10' && !hasCancellation(mapped.value.xml)) {
              return {
                ok: true,
                value: { ...mapped.value, erpCancelled: { source: 'Omie cStatus 10 (cancelado)' } },
              };
            }
            return mapped;
          } catch (e) {
            return asRecordFailure(e, id);
          }
        },
      );
      const pages = omieTotalPages(body, size.received);
      const last = pages === null ? body.recebimentos.length < size.received : page >= pages;
      const { records, failed } = collect(results);
      yield {
        records: records.filter((r): r is NfeDocument => r !== null),
        failed,
        checkpoint: {
          ...windowOf(window),
          ...(last ? { phase: 'done', page: 0 } : { phase: 'received', page: page + 1 }),
        },
      };
      if (last) return;
    }
  }

  async function* nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncGenerator<Page<NfeDocument>> {
    const cp = readCheckpoint(checkpoint, ['issued', 'received'] as const, window);
    if (cp.phase === 'done') return;
    if (cp.phase === 'issued') {
      yield* issued(window, cp.page);
      yield* received(window, 1);
    } else {
      yield* received(window, cp.page);
    }
  }

  async function* products(checkpoint: Checkpoint | null): AsyncGenerator<Page<Product>> {
    const cp = readCheckpoint(checkpoint, ['products'] as const);
    if (cp.phase === 'done') return;
    for (let page = cp.page;; page++) {
      const res = await client.call('geral/produtos', 'ListarProdutos', {
        pagina: page,
        registros_por_pagina: size.products,
        apenas_importado_api: 'N',
        filtrar_apenas_omiepdv: 'N',
      });
      if (res.end) return;
      const body = parsePage(OmieListarProdutosResponseSchema, res.body, 'ListarProdutos');
      const last = page >= body.total_de_paginas;
      yield {
        ...collect(body.produto_servico_cadastro.map(mapOmieProduct)),
        checkpoint: last ? { phase: 'done', page: 0 } : { phase: 'products', page: page + 1 },
      };
      if (last) return;
    }
  }

  async function loadCategories(): Promise<OmieCategoria[]> {
    const out: OmieCategoria[] = [];
    for (let page = 1;; page++) {
      const res = await client.call('geral/categorias', 'ListarCategorias', {
        pagina: page,
        registros_por_pagina: size.categories,
      });
      if (res.end) return out;
      const body = parsePage(OmieListarCategoriasResponseSchema, res.body, 'ListarCategorias');
      for (const raw of body.categoria_cadastro) {
        const c = parseCategoria(raw);
        if (c.ok) out.push(c.value);
      }
      if (page >= body.total_de_paginas) return out;
    }
  }

  async function loadDreStructure(): Promise<OmieDreLinha[]> {
    try {
      const res = await client.call('geral/dre', 'ListarCadastroDRE', { apenasContasAtivas: 'N' });
      if (res.end) return [];
      const body = parsePage(OmieListarCadastroDREResponseSchema, res.body, 'ListarCadastroDRE');
      return body.dreLista.map(parseDreLinha).flatMap((r) => (r.ok ? [r.value] : []));
    } catch (e) {
      // The DRE structure only refines descriptions; without it categories' dadosDRE and the fallback remain.
      if (isAppError(e) && (e.kind === 'data' || e.kind === 'not_supported')) return [];
      throw e;
    }
  }

  let resolverPromise: Promise<ReturnType<typeof buildOmieDreResolver>> | null = null;
  const resolver = () => {
    resolverPromise ??= Promise.all([loadCategories(), loadDreStructure()]).then(([c, d]) =>
      buildOmieDreResolver(c, d, fallback)
    );
    resolverPromise.catch(() => (resolverPromise = null));
    return resolverPromise;
  };

  async function* financials(
    window: DateWindow,
    checkpoint: Checkpoint | null,
  ): AsyncGenerator<Page<FinancialEntry>> {
    const cp = readCheckpoint(checkpoint, ['receivable', 'payable'] as const, window);
    if (cp.phase === 'done') return;
    const resolve = await resolver();
    const phases = [
      {
        kind: 'receivable' as const,
        service: 'financas/contareceber',
        call: 'ListarContasReceber',
        schema: OmieListarContasReceberResponseSchema,
        items: (b: z.infer<typeof OmieListarContasReceberResponseSchema>) => b.conta_receber_cadastro,
      },
      {
        kind: 'payable' as const,
        service: 'financas/contapagar',
        call: 'ListarContasPagar',
        schema: OmieListarContasPagarResponseSchema,
        items: (b: z.infer<typeof OmieListarContasPagarResponseSchema>) => b.conta_pagar_cadastro,
      },
    ];
    const startIdx = cp.phase === 'payable' ? 1 : 0;
    for (let i = startIdx; i < phases.length; i++) {
      const ph = phases[i];
      for (let page = i === startIdx ? cp.page : 1;; page++) {
        const res = await client.call(ph.service, ph.call, {
          pagina: page,
          registros_por_pagina: size.financials,
          filtrar_por_emissao_de: isoToOmieDate(window.from),
          filtrar_por_emissao_ate: isoToOmieDate(window.to),
        });
        if (res.end) break;
        // deno-lint-ignore no-explicit-any
        const body = parsePage(ph.schema as any, res.body, ph.call) as any;
        const mapped = (ph.items(body) as unknown[]).map((raw) => mapOmieConta(raw, ph.kind, resolve));
        const { records, failed } = collect(mapped);
        const last = page >= body.total_de_paginas;
        const next = last
          ? (i + 1 < phases.length ? { phase: phases[i + 1].kind, page: 1 } : { phase: 'done', page: 0 })
          : { phase: ph.kind, page: page + 1 };
        yield { records: records.flat(), failed, checkpoint: { ...windowOf(window), ...next } };
        if (last) break;
      }
    }
  }

  async function profile(): Promise<CompanyProfile> {
    const res = await client.call('geral/empresas', 'ListarEmpresas', {
      pagina: 1,
      registros_por_pagina: 50,
    });
    if (res.end) {
      throw new AppError('data', 'OMIE_NO_COMPANY', 'Omie: nenhuma empresa retornada por ListarEmpresas');
    }
    const body = parsePage(OmieListarEmpresasResponseSchema, res.body, 'ListarEmpresas');
    const e = pickOmieEmpresa(body.empresas_cadastro);
    if (!e.ok) throw e.error;
    return mapOmieEmpresa(e.value);
  }

  return {
    erp: 'omie',
    capabilities: OMIE_CAPABILITIES,
    nfe,
    products,
    financials,
    profile,
  };
}

// Type check: the factory matches the contract (the options argument is optional).
const _factory: AdapterFactory = createOmieAdapter;
void _factory;

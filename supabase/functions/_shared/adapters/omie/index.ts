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
 * Checkpoints (common/paging.ts): `{ from, to, phase, page }` (next page to fetch); another window's is ignored.
 */
import type {
  AdapterContext,
  AdapterFactory,
  Capabilities,
  Checkpoint,
  CompanyProfile,
  DateWindow,
  ErpAdapter,
  FinancialEntry,
  NfeDocument,
  Page,
  Product,
} from '../contract.ts';
import { mapLimit } from '../concurrency.ts';
import { type DreFallback, sharedDreFallback } from '../common/dre.ts';
import { collect, type MapResult, recordFailure, responseParser } from '../common/records.ts';
import { type Cursor, pagedPhases, type PhasePage, windowDone } from '../common/paging.ts';
import { onceUntilFailure } from '../common/once.ts';
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

/** The XML carries a cancellation event (procEventoNFe / embedded retEvento with tpEvento 110111). */
function hasCancellation(xml: string | null | undefined): boolean {
  return !!xml && /<tpEvento>\s*110111\s*<\/tpEvento>/.test(xml);
}

function recordError<T>(externalId: string, code: string, message: string): MapResult<T> {
  return { ok: false, externalId, error: new AppError('data', code, message) };
}

const parsePage = responseParser('omie');

export function createOmieAdapter(ctx: AdapterContext, opts: OmieAdapterOptions = {}): ErpAdapter {
  const client = new OmieClient(ctx, opts);
  const size = { ...DEFAULT_PAGE_SIZES, ...opts.pageSizes };
  const xmlConcurrency = opts.xmlConcurrency ?? 3;
  const fallback = opts.dreFallback ?? sharedDreFallback;

  async function issuedPage(
    window: DateWindow,
    page: number,
  ): Promise<PhasePage<NfeDocument, Cursor> | null> {
    const res = await client.call('produtos/nfconsultar', 'ListarNF', {
      pagina: page,
      registros_por_pagina: size.nfe,
      dEmiInicial: isoToOmieDate(window.from),
      dEmiFinal: isoToOmieDate(window.to),
    });
    if (res.end) return null;
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
          return recordFailure(e, id);
        }
      },
    );
    const last = page >= body.total_de_paginas;
    const { records, failed } = collect(results);
    return {
      records: records.filter((r): r is NfeDocument => r !== null),
      failed,
      next: last ? null : { page: page + 1 },
    };
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

  async function receivedPage(
    window: DateWindow,
    page: number,
  ): Promise<PhasePage<NfeDocument, Cursor> | null> {
    const res = await client.call('produtos/recebimentonfe', 'ListarRecebimentos', {
      nPagina: page,
      nRegistrosPorPagina: size.received,
      dtEmissaoDe: isoToOmieDate(window.from),
      dtEmissaoAte: isoToOmieDate(window.to),
    });
    if (res.end) return null;
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
          return recordFailure(e, id);
        }
      },
    );
    const pages = omieTotalPages(body, size.received);
    const last = pages === null ? body.recebimentos.length < size.received : page >= pages;
    const { records, failed } = collect(results);
    return {
      records: records.filter((r): r is NfeDocument => r !== null),
      failed,
      next: last ? null : { page: page + 1 },
    };
  }

  function nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncGenerator<Page<NfeDocument>> {
    return pagedPhases({
      phases: ['issued', 'received'] as const,
      window,
      checkpoint,
      first: () => ({ page: 1 }),
      read: (phase, c) => (phase === 'issued' ? issuedPage(window, c.page) : receivedPage(window, c.page)),
    });
  }

  function products(checkpoint: Checkpoint | null): AsyncGenerator<Page<Product>> {
    return pagedPhases({
      phases: ['products'] as const,
      checkpoint,
      first: () => ({ page: 1 }),
      read: async (_phase, { page }) => {
        const res = await client.call('geral/produtos', 'ListarProdutos', {
          pagina: page,
          registros_por_pagina: size.products,
          apenas_importado_api: 'N',
          filtrar_apenas_omiepdv: 'N',
        });
        if (res.end) return null;
        const body = parsePage(OmieListarProdutosResponseSchema, res.body, 'ListarProdutos');
        return {
          ...collect(body.produto_servico_cadastro.map(mapOmieProduct)),
          next: page >= body.total_de_paginas ? null : { page: page + 1 },
        };
      },
    });
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

  const resolver = onceUntilFailure(() =>
    Promise.all([loadCategories(), loadDreStructure()]).then(([c, d]) => buildOmieDreResolver(c, d, fallback))
  );

  const FINANCIAL_PHASES = {
    receivable: {
      service: 'financas/contareceber',
      call: 'ListarContasReceber',
      schema: OmieListarContasReceberResponseSchema,
      items: (b: z.infer<typeof OmieListarContasReceberResponseSchema>) => b.conta_receber_cadastro,
    },
    payable: {
      service: 'financas/contapagar',
      call: 'ListarContasPagar',
      schema: OmieListarContasPagarResponseSchema,
      items: (b: z.infer<typeof OmieListarContasPagarResponseSchema>) => b.conta_pagar_cadastro,
    },
  } as const;

  async function* financials(
    window: DateWindow,
    checkpoint: Checkpoint | null,
  ): AsyncGenerator<Page<FinancialEntry>> {
    if (windowDone(checkpoint, window)) return;
    const resolve = await resolver();
    yield* pagedPhases({
      phases: ['receivable', 'payable'] as const,
      window,
      checkpoint,
      first: () => ({ page: 1 }),
      read: async (kind, { page }) => {
        const ph = FINANCIAL_PHASES[kind];
        const res = await client.call(ph.service, ph.call, {
          pagina: page,
          registros_por_pagina: size.financials,
          filtrar_por_emissao_de: isoToOmieDate(window.from),
          filtrar_por_emissao_ate: isoToOmieDate(window.to),
        });
        if (res.end) return null;
        // deno-lint-ignore no-explicit-any
        const body = parsePage(ph.schema as any, res.body, ph.call) as any;
        const mapped = (ph.items(body) as unknown[]).map((raw) => mapOmieConta(raw, kind, resolve));
        const { records, failed } = collect(mapped);
        return {
          records: records.flat(),
          failed,
          next: page >= body.total_de_paginas ? null : { page: page + 1 },
        };
      },
    });
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

/**
 * Conta Azul adapter (new API "v2"; sources: docs/erp-sources.md, Conta Azul). Credentials (Vault JSON):
 * `{ access_token, refresh_token, expires_at }`; OAuth client id/secret come from the function secrets
 * (`ctx.oauthClient`). Base URL `https://api-v2.contaazul.com`, auth URL `https://auth.contaazul.com`.
 *
 *   nfe issued    GET /v1/notas-fiscais?data_inicial&data_final (≤ 15-day windows: the window is split) →
 *                 GET /v1/notas-fiscais/{chave_acesso} (the XML). Only EMITIDA / CORRIGIDA_SUCESSO are listed.
 *   nfe received  not exposed by the API (capabilities.nfeReceived = false).
 *   products      GET /v1/produtos (no NCM) → GET /v1/produtos/{id} per item (fiscal.ncm.codigo), paced by the
 *                 account limiter (8/s).
 *   financials    GET /v1/categorias (entrada_dre) + GET /v1/financeiro/categorias-dre (tree), then
 *                 GET /v1/financeiro/eventos-financeiros/contas-a-receber|contas-a-pagar/buscar filtered by
 *                 competence = window (the required due-date filter is the window widened by a margin).
 *   profile       GET /v1/pessoas/conta-conectada (no regime/CRT/CNAE: declared unavailable).
 *
 * Checkpoints: `{ from, to, phase, chunk?, page }`; a checkpoint for another window is ignored.
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
import { isAppError } from '../../errors.ts';
import type { Query } from '../../http/mod.ts';
import { type ContaAzulClientOptions, createContaAzulHttp } from './client.ts';
import {
  buildCaDreResolver,
  type DreFallback,
  mapCaContaConectada,
  mapCaEvento,
  mapCaNfe,
  mapCaProduct,
  parseCaCategoria,
  parseNotaFiscal,
  parseProdutoResumo,
  splitWindow,
} from './mappers.ts';
import { sharedDreFallback } from '../common/dre.ts';
import { addDays } from '../common/normalize.ts';
import { collect, recordFailure, responseParser } from '../common/records.ts';
import { checkpointPage, pagedPhases, windowDone } from '../common/paging.ts';
import { onceUntilFailure } from '../common/once.ts';
import {
  CaBuscarResponseSchema,
  type CaCategoria,
  CaCategoriasDreResponseSchema,
  CaCategoriasResponseSchema,
  CaContaConectadaSchema,
  type CaDreItem,
  CaNotasFiscaisResponseSchema,
  CaProdutosResponseSchema,
} from './schemas.ts';

export const CONTA_AZUL_CAPABILITIES: Capabilities = {
  nfeIssued: true,
  nfeReceived: false,
  products: true,
  financials: true,
  profile: true,
};

export interface ContaAzulAdapterOptions extends ContaAzulClientOptions {
  pageSizes?: Partial<{ nfe: number; products: number; financials: number; categories: number }>;
  /** Parallel detail/XML calls (the account limiter paces them anyway). */
  detailConcurrency?: number;
  /** Maximum NF-e window accepted by /v1/notas-fiscais (15 days). */
  nfeWindowDays?: number;
  /** The financial search requires a due-date range: the window widened by this many days each side. */
  dueDateMarginDays?: number;
  dreFallback?: DreFallback;
}

const DEFAULT_PAGE_SIZES = { nfe: 50, products: 50, financials: 200, categories: 100 };

const parseBody = responseParser('conta_azul');

/** Is there another page after `page`? Uses the envelope's totals when given, else a short page ends it. */
function hasMore(page: number, size: number, got: number, total?: number, totalPages?: number): boolean {
  if (totalPages !== undefined) return page < totalPages;
  if (total !== undefined) return page * size < total;
  return got >= size;
}

export function createContaAzulAdapter(ctx: AdapterContext, opts: ContaAzulAdapterOptions = {}): ErpAdapter {
  const { http } = createContaAzulHttp(ctx, opts);
  const size = { ...DEFAULT_PAGE_SIZES, ...opts.pageSizes };
  const concurrency = opts.detailConcurrency ?? 4;
  const fallback = opts.dreFallback ?? sharedDreFallback;
  const margin = opts.dueDateMarginDays ?? 365;

  const get = (path: string, query?: Query) => http.getJson<unknown>(path, query);

  function nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncGenerator<Page<NfeDocument>> {
    const chunks = splitWindow(window, opts.nfeWindowDays ?? 15);
    return pagedPhases({
      phases: ['nfe'] as const,
      window,
      checkpoint,
      first: () => ({ chunk: 0, page: 1 }),
      resume: (_phase, cp) => ({
        chunk: typeof cp.chunk === 'number' && Number.isInteger(cp.chunk) && cp.chunk >= 0 ? cp.chunk : 0,
        page: checkpointPage(cp),
      }),
      read: async (_phase, cur) => {
        const c = chunks[cur.chunk];
        if (!c) return null;
        const page = cur.page;
        const body = parseBody(
          CaNotasFiscaisResponseSchema,
          await get('/v1/notas-fiscais', {
            data_inicial: c.from,
            data_final: c.to,
            pagina: page,
            tamanho_pagina: size.nfe,
          }),
          'GET /v1/notas-fiscais',
        );
        const results = await mapLimit(body.itens.map(parseNotaFiscal), concurrency, async (p) => {
          if (!p.ok) return p;
          const key = p.value.chave_acesso.trim();
          try {
            const res = await http.request({
              path: `/v1/notas-fiscais/${encodeURIComponent(key)}`,
              label: '/v1/notas-fiscais/{chave_acesso}',
              headers: { accept: 'application/xml, text/xml;q=0.9, application/json;q=0.5' },
            });
            return mapCaNfe(p.value, res.text, res.headers.get('content-type'));
          } catch (e) {
            return recordFailure<NfeDocument>(e, key);
          }
        });
        const more = hasMore(
          page,
          size.nfe,
          body.itens.length,
          body.paginacao?.total_itens,
          body.paginacao?.total_paginas,
        );
        const next = more
          ? { chunk: cur.chunk, page: page + 1 }
          : cur.chunk + 1 < chunks.length
          ? { chunk: cur.chunk + 1, page: 1 }
          : null;
        return { ...collect(results), next };
      },
    });
  }

  function products(checkpoint: Checkpoint | null): AsyncGenerator<Page<Product>> {
    return pagedPhases({
      phases: ['products'] as const,
      checkpoint,
      first: () => ({ page: 1 }),
      read: async (_phase, { page }) => {
        const body = parseBody(
          CaProdutosResponseSchema,
          await get('/v1/produtos', { pagina: page, tamanho_pagina: size.products }),
          'GET /v1/produtos',
        );
        const results = await mapLimit(body.items.map(parseProdutoResumo), concurrency, async (p) => {
          if (!p.ok) return p;
          const id = String(p.value.id);
          try {
            const detail = await http.getJson<unknown>(`/v1/produtos/${encodeURIComponent(id)}`, undefined, {
              label: '/v1/produtos/{id}',
            });
            return mapCaProduct(detail);
          } catch (e) {
            return recordFailure<Product>(e, id);
          }
        });
        const more = hasMore(page, size.products, body.items.length, body.totalItems);
        return { ...collect(results), next: more ? { page: page + 1 } : null };
      },
    });
  }

  async function loadCategories(): Promise<CaCategoria[]> {
    const out: CaCategoria[] = [];
    for (let page = 1; page < 1000; page++) {
      const body = parseBody(
        CaCategoriasResponseSchema,
        await get('/v1/categorias', {
          pagina: page,
          tamanho_pagina: size.categories,
          permite_apenas_filhos: false,
        }),
        'GET /v1/categorias',
      );
      for (const raw of body.itens) {
        const c = parseCaCategoria(raw);
        if (c.ok) out.push(c.value);
      }
      if (!hasMore(page, size.categories, body.itens.length, body.itens_totais)) break;
    }
    return out;
  }

  async function loadDreTree(): Promise<CaDreItem[]> {
    try {
      return parseBody(
        CaCategoriasDreResponseSchema,
        await get('/v1/financeiro/categorias-dre'),
        'categorias-dre',
      ).itens;
    } catch (e) {
      // The tree only refines categories without entrada_dre; without it the shared mapping still applies.
      if (isAppError(e) && e.kind === 'data') return [];
      throw e;
    }
  }

  const resolver = onceUntilFailure(() =>
    Promise.all([loadCategories(), loadDreTree()]).then(([c, t]) => buildCaDreResolver(c, t, fallback))
  );

  const FINANCIAL_PATHS = {
    receivable: '/v1/financeiro/eventos-financeiros/contas-a-receber/buscar',
    payable: '/v1/financeiro/eventos-financeiros/contas-a-pagar/buscar',
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
        const path = FINANCIAL_PATHS[kind];
        const body = parseBody(
          CaBuscarResponseSchema,
          await get(path, {
            data_vencimento_de: addDays(window.from, -margin),
            data_vencimento_ate: addDays(window.to, margin),
            data_competencia_de: window.from,
            data_competencia_ate: window.to,
            pagina: page,
            tamanho_pagina: size.financials,
          }),
          `GET ${path}`,
        );
        const { records, failed } = collect(body.itens.map((raw) => mapCaEvento(raw, kind, resolve)));
        // entries whose competence falls outside the window (when the server ignores the competence filter)
        const inWindow = records.filter((r) => r.date >= window.from && r.date <= window.to);
        const more = hasMore(page, size.financials, body.itens.length, body.itens_totais);
        return { records: inWindow, failed, next: more ? { page: page + 1 } : null };
      },
    });
  }

  async function profile(): Promise<CompanyProfile> {
    const body = parseBody(
      CaContaConectadaSchema,
      await get('/v1/pessoas/conta-conectada'),
      'conta-conectada',
    );
    return mapCaContaConectada(body);
  }

  return {
    erp: 'conta_azul',
    capabilities: CONTA_AZUL_CAPABILITIES,
    nfe,
    products,
    financials,
    profile,
  };
}

const _factory: AdapterFactory = createContaAzulAdapter;
void _factory;

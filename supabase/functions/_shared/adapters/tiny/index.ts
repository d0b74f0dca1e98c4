/**
 * Tiny ERP / Olist ERP API v2 adapter (sources: docs/erp-sources.md, Tiny). Exports `createTinyAdapter`.
 * Credentials: `{ token }` (static API token, per Tiny account).
 *
 * - NF-e: `notas.fiscais.pesquisa.php` by emission window (dd/mm/yyyy), `tipoNota=S` (origin 'issued') then
 *   `tipoNota=E` (entry notes registered/imported in Tiny, origin 'received'); 100 per page with
 *   `numero_paginas`; `codigo_erro` 20/23 = no (more) records. XML per note from `nota.fiscal.obter.xml.php`
 *   (always XML: `<retorno>…<xml_nfe>nfeProc</xml_nfe>[<xml_cancelamento>…]`); the cancellation event, when
 *   present, is handed over as its own document (`<id>:cancelamento`) for the NF-e module. Notes without an
 *   authorised XML (pending, rejected) are skipped. Checkpoint `{ from, to, phase: 'S'|'E'|'done', pagina }`.
 * - Products: `produtos.pesquisa.php` (no NCM) + `produto.obter.php` per product (`ncm`). Checkpoint
 *   `{ pagina }`; a finished pass leaves `{ done: true }` and the next call starts a new full pass (the v2
 *   "atualizações" endpoints only reach 30 days back).
 * - Financials: `contas.receber.pesquisa.php` / `contas.pagar.pesquisa.php` by emission window, then
 *   `conta.*.obter.php` per title for `competencia` and `categoria` (a name: v2 lists no categories); DRE
 *   line from dre-mapping.ts on the name. Checkpoint `{ from, to, phase: 'receber'|'pagar'|'done', subFrom, subTo,
 *   pagina }` (date-filtered listings answered with codigo_erro 21 are read in halves of the window).
 * - Profile: `info.php` (CNPJ, names, UF, city, `regime_tributario` text → regime/CRT; no CNAE).
 */
import { isAppError } from '../../errors.ts';
import { type AdapterDeps, clockFor, invalidRecord } from '../../http/mod.ts';
import type {
  AdapterContext,
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
import { isDataError, mapLimit } from '../concurrency.ts';
import { nfeXmlProblem } from '../common/xml.ts';
import { parseItems } from '../common/records.ts';
import { checkpointPage, type Cursor, pagedPhases } from '../common/paging.ts';
import { addDays, brasiliaDate } from '../common/normalize.ts';
import { createTinyTransport, isEmptyResult, TINY_TOO_MANY_RECORDS } from './client.ts';
import {
  mapTinyCompany,
  mapTinyProduct,
  mapTinyTitle,
  NOTE_SITUACAO_CANCELADA,
  NOTE_SITUACOES_WITH_XML,
  toTinyDate,
  unwrapTinyXml,
} from './mappers.ts';
import {
  TinyAccountInfoSchema,
  TinyEnvelopeSchema,
  type TinyNoteSummary,
  TinyNoteSummarySchema,
  TinyProductSchema,
  TinyProductSummarySchema,
  TinyTitleSchema,
  TinyTitleSummarySchema,
} from './schemas.ts';
import type { z } from 'zod';

export const TINY_CAPABILITIES: Capabilities = {
  nfeIssued: true,
  nfeReceived: true,
  products: true,
  financials: true,
  profile: true,
};

const DETAIL_CONCURRENCY = 2;

interface ListPage {
  items: unknown[];
  pages: number;
}

/** Where a date-filtered listing stands inside the sync window: the sub-window being read and its next page. */
type WindowCursor = Cursor & { subFrom: string; subTo: string };

/** The last day of the first half of [from, to] (from < to). */
export function midDay(from: string, to: string): string {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  return addDays(from, Math.floor(days / 2));
}

/** After a page: the next page, the rest of the window, or null when the window is read. */
export function nextCursor(window: DateWindow, cur: WindowCursor, pages: number): WindowCursor | null {
  if (cur.page < pages) return { ...cur, page: cur.page + 1 };
  if (cur.subTo < window.to) return { subFrom: addDays(cur.subTo, 1), subTo: window.to, page: 1 };
  return null;
}

/** The cursor a checkpoint of this window resumes from (older checkpoints: the whole window). */
function cursorOf(window: DateWindow, cp: Checkpoint): WindowCursor {
  const subFrom = typeof cp.subFrom === 'string' ? cp.subFrom : window.from;
  const subTo = typeof cp.subTo === 'string' ? cp.subTo : window.to;
  return { subFrom, subTo, page: checkpointPage(cp) };
}

const wholeWindow = (window: DateWindow): WindowCursor => ({
  subFrom: window.from,
  subTo: window.to,
  page: 1,
});

export function createTinyAdapter(ctx: AdapterContext, deps: AdapterDeps = {}): ErpAdapter {
  const clock = clockFor(ctx, deps);
  const tiny = createTinyTransport(ctx, deps);
  const today = () => brasiliaDate(clock.now());

  /** A list service page: unwraps `retorno[listKey][].<itemKey>`; codigo 20/23 → empty. */
  async function listPage(
    service: string,
    params: Record<string, string | number>,
    listKey: string,
    itemKey: string,
  ): Promise<ListPage> {
    const res = await tiny.call(service, params);
    const env = TinyEnvelopeSchema.safeParse(res.json());
    if (!env.success) throw invalidRecord('tiny', service, undefined, 'response without retorno');
    if (isEmptyResult(env.data)) return { items: [], pages: 0 };
    const ret = env.data.retorno as Record<string, unknown>;
    const list = Array.isArray(ret[listKey]) ? (ret[listKey] as unknown[]) : [];
    return {
      items: list.map((
        w,
      ) => (w && typeof w === 'object' ? (w as Record<string, unknown>)[itemKey] : undefined)),
      pages: Number(env.data.retorno.numero_paginas ?? '1') || 1,
    };
  }

  /**
   * One page of a date-filtered listing over the sub-window `cur` of the sync window. Tiny answers codigo_erro 21
   * ("A Consulta retornou muitos registros") when a filter matches too much: the sub-window is halved and asked
   * again; the rest of the window follows once the half is read (see `nextCursor`).
   */
  async function windowPage(
    service: string,
    params: (from: string, to: string) => Record<string, string | number>,
    listKey: string,
    itemKey: string,
    cur: WindowCursor,
  ): Promise<{ page: ListPage; cur: WindowCursor }> {
    for (;;) {
      try {
        const page = await listPage(
          service,
          { ...params(cur.subFrom, cur.subTo), pagina: cur.page },
          listKey,
          itemKey,
        );
        return { page, cur };
      } catch (e) {
        if (!(isAppError(e) && e.code === TINY_TOO_MANY_RECORDS) || cur.subFrom === cur.subTo) throw e;
        cur = { subFrom: cur.subFrom, subTo: midDay(cur.subFrom, cur.subTo), page: 1 };
      }
    }
  }

  async function detail<S extends z.ZodType>(
    service: string,
    key: string,
    schema: S,
    id: string,
  ): Promise<z.infer<S>> {
    const res = await tiny.call(service, { id }, { label: `/${service}.php` });
    const env = TinyEnvelopeSchema.safeParse(res.json());
    if (!env.success) throw invalidRecord('tiny', service, id, 'response without retorno');
    const p = schema.safeParse((env.data.retorno as Record<string, unknown>)[key]);
    if (!p.success) throw invalidRecord('tiny', service, id, p.error.issues[0]?.message ?? 'invalid');
    return p.data;
  }

  async function noteDocuments(n: TinyNoteSummary, origin: 'issued' | 'received'): Promise<NfeDocument[]> {
    const res = await tiny.call('nota.fiscal.obter.xml', { id: n.id }, {
      label: '/nota.fiscal.obter.xml.php',
    });
    const { nfe, cancellation } = unwrapTinyXml(res.text);
    if (!nfe) throw invalidRecord('tiny', 'nfe', n.id, 'no <xml_nfe> in the response');
    const problem = nfeXmlProblem(nfe);
    if (problem) throw invalidRecord('tiny', 'nfe', n.id, problem);
    const key = (n.chave_acesso ?? '').replace(/\D/g, '');
    const cancelledInErp = n.situacao === NOTE_SITUACAO_CANCELADA &&
      !(cancellation && !nfeXmlProblem(cancellation, { events: true }));
    const docs: NfeDocument[] = [{
      externalId: n.id,
      origin,
      xml: nfe,
      ...(key.length === 44 ? { accessKey: key } : {}),
      // situação 3 (cancelada) without the event in the answer: the note still lands cancelled
      ...(cancelledInErp ? { erpCancelled: { source: 'Tiny situação 3 (Cancelada)' } } : {}),
    }];
    if (cancellation && !nfeXmlProblem(cancellation, { events: true })) {
      docs.push({
        externalId: `${n.id}:cancelamento`,
        origin,
        xml: cancellation,
        ...(key.length === 44 ? { accessKey: key } : {}),
      });
    }
    return docs;
  }

  function nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<NfeDocument>> {
    return pagedPhases({
      phases: ['S', 'E'] as const,
      window,
      checkpoint,
      first: () => wholeWindow(window),
      resume: (_phase, cp) => cursorOf(window, cp),
      read: async (tipoNota, start) => {
        const { page, cur } = await windowPage(
          'notas.fiscais.pesquisa',
          (from, to) => ({ tipoNota, dataInicial: toTinyDate(from), dataFinal: toTinyDate(to) }),
          'notas_fiscais',
          'nota_fiscal',
          start,
        );
        const failed: FailedRecord[] = [];
        const notes = parseItems('tiny', page.items, TinyNoteSummarySchema, 'nfe', failed)
          .filter((n) => NOTE_SITUACOES_WITH_XML.has(n.situacao ?? ''));
        const origin = tipoNota === 'S' ? 'issued' : 'received';
        const docs = await mapLimit(notes, DETAIL_CONCURRENCY, async (n) => {
          try {
            return await noteDocuments(n, origin);
          } catch (e) {
            if (isDataError(e)) {
              failed.push({ externalId: n.id, error: e });
              return [];
            }
            throw e;
          }
        });
        return { records: docs.flat(), failed, next: nextCursor(window, cur, page.pages) };
      },
    });
  }

  function products(checkpoint: Checkpoint | null): AsyncIterable<Page<Product>> {
    return pagedPhases({
      phases: ['products'] as const,
      checkpoint,
      first: () => ({ page: 1 }),
      read: async (_phase, { page: pagina }) => {
        const page = await listPage('produtos.pesquisa', { pesquisa: '', pagina }, 'produtos', 'produto');
        const failed: FailedRecord[] = [];
        const items = parseItems('tiny', page.items, TinyProductSummarySchema, 'product', failed);
        const results = await mapLimit(items, DETAIL_CONCURRENCY, async (item) => {
          try {
            return mapTinyProduct(await detail('produto.obter', 'produto', TinyProductSchema, item.id));
          } catch (e) {
            if (isDataError(e)) {
              failed.push({ externalId: item.id, error: e });
              return null;
            }
            throw e;
          }
        });
        return {
          records: results.filter((r): r is Product => r !== null),
          failed,
          next: pagina >= page.pages ? null : { page: pagina + 1 },
        };
      },
    });
  }

  function financials(
    window: DateWindow,
    checkpoint: Checkpoint | null,
  ): AsyncIterable<Page<FinancialEntry>> {
    return pagedPhases({
      phases: ['receber', 'pagar'] as const,
      window,
      checkpoint,
      first: () => wholeWindow(window),
      resume: (_phase, cp) => cursorOf(window, cp),
      read: async (phase, start) => {
        const kind = phase === 'receber' ? 'receivable' : 'payable';
        const { page, cur } = await windowPage(
          `contas.${phase}.pesquisa`,
          (from, to) => ({ data_ini_emissao: toTinyDate(from), data_fim_emissao: toTinyDate(to) }),
          'contas',
          'conta',
          start,
        );
        const failed: FailedRecord[] = [];
        const items = parseItems('tiny', page.items, TinyTitleSummarySchema, `contas.${phase}`, failed);
        const day = today();
        const results = await mapLimit(items, DETAIL_CONCURRENCY, async (item) => {
          try {
            return mapTinyTitle(
              kind,
              await detail(`conta.${phase}.obter`, 'conta', TinyTitleSchema, item.id),
              day,
            );
          } catch (e) {
            if (isDataError(e)) {
              failed.push({ externalId: `${phase}:${item.id}`, error: e });
              return null;
            }
            throw e;
          }
        });
        return {
          records: results.filter((r): r is FinancialEntry => r !== null),
          failed,
          next: nextCursor(window, cur, page.pages),
        };
      },
    });
  }

  async function profile(): Promise<CompanyProfile> {
    const res = await tiny.call('info');
    const env = TinyEnvelopeSchema.safeParse(res.json());
    const p = env.success
      ? TinyAccountInfoSchema.safeParse((env.data.retorno as Record<string, unknown>).conta)
      : undefined;
    if (!p?.success) throw invalidRecord('tiny', 'profile', undefined, 'unexpected info.php payload');
    return mapTinyCompany(p.data);
  }

  return { erp: 'tiny', capabilities: TINY_CAPABILITIES, nfe, products, financials, profile };
}

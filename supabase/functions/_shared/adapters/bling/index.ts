/**
 * Bling API v3 adapter (sources: docs/erp-sources.md; the OpenAPI copy in ./openapi/). Exports the factory `createBlingAdapter`.
 *
 * - NF-e: `GET /nfe` by emission window (`dataEmissaoInicial/Final`), saídas (`tipo=1`, origin 'issued') then
 *   entradas (`tipo=0`, entry notes registered in Bling, origin 'received'); 100-record pages without
 *   totals (a short page ends the phase). XML per note from `GET /nfe/documento/{chave}?formato=xml`
 *   (base64 of gzip); when Bling answers that call with a 4xx, from the detail's `xml` link (a URL, fetched only
 *   when it is on the configured API/auth origin). Notes without an authorised XML (pending, rejected...) are
 *   skipped; a cancelled note (situação 2) is handed over with `erpCancelled`. Every date filter is split into
 *   ranges of at most one year. Checkpoint: `{ from, to, phase: 'saida'|'entrada'|'done', range, page }`.
 * - Products: `GET /produtos?criterio=5` (all), NCM only in `GET /produtos/{id}` (`tributacao.ncm`): one
 *   detail call per product within the limiter. Checkpoint `{ page, since, startedAt }`; a finished pass
 *   leaves `{ done: true, since }` and the next call fetches only products changed since then (minus 1 day).
 * - Financials: categories (`/categorias/receitas-despesas`, hierarchy via `idCategoriaPai`), then receivables
 *   (`/contas/receber`, emission window) and payables (`/contas/pagar`, emission window); category and
 *   competence only exist in the detail → one detail call per title. DRE line from dre-mapping.ts.
 *   Checkpoint `{ from, to, phase: 'receber'|'pagar'|'done', range, page }`.
 * - Profile: `GET /empresas/me/dados-basicos` (CNPJ + name only; regime/CRT/CNAE/UF/city unavailable).
 * A record whose detail/XML is malformed becomes a FailedRecord (kind 'data'); auth, rate-limit and transient
 * errors end the sequence (the engine resumes from the last checkpoint).
 */
import { nfeXmlProblem } from '../common/xml.ts';
import { brasiliaDate, brasiliaDateTime } from '../common/normalize.ts';
import { parseItems } from '../common/records.ts';
import { checkpointPage, type Cursor, pagedPhases, type PhasePage, windowDone } from '../common/paging.ts';
import { type AppError, isAppError } from '../../errors.ts';
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
import { createBlingTransport } from './client.ts';
import {
  decodeBlingDocumento,
  indexCategories,
  mapBlingCompany,
  mapBlingProduct,
  mapBlingTitle,
  NFE_SITUACAO_CANCELADA,
  NFE_SITUACOES_WITH_XML,
  nfeOrigin,
} from './mappers.ts';
import {
  type BlingCategory,
  BlingCategorySchema,
  BlingCompanySchema,
  BlingDetailSchema,
  BlingDocumentoSchema,
  BlingListSchema,
  BlingNfeDetailSchema,
  type BlingNfeListItem,
  BlingNfeListItemSchema,
  BlingProductDetailSchema,
  BlingProductListItemSchema,
  BlingTitleDetailSchema,
  BlingTitleListItemSchema,
} from './schemas.ts';
import type { z } from 'zod';

export const BLING_CAPABILITIES: Capabilities = {
  nfeIssued: true,
  nfeReceived: true,
  products: true,
  financials: true,
  profile: true,
};

const PAGE_SIZE = 100;

/**
 * Bling refuses a date filter wider than one year with 400 (https://developer.bling.com.br/limites). Every
 * date-filtered listing walks the window in ranges of at most one year (a range ends the day before the same
 * date of the next year). Pure; exported for the tests.
 */
export function blingDateRanges(from: string, to: string): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  let start = from;
  while (start <= to) {
    const [y, m, d] = start.split('-').map(Number);
    const nextYear = new Date(Date.UTC(y + 1, m - 1, d));
    const end = new Date(nextYear.getTime() - 86_400_000).toISOString().slice(0, 10);
    const chunkEnd = end < to ? end : to;
    out.push({ from: start, to: chunkEnd });
    start = new Date(Date.parse(`${chunkEnd}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  return out;
}

/** Where a date-filtered listing stands: the ≤ 1-year range (`range`) and its next page. */
type RangeCursor = Cursor & { range: number };

const FIRST_RANGE: RangeCursor = { range: 0, page: 1 };

function rangeCursorOf(cp: Checkpoint): RangeCursor {
  const range = typeof cp.range === 'number' && Number.isInteger(cp.range) && cp.range >= 0 ? cp.range : 0;
  return { range, page: checkpointPage(cp) };
}

/** After a page of `got` records: the next page, the next range, or null when the window is read. */
function nextRange(cur: RangeCursor, got: number, ranges: number): RangeCursor | null {
  if (got >= PAGE_SIZE) return { ...cur, page: cur.page + 1 };
  return cur.range + 1 < ranges ? { range: cur.range + 1, page: 1 } : null;
}

/** Detail calls in flight per adapter (the limiter still caps the account at 3 req/s). */
const DETAIL_CONCURRENCY = 3;

export function createBlingAdapter(ctx: AdapterContext, deps: AdapterDeps = {}): ErpAdapter {
  const clock = clockFor(ctx, deps);
  const { http } = createBlingTransport(ctx, deps);
  const today = () => brasiliaDate(clock.now());

  async function list(
    path: string,
    query: Record<string, string | number | string[] | undefined>,
  ): Promise<unknown[]> {
    const res = await http.request({ path, query });
    const body = BlingListSchema.safeParse(res.json());
    if (!body.success) throw invalidRecord('bling', path, undefined, 'list without a data array');
    return body.data.data;
  }

  async function detail<S extends z.ZodType>(
    path: string,
    label: string,
    schema: S,
    entity: string,
    id: string,
  ) {
    const res = await http.request({ path, label });
    const env = BlingDetailSchema.safeParse(res.json());
    const p = env.success ? schema.safeParse(env.data.data) : undefined;
    if (!p?.success) {
      throw invalidRecord(
        'bling',
        entity,
        id,
        p ? p.error.issues[0]?.message ?? 'invalid' : 'no data object',
      );
    }
    return p.data as z.infer<S>;
  }

  async function nfeXml(item: BlingNfeListItem): Promise<string> {
    const key = item.chaveAcesso?.replace(/\D/g, '') ?? '';
    if (key.length === 44) {
      try {
        const res = await http.request({
          path: `/nfe/documento/${key}`,
          query: { formato: 'xml' },
          label: '/nfe/documento/{chave}',
        });
        const doc = BlingDocumentoSchema.safeParse(res.json());
        if (!doc.success) throw invalidRecord('bling', 'nfe', item.id, 'documento without conteudo');
        let xml: string;
        try {
          xml = await decodeBlingDocumento(doc.data.data[0].conteudo);
        } catch {
          throw invalidRecord('bling', 'nfe', item.id, 'documento is not base64 of gzip');
        }
        const problem = nfeXmlProblem(xml, { events: true });
        if (problem) throw invalidRecord('bling', 'nfe', item.id, problem);
        return xml;
      } catch (e) {
        // Only Bling's own refusal of the documento call (4xx) falls back to the XML link.
        if (!(isAppError(e) && e.kind === 'data' && e.code.startsWith('BLING_'))) throw e;
      }
    }
    const d = await detail(`/nfe/${item.id}`, '/nfe/{id}', BlingNfeDetailSchema, 'nfe', item.id);
    const link = d.xml?.trim();
    if (!link) throw invalidRecord('bling', 'nfe', item.id, 'no XML available');
    if (link.startsWith('<')) {
      const problem = nfeXmlProblem(link, { events: true });
      if (problem) throw invalidRecord('bling', 'nfe', item.id, problem);
      return link; // inline XML (some accounts answer the detail with the XML itself)
    }
    if (!http.isAllowed(link)) {
      throw invalidRecord('bling', 'nfe', item.id, 'XML link outside the configured Bling origins');
    }
    const res = await http.request({
      url: link,
      label: '/nfe xml link',
      headers: { accept: 'application/xml' },
    });
    const problem = nfeXmlProblem(res.text, { events: true });
    if (problem) throw invalidRecord('bling', 'nfe', item.id, problem);
    return res.text;
  }

  function nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<NfeDocument>> {
    const ranges = blingDateRanges(window.from, window.to);
    return pagedPhases({
      phases: ['saida', 'entrada'] as const,
      window,
      checkpoint,
      first: () => FIRST_RANGE,
      resume: (_phase, cp) => rangeCursorOf(cp),
      read: (phase, cur) => nfePage(phase === 'saida' ? 1 : 0, ranges, cur),
    });
  }

  async function nfePage(
    tipo: 0 | 1,
    ranges: Array<{ from: string; to: string }>,
    cur: RangeCursor,
  ): Promise<PhasePage<NfeDocument, RangeCursor>> {
    const r = ranges[Math.min(cur.range, ranges.length - 1)];
    const raw = await list('/nfe', {
      pagina: cur.page,
      limite: PAGE_SIZE,
      tipo,
      dataEmissaoInicial: `${r.from} 00:00:00`,
      dataEmissaoFinal: `${r.to} 23:59:59`,
    });
    const failed: FailedRecord[] = [];
    const items = parseItems('bling', raw, BlingNfeListItemSchema, 'nfe', failed);
    const withXml = items.filter((i) => NFE_SITUACOES_WITH_XML.has(i.situacao));
    const results = await mapLimit(withXml, DETAIL_CONCURRENCY, async (item) => {
      try {
        const xml = await nfeXml(item);
        const doc: NfeDocument = {
          externalId: item.id,
          origin: nfeOrigin(item.tipo ?? tipo),
          xml,
          ...(item.chaveAcesso ? { accessKey: item.chaveAcesso.replace(/\D/g, '') } : {}),
          // situação 2 = Cancelada: the XML Bling hands over is the authorised one, without the event
          ...(item.situacao === NFE_SITUACAO_CANCELADA
            ? { erpCancelled: { source: 'Bling situação 2 (Cancelada)' } }
            : {}),
        };
        return doc;
      } catch (e) {
        if (isDataError(e)) {
          failed.push({ externalId: item.id, error: e as AppError });
          return null;
        }
        throw e;
      }
    });
    return {
      records: results.filter((r): r is NfeDocument => r !== null),
      failed,
      next: nextRange(cur, raw.length, ranges.length),
    };
  }

  async function* products(checkpoint: Checkpoint | null): AsyncIterable<Page<Product>> {
    const nowLocal = brasiliaDateTime(clock.now());
    let pagina = 1;
    let since: string | null = null;
    let startedAt = nowLocal;
    if (checkpoint?.done === true && typeof checkpoint.since === 'string') {
      // Delta pass: products changed since the last finished pass (1-day overlap for clock skew).
      since = new Date(Date.parse(`${checkpoint.since.slice(0, 10)}T00:00:00Z`) - 86_400_000).toISOString()
        .slice(0, 10);
    } else if (
      checkpoint && checkpoint.done !== true && (checkpoint.page ?? checkpoint.pagina) !== undefined
    ) {
      pagina = checkpointPage(checkpoint);
      since = typeof checkpoint.since === 'string' ? checkpoint.since : null;
      startedAt = typeof checkpoint.startedAt === 'string' ? checkpoint.startedAt : nowLocal;
    }
    for (;;) {
      const raw = await list('/produtos', {
        pagina,
        limite: PAGE_SIZE,
        criterio: 5,
        ...(since ? { dataAlteracaoInicial: `${since} 00:00:00` } : {}),
      });
      const failed: FailedRecord[] = [];
      const items = parseItems('bling', raw, BlingProductListItemSchema, 'product', failed);
      const results = await mapLimit(items, DETAIL_CONCURRENCY, async (item) => {
        try {
          const d = await detail(
            `/produtos/${item.id}`,
            '/produtos/{id}',
            BlingProductDetailSchema,
            'product',
            item.id,
          );
          return mapBlingProduct(d);
        } catch (e) {
          if (isDataError(e)) {
            failed.push({ externalId: item.id, error: e as AppError });
            return null;
          }
          throw e;
        }
      });
      const last = raw.length < PAGE_SIZE;
      pagina++;
      yield {
        records: results.filter((r): r is Product => r !== null),
        failed,
        checkpoint: last ? { done: true, since: startedAt } : { page: pagina, since, startedAt },
      };
      if (last) return;
    }
  }

  async function loadCategories(): Promise<ReturnType<typeof indexCategories>> {
    const all: BlingCategory[] = [];
    for (let pagina = 1; pagina <= 50; pagina++) {
      const raw = await list('/categorias/receitas-despesas', {
        pagina,
        limite: PAGE_SIZE,
        tipo: 0,
        situacao: 0,
      });
      for (const item of raw) {
        const p = BlingCategorySchema.safeParse(item);
        if (p.success) all.push(p.data);
      }
      if (raw.length < PAGE_SIZE) break;
    }
    return indexCategories(all);
  }

  async function* financials(
    window: DateWindow,
    checkpoint: Checkpoint | null,
  ): AsyncIterable<Page<FinancialEntry>> {
    if (windowDone(checkpoint, window)) return;
    const ranges = blingDateRanges(window.from, window.to);
    const categories = await loadCategories();
    yield* pagedPhases({
      phases: ['receber', 'pagar'] as const,
      window,
      checkpoint,
      first: () => FIRST_RANGE,
      resume: (_phase, cp) => rangeCursorOf(cp),
      read: async (phase, cur): Promise<PhasePage<FinancialEntry, RangeCursor>> => {
        const kind = phase === 'receber' ? 'receivable' : 'payable';
        const r = ranges[Math.min(cur.range, ranges.length - 1)];
        const pagina = cur.page;
        const query = phase === 'receber'
          ? { pagina, limite: PAGE_SIZE, tipoFiltroData: 'E', dataInicial: r.from, dataFinal: r.to }
          : { pagina, limite: PAGE_SIZE, dataEmissaoInicial: r.from, dataEmissaoFinal: r.to };
        const raw = await list(`/contas/${phase}`, query);
        const failed: FailedRecord[] = [];
        const items = parseItems('bling', raw, BlingTitleListItemSchema, `contas/${phase}`, failed);
        const day = today();
        const results = await mapLimit(items, DETAIL_CONCURRENCY, async (item) => {
          try {
            const d = await detail(
              `/contas/${phase}/${item.id}`,
              `/contas/${phase}/{id}`,
              BlingTitleDetailSchema,
              `contas/${phase}`,
              item.id,
            );
            return mapBlingTitle(kind, d, categories, day);
          } catch (e) {
            if (isDataError(e)) {
              failed.push({ externalId: `${phase}:${item.id}`, error: e as AppError });
              return null;
            }
            throw e;
          }
        });
        return {
          records: results.filter((r): r is FinancialEntry => r !== null),
          failed,
          next: nextRange(cur, raw.length, ranges.length),
        };
      },
    });
  }

  async function profile(): Promise<CompanyProfile> {
    const res = await http.request({ path: '/empresas/me/dados-basicos' });
    const env = BlingDetailSchema.safeParse(res.json());
    const p = env.success ? BlingCompanySchema.safeParse(env.data.data) : undefined;
    if (!p?.success) throw invalidRecord('bling', 'profile', undefined, 'unexpected company payload');
    return mapBlingCompany(p.data);
  }

  return { erp: 'bling', capabilities: BLING_CAPABILITIES, nfe, products, financials, profile };
}

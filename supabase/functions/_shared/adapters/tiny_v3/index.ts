/**
 * Tiny ERP (Olist ERP) API v3 adapter (REST + OAuth2), chosen for connections with `api_version = 'v3'`
 * (adapters/registry.ts); the token API v2 stays in adapters/tiny/. Exports the factory `createTinyV3Adapter`.
 * Credentials: the OAuth pair `{ access_token, refresh_token, expires_at, refresh_expires_at? }` (adapters/oauth.ts).
 * Shapes and their sources: ./schemas.ts and docs/tiny-v3.md. Lists page with `limit` (max 100) + `offset`;
 * checkpoints keep the offset.
 *
 * - NF-e: `GET /notas?tipo=S` (origin 'issued') then `tipo=E` (entry notes registered in Tiny, origin
 *   'received'). The list's dataInicial/dataFinal filter the note's CREATION date, which is never before its
 *   emission: we ask from the window's start to today and keep the notes whose `dataEmissao` is in the window.
 *   XML per note with an authorised XML (situação 2, 3, 6, 7, 8) from `GET /notas/{id}/xml`
 *   (`{ xmlNfe, xmlCancelamento }`); the cancellation event becomes its own document (`<id>:cancelamento`).
 *   Checkpoint `{ from, to, phase: 'S'|'E'|'done', offset }`.
 * - Products: `GET /produtos` (no NCM) + `GET /produtos/{id}` per product (`ncm`, `precos.preco`). Checkpoint
 *   `{ offset }`; a finished pass leaves `{ done: true }` and the next call starts a new full pass.
 * - Financials: `GET /contas-receber` / `GET /contas-pagar` by emission window (`dataInicialEmissao`,
 *   `dataFinalEmissao`), then the detail per title for `dataCompetencia` and `categoria`; DRE line from
 *   dre-mapping.ts on the category's name. Checkpoint `{ from, to, phase: 'receber'|'pagar'|'done', offset }`.
 * - Profile: `GET /info` (CNPJ, names, UF, city, regimeTributario → regime/CRT; no CNAE).
 * A record whose detail/XML is malformed becomes a FailedRecord (kind 'data'); auth, rate-limit and transient
 * errors end the sequence (the engine resumes from the last checkpoint).
 */
import type { z } from 'zod';
import type { AppError } from '../../errors.ts';
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
import { createTinyV3Http } from './client.ts';
import { isoDay, mapTinyV3Company, mapTinyV3Product, mapTinyV3Title, NOTE_SITUACOES_WITH_XML } from './mappers.ts';
import { nfeXmlProblem } from '../common/xml.ts';
import { parseItems } from '../common/records.ts';
import {
  TinyV3AccountInfoSchema,
  TinyV3ListSchema,
  type TinyV3Note,
  TinyV3NoteSchema,
  TinyV3NoteXmlSchema,
  TinyV3ProductSchema,
  TinyV3ProductSummarySchema,
  TinyV3TitleSchema,
  TinyV3TitleSummarySchema,
} from './schemas.ts';

export const TINY_V3_CAPABILITIES: Capabilities = {
  nfeIssued: true,
  nfeReceived: true,
  products: true,
  financials: true,
  profile: true,
};

const LIMIT = 100;
const DETAIL_CONCURRENCY = 2;

interface ListPage {
  items: unknown[];
  /** Offset of the next page, or null after the last one. */
  next: number | null;
}

export function createTinyV3Adapter(ctx: AdapterContext, deps: AdapterDeps = {}): ErpAdapter {
  const clock = clockFor(ctx, deps);
  const { http } = createTinyV3Http(ctx, deps);
  const today = () => new Date(clock.now() - 3 * 3_600_000).toISOString().slice(0, 10);

  async function listPage(path: string, query: Record<string, string | number>, offset: number): Promise<ListPage> {
    const res = await http.request({ path, query: { ...query, limit: LIMIT, offset } });
    const body = TinyV3ListSchema.safeParse(res.json());
    if (!body.success) throw invalidRecord('tiny', path, undefined, 'list without an itens array');
    const items = body.data.itens;
    const total = body.data.paginacao?.total;
    const next = offset + items.length;
    const last = items.length < LIMIT || (typeof total === 'number' && next >= total);
    return { items, next: last ? null : next };
  }

  async function detail<S extends z.ZodType>(path: string, label: string, schema: S, entity: string, id: string) {
    const res = await http.request({ path, label });
    const p = schema.safeParse(res.json());
    if (!p.success) throw invalidRecord('tiny', entity, id, p.error.issues[0]?.message ?? 'invalid');
    return p.data as z.infer<S>;
  }

  /** Runs `fn` per item (bounded), turning a data error into a FailedRecord for that item only. */
  async function perItem<T, R>(items: T[], idOf: (t: T) => string, failed: FailedRecord[], fn: (t: T) => Promise<R>) {
    const out = await mapLimit(items, DETAIL_CONCURRENCY, async (t) => {
      try {
        return [await fn(t)];
      } catch (e) {
        if (isDataError(e)) {
          failed.push({ externalId: idOf(t), error: e as AppError });
          return [];
        }
        throw e;
      }
    });
    return out.flat();
  }

  async function noteDocuments(n: TinyV3Note, origin: 'issued' | 'received'): Promise<NfeDocument[]> {
    const x = await detail(`/notas/${n.id}/xml`, '/notas/{idNota}/xml', TinyV3NoteXmlSchema, 'nfe', n.id);
    const nfe = x.xmlNfe?.trim();
    if (!nfe) throw invalidRecord('tiny', 'nfe', n.id, 'no xmlNfe in the response');
    const problem = nfeXmlProblem(nfe, { events: true });
    if (problem) throw invalidRecord('tiny', 'nfe', n.id, problem);
    const key = (n.chaveAcesso ?? '').replace(/\D/g, '');
    const keyed = key.length === 44 ? { accessKey: key } : {};
    const docs: NfeDocument[] = [{ externalId: n.id, origin, xml: nfe, ...keyed }];
    const cancellation = x.xmlCancelamento?.trim();
    if (cancellation && !nfeXmlProblem(cancellation, { events: true })) {
      docs.push({ externalId: `${n.id}:cancelamento`, origin, xml: cancellation, ...keyed });
    }
    return docs;
  }

  async function* nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<NfeDocument>> {
    const phases = ['S', 'E'] as const;
    const resume = checkpoint && checkpoint.from === window.from && checkpoint.to === window.to;
    if (resume && checkpoint.phase === 'done') return;
    let phaseIdx = resume ? Math.max(0, phases.indexOf(checkpoint.phase as 'S')) : 0;
    let offset = resume && typeof checkpoint.offset === 'number' ? checkpoint.offset : 0;
    const createdUntil = today() > window.to ? today() : window.to;
    while (phaseIdx < phases.length) {
      const tipo = phases[phaseIdx];
      const page = await listPage('/notas', { tipo, dataInicial: window.from, dataFinal: createdUntil, orderBy: 'asc' }, offset);
      const failed: FailedRecord[] = [];
      const notes = parseItems('tiny', page.items, TinyV3NoteSchema, 'nfe', failed).filter((n) => {
        const emitted = isoDay(n.dataEmissao);
        return NOTE_SITUACOES_WITH_XML.has(String(n.situacao ?? '')) &&
          (!emitted || (emitted >= window.from && emitted <= window.to));
      });
      const origin = tipo === 'S' ? 'issued' : 'received';
      const docs = await perItem(notes, (n) => n.id, failed, (n) => noteDocuments(n, origin));
      if (page.next === null) {
        phaseIdx++;
        offset = 0;
      } else offset = page.next;
      yield {
        records: docs.flat(),
        failed,
        checkpoint: { from: window.from, to: window.to, phase: phases[phaseIdx] ?? 'done', offset },
      };
    }
  }

  async function* products(checkpoint: Checkpoint | null): AsyncIterable<Page<Product>> {
    let offset = checkpoint && checkpoint.done !== true && typeof checkpoint.offset === 'number' ? checkpoint.offset : 0;
    for (;;) {
      const page = await listPage('/produtos', {}, offset);
      const failed: FailedRecord[] = [];
      const items = parseItems('tiny', page.items, TinyV3ProductSummarySchema, 'product', failed);
      const records = await perItem(items, (p) => p.id, failed, async (p) =>
        mapTinyV3Product(await detail(`/produtos/${p.id}`, '/produtos/{idProduto}', TinyV3ProductSchema, 'product', p.id)));
      if (page.next === null) {
        yield { records, failed, checkpoint: { done: true } };
        return;
      }
      offset = page.next;
      yield { records, failed, checkpoint: { offset } };
    }
  }

  async function* financials(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<FinancialEntry>> {
    const phases = ['receber', 'pagar'] as const;
    const resume = checkpoint && checkpoint.from === window.from && checkpoint.to === window.to;
    if (resume && checkpoint.phase === 'done') return;
    let phaseIdx = resume ? Math.max(0, phases.indexOf(checkpoint.phase as 'receber')) : 0;
    let offset = resume && typeof checkpoint.offset === 'number' ? checkpoint.offset : 0;
    while (phaseIdx < phases.length) {
      const phase = phases[phaseIdx];
      const kind = phase === 'receber' ? 'receivable' : 'payable';
      const path = `/contas-${phase}`;
      const page = await listPage(path, { dataInicialEmissao: window.from, dataFinalEmissao: window.to }, offset);
      const failed: FailedRecord[] = [];
      const items = parseItems('tiny', page.items, TinyV3TitleSummarySchema, `contas-${phase}`, failed);
      const day = today();
      const records = await perItem(items, (t) => `${phase}:${t.id}`, failed, async (t) =>
        mapTinyV3Title(kind, await detail(`${path}/${t.id}`, `${path}/{id}`, TinyV3TitleSchema, `contas-${phase}`, t.id), day));
      if (page.next === null) {
        phaseIdx++;
        offset = 0;
      } else offset = page.next;
      yield {
        records,
        failed,
        checkpoint: { from: window.from, to: window.to, phase: phases[phaseIdx] ?? 'done', offset },
      };
    }
  }

  async function profile(): Promise<CompanyProfile> {
    const info = await detail('/info', '/info', TinyV3AccountInfoSchema, 'profile', 'info');
    return mapTinyV3Company(info);
  }

  // The adapter serves the 'tiny' ERP type: v2 and v3 are two APIs of one ERP.
  return { erp: 'tiny', capabilities: TINY_V3_CAPABILITIES, nfe, products, financials, profile };
}

/**
 * NF-e import service: XML documents (one ERP page, an upload...) -> `xml_imports`, `xml_import_items`,
 * `xml_import_events`, for one company.
 *
 *   const r = await importNfeDocuments(db(), { companyId, connectionId, source: 'bling', documents });
 *   // r.imported / r.updated / r.unchanged / r.cancelled / r.events, r.failed: one entry per bad record
 *
 * - Every document is parsed on its own: a file that cannot be read, a note of a batch that cannot be used or a
 *   note that does not belong to the company is ONE failed record; the others go on.
 * - Direction is the company's point of view: a note the company issued keeps its own tpNF (a sale is 'saida',
 *   an entry note the company issued for a purchase from an individual is 'entrada'); a note the company received
 *   is the opposite of the issuer's tpNF (a supplier's sale is 'entrada').
 * - Notes are upserted by (company, access key). A content hash (mapping version + the note's raw XML) tells
 *   unchanged notes apart: re-importing the same note writes nothing (same row, same items, same updated_at).
 *   A copy without the authorisation protocol never replaces one with it.
 * - Registered events are stored in `xml_import_events`; a cancellation (110111/110112) marks the note cancelled
 *   whether it arrives before the note (applied when the note lands) or after. A correction letter (110110) is
 *   stored and cancels nothing. Events SEFAZ did not register are skipped (reported in `skipped`).
 * - Status: 'cancelled' (cancellation event or protocol 101/151), 'authorized' (protocol 100/150), otherwise
 *   'unauthorized' (denied, rejected, or no protocol in the file: the XML proves no authorisation).
 * - Writes are bulk: one transaction per batch of up to `batchSize` notes: one statement upserts all the notes,
 *   one inserts all their items together with the events and the cancellations (see `../db/xml-imports.ts`).
 *   When a batch hits a data error the database refuses, it is replayed note by note so that only the offending
 *   note fails.
 * - Money and quantities go from the XML's decimal strings straight into numeric columns (never JS numbers).
 */
import { createHash } from 'node:crypto';
import { AppError, isAppError, toAppError } from '../errors.ts';
import type { Sql } from '../db/client.ts';
import {
  type BatchInput,
  type EventRow,
  type ItemRow,
  type NoteOutcome,
  type NoteRow,
  readCompanyImportContext,
  writeImportBatch,
} from '../db/xml-imports.ts';
import { ACCESS_KEY_RE } from './access-key.ts';
import type { NfeItem, ParsedEvent, ParsedNfe, ParseWarning } from './model.ts';
import { parseNfeDocument } from './parse.ts';

/** Bump when the mapping from XML to rows changes: every stored note is then rewritten on its next import. */
export const IMPORT_MAPPING_VERSION = 1;

/** Default number of notes per transaction. */
export const DEFAULT_IMPORT_BATCH_SIZE = 250;

export interface ImportDocument {
  /** The ERP's id of the document, echoed in failures. */
  externalId?: string;
  xml: string;
  fileName?: string;
  /**
   * The ERP lists this note as cancelled but hands over no cancellation event (e.g. Bling `situacao` 2): the
   * note is stored cancelled, with a warning naming the ERP as the source. An event in the XML wins.
   */
  erpCancelled?: { source: string };
}

export interface ImportOptions {
  companyId: string;
  /** 14 characters (punctuation allowed). Default: `companies.cnpj`. */
  companyCnpj?: string;
  connectionId?: string | null;
  /** Where the documents came from ('bling', 'upload', ...), kept on the rows. */
  source?: string | null;
  documents: ImportDocument[];
  /** Notes per transaction (default 250). */
  batchSize?: number;
}

/** One record that was not imported. `code` is stable; `message` is Portuguese, for the user. */
export interface ImportIssue {
  externalId?: string;
  fileName?: string;
  accessKey?: string;
  code: string;
  message: string;
}

export interface ImportedNote {
  accessKey: string;
  id: string;
  outcome: NoteOutcome;
  direction: 'entrada' | 'saida';
  status: string;
  externalId?: string;
}

export interface ImportResult {
  /** Documents received. */
  documents: number;
  /** New notes. */
  imported: number;
  /** Notes already stored whose XML changed (rewritten with their items). */
  updated: number;
  /** Notes already stored as they are now (nothing written). */
  unchanged: number;
  /** Notes that became cancelled in this call (by their own XML or by a cancellation event). */
  cancelled: number;
  /** Events newly stored (cancellations, correction letters...). */
  events: number;
  /** Records that could not be imported: one entry per bad document, note or event. */
  failed: ImportIssue[];
  /** Records left out on purpose (duplicates in the same call, events SEFAZ did not register). */
  skipped: ImportIssue[];
  /** Every note written or found unchanged, in input order. */
  notes: ImportedNote[];
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Normalises a CNPJ/CPF for comparison: punctuation out, letters upper-case. */
export function normalizeDocument(doc: string): string {
  return doc.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
}

/** Imports a batch of NF-e / event documents for one company. Throws only for problems of the whole call. */
export async function importNfeDocuments(sql: Sql, opts: ImportOptions): Promise<ImportResult> {
  if (!UUID_RE.test(opts.companyId)) {
    throw new AppError(
      'bad_request',
      'BAD_COMPANY_ID',
      `companyId inválido: ${JSON.stringify(opts.companyId)}`,
    );
  }
  const connectionId = opts.connectionId ?? null;
  if (connectionId !== null && !UUID_RE.test(connectionId)) {
    throw new AppError(
      'bad_request',
      'BAD_CONNECTION_ID',
      `connectionId inválido: ${JSON.stringify(connectionId)}`,
    );
  }
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE, 1000));

  const ctx = await readCompanyImportContext(sql, opts.companyId, connectionId).catch((e) => {
    throw dbError(e);
  });
  if (!ctx) throw new AppError('not_found', 'COMPANY_NOT_FOUND', `empresa ${opts.companyId} não encontrada`);
  if (!ctx.connectionOk) {
    throw new AppError(
      'bad_request',
      'CONNECTION_NOT_FOUND',
      'a conexão informada não pertence a esta empresa',
    );
  }
  const cnpjInput = opts.companyCnpj ?? ctx.cnpj;
  if (!cnpjInput) {
    throw new AppError(
      'config',
      'COMPANY_CNPJ_MISSING',
      'a empresa não tem CNPJ cadastrado: não é possível saber se as notas são de entrada ou de saída',
    );
  }
  const companyDoc = normalizeDocument(cnpjInput);

  const result: ImportResult = {
    documents: opts.documents.length,
    imported: 0,
    updated: 0,
    unchanged: 0,
    cancelled: 0,
    events: 0,
    failed: [],
    skipped: [],
    notes: [],
  };

  // parse and map everything first (pure, synchronous), then write in batches
  const prepared = prepareDocuments(opts.documents, companyDoc, result);

  for (let i = 0; i < prepared.notes.length || (i === 0 && prepared.events.length > 0); i += batchSize) {
    const notes = prepared.notes.slice(i, i + batchSize);
    const last = i + batchSize >= prepared.notes.length;
    // events ride with the last batch; a cancellation also reaches notes that earlier batches (or calls) wrote
    const events = last ? prepared.events : [];
    await writeWithFallback(sql, opts, connectionId, notes, events, result);
  }
  return result;
}

// --- preparation (parse + map) --------------------------------------------------------------------------------

interface PreparedNote {
  row: NoteRow;
  items: ItemRow[];
  direction: 'entrada' | 'saida';
  origin: Origin;
}

interface PreparedEvent {
  row: EventRow;
  origin: Origin;
}

interface Origin {
  externalId?: string;
  fileName?: string;
}

function issue(o: Origin, code: string, message: string, accessKey?: string): ImportIssue {
  const out: ImportIssue = { code, message };
  if (o.externalId !== undefined) out.externalId = o.externalId;
  if (o.fileName !== undefined) out.fileName = o.fileName;
  if (accessKey !== undefined) out.accessKey = accessKey;
  return out;
}

/** A note or event the database could not take as it is. */
class RecordError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function prepareDocuments(
  documents: ImportDocument[],
  companyDoc: string,
  result: ImportResult,
): { notes: PreparedNote[]; events: PreparedEvent[] } {
  const notes = new Map<string, PreparedNote>();
  const events = new Map<string, PreparedEvent>();

  const addEvent = (ev: ParsedEvent, raw: string, origin: Origin) => {
    if (!ev.registered) {
      result.skipped.push(issue(
        origin,
        'EVENT_NOT_REGISTERED',
        `evento ${ev.tpEvento} não registrado pela SEFAZ (cStat ${ev.cStat ?? 'ausente'}): ignorado`,
        ev.accessKey,
      ));
      return;
    }
    let row: EventRow;
    try {
      row = mapEvent(ev, raw);
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      result.failed.push(issue(origin, e.code, e.message, ev.accessKey));
      return;
    }
    const k = `${row.access_key}|${row.event_type}|${row.sequence}`;
    if (!events.has(k)) events.set(k, { row, origin });
  };

  for (const doc of documents) {
    const origin: Origin = { externalId: doc.externalId, fileName: doc.fileName };
    if (typeof doc.xml !== 'string') {
      result.failed.push(issue(origin, 'NFE_EMPTY', 'documento sem conteúdo XML'));
      continue;
    }
    if (doc.xml.indexOf('\u0000') >= 0) {
      result.failed.push(issue(origin, 'NFE_MALFORMED', 'XML malformado: contém o caractere NUL'));
      continue;
    }
    let parsed;
    try {
      parsed = parseNfeDocument(doc.xml, { fileName: doc.fileName });
    } catch (e) {
      // a parser bug on a strange file must not stop the others either
      const err = isAppError(e) ? e : toAppError(e);
      result.failed.push(issue(origin, isAppError(e) ? err.code : 'NFE_PARSE_ERROR', err.message));
      continue;
    }
    for (const f of parsed.failures) {
      result.failed.push(issue(origin, f.error.code, f.error.message, f.accessKey));
    }

    const slices = parsed.notes.length > 1 ? splitNoteElements(doc.xml) : undefined;
    for (const note of parsed.notes) {
      const raw = slices?.get(note.accessKey) ?? doc.xml;
      let prepared: PreparedNote;
      try {
        prepared = mapNote(note, raw, companyDoc, parsed.warnings, origin, doc.erpCancelled);
      } catch (e) {
        if (!(e instanceof RecordError)) throw e;
        result.failed.push(issue(origin, e.code, e.message, note.accessKey));
        continue;
      }
      const prev = notes.get(note.accessKey);
      if (prev) {
        // the same note twice in one call: keep the copy with a protocol (else the later one)
        const keepPrev = prev.row.protocol_status !== null && prepared.row.protocol_status === null;
        const dropped = keepPrev ? prepared : prev;
        result.skipped.push(issue(
          dropped.origin,
          'NFE_DUPLICATE',
          'a mesma NF-e aparece mais de uma vez nesta importação; importada uma vez',
          note.accessKey,
        ));
        if (keepPrev) continue;
        notes.delete(note.accessKey); // re-insert at the end: input order of the kept copy
      }
      notes.set(note.accessKey, prepared);
      for (const ev of note.events) addEvent(ev, raw, origin);
    }
    for (const ev of parsed.events) addEvent(ev, doc.xml, origin);
  }
  return { notes: [...notes.values()], events: [...events.values()] };
}

/**
 * The `<NFe>` elements of a multi-note document (enviNFe), by access key, so that each note keeps its own XML.
 * NFe elements never nest, so a scan for start and end tags is enough.
 */
function splitNoteElements(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const start = /<(?:[A-Za-z_][\w.-]*:)?NFe[\s>]/g;
  let m: RegExpExecArray | null;
  while ((m = start.exec(xml)) !== null) {
    const end = /<\/(?:[A-Za-z_][\w.-]*:)?NFe\s*>/g;
    end.lastIndex = m.index;
    const e = end.exec(xml);
    if (!e) break;
    const slice = xml.slice(m.index, e.index + e[0].length);
    const id = /Id\s*=\s*["']NFe([0-9A-Z]{44})["']/.exec(slice);
    if (id) out.set(id[1], slice);
    start.lastIndex = e.index + e[0].length;
  }
  return out;
}

// --- mapping ----------------------------------------------------------------------------------------------------

/** Integer digits allowed by each numeric column type (precision - scale). */
const MONEY = 13; // numeric(15, 2)
const QTY = 16; // numeric(20, 4)
const UNIT = 15; // numeric(25, 10)
const RATE = 3; // numeric(7, 4)

const DECIMAL_RE = /^-?(\d*)(?:\.\d*)?$/;

/** A decimal string that fits the column, or a RecordError. `undefined` stays null. */
function num(v: string | undefined, intDigits: number, field: string): string | null {
  if (v === undefined) return null;
  const m = DECIMAL_RE.exec(v);
  if (!m || v === '' || v === '-' || v === '.' || v === '-.') {
    throw new RecordError('NFE_BAD_VALUE', `valor inválido em ${field}: ${JSON.stringify(v.slice(0, 40))}`);
  }
  if (m[1].replace(/^0+/, '').length > intDigits) {
    throw new RecordError('NFE_VALUE_OUT_OF_RANGE', `valor grande demais em ${field}: ${v.slice(0, 40)}`);
  }
  return v;
}

function money(v: string | undefined, field: string, dflt?: string): string {
  return num(v, MONEY, field) ?? dflt ?? '0';
}

function smallint(v: string | undefined, field: string): string | null {
  if (v === undefined || v === '') return null;
  if (!/^\d{1,4}$/.test(v)) {
    throw new RecordError('NFE_BAD_VALUE', `valor inválido em ${field}: ${JSON.stringify(v)}`);
  }
  return String(Number(v));
}

const ISO_TS_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)([+-]\d{2}:?\d{2}|Z)?)?$/;

/**
 * A date-time Postgres reads as the same instant the XML means. A missing offset is Brasília's (-03:00),
 * as the layouts before 3.10 (date only) and the few emitters that drop it intend.
 */
function timestamp(v: string | undefined, field: string): string | null {
  if (v === undefined || v === '') return null;
  const m = ISO_TS_RE.exec(v.trim());
  if (!m) {
    throw new RecordError('NFE_BAD_DATE', `data inválida em ${field}: ${JSON.stringify(v.slice(0, 40))}`);
  }
  const iso = `${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? '-03:00'}`;
  if (Number.isNaN(Date.parse(iso.length === 22 || m[2]?.length === 5 ? iso : iso))) {
    throw new RecordError('NFE_BAD_DATE', `data inválida em ${field}: ${JSON.stringify(v.slice(0, 40))}`);
  }
  const month = Number(m[1].slice(5, 7));
  const day = Number(m[1].slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    throw new RecordError('NFE_BAD_DATE', `data inválida em ${field}: ${JSON.stringify(v.slice(0, 40))}`);
  }
  return iso;
}

function text(v: string | undefined): string | null {
  return v === undefined ? null : v;
}

function contentHash(raw: string): string {
  return createHash('sha256').update(`v${IMPORT_MAPPING_VERSION}\n`).update(raw).digest('base64');
}

/** The company's point of view: see the module comment. Throws NFE_NOT_COMPANY when it is not a party. */
export function directionFor(
  note: Pick<ParsedNfe, 'issuer' | 'recipient' | 'operation'>,
  companyDoc: string,
): 'entrada' | 'saida' {
  const issuer = note.issuer.cnpj ?? note.issuer.cpf;
  if (issuer !== undefined && normalizeDocument(issuer) === companyDoc) return note.operation;
  const r = note.recipient;
  const recipient = r?.cnpj ?? r?.cpf;
  if (recipient !== undefined && normalizeDocument(recipient) === companyDoc) {
    return note.operation === 'saida' ? 'entrada' : 'saida';
  }
  throw new RecordError(
    'NFE_NOT_COMPANY',
    `NF-e não pertence à empresa: o CNPJ ${companyDoc} não é o emitente (${
      issuer ?? 'sem documento'
    }) nem o ` +
      `destinatário (${recipient ?? r?.foreignId ?? 'sem destinatário'})`,
  );
}

function noteStatus(
  note: ParsedNfe,
  erpCancelled?: { source: string },
): { status: NoteRow['status']; cancelledAt: string | null } {
  if (!note.cancelled && erpCancelled) return { status: 'cancelled', cancelledAt: null };
  if (note.cancelled) {
    const ev = note.events.find((e) => e.cancels);
    const at = ev ? (ev.registeredAt ?? ev.at) : note.protocol?.dhRecbto;
    let cancelledAt: string | null = null;
    try {
      cancelledAt = timestamp(at, 'cancelamento');
    } catch { /* an unreadable date does not keep the note out; the update falls back to now() */ }
    return { status: 'cancelled', cancelledAt };
  }
  return { status: note.protocol?.authorized ? 'authorized' : 'unauthorized', cancelledAt: null };
}

function mapNote(
  note: ParsedNfe,
  raw: string,
  companyDoc: string,
  docWarnings: ParseWarning[],
  origin: Origin,
  erpCancelled?: { source: string },
): PreparedNote {
  if (!ACCESS_KEY_RE.test(note.accessKey)) {
    throw new RecordError(
      'NFE_BAD_KEY',
      `chave de acesso inválida: ${JSON.stringify(note.accessKey.slice(0, 60))}`,
    );
  }
  if (note.model !== '55' && note.model !== '65') {
    throw new RecordError('NFE_BAD_MODEL', `modelo ${note.model} não é NF-e (55) nem NFC-e (65)`);
  }
  if (!/^\d{1,9}$/.test(note.series)) {
    throw new RecordError('NFE_BAD_VALUE', `série inválida: ${note.series}`);
  }
  if (!/^\d{1,15}$/.test(note.number)) {
    throw new RecordError('NFE_BAD_VALUE', `número inválido: ${note.number}`);
  }
  const issuerDoc = note.issuer.cnpj ?? note.issuer.cpf;
  if (!issuerDoc) throw new RecordError('NFE_NO_ISSUER', 'NF-e sem CNPJ/CPF do emitente');
  const direction = directionFor(note, companyDoc);
  const t = note.totals;
  if (t.vNF === undefined) throw new RecordError('NFE_NO_TOTAL', 'NF-e sem valor total (ICMSTot/vNF)');

  const warnings: ParseWarning[] = [...docWarnings, ...note.warnings];
  if (!note.protocol) {
    warnings.push({
      code: 'NO_PROTOCOL',
      message: 'arquivo sem protocolo de autorização (protNFe): nota registrada como não autorizada',
    });
  }
  const { status, cancelledAt } = noteStatus(note, erpCancelled);
  const byErp = !note.cancelled && !!erpCancelled;
  if (byErp) {
    warnings.push({
      code: 'ERP_CANCELLED',
      message: `nota cancelada segundo o ERP (${
        erpCancelled!.source
      }); o XML não traz o evento de cancelamento`,
    });
  }
  const protocolStatus = note.protocol?.cStat;
  const r = note.recipient;

  const row: NoteRow = {
    access_key: note.accessKey,
    model: note.model,
    series: String(Number(note.series)),
    number: note.number.replace(/^0+(?=\d)/, ''),
    issued_at: timestamp(note.issuedAt, 'ide/dhEmi')!,
    issued_at_local: note.issuedAt,
    direction,
    operation: note.operation,
    purpose: smallint(note.finNFe, 'ide/finNFe'),
    nature: text(note.natOp),
    environment: smallint(note.tpAmb, 'ide/tpAmb'),
    issuer_doc: issuerDoc,
    issuer_name: text(note.issuer.name),
    issuer_uf: text(note.issuer.uf),
    issuer_crt: smallint(note.issuer.crt, 'emit/CRT'),
    recipient_doc: text(r?.cnpj ?? r?.cpf ?? (r?.foreignId || undefined)),
    recipient_name: text(r?.name),
    recipient_uf: text(r?.uf),
    total_products: money(t.vProd, 'ICMSTot/vProd'),
    total_invoice: money(t.vNF, 'ICMSTot/vNF'),
    total_icms: money(t.vICMS, 'ICMSTot/vICMS'),
    total_icms_st: money(t.vST, 'ICMSTot/vST'),
    total_pis: money(t.vPIS, 'ICMSTot/vPIS'),
    total_cofins: money(t.vCOFINS, 'ICMSTot/vCOFINS'),
    total_ipi: money(t.vIPI, 'ICMSTot/vIPI'),
    total_discount: money(t.vDesc, 'ICMSTot/vDesc'),
    total_freight: money(t.vFrete, 'ICMSTot/vFrete'),
    protocol_status: protocolStatus !== undefined && /^\d{1,9}$/.test(protocolStatus) ? protocolStatus : null,
    protocol_number: text(note.protocol?.nProt),
    authorized_at: note.protocol?.authorized ? safeTimestamp(note.protocol.dhRecbto) : null,
    status,
    cancelled_at: cancelledAt,
    warnings: JSON.stringify(warnings),
    raw_xml: raw,
    // the ERP's word is part of what was imported: the same XML later listed as cancelled is a change
    content_hash: contentHash(byErp ? `${raw}\n<!-- erp-cancelled -->` : raw),
  };

  const items: ItemRow[] = [];
  const seen = new Set<number>();
  for (const it of note.items) {
    if (!Number.isInteger(it.nItem) || it.nItem < 1 || it.nItem > 990) {
      throw new RecordError('NFE_BAD_ITEM', `número de item inválido: ${it.nItem}`);
    }
    if (seen.has(it.nItem)) throw new RecordError('NFE_BAD_ITEM', `item ${it.nItem} repetido na NF-e`);
    seen.add(it.nItem);
    items.push(mapItem(note.accessKey, it));
  }
  return { row, items, direction, origin };
}

function safeTimestamp(v: string | undefined): string | null {
  try {
    return timestamp(v, 'protNFe/dhRecbto');
  } catch {
    return null;
  }
}

function mapItem(accessKey: string, it: NfeItem): ItemRow {
  const w = `det[${it.nItem}]`;
  const icms = it.icms;
  return {
    access_key: accessKey,
    item_number: String(it.nItem),
    product_code: text(it.cProd),
    description: text(it.xProd),
    ncm: text(it.ncm),
    cest: text(it.cest),
    cfop: text(it.cfop),
    unit: text(it.unit),
    quantity: num(it.qty, QTY, `${w}/qCom`),
    unit_value: num(it.unitPrice, UNIT, `${w}/vUnCom`),
    total_value: money(it.vProd, `${w}/vProd`),
    discount: money(it.vDesc, `${w}/vDesc`),
    icms_group: text(icms?.group),
    icms_cst: text(icms?.cst),
    icms_csosn: text(icms?.csosn),
    icms_base: num(icms?.vBC, MONEY, `${w}/ICMS/vBC`),
    icms_rate: num(icms?.pICMS, RATE, `${w}/ICMS/pICMS`),
    icms_value: num(icms?.vICMS, MONEY, `${w}/ICMS/vICMS`),
    icms_st_base: num(icms?.vBCST, MONEY, `${w}/ICMS/vBCST`),
    icms_st_value: num(icms?.vICMSST, MONEY, `${w}/ICMS/vICMSST`),
    icms_sn_credit: num(icms?.vCredICMSSN, MONEY, `${w}/ICMS/vCredICMSSN`),
    pis_cst: text(it.pis?.cst),
    pis_value: num(it.pis?.value, MONEY, `${w}/PIS/vPIS`),
    cofins_cst: text(it.cofins?.cst),
    cofins_value: num(it.cofins?.value, MONEY, `${w}/COFINS/vCOFINS`),
    ipi_cst: text(it.ipi?.cst),
    ipi_value: num(it.ipi?.vIPI, MONEY, `${w}/IPI/vIPI`),
    ibs_cbs: it.ibsCbs ? JSON.stringify(it.ibsCbs) : null,
  };
}

function mapEvent(ev: ParsedEvent, raw: string): EventRow {
  const seq = ev.seq === undefined || ev.seq === '' ? '1' : ev.seq;
  if (!/^\d{1,4}$/.test(seq)) throw new RecordError('NFE_BAD_EVENT', `sequência de evento inválida: ${seq}`);
  if (!/^\d{6}$/.test(ev.tpEvento)) {
    throw new RecordError('NFE_BAD_EVENT', `tipo de evento inválido: ${JSON.stringify(ev.tpEvento)}`);
  }
  if (!ACCESS_KEY_RE.test(ev.accessKey)) {
    throw new RecordError('NFE_BAD_KEY', `chave de acesso inválida no evento: ${ev.accessKey.slice(0, 60)}`);
  }
  let at: string | null = null;
  try {
    at = timestamp(ev.registeredAt ?? ev.at, 'evento/dhRegEvento');
  } catch {
    at = safeTimestamp(ev.at);
  }
  return {
    access_key: ev.accessKey,
    event_type: ev.tpEvento,
    sequence: String(Number(seq)),
    event_at: at,
    protocol_number: text(ev.eventProtocol),
    description: text(ev.description),
    raw_xml: raw,
  };
}

// --- writing ----------------------------------------------------------------------------------------------------

/** SQLSTATE classes of errors caused by the data of one row (22 data exception, 23 integrity violation). */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

function dbError(e: unknown): AppError {
  if (isAppError(e)) return e;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  // connection problems, serialization failures, deadlocks: the whole call can be retried (it is idempotent)
  return new AppError('transient', 'DB_ERROR', `erro do banco de dados ao importar NF-e: ${message}`, {
    cause: e,
    details: typeof code === 'string' ? { sqlstate: code } : undefined,
  });
}

async function writeWithFallback(
  sql: Sql,
  opts: ImportOptions,
  connectionId: string | null,
  notes: PreparedNote[],
  events: PreparedEvent[],
  result: ImportResult,
): Promise<void> {
  const input = (n: PreparedNote[], e: PreparedEvent[]): BatchInput => ({
    companyId: opts.companyId,
    connectionId,
    source: opts.source ?? null,
    notes: n.map((x) => x.row),
    items: n.flatMap((x) => x.items),
    events: e.map((x) => x.row),
  });
  try {
    record(await writeImportBatch(sql, input(notes, events)), notes, result);
    return;
  } catch (e) {
    if (!isDataError(e) || notes.length + events.length <= 1) {
      if (isDataError(e) && notes.length + events.length === 1) {
        const o = notes[0]?.origin ?? events[0].origin;
        const key = notes[0]?.row.access_key ?? events[0].row.access_key;
        result.failed.push(
          issue(o, 'NFE_DB_REJECTED', `o banco de dados recusou o registro: ${errText(e)}`, key),
        );
        return;
      }
      throw dbError(e);
    }
  }
  // the batch holds a row the database refuses: replay one record at a time so only that record fails
  for (const n of notes) {
    const evs = events.filter((e) => e.row.access_key === n.row.access_key);
    await writeWithFallback(sql, opts, connectionId, [n], [], result);
    for (const ev of evs) await writeWithFallback(sql, opts, connectionId, [], [ev], result);
  }
  const noteKeys = new Set(notes.map((n) => n.row.access_key));
  for (const ev of events) {
    if (!noteKeys.has(ev.row.access_key)) await writeWithFallback(sql, opts, connectionId, [], [ev], result);
  }
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 300);
}

function record(
  r: Awaited<ReturnType<typeof writeImportBatch>>,
  notes: PreparedNote[],
  result: ImportResult,
): void {
  const byKey = new Map(r.notes.map((n) => [n.accessKey, n]));
  for (const n of notes) {
    const w = byKey.get(n.row.access_key);
    if (!w) {
      // written meanwhile by a concurrent import with the same content: nothing changed here
      result.unchanged++;
      continue;
    }
    result[w.outcome]++;
    const out: ImportedNote = {
      accessKey: w.accessKey,
      id: w.id,
      outcome: w.outcome,
      direction: n.direction,
      status: w.status,
    };
    if (n.origin.externalId !== undefined) out.externalId = n.origin.externalId;
    result.notes.push(out);
  }
  result.cancelled += r.cancelledKeys.length;
  result.events += r.eventsInserted;
}

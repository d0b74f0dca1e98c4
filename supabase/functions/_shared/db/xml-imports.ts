/**
 * All SQL of the NF-e import: `xml_imports` (one row per company and access key, raw XML kept),
 * `xml_import_items` (one row per item) and `xml_import_events` (cancellations, correction letters...).
 *
 * The import service (`../nfe/import.ts`) maps parsed notes to the row shapes below (every value a string or
 * null, exactly as it goes into Postgres: money and quantities are decimal strings cast to numeric in SQL, never
 * JS numbers) and calls `writeImportBatch` once per batch. A batch is one transaction:
 *
 *   1. read the batch's existing rows (id, content hash, status): new, changed and unchanged notes are told
 *      apart before anything is sent, so an unchanged note costs neither its XML's bytes nor a write;
 *   2. ONE multi-row upsert for the new and changed notes (`unnest` of one text array per column, the raw XML
 *      as plain parameters joined by access key: no array escaping of ~10 KB per note on either side), which
 *      also drops the old items of the changed notes;
 *   3. ONE statement for the rest: the insert of all items, the insert of the events (`on conflict do nothing`:
 *      an event is immutable once registered) and the update that applies stored cancellations to the batch's
 *      notes, whichever arrived first.
 *
 * With `prepare: false` (Supabase's transaction pooler) every statement with parameters costs two round trips,
 * so a batch is begin + 3 statements + commit: 8 round trips whatever its size.
 */
import type { Sql, Tx } from './client.ts';

/** Event types that cancel a note (110111 cancellation, 110112 cancellation by substitution). */
export const CANCELLING_EVENT_TYPES: readonly string[] = ['110111', '110112'];

/** One `xml_imports` row, as text. Numeric columns hold decimal strings; `warnings` is a JSON array text. */
export interface NoteRow {
  access_key: string;
  model: string;
  series: string;
  number: string;
  issued_at: string;
  issued_at_local: string;
  direction: 'entrada' | 'saida';
  operation: 'entrada' | 'saida';
  purpose: string | null;
  nature: string | null;
  environment: string | null;
  issuer_doc: string;
  issuer_name: string | null;
  issuer_uf: string | null;
  issuer_crt: string | null;
  recipient_doc: string | null;
  recipient_name: string | null;
  recipient_uf: string | null;
  total_products: string;
  total_invoice: string;
  total_icms: string;
  total_icms_st: string;
  total_pis: string;
  total_cofins: string;
  total_ipi: string;
  total_discount: string;
  total_freight: string;
  protocol_status: string | null;
  protocol_number: string | null;
  authorized_at: string | null;
  status: 'authorized' | 'cancelled' | 'unauthorized';
  cancelled_at: string | null;
  warnings: string;
  raw_xml: string;
  content_hash: string;
}

/** One `xml_import_items` row, as text, keyed to its note by access key. `ibs_cbs` is a JSON text or null. */
export interface ItemRow {
  access_key: string;
  item_number: string;
  product_code: string | null;
  description: string | null;
  ncm: string | null;
  cest: string | null;
  cfop: string | null;
  unit: string | null;
  quantity: string | null;
  unit_value: string | null;
  total_value: string;
  discount: string;
  icms_group: string | null;
  icms_cst: string | null;
  icms_csosn: string | null;
  icms_base: string | null;
  icms_rate: string | null;
  icms_value: string | null;
  icms_st_base: string | null;
  icms_st_value: string | null;
  icms_sn_credit: string | null;
  pis_cst: string | null;
  pis_value: string | null;
  cofins_cst: string | null;
  cofins_value: string | null;
  ipi_cst: string | null;
  ipi_value: string | null;
  ibs_cbs: string | null;
}

/** One `xml_import_events` row, as text. */
export interface EventRow {
  access_key: string;
  event_type: string;
  sequence: string;
  event_at: string | null;
  protocol_number: string | null;
  description: string | null;
  raw_xml: string | null;
}

export interface BatchInput {
  companyId: string;
  connectionId: string | null;
  source: string | null;
  /** At most one row per access key (the caller dedupes). */
  notes: NoteRow[];
  items: ItemRow[];
  /** At most one row per (access key, type, sequence). */
  events: EventRow[];
}

export type NoteOutcome = 'imported' | 'updated' | 'unchanged';

export interface BatchNoteResult {
  accessKey: string;
  id: string;
  outcome: NoteOutcome;
  status: string;
}

export interface BatchResult {
  notes: BatchNoteResult[];
  /** Notes (of this batch or stored earlier) that became cancelled in this batch. */
  cancelledKeys: string[];
  /** Events newly stored. */
  eventsInserted: number;
}

export interface CompanyImportContext {
  cnpj: string | null;
  /** False when a connection id was given and it is not one of the company's connections. */
  connectionOk: boolean;
}

/** The company's CNPJ and whether `connectionId` belongs to it; null when the company does not exist. */
export async function readCompanyImportContext(
  sql: Sql | Tx,
  companyId: string,
  connectionId: string | null,
): Promise<CompanyImportContext | null> {
  const rows = await sql<{ cnpj: string | null; connection_ok: boolean }[]>`
    select c.cnpj,
           (${connectionId}::uuid is null or exists (
              select 1 from public.erp_connections ec
              where ec.id = ${connectionId}::uuid and ec.company_id = c.id)) as connection_ok
    from public.companies c
    where c.id = ${companyId}::uuid`;
  if (rows.length === 0) return null;
  return { cnpj: rows[0].cnpj, connectionOk: rows[0].connection_ok };
}

function col<T, K extends keyof T>(rows: readonly T[], key: K): T[K][] {
  const out = new Array<T[K]>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i][key];
  return out;
}

interface ExistingNote {
  id: string;
  access_key: string;
  content_hash: string | null;
  status: string;
  protocol_status: number | null;
}

/** Writes one batch in one transaction (see the module comment). */
export async function writeImportBatch(sql: Sql, input: BatchInput): Promise<BatchResult> {
  return await sql.begin((tx) => writeInTx(tx, input)) as BatchResult;
}

async function writeInTx(tx: Tx, b: BatchInput): Promise<BatchResult> {
  const company = b.companyId;
  const results: BatchNoteResult[] = [];
  const cancelled = new Set<string>();

  // 1. what is already there
  const existing = new Map<string, ExistingNote>();
  if (b.notes.length > 0) {
    const rows = await tx<ExistingNote[]>`
      select id, access_key, content_hash, status, protocol_status
      from public.xml_imports
      where company_id = ${company}::uuid and access_key = any(${col(b.notes, 'access_key')}::text[])`;
    for (const r of rows) existing.set(r.access_key, r);
  }

  const toWrite: NoteRow[] = [];
  for (const n of b.notes) {
    const e = existing.get(n.access_key);
    if (!e) {
      toWrite.push(n);
    } else if (
      e.content_hash === n.content_hash ||
      // never replace a note that carries its authorisation protocol by a copy without one
      (e.protocol_status !== null && n.protocol_status === null)
    ) {
      results.push({ accessKey: n.access_key, id: e.id, outcome: 'unchanged', status: e.status });
    } else {
      toWrite.push(n);
    }
  }

  // 2. ONE upsert for the new and changed notes; the old items of changed notes go in the same statement
  const ids = new Map<string, string>();
  if (toWrite.length > 0) {
    const rows = await tx<{ id: string; access_key: string; inserted: boolean; status: string }[]>`
      with up as (
        insert into public.xml_imports as x (
          company_id, connection_id, source, access_key, model, series, number, issued_at, issued_at_local,
          direction, operation, purpose, nature, environment, issuer_doc, issuer_name, issuer_uf, issuer_crt,
          recipient_doc, recipient_name, recipient_uf, total_products, total_invoice, total_icms, total_icms_st,
          total_pis, total_cofins, total_ipi, total_discount, total_freight, protocol_status, protocol_number,
          authorized_at, status, cancelled_at, warnings, raw_xml, content_hash)
        select ${company}::uuid, ${b.connectionId}::uuid, ${b.source}::text, u.access_key, u.model::smallint,
          u.series::integer, u.number::bigint, u.issued_at::timestamptz, u.issued_at_local, u.direction, u.operation,
          u.purpose::smallint, u.nature, u.environment::smallint, u.issuer_doc, u.issuer_name, u.issuer_uf,
          u.issuer_crt::smallint, u.recipient_doc, u.recipient_name, u.recipient_uf, u.total_products::numeric,
          u.total_invoice::numeric, u.total_icms::numeric, u.total_icms_st::numeric, u.total_pis::numeric,
          u.total_cofins::numeric, u.total_ipi::numeric, u.total_discount::numeric, u.total_freight::numeric,
          u.protocol_status::integer, u.protocol_number, u.authorized_at::timestamptz, u.status,
          u.cancelled_at::timestamptz, u.warnings::jsonb, r.raw_xml, u.content_hash
        from unnest(
          ${col(toWrite, 'access_key')}::text[], ${col(toWrite, 'model')}::text[], ${
      col(toWrite, 'series')
    }::text[],
          ${col(toWrite, 'number')}::text[], ${col(toWrite, 'issued_at')}::text[],
          ${col(toWrite, 'issued_at_local')}::text[], ${col(toWrite, 'direction')}::text[],
          ${col(toWrite, 'operation')}::text[], ${col(toWrite, 'purpose')}::text[], ${
      col(toWrite, 'nature')
    }::text[],
          ${col(toWrite, 'environment')}::text[], ${col(toWrite, 'issuer_doc')}::text[],
          ${col(toWrite, 'issuer_name')}::text[], ${col(toWrite, 'issuer_uf')}::text[],
          ${col(toWrite, 'issuer_crt')}::text[], ${col(toWrite, 'recipient_doc')}::text[],
          ${col(toWrite, 'recipient_name')}::text[], ${col(toWrite, 'recipient_uf')}::text[],
          ${col(toWrite, 'total_products')}::text[], ${col(toWrite, 'total_invoice')}::text[],
          ${col(toWrite, 'total_icms')}::text[], ${col(toWrite, 'total_icms_st')}::text[],
          ${col(toWrite, 'total_pis')}::text[], ${col(toWrite, 'total_cofins')}::text[],
          ${col(toWrite, 'total_ipi')}::text[], ${col(toWrite, 'total_discount')}::text[],
          ${col(toWrite, 'total_freight')}::text[], ${col(toWrite, 'protocol_status')}::text[],
          ${col(toWrite, 'protocol_number')}::text[], ${col(toWrite, 'authorized_at')}::text[],
          ${col(toWrite, 'status')}::text[], ${col(toWrite, 'cancelled_at')}::text[],
          ${col(toWrite, 'warnings')}::text[],
          ${col(toWrite, 'content_hash')}::text[]
        ) as u(access_key, model, series, number, issued_at, issued_at_local, direction, operation, purpose, nature,
               environment, issuer_doc, issuer_name, issuer_uf, issuer_crt, recipient_doc, recipient_name,
               recipient_uf, total_products, total_invoice, total_icms, total_icms_st, total_pis, total_cofins,
               total_ipi, total_discount, total_freight, protocol_status, protocol_number, authorized_at, status,
               cancelled_at, warnings, content_hash)
        -- the XML as plain parameters: no array escaping on either side of ~10 KB per note
        join (values ${tx(toWrite.map((n) => [n.access_key, n.raw_xml]))}) as r(access_key, raw_xml)
          on r.access_key = u.access_key
        on conflict (company_id, access_key) do update set
          connection_id = coalesce(excluded.connection_id, x.connection_id),
          source = coalesce(excluded.source, x.source),
          model = excluded.model, series = excluded.series, number = excluded.number,
          issued_at = excluded.issued_at, issued_at_local = excluded.issued_at_local,
          direction = excluded.direction, operation = excluded.operation, purpose = excluded.purpose,
          nature = excluded.nature, environment = excluded.environment,
          issuer_doc = excluded.issuer_doc, issuer_name = excluded.issuer_name, issuer_uf = excluded.issuer_uf,
          issuer_crt = excluded.issuer_crt, recipient_doc = excluded.recipient_doc,
          recipient_name = excluded.recipient_name, recipient_uf = excluded.recipient_uf,
          total_products = excluded.total_products, total_invoice = excluded.total_invoice,
          total_icms = excluded.total_icms, total_icms_st = excluded.total_icms_st, total_pis = excluded.total_pis,
          total_cofins = excluded.total_cofins, total_ipi = excluded.total_ipi,
          total_discount = excluded.total_discount, total_freight = excluded.total_freight,
          protocol_status = excluded.protocol_status, protocol_number = excluded.protocol_number,
          authorized_at = excluded.authorized_at,
          -- a cancellation is final: a later copy of the note without it does not undo it
          status = case when x.status = 'cancelled' then 'cancelled' else excluded.status end,
          cancelled_at = case when x.status = 'cancelled' then x.cancelled_at else excluded.cancelled_at end,
          warnings = excluded.warnings, raw_xml = excluded.raw_xml, content_hash = excluded.content_hash,
          updated_at = now()
        where x.content_hash is distinct from excluded.content_hash
          and not (x.protocol_status is not null and excluded.protocol_status is null)
        returning x.id, x.access_key, (x.xmax = 0) as inserted, x.status
      ),
      old_items as (
        delete from public.xml_import_items i using up
        where i.xml_import_id = up.id and not up.inserted
      )
      select id, access_key, inserted, status from up`;
    for (const r of rows) {
      ids.set(r.access_key, r.id);
      const before = existing.get(r.access_key);
      if (r.status === 'cancelled' && before?.status !== 'cancelled') cancelled.add(r.access_key);
      results.push({
        accessKey: r.access_key,
        id: r.id,
        outcome: r.inserted ? 'imported' : 'updated',
        status: r.status,
      });
    }
  }

  // 3. ONE statement for the rest: all items of the notes written, the events (stored once: a cancellation
  //    waits here for its note when it arrives first), and the stored cancellations applied to the notes written
  //    now and to the notes this batch's cancellations point at. The cancellation scan cannot see the events
  //    inserted by the same statement, so those are added from the insert's own output.
  const items = ids.size > 0 ? b.items.filter((i) => ids.has(i.access_key)) : [];
  const ev = b.events;
  const keys = [
    ...ids.keys(),
    ...ev.filter((e) => CANCELLING_EVENT_TYPES.includes(e.event_type)).map((e) => e.access_key),
  ];
  let eventsInserted = 0;
  if (items.length > 0 || ev.length > 0 || keys.length > 0) {
    const cancelTypes = CANCELLING_EVENT_TYPES as string[];
    const [r] = await tx<{ events: number; cancelled: string[] | null }[]>`
      with new_items as (
        insert into public.xml_import_items (
          xml_import_id, item_number, company_id, product_code, description, ncm, cest, cfop, unit, quantity,
          unit_value, total_value, discount, icms_group, icms_cst, icms_csosn, icms_base, icms_rate, icms_value,
          icms_st_base, icms_st_value, icms_sn_credit, pis_cst, pis_value, cofins_cst, cofins_value, ipi_cst,
          ipi_value, ibs_cbs)
        select u.xml_import_id::uuid, u.item_number::integer, ${company}::uuid, u.product_code, u.description,
          u.ncm, u.cest, u.cfop, u.unit, u.quantity::numeric, u.unit_value::numeric, u.total_value::numeric,
          u.discount::numeric, u.icms_group, u.icms_cst, u.icms_csosn, u.icms_base::numeric, u.icms_rate::numeric,
          u.icms_value::numeric, u.icms_st_base::numeric, u.icms_st_value::numeric, u.icms_sn_credit::numeric,
          u.pis_cst, u.pis_value::numeric, u.cofins_cst, u.cofins_value::numeric, u.ipi_cst, u.ipi_value::numeric,
          u.ibs_cbs::jsonb
        from unnest(
          ${items.map((i) => ids.get(i.access_key)!)}::text[], ${col(items, 'item_number')}::text[],
          ${col(items, 'product_code')}::text[], ${col(items, 'description')}::text[],
          ${col(items, 'ncm')}::text[], ${col(items, 'cest')}::text[], ${col(items, 'cfop')}::text[],
          ${col(items, 'unit')}::text[], ${col(items, 'quantity')}::text[], ${
      col(items, 'unit_value')
    }::text[],
          ${col(items, 'total_value')}::text[], ${col(items, 'discount')}::text[],
          ${col(items, 'icms_group')}::text[], ${col(items, 'icms_cst')}::text[],
          ${col(items, 'icms_csosn')}::text[], ${col(items, 'icms_base')}::text[],
          ${col(items, 'icms_rate')}::text[], ${col(items, 'icms_value')}::text[],
          ${col(items, 'icms_st_base')}::text[], ${col(items, 'icms_st_value')}::text[],
          ${col(items, 'icms_sn_credit')}::text[], ${col(items, 'pis_cst')}::text[],
          ${col(items, 'pis_value')}::text[], ${col(items, 'cofins_cst')}::text[],
          ${col(items, 'cofins_value')}::text[], ${col(items, 'ipi_cst')}::text[],
          ${col(items, 'ipi_value')}::text[], ${col(items, 'ibs_cbs')}::text[]
        ) as u(xml_import_id, item_number, product_code, description, ncm, cest, cfop, unit, quantity, unit_value,
               total_value, discount, icms_group, icms_cst, icms_csosn, icms_base, icms_rate, icms_value,
               icms_st_base, icms_st_value, icms_sn_credit, pis_cst, pis_value, cofins_cst, cofins_value, ipi_cst,
               ipi_value, ibs_cbs)
      ),
      new_events as (
        insert into public.xml_import_events (
          company_id, access_key, event_type, sequence, event_at, protocol_number, description, raw_xml)
        select ${company}::uuid, u.access_key, u.event_type, u.sequence::integer, u.event_at::timestamptz,
          u.protocol_number, u.description, u.raw_xml
        from unnest(
          ${col(ev, 'access_key')}::text[], ${col(ev, 'event_type')}::text[], ${col(ev, 'sequence')}::text[],
          ${col(ev, 'event_at')}::text[], ${col(ev, 'protocol_number')}::text[],
          ${col(ev, 'description')}::text[], ${col(ev, 'raw_xml')}::text[]
        ) as u(access_key, event_type, sequence, event_at, protocol_number, description, raw_xml)
        on conflict (company_id, access_key, event_type, sequence) do nothing
        returning access_key, event_type, event_at
      ),
      cancellations as (
        select c.access_key, min(c.event_at) as at
        from (
          select e.access_key, e.event_at from public.xml_import_events e
          where e.company_id = ${company}::uuid and e.access_key = any(${keys}::text[])
            and e.event_type = any(${cancelTypes}::text[])
          union all
          select n.access_key, n.event_at from new_events n where n.event_type = any(${cancelTypes}::text[])
        ) c
        group by c.access_key
      ),
      newly_cancelled as (
        update public.xml_imports x
        set status = 'cancelled', cancelled_at = coalesce(c.at, x.cancelled_at, now()), updated_at = now()
        from cancellations c
        where x.company_id = ${company}::uuid and x.access_key = c.access_key and x.status <> 'cancelled'
        returning x.access_key
      )
      select (select count(*)::int from new_events) as events,
             (select array_agg(access_key) from newly_cancelled) as cancelled`;
    eventsInserted = r.events;
    const byKey = new Map(results.map((n) => [n.accessKey, n]));
    for (const k of r.cancelled ?? []) {
      cancelled.add(k);
      const res = byKey.get(k);
      if (res) res.status = 'cancelled';
    }
  }

  return { notes: results, cancelledKeys: [...cancelled], eventsInserted };
}

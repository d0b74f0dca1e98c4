/**
 * NF-e import into the real database (TEST stack; skipped with a message when it is not running).
 * Every test works on its own throwaway company (fresh UUID), deleted at the end with all its rows.
 *
 *   npx deno test -A supabase/functions/_shared/nfe/import.test.ts
 */
import assert from 'node:assert/strict';
import {
  appendCancellationToNfeProc,
  buildCancellationEventXml,
  buildCorrectionLetterXml,
  buildEnviNFeXml,
  buildNfeXml,
  type NoteSpec,
} from '../../../../dev/fixtures/nfe-builder.ts';
import { stackTest, type TestStackEnv } from '../../../tests/helpers.ts';
import { connect, type Sql } from '../db/client.ts';
import { isAppError } from '../errors.ts';
import { directionFor, importNfeDocuments, type ImportResult } from './import.ts';

const COMPANY = '11222333000181';
const SUPPLIER = '58716523000119';
const CUSTOMER = '04168271000101';

// --- fixtures -----------------------------------------------------------------------------------------------------

let numberSeq = 1000;

/** A supplier's authorised sale to the company (the company is the recipient). */
function purchase(over: Partial<NoteSpec> = {}): NoteSpec {
  const n = numberSeq++;
  return {
    issuer: { cnpj: SUPPLIER, name: 'Fornecedor Ação & Cia Ltda', ie: '112006603110', uf: 'SP', crt: 3 },
    recipient: { cnpj: COMPANY, name: 'Empresa Cliente Ltda', ie: '110042490114', uf: 'PR' },
    model: 55,
    series: 1,
    number: n,
    cNF: String(10_000_000 + n),
    issuedAt: '2026-11-10T14:30:00-03:00',
    tpNF: 1,
    finNFe: 1,
    natOp: 'VENDA DE MERCADORIA',
    tpAmb: 1,
    items: [
      {
        cProd: 'A1',
        xProd: 'DIPIRONA 500MG',
        ncm: '3004.90.99',
        cfop: '6102',
        unit: 'CX',
        qty: '3',
        unitPrice: '10.333',
        icms: { group: 'ICMS00', pICMS: '12' },
        pis: { cst: '01', rate: '1.65' },
        cofins: { cst: '01', rate: '7.60' },
      },
      {
        cProd: 'B2',
        xProd: 'ARROZ 5KG',
        ncm: '1006.30.21',
        cfop: '6102',
        unit: 'PCT',
        qty: '2.5000',
        unitPrice: '21.90',
        discount: '1.10',
        icms: { group: 'ICMS20', pRedBC: '61.11', pICMS: '12' },
        pis: { cst: '06' },
        cofins: { cst: '06' },
      },
    ],
    protocol: { nProt: `141260000${String(n).padStart(6, '0')}`, dhRecbto: '2026-11-10T14:31:05-03:00' },
    ...over,
  };
}

/** The company's own sale to a customer (the company is the issuer). */
function sale(over: Partial<NoteSpec> = {}): NoteSpec {
  const base = purchase();
  return {
    ...base,
    issuer: { cnpj: COMPANY, name: 'Empresa Cliente Ltda', ie: '110042490114', uf: 'PR', crt: 3 },
    recipient: { cnpj: CUSTOMER, name: 'Cliente Final SA', uf: 'PR' },
    ...over,
  };
}

function cancellationOf(spec: NoteSpec, key: string, over: { cStat?: string } = {}): string {
  return buildCancellationEventXml({
    accessKey: key,
    cnpj: spec.issuer.cnpj,
    at: '2026-11-11T09:00:00-03:00',
    registeredAt: '2026-11-11T09:00:02-03:00',
    nProt: spec.protocol!.nProt,
    ...over,
  });
}

// --- helpers ------------------------------------------------------------------------------------------------------

interface Ctx {
  sql: Sql;
  companyId: string;
  run(documents: Array<{ xml: string; externalId?: string; fileName?: string }>): Promise<ImportResult>;
  note(key: string): Promise<Record<string, string | null> | undefined>;
  itemCount(key?: string): Promise<number>;
}

/** Runs `fn` with a fresh company (cnpj given, or none) and deletes it, rows and all, at the end. */
async function withCompany(
  env: TestStackEnv,
  fn: (ctx: Ctx) => Promise<void>,
  opts: { cnpj?: string | null; companyCnpj?: string } = {},
): Promise<void> {
  const sql = connect(env.DB_URL, 2);
  const [{ migrated }] = await sql<{ migrated: boolean }[]>`
    select exists (select 1 from information_schema.columns
                   where table_schema = 'public' and table_name = 'xml_imports' and column_name = 'content_hash')
      as migrated`;
  if (!migrated) {
    await sql.end();
    throw new Error(
      'migration 20261129000300_nfe_import.sql is not applied: run `npm run stack -- --profile test up`',
    );
  }
  const companyId = crypto.randomUUID();
  const cnpj = opts.cnpj === undefined ? COMPANY : opts.cnpj;
  await sql`insert into public.companies (id, name, cnpj) values (${companyId}, 'teste importação NF-e', ${cnpj})`;
  const ctx: Ctx = {
    sql,
    companyId,
    run: (documents) =>
      importNfeDocuments(sql, { companyId, companyCnpj: opts.companyCnpj, source: 'test', documents }),
    note: async (key) => {
      const [row] = await sql<Record<string, string | null>[]>`
        select id::text, status, direction, operation, cancelled_at::text, updated_at::text, imported_at::text,
               total_products::text, total_invoice::text, protocol_status::text, raw_xml, content_hash
        from public.xml_imports where company_id = ${companyId} and access_key = ${key}`;
      return row;
    },
    itemCount: async (key) => {
      const [{ n }] = key
        ? await sql<{ n: number }[]>`
            select count(*)::int as n from public.xml_import_items i join public.xml_imports x on x.id = i.xml_import_id
            where x.company_id = ${companyId} and x.access_key = ${key}`
        : await sql<{ n: number }[]>`
            select count(*)::int as n from public.xml_import_items where company_id = ${companyId}`;
      return n;
    },
  };
  try {
    await fn(ctx);
  } finally {
    await sql`delete from public.companies where id = ${companyId}`;
    await sql.end({ timeout: 5 });
  }
}

// --- pure -----------------------------------------------------------------------------------------------------------

Deno.test('direction is the company point of view (issuer keeps tpNF, recipient inverts it)', () => {
  const issuer = { cnpj: SUPPLIER };
  const me = { cnpj: COMPANY };
  assert.equal(directionFor({ issuer, recipient: me, operation: 'saida' }, COMPANY), 'entrada');
  assert.equal(directionFor({ issuer, recipient: me, operation: 'entrada' }, COMPANY), 'saida');
  assert.equal(directionFor({ issuer: me, recipient: issuer, operation: 'saida' }, COMPANY), 'saida');
  assert.equal(
    directionFor({ issuer: me, recipient: { cpf: '12345678909' }, operation: 'entrada' }, COMPANY),
    'entrada',
  );
  assert.throws(
    () => directionFor({ issuer, recipient: { cnpj: CUSTOMER }, operation: 'saida' }, COMPANY),
    (e: Error & { code?: string }) => e.code === 'NFE_NOT_COMPANY' && /não é o emitente/.test(e.message),
  );
});

// --- database -------------------------------------------------------------------------------------------------------

stackTest(
  're-importing the same notes changes nothing (same ids, same items, same updated_at)',
  async (env) => {
    await withCompany(env, async (c) => {
      const a = buildNfeXml(purchase());
      const b = buildNfeXml(sale());
      const docs = [{ xml: a.xml, externalId: 'a' }, { xml: b.xml, externalId: 'b' }];

      const first = await c.run(docs);
      assert.deepEqual(
        [first.imported, first.updated, first.unchanged, first.failed.length],
        [2, 0, 0, 0],
        JSON.stringify(first.failed),
      );
      const before = {
        a: await c.note(a.accessKey),
        b: await c.note(b.accessKey),
        items: await c.itemCount(),
      };
      assert.equal(before.items, 4);
      assert.equal(before.a!.raw_xml, a.xml, 'the raw XML is kept as received');

      const again = await c.run(docs);
      assert.deepEqual([again.imported, again.updated, again.unchanged, again.events], [0, 0, 2, 0]);
      assert.deepEqual(again.notes.map((n) => n.id).sort(), [before.a!.id, before.b!.id].sort());
      const after = {
        a: await c.note(a.accessKey),
        b: await c.note(b.accessKey),
        items: await c.itemCount(),
      };
      assert.deepEqual(after, before);

      // the same note twice in one call is imported once
      const twice = await c.run([{ xml: a.xml }, { xml: a.xml }]);
      assert.equal(twice.unchanged, 1);
      assert.deepEqual(twice.skipped.map((s) => s.code), ['NFE_DUPLICATE']);

      // a changed copy (other bytes, same key) is rewritten in place: same id, items replaced, not duplicated
      const pretty = buildNfeXml(
        purchase({ number: Number(a.accessKey.slice(25, 34)), cNF: a.accessKey.slice(35, 43) }),
        {
          pretty: true,
          crlf: true,
        },
      );
      assert.equal(pretty.accessKey, a.accessKey);
      const changed = await c.run([{ xml: pretty.xml }]);
      assert.deepEqual([changed.imported, changed.updated, changed.unchanged], [0, 1, 0]);
      const rewritten = await c.note(a.accessKey);
      assert.equal(rewritten!.id, before.a!.id);
      assert.equal(rewritten!.raw_xml, pretty.xml);
      assert.notEqual(rewritten!.updated_at, before.a!.updated_at);
      assert.equal(rewritten!.imported_at, before.a!.imported_at);
      assert.equal(await c.itemCount(a.accessKey), 2);

      // a copy without the authorisation protocol never replaces the authorised one
      const bare = buildNfeXml({
        ...purchase({ number: Number(a.accessKey.slice(25, 34)), cNF: a.accessKey.slice(35, 43) }),
        protocol: undefined,
      });
      assert.equal(bare.accessKey, a.accessKey);
      const downgrade = await c.run([{ xml: bare.xml }]);
      assert.equal(downgrade.unchanged, 1);
      const kept = await c.note(a.accessKey);
      assert.equal(kept!.status, 'authorized');
      assert.equal(kept!.protocol_status, '100');
    });
  },
);

stackTest('a cancellation after the note marks it cancelled', async (env) => {
  await withCompany(env, async (c) => {
    const spec = purchase();
    const note = buildNfeXml(spec);
    assert.equal((await c.run([{ xml: note.xml }])).imported, 1);
    assert.equal((await c.note(note.accessKey))!.status, 'authorized');

    const r = await c.run([{ xml: cancellationOf(spec, note.accessKey), fileName: 'cancel.xml' }]);
    assert.deepEqual([r.events, r.cancelled, r.failed.length], [1, 1, 0]);
    const row = await c.note(note.accessKey);
    assert.equal(row!.status, 'cancelled');
    assert.equal(new Date(row!.cancelled_at!).toISOString(), '2026-11-11T12:00:02.000Z');

    // again: nothing new
    const again = await c.run([{ xml: cancellationOf(spec, note.accessKey) }, { xml: note.xml }]);
    assert.deepEqual([again.events, again.cancelled, again.unchanged], [0, 0, 1]);
  });
});

stackTest(
  'a note the ERP lists as cancelled (no event in its XML) lands cancelled, also after it was imported',
  async (env) => {
    await withCompany(env, async (c) => {
      const note = buildNfeXml(purchase());
      assert.equal((await c.run([{ xml: note.xml }])).imported, 1);
      assert.equal((await c.note(note.accessKey))!.status, 'authorized');
      // the next sync: Bling now lists it with situação 2 and hands over the same authorised XML
      const r = await importNfeDocuments(c.sql, {
        companyId: c.companyId,
        source: 'bling',
        documents: [{ xml: note.xml, erpCancelled: { source: 'Bling situação 2 (Cancelada)' } }],
      });
      assert.deepEqual([r.updated, r.failed.length], [1, 0]);
      const row = await c.note(note.accessKey);
      assert.equal(row!.status, 'cancelled');
      const [{ warnings }] = await c.sql<{ warnings: Array<{ code: string }> }[]>`
      select warnings from public.xml_imports where company_id = ${c.companyId} and access_key = ${note.accessKey}`;
      assert.ok(warnings.some((w) => w.code === 'ERP_CANCELLED'));
    });
  },
);

stackTest('a cancellation that arrives before its note cancels the note when it lands', async (env) => {
  await withCompany(env, async (c) => {
    const spec = purchase();
    const note = buildNfeXml(spec);
    const early = await c.run([{ xml: cancellationOf(spec, note.accessKey) }]);
    assert.deepEqual([early.events, early.cancelled, early.imported], [1, 0, 0]);
    assert.equal(await c.note(note.accessKey), undefined);

    const later = await c.run([{ xml: note.xml }]);
    assert.deepEqual([later.imported, later.cancelled], [1, 1]);
    assert.equal(later.notes[0].status, 'cancelled');
    const row = await c.note(note.accessKey);
    assert.equal(row!.status, 'cancelled');
    assert.ok(row!.cancelled_at);

    // event and note in the same call, event first
    const spec2 = sale();
    const note2 = buildNfeXml(spec2);
    const both = await c.run([{ xml: cancellationOf(spec2, note2.accessKey) }, { xml: note2.xml }]);
    assert.deepEqual([both.imported, both.events, both.cancelled], [1, 1, 1]);
    assert.equal((await c.note(note2.accessKey))!.status, 'cancelled');
  });
});

stackTest('a cancellation inside nfeProc (NFePHP style) is stored as an event and cancels', async (env) => {
  await withCompany(env, async (c) => {
    const spec = purchase();
    const built = buildNfeXml(spec);
    const xml = appendCancellationToNfeProc(built.xml, {
      accessKey: built.accessKey,
      cnpj: SUPPLIER,
      at: '2026-11-12T10:00:00-03:00',
    });
    const r = await c.run([{ xml }]);
    assert.deepEqual([r.imported, r.events, r.cancelled], [1, 1, 1]);
    assert.equal((await c.note(built.accessKey))!.status, 'cancelled');
    const events = await c.sql`
      select event_type from public.xml_import_events where company_id = ${c.companyId} and access_key = ${built.accessKey}`;
    assert.deepEqual(events.map((e) => e.event_type), ['110111']);
  });
});

stackTest(
  'a correction letter is stored and does not cancel; an unregistered cancellation is skipped',
  async (env) => {
    await withCompany(env, async (c) => {
      const spec = purchase();
      const note = buildNfeXml(spec);
      const cce = buildCorrectionLetterXml({
        accessKey: note.accessKey,
        cnpj: SUPPLIER,
        at: '2026-11-12T08:00:00-03:00',
        correction: 'Correcao do endereco de entrega: Rua das Palmeiras, 100, fundos.',
      });
      const rejected = cancellationOf(spec, note.accessKey, { cStat: '573' });
      const r = await c.run([{ xml: note.xml }, { xml: cce }, { xml: rejected, externalId: 'rej' }]);
      assert.deepEqual([r.imported, r.events, r.cancelled, r.failed.length], [1, 1, 0, 0]);
      assert.deepEqual(r.skipped.map((s) => [s.code, s.externalId]), [['EVENT_NOT_REGISTERED', 'rej']]);
      assert.equal((await c.note(note.accessKey))!.status, 'authorized');
      const events = await c.sql`
      select event_type, sequence, description, raw_xml is not null as has_xml from public.xml_import_events
      where company_id = ${c.companyId} and access_key = ${note.accessKey}`;
      assert.deepEqual(events.map((e) => [e.event_type, e.sequence, e.has_xml]), [['110110', 1, true]]);
    });
  },
);

stackTest('a broken file in a batch is one failed record and the rest land', async (env) => {
  await withCompany(env, async (c) => {
    const good1 = buildNfeXml(purchase());
    const good2 = buildNfeXml(sale());
    const foreign = buildNfeXml(purchase({ recipient: { cnpj: CUSTOMER, name: 'Outra Empresa', uf: 'SP' } }));
    const truncated = good1.xml.slice(0, Math.floor(good1.xml.length / 2));
    const r = await c.run([
      { xml: good1.xml, externalId: 'ok-1' },
      { xml: truncated, externalId: 'cut', fileName: 'cut.xml' },
      { xml: 'isto não é XML', externalId: 'text' },
      { xml: '<?xml version="1.0"?><pedido><id>1</id></pedido>', externalId: 'other' },
      { xml: foreign.xml, externalId: 'foreign' },
      { xml: good2.xml, externalId: 'ok-2' },
    ]);
    assert.equal(r.imported, 2);
    assert.deepEqual(r.notes.map((n) => n.externalId), ['ok-1', 'ok-2']);
    const failed = Object.fromEntries(r.failed.map((f) => [f.externalId, f.code]));
    assert.deepEqual(failed, {
      cut: 'NFE_MALFORMED',
      text: 'NFE_MALFORMED',
      other: 'NFE_NOT_NFE',
      foreign: 'NFE_NOT_COMPANY',
    });
    const cut = r.failed.find((f) => f.externalId === 'cut')!;
    assert.equal(cut.fileName, 'cut.xml');
    assert.ok(cut.message.length > 0);
    assert.equal(r.failed.find((f) => f.externalId === 'foreign')!.accessKey, foreign.accessKey);
    assert.equal(await c.itemCount(), 4);
  });
});

stackTest('a note the database refuses fails alone: the batch is replayed note by note', async (env) => {
  await withCompany(env, async (c) => {
    const good1 = buildNfeXml(purchase());
    const good2 = buildNfeXml(sale());
    const spec = purchase();
    const built = buildNfeXml(spec);
    // passes every check of ours, but rounds to 10000000000000.00: too big for numeric(15, 2)
    const overflow = built.xml.replace(/<vNF>[^<]+<\/vNF>/, '<vNF>9999999999999.999</vNF>');
    const r = await c.run([
      { xml: good1.xml },
      { xml: overflow, externalId: 'overflow' },
      { xml: cancellationOf(spec, built.accessKey), externalId: 'its-cancellation' },
      { xml: good2.xml },
    ]);
    assert.equal(r.imported, 2);
    assert.equal(r.events, 1, 'the cancellation is kept for when a good copy of the note arrives');
    assert.deepEqual(r.failed.map((f) => [f.externalId, f.code, f.accessKey]), [
      ['overflow', 'NFE_DB_REJECTED', built.accessKey],
    ]);
    assert.equal(await c.note(built.accessKey), undefined);
    assert.equal(await c.itemCount(), 4);
    // the good copy lands later and is cancelled by the stored event
    const later = await c.run([{ xml: built.xml }]);
    assert.deepEqual([later.imported, later.cancelled], [1, 1]);
  });
});

stackTest(
  'direction: entrada when the company receives, saída when it issues (tpNF kept in operation)',
  async (env) => {
    await withCompany(env, async (c) => {
      const bought = buildNfeXml(purchase());
      const sold = buildNfeXml(sale());
      // an entry note the company issues itself (purchase from an individual, tpNF 0)
      const ownEntry = buildNfeXml(
        sale({ tpNF: 0, recipient: { cpf: '12345678909', name: 'Produtor Rural', uf: 'PR' } }),
      );
      // a customer's return note (tpNF 0) issued to the company: goods leave the company
      const customerEntry = buildNfeXml(purchase({ tpNF: 0 }));
      const r = await c.run([{ xml: bought.xml }, { xml: sold.xml }, { xml: ownEntry.xml }, {
        xml: customerEntry.xml,
      }]);
      assert.equal(r.imported, 4, JSON.stringify(r.failed));
      const rows = Object.fromEntries(
        (await c.sql<{ access_key: string; direction: string; operation: string }[]>`
        select access_key, direction, operation from public.xml_imports where company_id = ${c.companyId}`)
          .map((x) => [x.access_key, `${x.direction}/${x.operation}`]),
      );
      assert.equal(rows[bought.accessKey], 'entrada/saida');
      assert.equal(rows[sold.accessKey], 'saida/saida');
      assert.equal(rows[ownEntry.accessKey], 'entrada/entrada');
      assert.equal(rows[customerEntry.accessKey], 'saida/entrada');
    });
  },
);

stackTest('money and quantities are stored exactly (decimal strings, never floats)', async (env) => {
  await withCompany(env, async (c) => {
    const base = purchase();
    const item = base.items[0];
    const spec = purchase({
      items: [
        { ...item, cProd: 'X1', qty: '1', unitPrice: '0.10', icms: { group: 'ICMS00', pICMS: '17.5' } },
        { ...item, cProd: 'X2', qty: '1', unitPrice: '0.20', icms: { group: 'ICMS00', pICMS: '17.5' } },
        { ...item, cProd: 'X3', qty: '3.3333', unitPrice: '0.1234567891' },
        { ...item, cProd: 'X4', qty: '1', unitPrice: '98765432109.87' },
      ],
    });
    const built = buildNfeXml(spec);
    assert.notEqual(0.1 + 0.2, 0.3); // what a float would have done
    const r = await c.run([{ xml: built.xml }]);
    assert.equal(r.imported, 1, JSON.stringify(r.failed));
    const items = await c.sql<
      { item_number: number; quantity: string; unit_value: string; total_value: string }[]
    >`
      select i.item_number, i.quantity::text, i.unit_value::text, i.total_value::text, i.icms_rate::text
      from public.xml_import_items i join public.xml_imports x on x.id = i.xml_import_id
      where x.company_id = ${c.companyId} order by i.item_number`;
    assert.deepEqual(items.map((i) => i.total_value), built.items.map((i) => i.vProd));
    assert.equal(items[0].total_value, '0.10');
    assert.equal(items[1].total_value, '0.20');
    assert.equal(items[2].quantity, '3.3333');
    assert.equal(items[2].unit_value, '0.1234567891');
    assert.equal(items[3].total_value, '98765432109.87');
    const [sums] = await c.sql<
      { first_two: string; all_items: string; total_products: string; total_invoice: string }[]
    >`
      select (select sum(total_value)::text from public.xml_import_items
              where company_id = ${c.companyId} and item_number in (1, 2)) as first_two,
             (select sum(total_value)::text from public.xml_import_items where company_id = ${c.companyId}) as all_items,
             total_products::text, total_invoice::text
      from public.xml_imports where company_id = ${c.companyId}`;
    assert.equal(sums.first_two, '0.30');
    assert.equal(sums.all_items, built.totals.vProd);
    assert.equal(sums.total_products, built.totals.vProd);
    assert.equal(sums.total_invoice, built.totals.vNF);
  });
});

stackTest('an enviNFe batch: each note gets its own row and its own XML', async (env) => {
  await withCompany(env, async (c) => {
    const { xml, notes } = buildEnviNFeXml([
      purchase({ protocol: undefined }),
      sale({ protocol: undefined }),
    ]);
    const r = await c.run([{ xml }]);
    assert.equal(r.imported, 2, JSON.stringify(r.failed));
    for (const n of notes) {
      const row = await c.note(n.accessKey);
      assert.equal(row!.status, 'unauthorized', 'no protocol in the file');
      assert.ok(row!.raw_xml!.includes(`NFe${n.accessKey}`));
      assert.ok(row!.raw_xml!.length < xml.length);
      for (const other of notes) if (other !== n) assert.ok(!row!.raw_xml!.includes(`NFe${other.accessKey}`));
    }
  });
});

stackTest(
  'company CNPJ: read from companies.cnpj; a company without one or unknown is an error',
  async (env) => {
    await withCompany(env, async (c) => {
      const note = buildNfeXml(purchase());
      await assert.rejects(
        () => c.run([{ xml: note.xml }]),
        (e: unknown) => isAppError(e) && e.code === 'COMPANY_CNPJ_MISSING',
      );
      const given = await importNfeDocuments(c.sql, {
        companyId: c.companyId,
        companyCnpj: '11.222.333/0001-81',
        documents: [{ xml: note.xml }],
      });
      assert.equal(given.imported, 1);
      await assert.rejects(
        () => importNfeDocuments(c.sql, { companyId: crypto.randomUUID(), documents: [{ xml: note.xml }] }),
        (e: unknown) => isAppError(e) && e.code === 'COMPANY_NOT_FOUND',
      );
      await assert.rejects(
        () =>
          importNfeDocuments(c.sql, {
            companyId: c.companyId,
            companyCnpj: COMPANY,
            connectionId: crypto.randomUUID(),
            documents: [{ xml: note.xml }],
          }),
        (e: unknown) => isAppError(e) && e.code === 'CONNECTION_NOT_FOUND',
      );
    }, { cnpj: null });
  },
);

// --- the real-world samples ---------------------------------------------------------------------------------------

const SAMPLES_DIR = new URL('../../../../../shared/nfe-samples/', import.meta.url).pathname;

function samplesPresent(): boolean {
  try {
    return Deno.statSync(SAMPLES_DIR).isDirectory;
  } catch {
    return false;
  }
}

/** Facts read straight from a file's text (not from our parser). */
function factsOf(xml: string) {
  const tag = (name: string, within = xml) =>
    new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(within)?.[1];
  const block = (name: string) =>
    new RegExp(`<(?:\\w+:)?${name}[\\s>][\\s\\S]*?</(?:\\w+:)?${name}>`).exec(xml)?.[0] ?? '';
  const emit = block('emit');
  const dest = block('dest');
  return {
    key: /Id="NFe([0-9A-Z]{44})"/.exec(xml)?.[1],
    issuer: tag('CNPJ', emit) ?? tag('CPF', emit),
    recipient: tag('CNPJ', dest) ?? tag('CPF', dest),
    tpNF: tag('tpNF'),
    vNF: tag('vNF'),
    items: (xml.match(/<(?:\w+:)?det[\s>]/g) ?? []).length,
    cancelled: /<(?:\w+:)?tpEvento>110111</.test(xml) && /<(?:\w+:)?cStat>135</.test(xml),
  };
}

if (!samplesPresent()) console.warn(`samples corpus not found at ${SAMPLES_DIR}: its import test is ignored`);
stackTest('the samples corpus imports for its issuer and for its recipient', async (env) => {
  const files = [...Deno.readDirSync(SAMPLES_DIR)].filter((f) => f.isFile && f.name.endsWith('.xml')).map((
    f,
  ) => f.name)
    .sort();
  let checked = 0;
  for (const name of files) {
    const xml = Deno.readTextFileSync(SAMPLES_DIR + name);
    const f = factsOf(xml);
    if (name.includes('xml-sujo')) {
      await withCompany(env, async (c) => {
        const r = await c.run([{ xml, fileName: name }]);
        assert.deepEqual(r.failed.map((x) => [x.fileName, x.code]), [[name, 'NFE_MALFORMED']]);
      });
      checked++;
      continue;
    }
    if (!f.key) {
      // event files: stored as events of their note (even before the note arrives), never as notes
      const author = /<(?:\w+:)?CNPJ>([^<]+)</.exec(xml)?.[1] ?? COMPANY;
      await withCompany(env, async (c) => {
        const r = await c.run([{ xml, fileName: name }]);
        assert.deepEqual([r.imported, r.events, r.cancelled, r.failed.length], [0, 1, 0, 0], name);
      }, { cnpj: null, companyCnpj: author });
      checked++;
      continue;
    }
    const perspectives: Array<[string, 'issuer' | 'recipient']> = [[f.issuer!, 'issuer']];
    if (f.recipient && f.recipient !== f.issuer) perspectives.push([f.recipient, 'recipient']);
    for (const [doc, role] of perspectives) {
      await withCompany(env, async (c) => {
        const r = await c.run([{ xml, fileName: name }]);
        assert.equal(r.imported, 1, `${name} as ${role}: ${JSON.stringify(r.failed)}`);
        const row = await c.note(f.key!);
        const operation = f.tpNF === '0' ? 'entrada' : 'saida';
        const direction = role === 'issuer' ? operation : operation === 'saida' ? 'entrada' : 'saida';
        assert.equal(row!.direction, direction, `${name} as ${role}`);
        assert.equal(row!.operation, operation, name);
        assert.equal(Number(row!.total_invoice), Number(f.vNF), name);
        assert.equal(row!.total_invoice, Number(f.vNF).toFixed(2), name);
        assert.equal(await c.itemCount(f.key!), f.items, name);
        assert.equal(row!.status === 'cancelled', f.cancelled, name);
        assert.equal(row!.raw_xml, xml, name);
        const again = await c.run([{ xml, fileName: name }]);
        assert.equal(again.unchanged, 1, name);
      }, { cnpj: null, companyCnpj: doc });
      checked++;
    }
  }
  assert.ok(checked >= 10, `only ${checked} sample checks ran`);
}, { ignore: !samplesPresent() });

stackTest(
  'batches: every note of every batch lands (sizes 1, 2, 3 and the whole call), events ride along',
  async (env) => {
    for (const batchSize of [1, 2, 3, 7]) {
      await withCompany(env, async (c) => {
        // 7 notes: batches of 2 → 2+2+2+1, of 3 → 3+3+1; the cancellation of the first note comes with them.
        const specs = Array.from({ length: 7 }, () => purchase());
        const notes = specs.map((s) => buildNfeXml(s));
        const cancel = cancellationOf(specs[0], notes[0].accessKey);
        const r = await importNfeDocuments(c.sql, {
          companyId: c.companyId,
          source: 'test',
          batchSize,
          documents: [...notes.map((n) => ({ xml: n.xml })), { xml: cancel }],
        });
        assert.deepEqual(
          [r.imported, r.failed.length, r.events, r.cancelled],
          [7, 0, 1, 1],
          `batchSize ${batchSize}`,
        );
        const rows = await c
          .sql`select access_key, status from public.xml_imports where company_id = ${c.companyId}`;
        assert.deepEqual(
          new Set(rows.map((x) => x.access_key)),
          new Set(notes.map((n) => n.accessKey)),
          `batchSize ${batchSize}: exactly the 7 notes`,
        );
        assert.equal(rows.find((x) => x.access_key === notes[0].accessKey)!.status, 'cancelled');
        assert.equal(
          await c.itemCount(),
          notes.reduce((s, n) => s + n.items.length, 0),
          'every item of every note',
        );
      });
    }
  },
);

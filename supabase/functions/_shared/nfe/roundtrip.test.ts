/** Generated notes (dev/fixtures/nfe-builder.ts) parse back to their spec; layout variants; typed errors. */
import assert from 'node:assert/strict';
import {
  appendCancellationToNfeProc,
  buildCancellationEventXml,
  buildCorrectionLetterXml,
  buildEnviNFeXml,
  buildNfeXml,
  generateNotes,
  type NoteSpec,
} from '../../../../dev/fixtures/nfe-builder.ts';
import { isAppError } from '../errors.ts';
import { isValidAccessKey } from './access-key.ts';
import { toCents } from './decimal.ts';
import type { ParsedNfe } from './model.ts';
import { parseNfeDocument } from './parse.ts';

const COMPANY = '11222333000181';

const spec: NoteSpec = {
  issuer: {
    cnpj: '58716523000119',
    name: 'Fornecedor Ação & Cia Ltda',
    ie: '112006603110',
    uf: 'SP',
    crt: 3,
  },
  recipient: { cnpj: COMPANY, name: 'Empresa Cliente Ltda', ie: '110042490114', uf: 'PR' },
  model: 55,
  series: 1,
  number: 4321,
  cNF: '87654321',
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
      cest: '1300100',
      cfop: '6401',
      unit: 'CX',
      qty: '3',
      unitPrice: '10.333',
      icms: { group: 'ICMS10', pICMS: '12', pMVAST: '33.00', pICMSST: '18' },
      pis: { cst: '01', rate: '2.10' },
      cofins: { cst: '01', rate: '9.90' },
      ipi: { cst: '50', pIPI: '5' },
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
      freight: '15.00',
      icms: { group: 'ICMS20', pRedBC: '61.11', pICMS: '12' },
      pis: { cst: '06' },
      cofins: { cst: '06' },
    },
    {
      cProd: 'C3',
      xProd: 'SHAMPOO 400ML',
      ncm: '3305.10.00',
      cfop: '6404',
      unit: 'UN',
      qty: '1',
      unitPrice: '19.99',
      icms: { group: 'ICMS60', retained: { vBCSTRet: '27.99', pST: '18' } },
      pis: { cst: '04' },
      cofins: { cst: '04' },
    },
    {
      cProd: 'D4',
      xProd: 'NOTEBOOK',
      ncm: '84713012',
      cfop: '6102',
      unit: 'UN',
      qty: '1',
      unitPrice: '3499.00',
      icms: { group: 'ICMS00', orig: '2', pICMS: '4' },
      pis: { cst: '01', rate: '1.65' },
      cofins: { cst: '01', rate: '7.60' },
    },
  ],
  protocol: { nProt: '135260000000001', dhRecbto: '2026-11-10T14:30:40-03:00' },
};

function only(xml: string | Uint8Array, fileName?: string): ParsedNfe {
  const doc = parseNfeDocument(xml, { fileName });
  assert.equal(doc.notes.length, 1);
  return doc.notes[0];
}

Deno.test('hand-written spec: exact values, totals add up in cents', () => {
  const built = buildNfeXml(spec);
  assert.ok(isValidAccessKey(built.accessKey));
  assert.equal(built.accessKey.slice(0, 6), '352611');
  const n = only(built.xml);
  assert.deepEqual(n.warnings, []);
  assert.equal(n.accessKey, built.accessKey);
  assert.equal(n.issuer.name, 'Fornecedor Ação & Cia Ltda');
  assert.equal(n.issuedAt, '2026-11-10T14:30:00-03:00');
  assert.equal(n.operation, 'saida');
  // item 1: 3 x 10.333 = 30.999 -> 31.00; ICMS 12% = 3.72; IPI 5% = 1.55; ST base (31.00+1.55)*1.33 = 43.29 (43.2915);
  // ST 18% = 7.79 (7.7922) - 3.72 = 4.07
  const [a, b, c, d] = n.items;
  assert.equal(a.vProd, '31.00');
  assert.deepEqual([a.icms?.vICMS, a.ipi?.vIPI, a.icms?.vBCST, a.icms?.vICMSST], [
    '3.72',
    '1.55',
    '43.29',
    '4.07',
  ]);
  assert.deepEqual([a.pis?.value, a.cofins?.value], ['0.65', '3.07']);
  // item 2: 2.5 x 21.90 = 54.75; base = 54.75 - 1.10 + 15.00 = 68.65; reduced 61.11% -> 68.65 - 41.95 = 26.70; 12% = 3.20
  assert.deepEqual([b.vProd, b.vDesc, b.vFrete, b.icms?.vBC, b.icms?.vICMS], [
    '54.75',
    '1.10',
    '15.00',
    '26.70',
    '3.20',
  ]);
  assert.equal(b.pis?.group, 'PISNT');
  // item 3: ICMS60 retained 18% of 27.99 = 5.04
  assert.deepEqual([c.icms?.cst, c.icms?.vICMSSTRet, c.pis?.cst], ['60', '5.04', '04']);
  assert.deepEqual([d.icms?.orig, d.icms?.vICMS, d.pis?.value, d.cofins?.value], [
    '2',
    '139.96',
    '57.73',
    '265.92',
  ]);
  const t = n.totals;
  assert.equal(t.vProd, '3604.74');
  assert.equal(t.vICMS, '146.88');
  assert.equal(t.vST, '4.07');
  assert.equal(t.vIPI, '1.55');
  assert.equal(t.vDesc, '1.10');
  assert.equal(t.vFrete, '15.00');
  // vNF = vProd - vDesc + vST + vFrete + vIPI
  assert.equal(t.vNF, '3624.26');
  assert.deepEqual(t, { ...t, ...built.totals });
});

function assertMatchesBuilt(n: ParsedNfe, g: ReturnType<typeof generateNotes>[number]) {
  const s = g.spec;
  assert.equal(n.accessKey, g.accessKey);
  assert.ok(n.accessKeyValid);
  assert.deepEqual(n.warnings, [], `${g.accessKey}: ${JSON.stringify(n.warnings)}`);
  assert.equal(n.model, String(s.model));
  assert.equal(n.series, String(s.series));
  assert.equal(n.number, String(s.number));
  assert.equal(n.cNF, s.cNF);
  assert.equal(n.issuedAt, s.issuedAt);
  assert.equal(n.tpNF, String(s.tpNF));
  assert.equal(n.finNFe, String(s.finNFe ?? 1));
  assert.equal(n.natOp, s.natOp);
  assert.equal(n.issuer.cnpj, s.issuer.cnpj);
  assert.equal(n.issuer.crt, String(s.issuer.crt));
  assert.equal(n.issuer.uf, s.issuer.uf);
  assert.equal(n.recipient?.cnpj, s.recipient?.cnpj);
  assert.equal(n.recipient?.cpf, s.recipient?.cpf);
  assert.deepEqual(n.references, s.refKeys ?? []);
  assert.equal(n.items.length, s.items.length);
  let sum = 0n;
  for (let i = 0; i < s.items.length; i++) {
    const p = n.items[i], si = s.items[i], bi = g.items[i];
    assert.equal(p.nItem, i + 1);
    assert.equal(p.ncm, si.ncm.replace(/\./g, ''));
    assert.equal(p.cfop, si.cfop);
    assert.equal(p.qty, si.qty);
    assert.equal(p.unitPrice, si.unitPrice);
    assert.equal(p.vProd, bi.vProd);
    assert.equal(p.icms?.group, si.icms.group);
    assert.equal(p.icms?.cst, bi.icms.cst);
    assert.equal(p.icms?.csosn, bi.icms.csosn);
    if (bi.icms.cst === '00' || bi.icms.cst === '10' || bi.icms.cst === '20') {
      assert.equal(p.icms?.vICMS, bi.icms.vICMS);
    }
    if (bi.icms.cst === '10') assert.equal(p.icms?.vICMSST, bi.icms.vICMSST);
    if (bi.icms.csosn === '101') assert.equal(p.icms?.vCredICMSSN, bi.icms.vCredICMSSN);
    assert.equal(p.pis?.cst, si.pis.cst);
    assert.equal(p.cofins?.cst, si.cofins.cst);
    if (si.pis.cst === '01') assert.equal(p.pis?.value, bi.pis.vPIS);
    assert.equal(p.ipi?.cst, si.ipi?.cst);
    sum += toCents(p.vProd!);
  }
  // totals: equal to the builder's and consistent with the parsed items
  for (const [k, v] of Object.entries(g.totals)) {
    assert.equal(n.totals[k as keyof typeof n.totals], v, `totals.${k}`);
  }
  const t = n.totals;
  assert.equal(sum, toCents(t.vProd!));
  assert.equal(
    toCents(t.vNF!),
    toCents(t.vProd!) - toCents(t.vDesc!) + toCents(t.vST!) + toCents(t.vFrete!) + toCents(t.vIPI!),
  );
  assert.equal(n.protocol?.cStat, s.protocol?.cStat);
  assert.equal(n.protocol?.nProt, s.protocol?.nProt);
  assert.equal(n.cancelled, g.embeddedCancellation);
}

Deno.test('generated notes round-trip to their spec (300 notes, all kinds)', () => {
  const notes = generateNotes({
    seed: 20261110,
    count: 300,
    companyCnpj: COMPANY,
    cancelledShare: 0.1,
    correctionShare: 0.1,
  });
  const seen = {
    groups: new Set<string>(),
    pis: new Set<string>(),
    models: new Set<string>(),
    roles: new Set<string>(),
    tpNF: new Set<string>(),
  };
  let standaloneCancels = 0, corrections = 0, embedded = 0;
  for (const g of notes) {
    const n = only(g.xml);
    assertMatchesBuilt(n, g);
    for (const it of n.items) {
      seen.groups.add(it.icms!.group);
      seen.pis.add(it.pis!.cst!);
    }
    seen.models.add(n.model);
    seen.roles.add(g.companyRole);
    seen.tpNF.add(n.tpNF);
    if (g.embeddedCancellation) embedded++;
    for (const ev of g.events) {
      const doc = parseNfeDocument(ev.xml);
      assert.equal(doc.notes.length, 0);
      assert.equal(doc.events.length, 1);
      const e = doc.events[0];
      assert.equal(e.accessKey, g.accessKey);
      assert.equal(e.tpEvento, ev.tpEvento);
      assert.equal(e.registered, true);
      assert.equal(e.cancels, ev.tpEvento === '110111');
      if (ev.tpEvento === '110111') {
        standaloneCancels++;
        assert.equal(e.noteProtocol, g.spec.protocol?.nProt);
        assert.equal(g.cancelled, true);
      } else corrections++;
    }
  }
  for (const grp of ['ICMS00', 'ICMS10', 'ICMS20', 'ICMS60', 'ICMSSN101', 'ICMSSN102', 'ICMSSN500']) {
    assert.ok(seen.groups.has(grp), grp);
  }
  for (const cst of ['01', '04', '06']) assert.ok(seen.pis.has(cst), cst);
  assert.deepEqual([...seen.models].sort(), ['55', '65']);
  assert.deepEqual([...seen.roles].sort(), ['issuer', 'recipient']);
  assert.deepEqual([...seen.tpNF].sort(), ['0', '1']);
  assert.ok(
    standaloneCancels > 0 && corrections > 0 && embedded > 0,
    `${standaloneCancels}/${corrections}/${embedded}`,
  );
});

Deno.test('generator is deterministic per seed and NCMs include monophasic ones', () => {
  const a = generateNotes({ seed: 5, count: 40, companyCnpj: COMPANY });
  const b = generateNotes({ seed: 5, count: 40, companyCnpj: COMPANY });
  const c = generateNotes({ seed: 6, count: 40, companyCnpj: COMPANY });
  assert.deepEqual(a.map((n) => n.xml), b.map((n) => n.xml));
  assert.notDeepEqual(a.map((n) => n.xml), c.map((n) => n.xml));
  const ncms = new Set(
    generateNotes({ seed: 9, count: 200, companyCnpj: COMPANY }).flatMap((n) =>
      n.spec.items.map((i) => i.ncm)
    ),
  );
  for (const ncm of ['3004.90.99', '3305.10.00', '2202.10.00', '4011.10.00', '8708.29.99', '2710.12.59']) {
    assert.ok(ncms.has(ncm), ncm);
  }
  const avgItems = a.reduce((s, n) => s + n.items.length, 0) / a.length;
  assert.ok(avgItems >= 3, `several items per note (${avgItems})`);
});

Deno.test('layout variants: BOM, CRLF, pretty, no declaration, declaration without encoding, signature', () => {
  const plain = only(buildNfeXml(spec).xml);
  const variants = [
    { bom: true },
    { pretty: true, crlf: true },
    { pretty: true, declaration: 'none' as const },
    { declaration: 'bare' as const, repeatNamespace: false },
    { signature: true, pretty: true, bom: true, crlf: true },
  ];
  for (const fmt of variants) {
    const xml = buildNfeXml(spec, fmt).xml;
    const n = only(xml);
    assert.deepEqual(n, plain, JSON.stringify(fmt));
    assert.deepEqual(only(new TextEncoder().encode(xml)), plain, `bytes ${JSON.stringify(fmt)}`);
  }
});

Deno.test('namespaces: prefixed nfe:, missing (warning), repeated', () => {
  const plainXml = buildNfeXml({ ...spec, protocol: undefined }).xml;
  const plain = only(plainXml);
  const prefixed = plainXml
    .replace(/<(\/?)([A-Za-z])/g, '<$1nfe:$2')
    .replace(`xmlns="http://www.portalfiscal.inf.br/nfe"`, 'xmlns:nfe="http://www.portalfiscal.inf.br/nfe"');
  assert.match(prefixed, /<nfe:infNFe /);
  assert.deepEqual(only(prefixed), plain);
  const noNs = parseNfeDocument(plainXml.replace(/ xmlns="[^"]*"/g, ''));
  assert.deepEqual(noNs.notes[0], plain);
  assert.deepEqual(noNs.warnings.map((w) => w.code), ['NO_NAMESPACE']);
});

Deno.test('a single-line note over 100 KB with 300 items', () => {
  const items = Array.from({ length: 300 }, (_, i) => ({ ...spec.items[i % 4], cProd: `P${i}` }));
  const built = buildNfeXml({ ...spec, items }, { signature: true });
  assert.ok(built.xml.length > 100_000 && !built.xml.includes('\n<'), `${built.xml.length} bytes`);
  const n = only(built.xml);
  assert.equal(n.items.length, 300);
  assert.equal(n.items[299].cProd, 'P299');
  assert.equal(n.totals.vNF, built.totals.vNF);
});

Deno.test('enviNFe with 50 notes; a broken note is a failure, the others are read', () => {
  const gen = generateNotes({
    seed: 77,
    count: 50,
    companyCnpj: COMPANY,
    cancelledShare: 0,
    correctionShare: 0,
  });
  const { xml, notes } = buildEnviNFeXml(gen.map((g) => ({ ...g.spec, protocol: undefined })), {
    idLote: '42',
  });
  const doc = parseNfeDocument(xml);
  assert.equal(doc.root, 'enviNFe');
  assert.equal(doc.notes.length, 50);
  assert.deepEqual(doc.notes.map((n) => n.accessKey), notes.map((n) => n.accessKey));
  assert.ok(doc.notes.every((n) => n.protocol === undefined && n.warnings.length === 0));

  const broken = xml.replace(/<ide>.*?<\/ide>/, ''); // first note loses ide
  const d2 = parseNfeDocument(broken, { fileName: 'lote.xml' });
  assert.equal(d2.notes.length, 49);
  assert.equal(d2.failures.length, 1);
  assert.equal(d2.failures[0].index, 0);
  assert.equal(d2.failures[0].accessKey, notes[0].accessKey);
  assert.equal(d2.failures[0].error.code, 'NFE_INVALID');
  assert.equal(d2.failures[0].error.kind, 'data');
});

Deno.test('key disagreeing with ide/emit is a warning, not a failure', () => {
  const xml = buildNfeXml(spec).xml.replace('<nNF>4321</nNF>', '<nNF>4322</nNF>');
  const n = only(xml);
  assert.equal(n.number, '4322');
  assert.ok(n.accessKeyValid);
  assert.deepEqual(n.warnings.map((w) => w.code), ['KEY_MISMATCH']);
  assert.match(n.warnings[0].message, /nNF/);
});

Deno.test('alphanumeric issuer CNPJ (July 2026) gives a valid key with letters', () => {
  const built = buildNfeXml({ ...spec, issuer: { ...spec.issuer, cnpj: '12ABC34501DE35' } });
  assert.equal(built.accessKey.slice(6, 20), '12ABC34501DE35');
  const n = only(built.xml);
  assert.ok(n.accessKeyValid);
  assert.deepEqual(n.warnings, []);
  assert.equal(n.issuer.cnpj, '12ABC34501DE35');
});

Deno.test('events: procEventoNFe cancellation, CC-e, cancellation appended inside nfeProc, rejected event', () => {
  const built = buildNfeXml(spec);
  const base = { accessKey: built.accessKey, cnpj: spec.issuer.cnpj, at: '2026-11-10T16:00:00-03:00' };
  const cancel = parseNfeDocument(
    buildCancellationEventXml({ ...base, nProt: spec.protocol!.nProt }, { signature: true }),
  );
  assert.equal(cancel.root, 'procEventoNFe');
  const ev = cancel.events[0];
  assert.deepEqual(
    [ev.tpEvento, ev.cancels, ev.registered, ev.cStat, ev.noteProtocol, ev.at, ev.source, ev.author?.cnpj],
    [
      '110111',
      true,
      true,
      '135',
      '135260000000001',
      '2026-11-10T16:00:00-03:00',
      'procEventoNFe',
      spec.issuer.cnpj,
    ],
  );
  assert.ok(ev.justification && ev.justification.length >= 15);

  const cce = parseNfeDocument(
    buildCorrectionLetterXml({ ...base, seq: 2, correction: 'Endereco de entrega corrigido' }),
  ).events[0];
  assert.deepEqual([cce.tpEvento, cce.cancels, cce.registered, cce.seq, cce.correction], [
    '110110',
    false,
    true,
    '2',
    'Endereco de entrega corrigido',
  ]);

  const inside = only(appendCancellationToNfeProc(built.xml, base));
  assert.equal(inside.cancelled, true);
  assert.equal(inside.events.length, 1);
  assert.equal(inside.events[0].source, 'nfeProc');
  assert.equal(inside.protocol?.cStat, '100');

  const rejected =
    parseNfeDocument(buildCancellationEventXml({ ...base, nProt: '1', cStat: '573' })).events[0];
  assert.deepEqual([rejected.registered, rejected.cancels], [false, false]);
  assert.deepEqual(rejected.warnings.map((w) => w.code), ['EVENT_REJECTED']);
});

Deno.test('Latin-1 bytes declared as ISO-8859-1 decode with a warning', () => {
  const xml = buildNfeXml(spec, { declaration: 'none' }).xml;
  const latin = `<?xml version="1.0" encoding="ISO-8859-1"?>${xml}`;
  const bytes = Uint8Array.from(latin, (ch) => ch.charCodeAt(0));
  const doc = parseNfeDocument(bytes);
  assert.equal(doc.notes[0].issuer.name, 'Fornecedor Ação & Cia Ltda');
  assert.deepEqual(doc.warnings.map((w) => w.code), ['ENCODING']);
});

function assertDataError(fn: () => unknown, code: string, check?: (d: Record<string, unknown>) => void) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAppError(e), String(e));
    assert.equal(e.kind, 'data');
    assert.equal(e.code, code);
    assert.equal(e.status, 422);
    check?.(e.details ?? {});
    return true;
  });
}

Deno.test('typed errors: malformed (with position), not NF-e, oversize, empty, missing parts', () => {
  const xml = buildNfeXml(spec, { pretty: true }).xml;
  assertDataError(
    () => parseNfeDocument(xml.slice(0, 3000), { fileName: 'cortado.xml' }),
    'NFE_MALFORMED',
    (d) => {
      assert.equal(d.file, 'cortado.xml');
      assert.equal(typeof d.line, 'number');
    },
  );
  assertDataError(() => parseNfeDocument(xml.replace('</emit>', '</emitente>')), 'NFE_MALFORMED');
  assertDataError(
    () => parseNfeDocument('<?xml version="1.0"?><pedido><item>1</item></pedido>', { fileName: 'p.xml' }),
    'NFE_NOT_NFE',
    (d) => {
      assert.equal(d.root, 'pedido');
    },
  );
  assertDataError(() => parseNfeDocument('{"nfe": true}'), 'NFE_MALFORMED');
  assertDataError(
    () => parseNfeDocument(xml, { maxBytes: 1000 }),
    'NFE_OVERSIZE',
    (d) => assert.equal(d.limit, 1000),
  );
  assertDataError(() => parseNfeDocument('\uFEFF  \r\n'), 'NFE_EMPTY');
  assertDataError(() => parseNfeDocument(xml.replace(/<total>[\s\S]*<\/total>/, '')), 'NFE_INVALID');
  assertDataError(() => parseNfeDocument(xml.replace(/ Id="NFe\d+"/, '')), 'NFE_NO_KEY');
  assertDataError(() => parseNfeDocument('<a/><b/>'), 'NFE_MALFORMED');
});

Deno.test('bad decimals become warnings and are dropped, never NaN', () => {
  const xml = buildNfeXml(spec).xml.replace('<vFrete>15.00</vFrete>', '<vFrete>15,00</vFrete>');
  const n = only(xml);
  assert.equal(n.items[1].vFrete, undefined);
  assert.deepEqual(n.warnings.map((w) => w.code), ['BAD_DECIMAL']);
});

Deno.test('non-standard event wrappers: procEvento/retEnvEvento with nested retEvento; bare evento is not registered', () => {
  const key = buildNfeXml(spec).accessKey;
  const ns = 'http://www.portalfiscal.inf.br/nfe';
  const ret = (inner: string) =>
    `<retEvento versao="1.00"><infEvento><tpAmb>1</tpAmb><cOrgao>35</cOrgao><cStat>135</cStat><chNFe>${key}</chNFe><tpEvento>110111</tpEvento><nSeqEvento>1</nSeqEvento><dhRegEvento>2026-11-10T17:00:00-03:00</dhRegEvento><nProt>135260000000999</nProt></infEvento>${inner}</retEvento>`;
  const wrapped =
    `<procEvento xmlns="${ns}"><retEnvEvento versao="1.00"><idLote>1</idLote><cStat>128</cStat>${
      ret(ret(''))
    }</retEnvEvento></procEvento>`;
  const doc = parseNfeDocument(wrapped);
  assert.equal(doc.root, 'procEvento');
  assert.ok(doc.events.length >= 1);
  assert.ok(doc.events.every((e) => e.accessKey === key && e.cancels && e.source === 'retEnvEvento'));

  const bare =
    `<evento xmlns="${ns}" versao="1.00"><infEvento Id="ID110111${key}01"><cOrgao>35</cOrgao><tpAmb>1</tpAmb><CNPJ>58716523000119</CNPJ><chNFe>${key}</chNFe><dhEvento>2026-11-10T16:00:00-03:00</dhEvento><tpEvento>110111</tpEvento><nSeqEvento>1</nSeqEvento><verEvento>1.00</verEvento><detEvento versao="1.00"><descEvento>Cancelamento</descEvento><nProt>135260000000001</nProt><xJust>Erro na emissao da nota fiscal</xJust></detEvento></infEvento></evento>`;
  const e = parseNfeDocument(bare).events[0];
  assert.deepEqual([e.source, e.registered, e.cancels, e.warnings.map((w) => w.code)], [
    'evento',
    false,
    false,
    ['EVENT_NOT_REGISTERED'],
  ]);

  const noKey = bare.replace(/<chNFe>\d+<\/chNFe>/, '');
  assertDataError(() => parseNfeDocument(noKey), 'NFE_EVENT_INVALID');
});

Deno.test('a cancellation event and its note in one document: the note is cancelled', () => {
  const built = buildNfeXml(spec);
  const ev = buildCancellationEventXml({
    accessKey: built.accessKey,
    cnpj: spec.issuer.cnpj,
    at: '2026-11-10T16:00:00-03:00',
    nProt: '1',
  }, {
    declaration: 'none',
  });
  const xml = `<lote>${built.xml.replace(/^<\?xml[^>]*>/, '')}${ev}</lote>`;
  const doc = parseNfeDocument(xml);
  assert.equal(doc.notes[0].cancelled, true);
  assert.equal(doc.events.length, 0);
});

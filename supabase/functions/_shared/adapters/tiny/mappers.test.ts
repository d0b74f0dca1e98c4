/** Tiny v2 mappers and signals replayed on the recorded fixtures (each names its public source). */
import assert from 'node:assert/strict';
import { isEmptyResult, tinyInspector } from './client.ts';
import {
  decimalString,
  mapTinyCompany,
  mapTinyProduct,
  mapTinyTitle,
  NOTE_SITUACOES_WITH_XML,
  tinyDate,
  tinyRegime,
  unwrapTinyXml,
} from './mappers.ts';
import {
  TinyAccountInfoSchema,
  TinyEnvelopeSchema,
  TinyNoteSummarySchema,
  TinyProductSchema,
  TinyProductSummarySchema,
  TinyTitleSchema,
  TinyTitleSummarySchema,
} from './schemas.ts';
import { nfeXmlProblem } from '../common/xml.ts';

const read = (name: string) => Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const fixture = (name: string) => JSON.parse(read(name));

function inspectInput(text: string) {
  return {
    status: 200,
    headers: new Headers(),
    text,
    json: () => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    },
    facts: { provider: 'tiny', method: 'POST', path: '/x.php' },
  };
}

Deno.test('tiny: wrapped list items parse; numbers as strings; page count', () => {
  const env = TinyEnvelopeSchema.parse(fixture('notas-pesquisa.json'));
  assert.equal(env.retorno.numero_paginas, '2');
  const notes = fixture('notas-pesquisa.json').retorno.notas_fiscais.map((w: { nota_fiscal: unknown }) =>
    TinyNoteSummarySchema.parse(w.nota_fiscal)
  );
  assert.equal(notes[0].id, '354221001');
  assert.ok(NOTE_SITUACOES_WITH_XML.has(notes[0].situacao!));
  assert.ok(!NOTE_SITUACOES_WITH_XML.has(notes[1].situacao!), 'pending note skipped');
  const prods = fixture('produtos-pesquisa.json').retorno.produtos.map((w: { produto: unknown }) =>
    TinyProductSummarySchema.parse(w.produto)
  );
  assert.equal(prods[0].id, '46829062');
  TinyTitleSummarySchema.parse(fixture('contas-receber-pesquisa.json').retorno.contas[0].conta);
});

Deno.test('tiny: nota.fiscal.obter.xml.php envelope → nfeProc and cancellation, byte for byte', () => {
  const body = read('nota-obter-xml.xml');
  const { nfe, cancellation } = unwrapTinyXml(body);
  assert.ok(nfe!.startsWith('<nfeProc'));
  assert.ok(nfe!.endsWith('</nfeProc>'));
  assert.equal(nfeXmlProblem(nfe!), null);
  assert.ok(cancellation!.startsWith('<procEventoNFe'));
  assert.equal(nfeXmlProblem(cancellation!, { events: true }), null);
  assert.deepEqual(unwrapTinyXml('<retorno><status>OK</status></retorno>'), {
    nfe: null,
    cancellation: null,
  });
  assert.equal(
    unwrapTinyXml('<retorno><xml_nfe><![CDATA[<nfeProc/>]]></xml_nfe></retorno>').nfe,
    '<nfeProc/>',
  );
  // The XML endpoint reports errors in XML too.
  const sig = tinyInspector(inspectInput(read('nota-obter-xml-erro.xml')));
  assert.ok(sig && sig.signal === 'auth' && sig.code === 'TINY_TOKEN_INVALID');
  assert.equal(tinyInspector(inspectInput(body)), undefined);
});

Deno.test('tiny: product detail → Product (NCM dotted → digits, price string kept exact)', () => {
  const p = mapTinyProduct(TinyProductSchema.parse(fixture('produto-obter.json').retorno.produto));
  assert.deepEqual(p, {
    externalId: '46829062',
    code: '3305003',
    name: 'SHAMPOO ANTICASPA 400ML',
    ncm: '33051000',
    cest: '2003000',
    unit: 'UN',
    price: '19.50',
    active: true,
  });
});

Deno.test('tiny: titles → FinancialEntry (competence mm/yyyy, Brazilian decimals, category name → DRE)', () => {
  const rec = mapTinyTitle(
    'receivable',
    TinyTitleSchema.parse(fixture('conta-receber-obter.json').retorno.conta),
    '2026-03-01',
  );
  assert.deepEqual(rec, {
    externalId: 'receber:559871234',
    kind: 'receivable',
    date: '2026-01-01',
    amount: '1500.50',
    status: 'overdue',
    categoryId: 'Vendas de mercadorias',
    categoryName: 'Vendas de mercadorias',
    dreLine: 'receita_bruta',
    dreRule: 'mapping:receita',
    description: 'Ref. NF 321',
  });
  const pay = mapTinyTitle(
    'payable',
    TinyTitleSchema.parse(fixture('conta-pagar-obter.json').retorno.conta),
    '2026-03-01',
  );
  assert.equal(pay.amount, '1234.56');
  assert.equal(pay.status, 'paid');
  assert.equal(pay.date, '2026-01-05');
  assert.equal(pay.dreLine, 'despesas_operacionais');
});

Deno.test('tiny: info.php → profile with regime/CRT from text; CNAE unavailable', () => {
  const c = mapTinyCompany(TinyAccountInfoSchema.parse(fixture('info.json').retorno.conta));
  assert.equal(c.cnpj, '12345678000195');
  assert.equal(c.taxRegime, 'simples_nacional');
  assert.equal(c.crt, 1);
  assert.equal(c.uf, 'PR');
  assert.equal(c.city, 'Curitiba');
  assert.deepEqual(c.unavailable, ['cnae']);
  assert.deepEqual(tinyRegime('Simples Nacional - excesso de sublimite de receita bruta'), {
    taxRegime: 'simples_nacional',
    crt: 2,
  });
  assert.deepEqual(tinyRegime('Regime Normal'), { taxRegime: 'unknown', crt: 3 });
  assert.deepEqual(tinyRegime('Lucro Presumido'), { taxRegime: 'lucro_presumido', crt: 3 });
  assert.deepEqual(tinyRegime('MEI'), { taxRegime: 'mei', crt: 4 });
  assert.deepEqual(tinyRegime(''), { taxRegime: 'unknown', crt: null });
});

Deno.test('tiny: HTTP 200 error envelopes → signals; empty result is not an error', () => {
  const token = tinyInspector(inspectInput(read('erro-token.json')));
  assert.ok(token && token.signal === 'auth');
  const blocked = tinyInspector(inspectInput(read('erro-bloqueada.json')));
  assert.ok(blocked && blocked.signal === 'rate_limited' && blocked.code === 'TINY_API_BLOCKED');
  assert.equal(blocked.retryAfterMs, 60_000);
  const conc = tinyInspector(inspectInput(read('erro-concorrencia.json')));
  assert.ok(conc && conc.signal === 'rate_limited' && conc.code === 'TINY_TOO_MANY_CONCURRENT');
  assert.equal(tinyInspector(inspectInput(read('erro-vazio.json'))), undefined);
  assert.ok(isEmptyResult(TinyEnvelopeSchema.parse(fixture('erro-vazio.json'))));
  assert.equal(tinyInspector(inspectInput(read('info.json'))), undefined);
  assert.equal(
    tinyInspector(inspectInput('{"broken')),
    undefined,
    'malformed bodies are left to json() (data error)',
  );
});

Deno.test('tiny: decimals and dates without floats', () => {
  assert.equal(decimalString('10.5'), '10.50');
  assert.equal(decimalString('1.234,56'), '1234.56');
  assert.equal(decimalString('0.005'), '0.01');
  assert.equal(decimalString('abc'), null);
  assert.equal(tinyDate('31/12/2025'), '2025-12-31');
  assert.equal(tinyDate('12/2025'), '2025-12-01');
  assert.equal(tinyDate('2025-12-31 10:00:00'), '2025-12-31');
  assert.equal(tinyDate(''), null);
});

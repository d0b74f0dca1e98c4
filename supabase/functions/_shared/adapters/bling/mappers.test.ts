/** Bling mappers and error signals replayed on the recorded fixtures (each names its public source). */
import assert from 'node:assert/strict';
import { nfeXmlProblem } from '../common/xml.ts';
import { blingInspector, msUntilBrasiliaMidnight } from './client.ts';
import {
  decodeBlingDocumento,
  indexCategories,
  mapBlingCompany,
  mapBlingProduct,
  mapBlingTitle,
  NFE_SITUACOES_WITH_XML,
  nfeOrigin,
} from './mappers.ts';
import {
  BlingCategorySchema,
  BlingCompanySchema,
  BlingDocumentoSchema,
  BlingListSchema,
  BlingNfeDetailSchema,
  BlingNfeListItemSchema,
  BlingProductDetailSchema,
  BlingProductListItemSchema,
  BlingTitleDetailSchema,
  BlingTitleListItemSchema,
} from './schemas.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const detailData = (name: string) => fixture(name).data;

Deno.test('bling: NF-e list items parse; origin from tipo; only situations with an XML are fetched', () => {
  const list = BlingListSchema.parse(fixture('nfe-list.json')).data.map((i) =>
    BlingNfeListItemSchema.parse(i)
  );
  assert.equal(list[0].id, '12345678901');
  assert.equal(nfeOrigin(list[0].tipo), 'issued');
  assert.equal(nfeOrigin(list[1].tipo), 'received');
  assert.ok(NFE_SITUACOES_WITH_XML.has(list[0].situacao));
  assert.ok(!NFE_SITUACOES_WITH_XML.has(list[1].situacao), 'pending note skipped');
  const detail = BlingNfeDetailSchema.parse(detailData('nfe-detail.json'));
  assert.match(detail.xml!, /^https:\/\/www\.bling\.com\.br\/relatorios\/nfe\.xml\.php\?chaveAcesso=/);
});

Deno.test('bling: /nfe/documento base64(gzip(xml)) decodes to the NF-e', async () => {
  const doc = BlingDocumentoSchema.parse(fixture('nfe-documento.json'));
  const xml = await decodeBlingDocumento(doc.data[0].conteudo);
  assert.ok(xml.startsWith('<?xml'));
  assert.equal(nfeXmlProblem(xml), null);
  assert.match(nfeXmlProblem(xml.slice(0, 120)) ?? '', /XML malformado/);
  assert.equal(nfeXmlProblem('{"json":true}'), 'conteúdo não é XML');
  await assert.rejects(() => decodeBlingDocumento('H4sI!!!not-base64'));
});

Deno.test('bling: product detail → Product with NCM/CEST normalised; list has no NCM', () => {
  const list = BlingListSchema.parse(fixture('produtos-list.json')).data.map((i) =>
    BlingProductListItemSchema.parse(i)
  );
  assert.equal(list.length, 2);
  assert.ok(!('tributacao' in (fixture('produtos-list.json').data[0])));
  const p = mapBlingProduct(BlingProductDetailSchema.parse(detailData('produto-detail.json')));
  assert.deepEqual(p, {
    externalId: '16000000101',
    code: '3004000',
    name: 'DIPIRONA SODICA 500MG CX 10 COMP',
    ncm: '30049099',
    cest: '1300100',
    unit: 'CX',
    price: '12.90',
    active: true,
  });
});

Deno.test('bling: titles → FinancialEntry with competence, category hierarchy and DRE line', () => {
  const cats = indexCategories(
    BlingListSchema.parse(fixture('categorias.json')).data.map((c) => BlingCategorySchema.parse(c)),
  );
  BlingTitleListItemSchema.parse(fixture('contas-receber-list.json').data[0]);
  const rec = mapBlingTitle(
    'receivable',
    BlingTitleDetailSchema.parse(detailData('conta-receber-detail.json')),
    cats,
    '2026-03-01',
  );
  assert.deepEqual(rec, {
    externalId: 'receber:17000000201',
    kind: 'receivable',
    date: '2026-01-10',
    amount: '1500.50',
    status: 'overdue',
    categoryId: '14000011',
    categoryName: 'Vendas de mercadorias',
    dreLine: 'receita_bruta',
    dreRule: 'mapping:receita',
    description: 'Ref. NF 1234',
  });
  const pay = mapBlingTitle(
    'payable',
    BlingTitleDetailSchema.parse(detailData('conta-pagar-detail.json')),
    cats,
    '2026-03-01',
  );
  assert.equal(pay.status, 'paid');
  assert.equal(pay.amount, '320.00');
  assert.equal(pay.date, '2026-01-01');
  assert.equal(pay.dreLine, 'despesas_operacionais');
  // A category whose own name says nothing inherits from its parent.
  const odd = mapBlingTitle(
    'payable',
    { ...BlingTitleDetailSchema.parse(detailData('conta-pagar-detail.json')), categoria: { id: '14000024' } },
    cats,
    '2026-03-01',
  );
  assert.equal(odd.dreRule, 'mapping:parent:despesas');
  // No category → not classified, never guessed.
  const none = mapBlingTitle(
    'payable',
    { ...BlingTitleDetailSchema.parse(detailData('conta-pagar-detail.json')), categoria: { id: '0' } },
    cats,
    '2026-03-01',
  );
  assert.equal(none.dreLine, 'nao_classificado');
  assert.equal(none.categoryId, null);
});

Deno.test('bling: company → CNPJ digits; regime/CRT/CNAE/UF/city reported unavailable', () => {
  const c = mapBlingCompany(BlingCompanySchema.parse(detailData('empresa.json')));
  assert.equal(c.cnpj, '12345678000195');
  assert.equal(c.legalName, 'Farmácia Exemplo Ltda');
  assert.equal(c.taxRegime, 'unknown');
  assert.equal(c.crt, null);
  assert.deepEqual(c.unavailable.sort(), ['city', 'cnae', 'crt', 'taxRegime', 'tradeName', 'uf']);
});

Deno.test('bling: error envelopes → provider signals', () => {
  const now = Date.UTC(2026, 0, 10, 15, 0, 0); // 12:00 in Brasília
  const inspect = blingInspector(() => now);
  const input = (status: number, name: string, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(fixture(name));
    return {
      status,
      headers: new Headers(headers),
      text,
      json: () => JSON.parse(text),
      facts: { provider: 'bling', method: 'GET', path: '/nfe' },
    };
  };
  const second = inspect(input(429, 'error-429-second.json'));
  assert.deepEqual(second && second.signal === 'rate_limited' && [second.code, second.retryAfterMs], [
    'BLING_RATE_LIMIT',
    1000,
  ]);
  const withHeader = inspect(input(429, 'error-429-second.json', { 'retry-after': '4' }));
  assert.equal(withHeader && withHeader.signal !== 'ok' && withHeader.retryAfterMs, 4000);
  const day = inspect(input(429, 'error-429-day.json'));
  assert.ok(day && day.signal === 'rate_limited' && day.code === 'BLING_DAILY_LIMIT');
  assert.equal(day.retryAfterMs, msUntilBrasiliaMidnight(now));
  assert.equal(msUntilBrasiliaMidnight(now), 12 * 3_600_000 + 1000);
  const auth = inspect(input(401, 'error-401.json'));
  assert.ok(auth && auth.signal === 'auth' && auth.code === 'BLING_INVALID_TOKEN');
  const data = inspect(input(400, 'error-validation.json'));
  assert.ok(data && data.signal === 'data' && data.code === 'BLING_VALIDATION_ERROR');
  const nf = inspect(input(404, 'error-404.json'));
  assert.ok(nf && nf.signal === 'data' && nf.code === 'BLING_RESOURCE_NOT_FOUND');
  assert.equal(inspect(input(200, 'empresa.json')), undefined);
});

/**
 * Conta Azul mapper tests: replay the recorded responses (each fixture names its public source: Conta Azul's
 * OpenAPI documents), field names as the API spells them.
 */
import assert from 'node:assert/strict';
import {
  buildCaDreResolver,
  caDate,
  extractXml,
  mapCaContaConectada,
  mapCaEvento,
  mapCaNfe,
  mapCaProduct,
  mapCaStatus,
  parseCaCategoria,
  parseNotaFiscal,
  parseProdutoResumo,
  splitWindow,
} from './mappers.ts';
import { sharedDreFallback } from '../common/dre.ts';
import { addDays } from '../common/normalize.ts';
import {
  CaBuscarResponseSchema,
  type CaCategoria,
  CaCategoriasDreResponseSchema,
  CaCategoriasResponseSchema,
  CaContaConectadaSchema,
  CaNotasFiscaisResponseSchema,
  CaProdutosResponseSchema,
} from './schemas.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
const xmlFixture = Deno.readTextFileSync(new URL('./fixtures/nota-fiscal.xml', import.meta.url));

Deno.test('conta azul windows: ≤15-day inclusive chunks cover the window exactly', () => {
  assert.deepEqual(splitWindow({ from: '2026-01-01', to: '2026-01-31' }), [
    { from: '2026-01-01', to: '2026-01-15' },
    { from: '2026-01-16', to: '2026-01-30' },
    { from: '2026-01-31', to: '2026-01-31' },
  ]);
  assert.deepEqual(splitWindow({ from: '2026-02-20', to: '2026-03-01' }), [{
    from: '2026-02-20',
    to: '2026-03-01',
  }]);
  assert.deepEqual(splitWindow({ from: '2026-03-02', to: '2026-03-01' }), []);
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(caDate('2026-01-15T10:31:00'), '2026-01-15');
  assert.equal(caDate('15/01/2026'), null);
});

Deno.test('conta azul notas-fiscais list + XML by chave_acesso → issued NfeDocument', () => {
  const f = fixture('notas-fiscais');
  const page = CaNotasFiscaisResponseSchema.parse(f.response);
  assert.equal(page.paginacao?.total_paginas, 1);
  const items = page.itens.map(parseNotaFiscal);
  assert.equal(items.filter((i) => i.ok).length, 2);
  const bad = items[2];
  assert.ok(!bad.ok);
  assert.equal(bad.error.kind, 'data');

  const first = items[0];
  assert.ok(first.ok);
  const doc = mapCaNfe(first.value, xmlFixture, 'application/xml');
  assert.ok(doc.ok);
  assert.equal(doc.value.externalId, '35260111222333000181550010000012341000000018');
  assert.equal(doc.value.accessKey, doc.value.externalId);
  assert.equal(doc.value.origin, 'issued');
  assert.match(doc.value.xml, /<infNFe Id="NFe3526/);

  // some clients read the XML endpoint as JSON: accepted when a string field holds the XML
  assert.match(extractXml(JSON.stringify(f.xmlResponseJson), 'application/json')!, /^<nfeProc>/);
  const broken = mapCaNfe(first.value, '<nfeProc><NFe><infNFe Id="x"></nfeProc>', 'text/xml');
  assert.ok(!broken.ok);
  assert.equal(broken.error.code, 'CONTA_AZUL_BAD_XML');
  assert.equal(broken.externalId, first.value.chave_acesso);
  const html = mapCaNfe(first.value, '<html>erro</html>', 'text/html');
  assert.ok(!html.ok);
});

Deno.test('conta azul produtos: list has no NCM; detail gives fiscal.ncm.codigo', () => {
  const f = fixture('produtos');
  const list = CaProdutosResponseSchema.parse(f.list.response);
  assert.equal(list.totalItems, 3);
  const resumos = list.items.map(parseProdutoResumo);
  assert.equal(resumos.filter((r) => r.ok).length, 2);
  assert.ok(!resumos[2].ok);

  const beer = mapCaProduct(f.details['0b5a9e1c-1111-4a4a-8c8c-000000000001']);
  assert.ok(beer.ok);
  assert.deepEqual(beer.value, {
    externalId: '0b5a9e1c-1111-4a4a-8c8c-000000000001',
    code: 'CERV-350',
    name: 'CERVEJA LATA 350ML',
    ncm: '22030000', // monophasic PIS/COFINS (beer)
    cest: '0302100',
    unit: 'UN',
    price: '4.99',
    active: true,
  });
  const tyre = mapCaProduct(f.details['0b5a9e1c-1111-4a4a-8c8c-000000000002']);
  assert.ok(tyre.ok);
  assert.equal(tyre.value.ncm, '40111000');
  assert.equal(tyre.value.cest, null);
  assert.equal(tyre.value.unit, null);
  assert.equal(tyre.value.active, false);
  assert.equal(tyre.value.price, '389.90');
  assert.ok(!mapCaProduct({ id: 'x' }).ok); // no nome
});

function resolver() {
  const cats = CaCategoriasResponseSchema.parse(fixture('categorias').response).itens.map(parseCaCategoria)
    .flatMap((r) => (r.ok ? [r.value as CaCategoria] : []));
  const tree = CaCategoriasDreResponseSchema.parse(fixture('categorias-dre').response).itens;
  return buildCaDreResolver(cats, tree, sharedDreFallback);
}

Deno.test('conta azul DRE: entrada_dre first, then categorias-dre tree, then parent, then fallback', () => {
  const r = resolver();
  assert.deepEqual(r({ id: 'ca7e0000-0000-4000-8000-000000000007' }, 'receivable'), {
    categoryName: 'Vendas de produtos',
    line: 'receita_bruta',
    rule: 'conta_azul:entrada_dre=RECEITA_VENDA_PRODUTOS_SERVICOS',
  });
  assert.equal(r({ id: 'ca7e0000-0000-4000-8000-000000000002' }, 'payable').line, 'deducoes');
  assert.equal(r({ id: 'ca7e0000-0000-4000-8000-000000000004' }, 'payable').line, 'resultado_financeiro'); // DESPESSAS_FINANCEIRAS (sic)
  // no entrada_dre: the DRE tree says "Mercadorias" (nothing) under "Custos Operacionais"
  assert.deepEqual(r({ id: 'ca7e0000-0000-4000-8000-000000000003' }, 'payable'), {
    categoryName: 'Fornecedores de mercadoria',
    line: 'custos',
    rule: 'conta_azul:categorias-dre=custos operacionais',
  });
  // root "Receitas" has nothing of its own and the shared mapping does not guess from "Receitas" alone
  assert.deepEqual(r({ id: 'ca7e0000-0000-4000-8000-000000000006' }, 'receivable'), {
    categoryName: 'Receitas',
    line: 'nao_classificado',
    rule: 'mapping:none',
  });
  assert.deepEqual(r({ id: 'ca7e0000-0000-4000-8000-000000000005' }, 'payable'), {
    categoryName: 'Diversos',
    line: 'nao_classificado',
    rule: 'mapping:none',
  });
  assert.deepEqual(r({ id: 'unknown', nome: 'Aluguel da loja' }, 'payable'), {
    categoryName: 'Aluguel da loja',
    line: 'despesas_operacionais',
    rule: 'mapping:despesas',
  });
  assert.equal(r(null, 'payable').line, 'nao_classificado');
});

Deno.test('conta azul contas-a-receber/buscar → receivable entries (competence date, status vocabularies)', () => {
  const r = resolver();
  const page = CaBuscarResponseSchema.parse(fixture('contas-a-receber').response);
  assert.equal(page.itens_totais, 4);
  const out = page.itens.map((i) => mapCaEvento(i, 'receivable', r));
  const [a, b, c, d] = out;
  assert.ok(a.ok && b.ok && c.ok);
  assert.deepEqual(a.value, {
    externalId: 'rcv-0001',
    kind: 'receivable',
    date: '2026-01-15',
    amount: '150.00',
    status: 'paid',
    categoryId: 'ca7e0000-0000-4000-8000-000000000007',
    categoryName: 'Vendas de produtos',
    dreLine: 'receita_bruta',
    dreRule: 'conta_azul:entrada_dre=RECEITA_VENDA_PRODUTOS_SERVICOS',
    description: 'Venda 1234',
  });
  assert.equal(b.value.status, 'open'); // status_traduzido "Em aberto"
  assert.equal(b.value.amount, '500.05');
  assert.match(b.value.dreRule, /;categorias=2$/);
  assert.equal(c.value.date, '2026-01-05'); // no competence → due date
  assert.equal(c.value.status, 'overdue');
  assert.equal(c.value.dreLine, 'nao_classificado');
  assert.ok(!d.ok);
  assert.equal(d.externalId, 'rcv-0004');
});

Deno.test('conta azul contas-a-pagar/buscar → payable entries', () => {
  const r = resolver();
  const page = CaBuscarResponseSchema.parse(fixture('contas-a-pagar').response);
  const flat = page.itens.map((i) => mapCaEvento(i, 'payable', r)).flatMap((x) => (x.ok ? [x.value] : []));
  assert.deepEqual(flat.map((e) => [e.externalId, e.date, e.amount, e.status, e.dreLine]), [
    ['pay-0001', '2026-01-31', '812.40', 'open', 'deducoes'],
    ['pay-0002', '2026-01-01', '3200.00', 'paid', 'despesas_operacionais'],
    ['pay-0003', '2026-01-10', '2000.00', 'partial', 'custos'],
    ['pay-0004', '2026-01-25', '12.30', 'cancelled', 'resultado_financeiro'],
    ['pay-0005', '2026-01-28', '9.90', 'cancelled', 'nao_classificado'],
  ]);
  assert.equal(mapCaStatus('PENDENTE'), 'open');
  assert.equal(mapCaStatus('QUITADO'), 'paid');
  assert.equal(mapCaStatus('Recebido parcial'), 'partial');
});

Deno.test('conta azul conta-conectada → profile with regime/CRT/CNAE declared unavailable', () => {
  const c = CaContaConectadaSchema.parse(fixture('conta-conectada').response);
  assert.deepEqual(mapCaContaConectada(c), {
    cnpj: '11222333000181',
    legalName: 'LOJA EXEMPLO LTDA',
    tradeName: 'Loja Exemplo',
    taxRegime: 'unknown',
    crt: null,
    cnae: null,
    uf: null,
    city: null,
    unavailable: ['taxRegime', 'crt', 'cnae', 'uf', 'city'],
  });
});

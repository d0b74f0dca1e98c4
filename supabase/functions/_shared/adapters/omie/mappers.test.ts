/**
 * Omie mapper tests: replay the recorded responses (each fixture names its public source)
 * (fixtures/*.json, field names as Omie spells them) through the pure mappers.
 */
import assert from 'node:assert/strict';
import {
  buildOmieDreResolver,
  isoToOmieDate,
  mapOmieConta,
  mapOmieEmpresa,
  mapOmieIssuedNfe,
  mapOmieProduct,
  mapOmieReceivedNfe,
  mapOmieStatus,
  omieDateToIso,
  parseCategoria,
  parseDocumentoItem,
  parseDreLinha,
  parseListarNfItem,
  parseRecebimentoItem,
  pickOmieEmpresa,
} from './mappers.ts';
import { dreLineFromText, sharedDreFallback } from '../common/dre.ts';
import { normalizeNcm, toDecimalString } from '../common/normalize.ts';
import { nfeXmlProblem } from '../common/xml.ts';
import {
  OmieListarCadastroDREResponseSchema,
  OmieListarCategoriasResponseSchema,
  OmieListarContasPagarResponseSchema,
  OmieListarContasReceberResponseSchema,
  OmieListarDocumentosResponseSchema,
  OmieListarEmpresasResponseSchema,
  OmieListarNFResponseSchema,
  OmieListarProdutosResponseSchema,
  OmieListarRecebimentosResponseSchema,
  OmieObterNfeResponseSchema,
} from './schemas.ts';
import type { OmieCategoria, OmieDreLinha } from './schemas.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));

Deno.test('omie scalars: dates, NCM, decimals', () => {
  assert.equal(omieDateToIso('15/01/2026'), '2026-01-15');
  assert.equal(omieDateToIso('31/13/2026'), null);
  assert.equal(omieDateToIso(''), null);
  assert.equal(isoToOmieDate('2026-01-05'), '05/01/2026');
  assert.equal(normalizeNcm('2201.10.00'), '22011000');
  assert.equal(normalizeNcm('2201'), null);
  assert.equal(toDecimalString(1.5, 2), '1.50');
  assert.equal(toDecimalString(1000.1, 2), '1000.10');
  assert.equal(toDecimalString(0.1 + 0.2), '0.30000000000000004'); // as sent, never re-rounded silently
  assert.equal(toDecimalString(1e21), '1000000000000000000000');
  assert.equal(toDecimalString(1e-7), '0.0000001');
  assert.equal(toDecimalString('12,34'), '12.34');
  assert.equal(toDecimalString('abc'), null);
});

Deno.test('omie ListarNF + ObterNfe → issued NfeDocument; bad items fail alone', () => {
  const f = fixture('listar-nf');
  const page = OmieListarNFResponseSchema.parse(f.response);
  assert.equal(page.total_de_paginas, 1);
  const items = page.nfCadastro.map(parseListarNfItem);
  assert.equal(items.filter((i) => i.ok).length, 2);
  const bad = items[2];
  assert.ok(!bad.ok);
  assert.equal(bad.error.kind, 'data');

  const first = items[0];
  assert.ok(first.ok);
  const obter = fixture('obter-nfe');
  const doc = mapOmieIssuedNfe(first.value, OmieObterNfeResponseSchema.parse(obter.response));
  assert.ok(doc.ok);
  assert.equal(doc.value.externalId, '3160501');
  assert.equal(doc.value.origin, 'issued');
  assert.equal(doc.value.accessKey, '35260111222333000181550010000012341000000018');
  assert.match(doc.value.xml, /^<\?xml/);

  const second = items[1];
  assert.ok(second.ok);
  const unavailable = mapOmieIssuedNfe(second.value, OmieObterNfeResponseSchema.parse(obter.responseError));
  assert.ok(!unavailable.ok);
  assert.equal(unavailable.error.code, 'OMIE_XML_UNAVAILABLE');
  assert.equal(unavailable.externalId, '3160502');

  const malformed = mapOmieIssuedNfe(first.value, OmieObterNfeResponseSchema.parse(obter.responseMalformed));
  assert.ok(!malformed.ok);
  assert.equal(malformed.error.kind, 'data');
  assert.equal(malformed.error.code, 'OMIE_BAD_XML');
});

Deno.test('omie ListarRecebimentos + ListarDocumentos → received NfeDocument', () => {
  const rec = OmieListarRecebimentosResponseSchema.parse(fixture('listar-recebimentos').response);
  const docs = OmieListarDocumentosResponseSchema.parse(fixture('listar-documentos').response);
  const r = parseRecebimentoItem(rec.recebimentos[0]);
  const d = parseDocumentoItem(docs.documentosEncontrados[0]);
  assert.ok(r.ok && d.ok);
  const out = mapOmieReceivedNfe(r.value, d.value);
  assert.ok(out.ok);
  assert.deepEqual(
    { ...out.value, xml: out.value.xml.slice(0, 5) },
    {
      externalId: 'receb:4200001',
      accessKey: '35260144455566000199550010000009871000000028',
      origin: 'received',
      xml: '<?xml',
    },
  );
  const missing = mapOmieReceivedNfe(r.value, null);
  assert.ok(!missing.ok);
  assert.equal(missing.error.code, 'OMIE_XML_NOT_FOUND');
});

Deno.test('nfeXmlProblem flags garbage, accepts an nfeProc', () => {
  assert.equal(nfeXmlProblem(''), 'XML vazio');
  assert.equal(nfeXmlProblem('{"not":"xml"}'), 'conteúdo não é XML');
  assert.equal(nfeXmlProblem('<a/>'), 'XML sem infNFe');
  assert.match(nfeXmlProblem('<NFe><infNFe Id="1"><ide></NFe>')!, /malformado/);
  assert.equal(nfeXmlProblem('<NFe xmlns="http://www.portalfiscal.inf.br/nfe"><infNFe Id="1"/></NFe>'), null);
});

Deno.test('omie ListarProdutos → Product with NCM from the list', () => {
  const page = OmieListarProdutosResponseSchema.parse(fixture('listar-produtos').response);
  assert.equal(page.total_de_paginas, 3);
  const out = page.produto_servico_cadastro.map(mapOmieProduct);
  const [agua, shampoo, servico, bad] = out;
  assert.ok(agua.ok && shampoo.ok && servico.ok);
  assert.deepEqual(agua.value, {
    externalId: '3160001',
    code: 'PRD-001',
    name: 'AGUA MINERAL 500ML',
    ncm: '22011000',
    cest: '0300100',
    unit: 'UN',
    price: '1.50',
    active: true,
  });
  assert.equal(shampoo.value.ncm, '33051000');
  assert.equal(servico.value.ncm, null); // '0000.00.00' = no NCM (service)
  assert.equal(servico.value.active, false);
  assert.ok(!bad.ok);
  assert.equal(bad.externalId, '3160004');
  assert.equal(bad.error.kind, 'data');
});

function resolverFromFixtures() {
  const cats = OmieListarCategoriasResponseSchema.parse(fixture('listar-categorias').response)
    .categoria_cadastro
    .map(parseCategoria).filter((r) => r.ok).map((r) => (r as { value: OmieCategoria }).value);
  const dre = OmieListarCadastroDREResponseSchema.parse(fixture('listar-cadastro-dre').response).dreLista
    .map(parseDreLinha).filter((r) => r.ok).map((r) => (r as { value: OmieDreLinha }).value);
  return buildOmieDreResolver(cats, dre, sharedDreFallback);
}

Deno.test('omie DRE resolver: codigo_dre first, hierarchy, hidden lines, transfers, fallback', () => {
  const resolve = resolverFromFixtures();
  assert.deepEqual(resolve('1.01.01', 'receivable'), {
    categoryName: 'Vendas de Produtos',
    line: 'receita_bruta',
    rule: 'omie:codigo_dre=1.01',
  });
  // no dadosDRE on the category: description comes from ListarCadastroDRE
  assert.equal(resolve('1.01.02', 'receivable').line, 'receita_bruta');
  assert.equal(resolve('2.01.01', 'payable').line, 'custos');
  // '4.02.01' "Ocupação" matches nothing; its parent '4.02' "Despesas Administrativas" does
  assert.deepEqual(resolve('2.02.01', 'payable'), {
    categoryName: 'Aluguel',
    line: 'despesas_operacionais',
    rule: 'omie:codigo_dre=4.02.01',
  });
  // no codigo_dre → fallback on the category name
  const tarifa = resolve('2.03.01', 'payable');
  assert.equal(tarifa.line, 'resultado_financeiro');
  assert.equal(tarifa.rule, 'mapping:financeiro');
  assert.deepEqual(resolve('2.04.01', 'payable'), {
    categoryName: 'Transferência entre contas',
    line: 'nao_classificado',
    rule: 'omie:transferencia',
  });
  assert.equal(resolve('2.05.01', 'payable').rule, 'omie:codigo_dre=9.01:naoExibirDRE');
  assert.deepEqual(resolve('9.99.99', 'receivable'), {
    categoryName: null,
    line: 'nao_classificado',
    rule: 'mapping:no_category',
  });
});

Deno.test('dreLineFromText covers the usual DRE line names', () => {
  const cases: Array<[string, string]> = [
    ['Receita Bruta de Vendas', 'receita_bruta'],
    ['(-) Deduções da Receita Bruta', 'deducoes'],
    ['Impostos sobre Vendas', 'deducoes'],
    ['Simples Nacional (DAS)', 'deducoes'],
    ['Custo dos Produtos Vendidos', 'custos'],
    ['CMV', 'custos'],
    ['Despesas Comerciais', 'despesas_operacionais'],
    ['Receitas Financeiras', 'resultado_financeiro'],
    ['Despesas Financeiras', 'resultado_financeiro'],
    ['Outras Receitas Não Operacionais', 'outras_receitas_despesas'],
    ['IRPJ e CSLL', 'impostos_sobre_lucro'],
    ['Provisão para Imposto de Renda', 'impostos_sobre_lucro'],
  ];
  for (const [text, line] of cases) assert.equal(dreLineFromText(text), line, text);
  assert.equal(dreLineFromText('Ocupação'), null);
});

Deno.test('omie ListarContasReceber → entries, apportionment split exactly, bad rows fail alone', () => {
  const resolve = resolverFromFixtures();
  const page = OmieListarContasReceberResponseSchema.parse(fixture('listar-contas-receber').response);
  const out = page.conta_receber_cadastro.map((r) => mapOmieConta(r, 'receivable', resolve));
  const [one, split, unknownCat, badDate] = out;
  assert.ok(one.ok && split.ok && unknownCat.ok);
  assert.deepEqual(one.value, [{
    externalId: '5100001',
    kind: 'receivable',
    date: '2026-01-15',
    amount: '150.00',
    status: 'paid',
    categoryId: '1.01.01',
    categoryName: 'Vendas de Produtos',
    dreLine: 'receita_bruta',
    dreRule: 'omie:codigo_dre=1.01',
    description: '1234/1',
  }]);
  assert.deepEqual(split.value.map((e) => [e.externalId, e.amount, e.status]), [
    ['5100002:1.01.01', '666.77', 'open'],
    ['5100002:1.01.02', '333.33', 'open'],
  ]);
  assert.equal(unknownCat.value[0].status, 'overdue');
  assert.equal(unknownCat.value[0].dreLine, 'nao_classificado');
  assert.ok(!badDate.ok);
  assert.equal(badDate.externalId, '5100004');
});

Deno.test('omie ListarContasPagar → payable entries with status mapping', () => {
  const resolve = resolverFromFixtures();
  const page = OmieListarContasPagarResponseSchema.parse(fixture('listar-contas-pagar').response);
  const out = page.conta_pagar_cadastro.map((r) => mapOmieConta(r, 'payable', resolve));
  const flat = out.flatMap((r) => (r.ok ? r.value : []));
  assert.deepEqual(flat.map((e) => [e.externalId, e.amount, e.status, e.dreLine]), [
    ['6100001', '980.40', 'paid', 'custos'],
    ['6100002', '3200.00', 'paid', 'despesas_operacionais'],
    ['6100003', '39.90', 'partial', 'resultado_financeiro'],
    ['6100004', '5000.00', 'cancelled', 'nao_classificado'],
  ]);
  assert.equal(flat[1].description, 'Aluguel janeiro');
  assert.equal(mapOmieStatus('VENCEHOJE'), 'open');
  assert.equal(mapOmieStatus('A VENCER'), 'open');
});

Deno.test('omie ListarEmpresas → CompanyProfile (Simples; CRT not invented)', () => {
  const f = fixture('listar-empresas');
  const page = OmieListarEmpresasResponseSchema.parse(f.response);
  const e = pickOmieEmpresa(page.empresas_cadastro);
  assert.ok(e.ok);
  assert.deepEqual(mapOmieEmpresa(e.value), {
    cnpj: '11222333000181',
    legalName: 'LOJA EXEMPLO LTDA',
    tradeName: 'Loja Exemplo',
    taxRegime: 'simples_nacional',
    crt: null,
    cnae: '4729699',
    uf: 'SP',
    city: 'SAO PAULO',
    unavailable: ['crt'],
  });

  const p2 = pickOmieEmpresa(OmieListarEmpresasResponseSchema.parse(f.responsePresumido).empresas_cadastro);
  assert.ok(p2.ok);
  const prof = mapOmieEmpresa(p2.value);
  assert.equal(prof.legalName, 'FORNECEDOR EXEMPLO SA'); // the inactive one is skipped
  assert.equal(prof.taxRegime, 'lucro_presumido');
  assert.equal(prof.crt, 3);
  assert.equal(prof.uf, 'SP');
  assert.deepEqual(prof.unavailable, ['tradeName', 'cnae']);
});

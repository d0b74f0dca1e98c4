import assert from 'node:assert/strict';
import { mapCategoryToDre } from './dre-mapping.ts';

Deno.test('DRE mapping: documented examples', () => {
  const cases: Array<[string, 'receivable' | 'payable', string, string[]?]> = [
    ['Vendas de mercadorias', 'receivable', 'receita_bruta'],
    ['Prestação de Serviços', 'receivable', 'receita_bruta'],
    ['Receitas financeiras', 'receivable', 'resultado_financeiro'],
    ['Rendimentos de aplicações', 'receivable', 'resultado_financeiro'],
    ['DAS - Simples Nacional', 'payable', 'deducoes'],
    ['ICMS a recolher', 'payable', 'deducoes'],
    ['Devoluções de vendas', 'payable', 'deducoes'],
    ['Devolução de compras', 'receivable', 'custos'],
    ['Compra de mercadorias para revenda', 'payable', 'custos'],
    ['Fornecedores', 'payable', 'custos'],
    ['Salários e encargos', 'payable', 'despesas_operacionais'],
    ['Aluguel', 'payable', 'despesas_operacionais'],
    ['Tarifas bancárias', 'payable', 'resultado_financeiro'],
    ['Juros pagos', 'payable', 'resultado_financeiro'],
    ['IRPJ', 'payable', 'impostos_sobre_lucro'],
    ['CSLL trimestral', 'payable', 'impostos_sobre_lucro'],
    ['Venda de imobilizado', 'receivable', 'outras_receitas_despesas'],
    ['Diversos', 'payable', 'nao_classificado'],
    ['Impostos sobre o lucro', 'payable', 'impostos_sobre_lucro'],
    ['Vendas', 'payable', 'nao_classificado'], // revenue names only count on receivables
    ['Energia', 'payable', 'despesas_operacionais', ['Despesas administrativas']],
    ['Conta 123', 'payable', 'despesas_operacionais', ['Despesas administrativas']],
  ];
  for (const [name, side, line, parents] of cases) {
    assert.equal(mapCategoryToDre({ name, side, parents }).line, line, `${name} (${side})`);
  }
  assert.deepEqual(mapCategoryToDre({ name: null, side: 'payable' }), {
    line: 'nao_classificado',
    rule: 'mapping:no_category',
  });
  assert.equal(
    mapCategoryToDre({ name: 'Conta 123', side: 'payable', parents: ['Despesas'] }).rule,
    'mapping:parent:despesas',
  );
});

Deno.test('DAS (the Simples Nacional payment) is a deduction, the Portuguese word "das" is not', () => {
  const cases: Array<[string, string]> = [
    ['DAS', 'deducoes'],
    ['DAS - Simples Nacional', 'deducoes'],
    ['Pagamento DAS (Simples)', 'deducoes'],
    ['Custo das mercadorias vendidas', 'custos'],
    ['Compra das mercadorias', 'custos'],
    ['Despesas das filiais', 'despesas_operacionais'],
  ];
  for (const [name, line] of cases) assert.equal(mapCategoryToDre({ name, side: 'payable' }).line, line, name);
});

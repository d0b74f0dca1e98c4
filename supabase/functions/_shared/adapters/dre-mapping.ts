/**
 * Category → DRE line mapping for ERPs whose categories carry no DRE attribute (Bling, Tiny), and the fallback
 * for Omie (`codigo_dre`) and Conta Azul (`entrada_dre`) when their own code is missing or unknown.
 *
 * Rules (documented, deterministic, never invented):
 * 1. The category name (and its parent names, when the ERP gives a hierarchy) is normalised: lower case,
 *    accents removed, punctuation → spaces.
 * 2. The FIRST rule of DRE_CATEGORY_RULES whose pattern matches the category's own name wins; if none matches
 *    the own name, the parents are tried from the nearest to the root. Order matters: specific lines
 *    (income taxes, deductions, financial) come before the generic ones (costs, revenue, expenses), so
 *    "Receitas financeiras" is financial, not gross revenue, and "Juros sobre impostos" is financial.
 * 3. A rule may be restricted to one side (receivable / payable): "vendas" on a payable is not gross revenue.
 * 4. No category, or nothing matches → 'nao_classificado' (the user classifies it; we do not guess from the
 *    amount or the side alone).
 * 5. `dreRule` records why: 'mapping:<rule id>' (own name), 'mapping:parent:<rule id>' (a parent's name),
 *    'mapping:none' / 'mapping:no_category'. Provider-native codes use '<erp>:<field>=<value>' (built by the
 *    Omie / Conta Azul adapters themselves).
 *
 * | id                 | line                      | side        | matches (normalised)                               |
 * |--------------------|---------------------------|-------------|----------------------------------------------------|
 * | ir_csll            | impostos_sobre_lucro      | any         | irpj, csll, imposto de renda, contribuicao social  |
 * | devolucao_compra   | custos                    | any         | devolucao ... compra                               |
 * | deducoes           | deducoes                  | any         | devolucao/abatimento de venda, das, simples        |
 * |                    |                           |             | nacional, icms, pis, cofins, iss, ipi, impostos    |
 * |                    |                           |             | sobre vendas/faturamento, descontos concedidos     |
 * | financeiro         | resultado_financeiro      | any         | juros, rendimentos, aplicacao financeira, tarifa   |
 * |                    |                           |             | bancaria, iof, multa, descontos obtidos, variacao  |
 * |                    |                           |             | cambial, financeira(s/o)                           |
 * | outras             | outras_receitas_despesas  | any         | outras receitas/despesas, venda de ativo/imobiliz. |
 * |                    |                           |             | ganho/perda de capital                             |
 * | custos             | custos                    | payable     | cmv, cpv, csp, custo, compra de mercadoria/materia |
 * |                    |                           |             | prima/insumo, fornecedor(es), frete sobre compras  |
 * | receita            | receita_bruta             | receivable  | venda(s), faturamento, receita de servicos,        |
 * |                    |                           |             | prestacao de servicos, receita operacional         |
 * | despesas           | despesas_operacionais     | payable     | salarios, folha, pro labore, encargos, inss, fgts, |
 * |                    |                           |             | aluguel, energia, agua, telefone, internet,        |
 * |                    |                           |             | marketing, publicidade, comissoes, contabilidade,  |
 * |                    |                           |             | honorarios, manutencao, material de escritorio,    |
 * |                    |                           |             | combustivel, viagens, software, seguros, despesa(s)|
 */
import type { DreLine } from './contract.ts';

export type EntrySide = 'receivable' | 'payable';

export interface DreRule {
  id: string;
  line: DreLine;
  side: EntrySide | 'any';
  pattern: RegExp;
}

export const DRE_CATEGORY_RULES: readonly DreRule[] = [
  {
    id: 'ir_csll',
    line: 'impostos_sobre_lucro',
    side: 'any',
    pattern:
      /\b(irpj|csll|imposto de renda|contribuicao social( sobre o lucro)?|impostos? sobre (o )?lucro)\b/,
  },
  {
    id: 'devolucao_compra',
    line: 'custos',
    side: 'any',
    pattern: /\bdevolu\w* (de |das |sobre )?compras?\b/,
  },
  {
    id: 'deducoes',
    line: 'deducoes',
    side: 'any',
    pattern:
      /(^das\b|\bdas\s*[-–(/]|\bdas (do )?(simples|mei)\b|\b(devolu\w*|abatimentos?|simples nacional|icms|pis|cofins|iss|issqn|ipi|impostos? (sobre|s) (as )?(vendas|faturamento|receita)|tributos sobre (vendas|receita)|descontos? concedidos?)\b)/,
  },
  {
    id: 'financeiro',
    line: 'resultado_financeiro',
    side: 'any',
    pattern:
      /\b(juros|rendimentos?|aplica\w* financeira\w*|tarifas?( bancarias?)?|iof|multas?|descontos? obtidos?|varia\w* cambia\w*|financeir[oa]s?|bancari[oa]s?)\b/,
  },
  {
    id: 'outras',
    line: 'outras_receitas_despesas',
    side: 'any',
    pattern:
      /\b(outras (receitas|despesas)|receitas? nao operaciona\w*|despesas? nao operaciona\w*|venda de (ativo|imobilizado|bens)|ganhos?|perdas?( de capital)?)\b/,
  },
  {
    id: 'custos',
    line: 'custos',
    side: 'payable',
    pattern:
      /\b(cmv|cpv|csp|custos?|compras?( de)? (mercadorias?|materia|materiais|insumos?|produtos?)|compras?|mercadorias? para revenda|materias? primas?|insumos?|fornecedor(es)?|fretes? sobre compras?)\b/,
  },
  {
    id: 'receita',
    line: 'receita_bruta',
    side: 'receivable',
    pattern:
      /\b(vendas?|faturamento|receitas? (de|com) (servicos?|vendas?|produtos?|mercadorias?)|presta\w* de servicos?|receitas? operaciona\w*|receitas? de clientes|servicos? prestados?)\b/,
  },
  {
    id: 'despesas',
    line: 'despesas_operacionais',
    side: 'payable',
    pattern:
      /\b(salarios?|folha|pro labore|encargos?|inss|fgts|ferias|13o|decimo terceiro|beneficios?|vale (transporte|refeicao|alimentacao)|alugue\w*|condominio|energia|luz|agua|telefon\w*|internet|marketing|publicidade|propaganda|comiss\w*|contab\w*|honorarios?|manutenc\w*|material de (escritorio|limpeza|consumo)|combustive\w*|viage\w*|software|sistemas?|seguros?|fretes?|despesas?|administrativ\w*|pessoal)\b/,
  },
];

/** Lower case, no accents, punctuation → single spaces. */
export function normaliseCategoryName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export interface DreMappingInput {
  /** The category's own name (as the ERP spells it). */
  name: string | null | undefined;
  /** Parent names from the nearest parent to the root (optional). */
  parents?: string[];
  side: EntrySide;
}

export interface DreMappingResult {
  line: DreLine;
  rule: string;
}

function firstMatch(name: string, side: EntrySide): DreRule | undefined {
  const n = normaliseCategoryName(name);
  if (!n) return undefined;
  return DRE_CATEGORY_RULES.find((r) => (r.side === 'any' || r.side === side) && r.pattern.test(n));
}

/** Maps a category to a DRE line following the rules documented at the top of this file. */
export function mapCategoryToDre(input: DreMappingInput): DreMappingResult {
  const own = input.name?.trim();
  if (!own && !(input.parents?.length)) return { line: 'nao_classificado', rule: 'mapping:no_category' };
  if (own) {
    const r = firstMatch(own, input.side);
    if (r) return { line: r.line, rule: `mapping:${r.id}` };
  }
  for (const p of input.parents ?? []) {
    const r = firstMatch(p, input.side);
    if (r) return { line: r.line, rule: `mapping:parent:${r.id}` };
  }
  return { line: 'nao_classificado', rule: 'mapping:none' };
}

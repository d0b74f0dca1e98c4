/**
 * DRE helpers shared by the adapters: the fallback from a category name to a DRE line (the documented mapping
 * in ../dre-mapping.ts) and the keyword rules for DRE line descriptions (Omie `descricaoDRE`, Conta Azul DRE tree
 * names).
 */
import type { DreLine, FinancialEntry } from '../contract.ts';
import { mapCategoryToDre } from '../dre-mapping.ts';
import { normText } from './normalize.ts';

export type DreFallback = (input: {
  name: string | null;
  kind: FinancialEntry['kind'];
  /** Parent category names, nearest first. */
  parents?: string[];
  code?: string | null;
}) => { line: DreLine; rule: string };

/** The shared, documented category-name mapping (adapters/dre-mapping.ts). */
export const sharedDreFallback: DreFallback = ({ name, kind, parents }) =>
  mapCategoryToDre({ name, parents, side: kind });

/** Keyword rules for DRE *line descriptions*, ordered from specific to generic; matched against normText(). */
export const DRE_TEXT_RULES: Array<[RegExp, DreLine]> = [
  [/\b(irpj|csll)\b|imposto de renda|contribuicao social|sobre o lucro/, 'impostos_sobre_lucro'],
  [
    /deduc|devoluc|abatiment|impostos? (sobre|incidentes sobre) (as )?(vendas|receita|faturamento)|tributos sobre (as )?(vendas|receita)|simples nacional|\b(icms|pis|cofins|iss)\b/,
    'deducoes',
  ],
  [/\bcustos?\b|\bcmv\b|\bcpv\b|\bcsp\b/, 'custos'],
  [/financeir|juros|rendimento|aplicac|tarifas? banc|\biof\b/, 'resultado_financeiro'],
  [
    /nao operac|outras receitas|outras despesas|ganho de capital|venda de (ativo|imobilizado)/,
    'outras_receitas_despesas',
  ],
  [/receita|vendas?\b|faturamento/, 'receita_bruta'],
  [/despesa|administrativ|comercia|pessoal|salario|aluguel|marketing/, 'despesas_operacionais'],
];

export function dreLineFromText(text: string | null | undefined): DreLine | null {
  const t = normText(text);
  if (!t) return null;
  for (const [re, line] of DRE_TEXT_RULES) if (re.test(t)) return line;
  return null;
}

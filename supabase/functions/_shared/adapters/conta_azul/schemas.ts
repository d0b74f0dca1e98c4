/**
 * Raw Conta Azul (new API, https://api-v2.contaazul.com) payloads, field names exactly as the API spells them
 * (Conta Azul's OpenAPI documents at https://developers.contaazul.com — financial, inventory, invoice, person;
 * copies in clark-neitzel/cahardt@cf92b2bf4d9112210f338bdf27e9863eecf0c307 docs/; docs/erp-sources.md).
 * Envelopes differ per module: financeiro `{itens_totais, itens}`, produtos `{items, totalItems}`,
 * notas fiscais `{itens, paginacao{...}}`, categorias-dre `{itens}`.
 * Only what the adapter reads is required; the rest is optional so a missing optional field fails nothing.
 */
import { z } from 'zod';

const optStr = z.string().nullish();
const numLike = z.union([z.number(), z.string()]);

// --- NF-e: GET /v1/notas-fiscais (invoice OpenAPI) ---------------------------------------------------------------------

/**
 * Item fields beyond `chave_acesso` are only partly documented; the adapter needs the key (the XML is
 * fetched by it) and reads the rest when present.
 */
export const CaNotaFiscalSchema = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  chave_acesso: z.string(),
  numero_nota: z.union([z.string(), z.number()]).nullish(),
  status: optStr, // EMITIDA | CORRIGIDA_SUCESSO (the only ones listed)
  data_emissao: optStr,
  valor: numLike.nullish(),
});
export type CaNotaFiscal = z.infer<typeof CaNotaFiscalSchema>;

/** Official OpenAPI: `{ "itens": [...], "paginacao": { pagina_atual, tamanho_pagina, total_itens, total_paginas } }`. */
export const CaNotasFiscaisResponseSchema = z.object({
  itens: z.array(z.unknown()).default([]),
  paginacao: z
    .object({
      pagina_atual: z.number().optional(),
      tamanho_pagina: z.number().optional(),
      total_itens: z.number().optional(),
      total_paginas: z.number().optional(),
    })
    .optional(),
});

// --- products: GET /v1/produtos, GET /v1/produtos/{id} ----------------------------------------------------

export const CaProdutoResumoSchema = z.object({
  id: z.union([z.string(), z.number()]),
  nome: optStr,
  codigo_sku: optStr,
  codigo_ean: optStr,
  status: optStr, // ATIVO | INATIVO
  ultima_atualizacao: optStr,
});
export type CaProdutoResumo = z.infer<typeof CaProdutoResumoSchema>;

export const CaProdutosResponseSchema = z.object({
  items: z.array(z.unknown()).default([]),
  totalItems: z.number().optional(),
});

const codeRef = z
  .object({
    id: z.union([z.string(), z.number()]).nullish(),
    codigo: optStr,
    descricao: optStr,
    sigla: optStr,
  })
  .nullish();

export const CaProdutoDetalheSchema = z.object({
  id: z.union([z.string(), z.number()]),
  id_legado: z.union([z.string(), z.number()]).nullish(),
  nome: z.string(),
  codigo_sku: optStr,
  codigo_ean: optStr,
  status: optStr,
  formato: optStr,
  estoque: z
    .object({
      quantidade_total: numLike.nullish(),
      valor_venda: numLike.nullish(),
      custo_medio: numLike.nullish(),
      minimumStock: numLike.nullish(), // sic: camelCase inside a snake_case payload
    })
    .nullish(),
  fiscal: z
    .object({
      origem: z.union([z.string(), z.number()]).nullish(),
      tipo_produto: optStr,
      ncm: codeRef,
      cest: codeRef,
      unidade_medida: codeRef,
    })
    .nullish(),
});
export type CaProdutoDetalhe = z.infer<typeof CaProdutoDetalheSchema>;

// --- financials -------------------------------------------------------------------------------------------

/** GET /v1/categorias → `{itens_totais, itens:[{id, versao, nome, categoria_pai, tipo, entrada_dre, considera_custo_dre}]}`. */
export const CaCategoriaSchema = z.object({
  id: z.string(),
  versao: z.number().nullish(),
  nome: z.string(),
  categoria_pai: optStr,
  tipo: optStr, // RECEITA | DESPESA
  entrada_dre: optStr, // e.g. DESPESAS_ADMINISTRATIVAS; null when not mapped
  considera_custo_dre: z.boolean().nullish(),
});
export type CaCategoria = z.infer<typeof CaCategoriaSchema>;

export const CaCategoriasResponseSchema = z.object({
  itens_totais: z.number().optional(),
  itens: z.array(z.unknown()).default([]),
});

/** GET /v1/financeiro/categorias-dre: the customer's DRE tree (structure only). */
export interface CaDreItem {
  id?: string | null;
  codigo?: string | null;
  descricao?: string | null;
  posicao?: number | null;
  indica_totalizador?: boolean | null;
  subitens?: CaDreItem[] | null;
  categorias_financeiras?:
    | Array<{ id: string; codigo?: string | null; nome?: string | null; ativo?: boolean | null }>
    | null;
}
export const CaDreItemSchema: z.ZodType<CaDreItem> = z.lazy(() =>
  z.object({
    id: optStr,
    codigo: optStr,
    descricao: optStr,
    posicao: z.number().nullish(),
    indica_totalizador: z.boolean().nullish(),
    subitens: z.array(CaDreItemSchema).nullish(),
    categorias_financeiras: z
      .array(z.object({ id: z.string(), codigo: optStr, nome: optStr, ativo: z.boolean().nullish() }))
      .nullish(),
  })
);
export const CaCategoriasDreResponseSchema = z.object({ itens: z.array(CaDreItemSchema).default([]) });

/** Item of `.../contas-a-receber/buscar` and `.../contas-a-pagar/buscar` (installment-level, "thin"). */
export const CaEventoFinanceiroSchema = z.object({
  id: z.union([z.string(), z.number()]),
  descricao: optStr,
  data_vencimento: optStr,
  status: optStr,
  status_traduzido: optStr,
  total: numLike,
  nao_pago: numLike.nullish(),
  pago: numLike.nullish(),
  data_criacao: optStr,
  data_alteracao: optStr,
  data_competencia: optStr,
  categorias: z.array(z.object({ id: z.string(), nome: optStr })).nullish(),
  centros_custo: z.array(z.object({ id: z.string(), nome: optStr })).nullish(),
  cliente: z.object({ nome: optStr }).nullish(),
  fornecedor: z.object({ nome: optStr }).nullish(),
});
export type CaEventoFinanceiro = z.infer<typeof CaEventoFinanceiroSchema>;

export const CaBuscarResponseSchema = z.object({
  itens_totais: z.number().optional(),
  itens: z.array(z.unknown()).default([]),
});

// --- company: GET /v1/pessoas/conta-conectada (person API; full field list not published) -----------------------------------

export const CaContaConectadaSchema = z.object({
  documento: optStr,
  razao_social: optStr,
  nome_fantasia: optStr,
  email: optStr,
  data_fundacao: optStr,
  endereco: z
    .object({ cidade: optStr, estado: optStr, uf: optStr })
    .nullish(),
});
export type CaContaConectada = z.infer<typeof CaContaConectadaSchema>;

// --- errors ----------------------------------------------------------------------------------------------

/** Module-dependent error bodies: financeiro `{code, message}`, pessoas/notas `{error}`, OAuth `{error, error_description, error_subtype}`. */
export const CaErrorSchema = z.object({
  code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
  error_subtype: z.string().optional(),
});

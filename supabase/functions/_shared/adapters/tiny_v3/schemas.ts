/**
 * Raw Tiny ERP (Olist ERP) API v3 payloads, field names as the API spells them. Source of every shape: the v3
 * OpenAPI 3.0 document "Tiny API v3" (servers https://api.tiny.com.br/public-api/v3), read in the generated
 * client linkiez/TinyERPv3-SDK@6d3c167fe243954e4674a3e713e08921c9d49820 (src/swagger.json and the models
 * named beside each schema under src/models/). docs/tiny-v3.md maps each schema to its model.
 * Unknown extra fields are kept (looseObject); only what the mappers read is required.
 */
import { z } from 'zod';

const id = z.union([z.number(), z.string()]).transform((v) => String(v));
const optStr = z.string().nullable().optional();
const optNum = z.number().nullable().optional();

/** Every list: `{ itens: [...], paginacao: { limit, offset, total } }` (models/common/PaginatedResultModel). */
export const TinyV3ListSchema = z.looseObject({
  itens: z.array(z.unknown()),
  paginacao: z.looseObject({
    limit: z.number().optional(),
    offset: z.number().optional(),
    total: z.number().optional(),
  }).optional(),
});

/** Error body on 400: models/common/ErrorDTO `{ mensagem, detalhes: [{ campo, mensagem }] }`. */
export const TinyV3ErrorSchema = z.looseObject({
  mensagem: z.string().optional(),
  detalhes: z.array(z.looseObject({ campo: z.string().optional(), mensagem: z.string().optional() }))
    .nullable().optional(),
});

/**
 * GET /notas item: models/notas-fiscais/ListagemNotaFiscalModelResponse (= BaseNotaFiscalModel + id):
 * situacao 1 Pendente, 2 Emitida, 3 Cancelada, 4 Enviada aguardando recibo, 5 Rejeitada, 6 Autorizada,
 * 7 Emitida DANFE, 8 Registrada, 9 Enviada aguardando protocolo, 10 Denegada; tipo E/S.
 */
export const TinyV3NoteSchema = z.looseObject({
  id,
  situacao: z.union([z.number(), z.string()]).nullable().optional(),
  tipo: z.enum(['E', 'S']).nullable().optional(),
  numero: optStr,
  serie: optStr,
  chaveAcesso: optStr,
  dataEmissao: optStr,
});
export type TinyV3Note = z.infer<typeof TinyV3NoteSchema>;

/** GET /notas/{idNota}/xml: models/notas-fiscais/ObterXmlNotaFiscalModelResponse `{ xmlNfe, xmlCancelamento }`. */
export const TinyV3NoteXmlSchema = z.looseObject({
  xmlNfe: optStr,
  xmlCancelamento: optStr,
});

/** GET /produtos item: models/produtos/ListagemProdutosResponseModel (no NCM). situacao A/I/E. */
export const TinyV3ProductSummarySchema = z.looseObject({
  id,
  sku: optStr,
  descricao: optStr,
  situacao: optStr,
});

/** GET /produtos/{id}: models/produtos/ObterProdutoModelResponse (ProdutoResponseModel + ncm, unidade, precos…). */
export const TinyV3ProductSchema = z.looseObject({
  id,
  sku: optStr,
  descricao: z.string().min(1),
  situacao: optStr,
  unidade: optStr,
  ncm: optStr,
  gtin: optStr,
  precos: z.looseObject({ preco: optNum, precoPromocional: optNum, precoCusto: optNum }).nullable().optional(),
});
export type TinyV3Product = z.infer<typeof TinyV3ProductSchema>;

/** GET /contas-receber and /contas-pagar item: models/contas-*\/Listagem*ResponseModel. */
export const TinyV3TitleSummarySchema = z.looseObject({ id, situacao: optStr, data: optStr, valor: optNum });

/**
 * GET /contas-receber/{id} (models/contas-receber/ObterContaReceberResponseModel) and /contas-pagar/{id}
 * (models/contas-pagar/ObterContaPagarModelResponse): situacao aberto|cancelada|pago|parcial|prevista,
 * dates YYYY-MM-DD, categoria `{ id, descricao }` (models/categorias/CategoriaReceitaDespesaResponseModel).
 */
export const TinyV3TitleSchema = z.looseObject({
  id,
  situacao: optStr,
  data: optStr,
  dataVencimento: optStr,
  dataCompetencia: optStr,
  valor: z.number(),
  saldo: optNum,
  historico: optStr,
  categoria: z.looseObject({ id: id.optional(), descricao: optStr }).nullable().optional(),
});
export type TinyV3Title = z.infer<typeof TinyV3TitleSchema>;

/**
 * GET /info: models/ObterInfoContaModelResponse `{ razaoSocial, cpfCnpj, fantasia, enderecoEmpresa, fone,
 * email, inscricaoEstadual, regimeTributario }` — regimeTributario 1 Simples Nacional, 2 Simples Nacional
 * excesso de receita, 3 Regime Normal, 4 MEI; enderecoEmpresa is models/contatos/EnderecoModel.
 */
export const TinyV3AccountInfoSchema = z.looseObject({
  razaoSocial: optStr,
  cpfCnpj: optStr,
  fantasia: optStr,
  enderecoEmpresa: z.looseObject({ municipio: optStr, uf: optStr }).nullable().optional(),
  regimeTributario: z.union([z.number(), z.string()]).nullable().optional(),
});
export type TinyV3AccountInfo = z.infer<typeof TinyV3AccountInfoSchema>;

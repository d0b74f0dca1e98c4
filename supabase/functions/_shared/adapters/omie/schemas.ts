/**
 * Raw Omie payloads, field names exactly as the API spells them. Sources (docs/erp-sources.md, Omie):
 * Omie's per-service doc pages (https://app.omie.com.br/api/v1/{module}/{service}/) and the client generated
 * from their service definitions, pauloracunha/omie-lib@b7c0b4eb4a5dbea31a14cabd000e6c140279d05d (src/.../Response).
 * Only the fields the adapter reads are required; everything else is optional so that a new or missing
 * optional field never fails a whole page. Unknown keys are stripped (zod default).
 *
 * Each request comment links the service's doc page: https://app.omie.com.br/api/v1/{module}/{service}/
 */
import { z } from 'zod';

// Omie mixes JSON numbers and strings for codes; ids are large ints.
const idLike = z.union([z.number(), z.string()]);
const numLike = z.union([z.number(), z.string()]);
const optStr = z.string().nullish();

/**
 * `{"faultstring":"ERROR: ...","faultcode":"SOAP-ENV:Client-5113"}`, usually with HTTP 500, sometimes 200
 * (https://ajuda.omie.com.br/pt-BR/articles/8001888-tratando-os-erros-de-api; captured faults quoted in
 * OmieSharp/OmieSharp@c00c24d897ba4163ea067bfeefcfabe3ffa6ed59 src/OmieSharp/OmieSharpClient.cs).
 */
export const OmieFaultSchema = z.object({
  faultstring: z.string(),
  faultcode: z.string(),
});
export type OmieFault = z.infer<typeof OmieFaultSchema>;

// --- paging envelopes -------------------------------------------------------------------------------------

/**
 * Omie names its paging fields differently per service (omie-lib Response classes):
 *   snake_case  `pagina, total_de_paginas, registros, total_de_registros` (ListarNF, ListarProdutos, finanças...)
 *   Hungarian   `nPagina, nTotPaginas, nRegistros, nTotRegistros` (most newer services)
 *   `nPagina, nTotalPaginas, nRegistros, nTotalRegistros` (ListarRecebimentos, NeListar, pedido de compra...)
 *   `nPagina, nRegPorPagina, nRegistros, nTotRegistros` (contador/xml ListarDocumentos: no page count at all)
 * Every field is optional here; `omieTotalPages` reads whichever variant a page carries.
 */
const anyPaging = {
  pagina: z.number().optional(),
  total_de_paginas: z.number().optional(),
  registros: z.number().optional(),
  total_de_registros: z.number().optional(),
  nPagina: z.number().optional(),
  nTotPaginas: z.number().optional(),
  nTotalPaginas: z.number().optional(),
  nRegistros: z.number().optional(),
  nTotRegistros: z.number().optional(),
  nTotalRegistros: z.number().optional(),
  nRegPorPagina: z.number().optional(),
};
type AnyPaging = { [K in keyof typeof anyPaging]?: number };

/** snake_case services: `total_de_paginas` is required there. */
const snakePaging = {
  ...anyPaging,
  pagina: z.number(),
  total_de_paginas: z.number(),
};

/**
 * The number of pages a list page announces, whichever variant it uses; from the record counts when the service
 * sends no page count (ListarDocumentos). `null` when nothing says (the caller then reads until a short page).
 */
export function omieTotalPages(p: AnyPaging, pageSize: number): number | null {
  const pages = p.total_de_paginas ?? p.nTotalPaginas ?? p.nTotPaginas;
  if (typeof pages === 'number') return pages;
  const total = p.total_de_registros ?? p.nTotalRegistros ?? p.nTotRegistros;
  const per = p.nRegPorPagina ?? pageSize;
  if (typeof total === 'number' && per > 0) return Math.max(1, Math.ceil(total / per));
  return null;
}

// --- NF-e issued: /produtos/nfconsultar/ ListarNF ---------------------------------------------------------

export const OmieNfCadastroSchema = z.object({
  ide: z
    .object({
      mod: optStr,
      serie: z.union([z.string(), z.number()]).nullish(),
      nNF: z.union([z.string(), z.number()]).nullish(),
      dEmi: optStr,
      hEmi: optStr,
      tpNF: optStr, // '0' entrada, '1' saída
      tpAmb: optStr,
      finNFe: optStr,
      dCan: optStr,
      dInut: optStr,
      cDeneg: optStr,
    })
    .optional(),
  nfDestInt: z
    .object({ nCodCli: idLike.nullish(), cRazao: optStr, cnpj_cpf: optStr })
    .optional(),
  total: z.object({ ICMSTot: z.object({ vNF: numLike.nullish() }).optional() }).optional(),
  compl: z.object({
    nIdNF: idLike, // the id ObterNfe expects as nIdNfe
    nIdPedido: idLike.nullish(),
    cChaveNFe: optStr,
    nIdReceb: idLike.nullish(),
    cCodCateg: optStr,
  }),
});
export type OmieNfCadastro = z.infer<typeof OmieNfCadastroSchema>;

/** ListarNF page; items are validated one by one (a bad item fails alone), hence `unknown`. */
export const OmieListarNFResponseSchema = z.object({
  ...snakePaging,
  nfCadastro: z.array(z.unknown()).default([]),
});

/** /produtos/dfedocs/ ObterNfe response: XML inline in `cXmlNfe`; `cCodStatus` "0" = ok (omie-lib ObterNFeResponse). */
export const OmieObterNfeResponseSchema = z.object({
  cNumNfe: z.union([z.string(), z.number()]).nullish(),
  nChaveNfe: z.union([z.string(), z.number()]).nullish(),
  dDataEmisNfe: optStr,
  cXmlNfe: optStr,
  cPdf: optStr,
  cLinkPortal: optStr,
  cCodStatus: z.union([z.string(), z.number()]).nullish(),
  cDesStatus: optStr,
});
export type OmieObterNfeResponse = z.infer<typeof OmieObterNfeResponseSchema>;

// --- NF-e received: /produtos/recebimentonfe/ ListarRecebimentos ------------------------------------------

export const OmieRecebimentoSchema = z.object({
  cabec: z.object({
    nIdReceb: idLike,
    nIdFornecedor: idLike.nullish(),
    cRazaoSocial: optStr,
    cCNPJ_CPF: optStr,
    cChaveNfe: optStr,
    cNumeroNFe: z.union([z.string(), z.number()]).nullish(),
    cSerieNFe: z.union([z.string(), z.number()]).nullish(),
    dEmissaoNFe: optStr,
    nValorNFe: numLike.nullish(),
  }),
});
export type OmieRecebimento = z.infer<typeof OmieRecebimentoSchema>;

/** ListarRecebimentos pages with `nTotalPaginas` / `nTotalRegistros` (omie-lib RcbtoListarResponse). */
export const OmieListarRecebimentosResponseSchema = z.object({
  ...anyPaging,
  recebimentos: z.array(z.unknown()).default([]),
});

// --- bulk XML: /contador/xml/ ListarDocumentos ------------------------------------------------------------

export const OmieDocumentoSchema = z.object({
  nNumero: z.union([z.string(), z.number()]).nullish(),
  cSerie: z.union([z.string(), z.number()]).nullish(),
  nChave: z.union([z.string(), z.number()]).nullish(),
  dEmissao: optStr,
  hEmissao: optStr,
  nValor: numLike.nullish(),
  cXml: optStr,
  nIdNF: idLike.nullish(),
  nIdReceb: idLike.nullish(),
  cStatus: optStr, // 00 autorizado, 10 cancelado, 20 denegado, 30 devolvido, 40 pendente
});
export type OmieDocumento = z.infer<typeof OmieDocumentoSchema>;

/** ListarDocumentos: `nPagina, nRegPorPagina, nRegistros, nTotRegistros` (omie-lib XmlListarDocumentosResponse). */
export const OmieListarDocumentosResponseSchema = z.object({
  ...anyPaging,
  documentosEncontrados: z.array(z.unknown()).default([]),
});

// --- products: /geral/produtos/ ListarProdutos ------------------------------------------------------------

export const OmieProdutoSchema = z.object({
  codigo_produto: idLike,
  codigo_produto_integracao: optStr,
  codigo: optStr,
  descricao: z.string(),
  unidade: optStr,
  ncm: optStr, // '9999.99.99'
  cest: optStr,
  ean: optStr,
  valor_unitario: numLike.nullish(),
  inativo: optStr, // 'S' | 'N'
  bloqueado: optStr,
  tipoItem: optStr,
});
export type OmieProduto = z.infer<typeof OmieProdutoSchema>;

export const OmieListarProdutosResponseSchema = z.object({
  ...snakePaging,
  produto_servico_cadastro: z.array(z.unknown()).default([]),
});

// --- financials -------------------------------------------------------------------------------------------

export const OmieCategoriaRateioSchema = z.object({
  codigo_categoria: z.string(),
  percentual: numLike.nullish(),
  valor: numLike.nullish(),
});

/** Shared by `conta_receber_cadastro[]` and `conta_pagar_cadastro[]` (mirror of each other, omie-lib Financas). */
export const OmieContaSchema = z.object({
  codigo_lancamento_omie: idLike,
  codigo_lancamento_integracao: optStr,
  codigo_cliente_fornecedor: idLike.nullish(),
  data_vencimento: optStr,
  data_previsao: optStr,
  data_emissao: optStr,
  data_registro: optStr,
  valor_documento: numLike,
  codigo_categoria: optStr,
  categorias: z.array(OmieCategoriaRateioSchema).nullish(),
  numero_documento: optStr,
  numero_parcela: optStr,
  numero_documento_fiscal: optStr,
  chave_nfe: optStr,
  status_titulo: optStr,
  observacao: optStr,
});
export type OmieConta = z.infer<typeof OmieContaSchema>;

export const OmieListarContasReceberResponseSchema = z.object({
  ...snakePaging,
  conta_receber_cadastro: z.array(z.unknown()).default([]),
});
export const OmieListarContasPagarResponseSchema = z.object({
  ...snakePaging,
  conta_pagar_cadastro: z.array(z.unknown()).default([]),
});

export const OmieDadosDreSchema = z.object({
  codigoDRE: optStr,
  descricaoDRE: optStr,
  naoExibirDRE: optStr,
  nivelDRE: numLike.nullish(),
  sinalDRE: optStr,
  totalizaDRE: optStr,
});

/** /geral/categorias/ ListarCategorias `categoria_cadastro[]` (omie-lib Geral/Categorias). */
export const OmieCategoriaSchema = z.object({
  codigo: z.string(), // e.g. '1.01.02'
  descricao: z.string(),
  descricao_padrao: optStr,
  tipo_categoria: optStr,
  conta_inativa: optStr,
  conta_despesa: optStr, // S/N
  conta_receita: optStr, // S/N
  nao_exibir: optStr,
  natureza: optStr,
  totalizadora: optStr,
  transferencia: optStr, // S/N
  codigo_dre: optStr,
  categoria_superior: optStr,
  dadosDRE: OmieDadosDreSchema.nullish(),
});
export type OmieCategoria = z.infer<typeof OmieCategoriaSchema>;

export const OmieListarCategoriasResponseSchema = z.object({
  ...snakePaging,
  categoria_cadastro: z.array(z.unknown()).default([]),
});

/** /geral/dre/ ListarCadastroDRE: the DRE structure (lines, level, sign), not values (omie-lib Geral/Dre). */
export const OmieDreLinhaSchema = z.object({
  codigoDRE: z.string(),
  descricaoDRE: z.string(),
  naoExibirDRE: optStr,
  nivelDRE: numLike.nullish(),
  sinalDRE: optStr,
  totalizaDRE: optStr,
});
export type OmieDreLinha = z.infer<typeof OmieDreLinhaSchema>;

export const OmieListarCadastroDREResponseSchema = z.object({
  totalRegistros: z.number().optional(),
  dreLista: z.array(z.unknown()).default([]),
});

// --- company: /geral/empresas/ ListarEmpresas -------------------------------------------------------------

export const OmieEmpresaSchema = z.object({
  codigo_empresa: idLike,
  cnpj: optStr,
  razao_social: optStr,
  nome_fantasia: optStr,
  cidade: optStr,
  estado: optStr,
  cnae: optStr,
  regime_tributario: z.union([z.string(), z.number()]).nullish(), // code list not documented
  optante_simples_nacional: optStr, // S/N
  regapu: optStr,
  estab: optStr, // M matriz / F filial / U único
  inativa: optStr,
});
export type OmieEmpresa = z.infer<typeof OmieEmpresaSchema>;

export const OmieListarEmpresasResponseSchema = z.object({
  ...snakePaging,
  empresas_cadastro: z.array(z.unknown()).default([]),
});

// --- credentials (Vault JSON) -------------------------------------------------------------------------------

export const OmieCredentialsSchema = z.object({
  app_key: z.string().min(1),
  app_secret: z.string().min(1),
});
export type OmieCredentials = z.infer<typeof OmieCredentialsSchema>;

/**
 * Raw Tiny ERP API v2 payloads (sources: docs/erp-sources.md, Tiny), field names as Tiny spells them. Every response is
 * HTTP 200 with a `retorno` envelope; numbers usually arrive as strings; list items are wrapped
 * (`notas_fiscais[].nota_fiscal`, `produtos[].produto`, `contas[].conta`); dates are dd/mm/yyyy.
 * Docs: https://tiny.com.br/api-docs/api2-* (mirror https://api-docs.erp.olist.com/)
 */
import { z } from 'zod';

/** A string or a number, as Tiny mixes both; always handed over as a trimmed string. */
const str = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

export const TinyEnvelopeSchema = z.looseObject({
  retorno: z.looseObject({
    status_processamento: str.optional(),
    status: z.string(),
    codigo_erro: str.optional(),
    erros: z.array(z.looseObject({ erro: z.string().optional() })).optional(),
    pagina: str.optional(),
    numero_paginas: str.optional(),
  }),
});
export type TinyEnvelope = z.infer<typeof TinyEnvelopeSchema>;

/** notas.fiscais.pesquisa.php → retorno.notas_fiscais[].nota_fiscal (summary fields per the service page and
 * linkiez/TinyERPv2-SDK@cd3476331e87ec369a619dbefdd7eee1ceb5c3a2 src/types/notas-fiscais/NotaFiscalPesquisar.ts). */
export const TinyNoteSummarySchema = z.looseObject({
  id: str,
  tipo: z.string().optional(),
  numero: str.optional(),
  serie: str.optional(),
  data_emissao: z.string().optional(),
  situacao: str.optional(),
  chave_acesso: z.string().nullable().optional(),
});
export type TinyNoteSummary = z.infer<typeof TinyNoteSummarySchema>;

/** produtos.pesquisa.php → retorno.produtos[].produto (no NCM). */
export const TinyProductSummarySchema = z.looseObject({
  id: str,
  codigo: z.string().nullable().optional(),
  nome: z.string(),
  situacao: z.string().optional(),
});
export type TinyProductSummary = z.infer<typeof TinyProductSummarySchema>;

/** produto.obter.php → retorno.produto (NCM here). */
export const TinyProductSchema = z.looseObject({
  id: str,
  codigo: z.string().nullable().optional(),
  nome: z.string(),
  unidade: z.string().nullable().optional(),
  preco: str.nullable().optional(),
  ncm: z.string().nullable().optional(),
  cest: z.string().nullable().optional(),
  situacao: z.string().optional(),
});
export type TinyProduct = z.infer<typeof TinyProductSchema>;

/** contas.{receber|pagar}.pesquisa.php → retorno.contas[].conta. */
export const TinyTitleSummarySchema = z.looseObject({
  id: str,
  data_vencimento: z.string().optional(),
  data_emissao: z.string().optional(),
  valor: str,
  saldo: str.optional(),
  situacao: z.string().optional(),
});
export type TinyTitleSummary = z.infer<typeof TinyTitleSummarySchema>;

/** conta.{receber|pagar}.obter.php → retorno.conta (category as a name string). */
export const TinyTitleSchema = z.looseObject({
  id: str,
  data: z.string().optional(),
  vencimento: z.string().optional(),
  valor: str,
  saldo: str.optional(),
  competencia: z.string().nullable().optional(),
  categoria: z.string().nullable().optional(),
  historico: z.string().nullable().optional(),
  situacao: z.string().optional(),
});
export type TinyTitle = z.infer<typeof TinyTitleSchema>;

/** info.php → retorno.conta. */
export const TinyAccountInfoSchema = z.looseObject({
  razao_social: z.string().nullable().optional(),
  cnpj_cpf: z.string().nullable().optional(),
  fantasia: z.string().nullable().optional(),
  cidade: z.string().nullable().optional(),
  estado: z.string().nullable().optional(),
  regime_tributario: str.nullable().optional(),
});
export type TinyAccountInfo = z.infer<typeof TinyAccountInfoSchema>;

export const TinyCredentialsSchema = z.looseObject({ token: z.string().min(8) });

/**
 * Raw Bling API v3 payloads, field names exactly as Bling's OpenAPI document (./openapi/) spells them. Loose objects:
 * unknown fields pass through, only what the mappers read is declared. Numbers are JSON numbers in Bling.
 * Docs: https://developer.bling.com.br/referencia
 */
import { z } from 'zod';

const id = z.union([z.number(), z.string()]).transform((v) => String(v));
const num = z.union([z.number(), z.string()]).transform((v) => (typeof v === 'number' ? v : Number(v)));

/** `{"data":[...]}` list envelope (no totals, no next link). Items are validated one by one. */
export const BlingListSchema = z.looseObject({ data: z.array(z.unknown()) });

/** `{"data":{...}}` detail envelope. */
export const BlingDetailSchema = z.looseObject({ data: z.unknown() });

/** `{"error":{type,message,description,fields?,limit?,period?}}`. */
export const BlingErrorSchema = z.looseObject({
  error: z.looseObject({
    type: z.string().optional(),
    message: z.string().optional(),
    description: z.string().optional(),
    limit: z.number().optional(),
    period: z.string().optional(),
  }),
});
export type BlingError = z.infer<typeof BlingErrorSchema>;

/** GET /nfe list item. */
export const BlingNfeListItemSchema = z.looseObject({
  id,
  tipo: num.optional(),
  situacao: num,
  numero: z.string().optional(),
  dataEmissao: z.string().optional(),
  chaveAcesso: z.string().nullable().optional(),
  contato: z.looseObject({ nome: z.string().optional(), numeroDocumento: z.string().optional() }).optional(),
});
export type BlingNfeListItem = z.infer<typeof BlingNfeListItemSchema>;

/** GET /nfe/{id} detail (what the adapter reads: `xml`, a readOnly string — the XML link — in
 * NotasFiscaisDadosGetDTO). */
export const BlingNfeDetailSchema = z.looseObject({
  id,
  chaveAcesso: z.string().nullable().optional(),
  xml: z.string().nullable().optional(),
  optanteSimplesNacional: z.boolean().optional(),
});
export type BlingNfeDetail = z.infer<typeof BlingNfeDetailSchema>;

/** GET /nfe/documento/{chave}?formato=xml → data[].conteudo = base64(gzip(xml)). */
export const BlingDocumentoSchema = z.looseObject({
  data: z.array(z.looseObject({ nome: z.string().optional(), conteudo: z.string().min(1) })).min(1),
});

/** GET /produtos list item (no NCM). */
export const BlingProductListItemSchema = z.looseObject({
  id,
  nome: z.string(),
  codigo: z.string().nullable().optional(),
  preco: num.nullable().optional(),
  situacao: z.string().optional(),
  tipo: z.string().optional(),
});
export type BlingProductListItem = z.infer<typeof BlingProductListItemSchema>;

/** GET /produtos/{id} detail: NCM only here, in `tributacao.ncm`. */
export const BlingProductDetailSchema = z.looseObject({
  id,
  nome: z.string(),
  codigo: z.string().nullable().optional(),
  preco: num.nullable().optional(),
  situacao: z.string().optional(),
  unidade: z.string().nullable().optional(),
  tributacao: z.looseObject({
    ncm: z.string().nullable().optional(),
    cest: z.string().nullable().optional(),
  }).optional(),
});
export type BlingProductDetail = z.infer<typeof BlingProductDetailSchema>;

/** GET /contas/receber and /contas/pagar list items (category and competence only in the detail). */
export const BlingTitleListItemSchema = z.looseObject({
  id,
  situacao: num,
  vencimento: z.string().optional(),
  valor: num,
});
export type BlingTitleListItem = z.infer<typeof BlingTitleListItemSchema>;

/** GET /contas/{receber|pagar}/{id}. */
export const BlingTitleDetailSchema = z.looseObject({
  id,
  situacao: num,
  vencimento: z.string().optional(),
  valor: num,
  saldo: num.optional(),
  dataEmissao: z.string().optional(),
  competencia: z.string().nullable().optional(),
  historico: z.string().nullable().optional(),
  numeroDocumento: z.string().nullable().optional(),
  categoria: z.looseObject({ id: id.optional() }).nullable().optional(),
});
export type BlingTitleDetail = z.infer<typeof BlingTitleDetailSchema>;

/** GET /categorias/receitas-despesas item. */
export const BlingCategorySchema = z.looseObject({
  id,
  idCategoriaPai: id.optional(),
  descricao: z.string(),
  tipo: num.optional(),
});
export type BlingCategory = z.infer<typeof BlingCategorySchema>;

/** GET /empresas/me/dados-basicos → data. */
export const BlingCompanySchema = z.looseObject({
  id: z.string().optional(),
  nome: z.string().nullable().optional(),
  cnpj: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  dataContrato: z.string().nullable().optional(),
});
export type BlingCompany = z.infer<typeof BlingCompanySchema>;

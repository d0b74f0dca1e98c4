/**
 * The one sanity check of an XML document an ERP hands over: well-formed XML with an NF-e (`infNFe`) — or, where
 * the ERP sends events too, an event (`infEvento`) — inside. The NF-e module parses it for real; this only turns
 * garbage into a per-record data error with a pt-BR reason.
 */
import { XMLValidator } from 'fast-xml-parser';

export function nfeXmlProblem(
  xml: string | null | undefined,
  opts: { events?: boolean } = {},
): string | null {
  const body = (xml ?? '').replace(/^\uFEFF/, '').trim();
  if (!body) return 'XML vazio';
  if (!body.startsWith('<')) return 'conteúdo não é XML';
  const v = XMLValidator.validate(body);
  if (v !== true) return `XML malformado (linha ${v.err.line})`;
  const root = opts.events ? /<(?:\w+:)?(?:infNFe|infEvento)[\s>]/ : /<(?:\w+:)?infNFe[\s>]/;
  if (!root.test(body)) return opts.events ? 'XML sem infNFe/infEvento' : 'XML sem infNFe';
  return null;
}

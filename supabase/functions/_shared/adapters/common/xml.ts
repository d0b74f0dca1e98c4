/**
 * The one sanity check of an XML document an ERP hands over: well-formed XML with an NF-e (`infNFe`) — or, where
 * the ERP sends events too, an event (`infEvento`) — inside. The NF-e module parses it for real; this only turns
 * garbage into a per-record data error with a pt-BR reason. Size and DTD come first (nfe/xml.ts), so an
 * oversized or DTD-carrying document is refused before any parsing.
 */
import { XMLValidator } from 'fast-xml-parser';
import { DEFAULT_MAX_BYTES, hasDtd } from '../../nfe/xml.ts';

export function nfeXmlProblem(
  xml: string | null | undefined,
  opts: { events?: boolean } = {},
): string | null {
  if ((xml?.length ?? 0) > DEFAULT_MAX_BYTES) return `XML maior que ${DEFAULT_MAX_BYTES} bytes`;
  const body = (xml ?? '').replace(/^\uFEFF/, '').trim();
  if (!body) return 'XML vazio';
  if (!body.startsWith('<')) return 'conteúdo não é XML';
  if (hasDtd(body)) return 'XML com declaração DOCTYPE/ENTITY (uma NF-e nunca tem)';
  const v = XMLValidator.validate(body);
  if (v !== true) return `XML malformado (linha ${v.err.line})`;
  const root = opts.events ? /<(?:\w+:)?(?:infNFe|infEvento)[\s>]/ : /<(?:\w+:)?infNFe[\s>]/;
  if (!root.test(body)) return opts.events ? 'XML sem infNFe/infEvento' : 'XML sem infNFe';
  return null;
}

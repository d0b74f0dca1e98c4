/**
 * Bytes -> text -> tree: decoding (BOM, UTF-8 with a Latin-1 fallback), size limit, well-formedness check and
 * the one fast-xml-parser pass. Namespace prefixes are removed (`nfe:infNFe` -> `infNFe`), so default,
 * repeated, missing and prefixed NF-e namespaces all give the same tree. Signature contents are not parsed.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../errors.ts';
import type { ParseWarning } from './model.ts';

export const NFE_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe';

/** Default size limit of one document (a 990-item NF-e is ~2 MB; a 50-note enviNFe can be larger). */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export type XmlNode = Record<string, unknown>;

export interface ReadOptions {
  /** Shown in errors and kept on the result. */
  fileName?: string;
  /** Documents larger than this fail with NFE_OVERSIZE. Default 16 MiB. */
  maxBytes?: number;
  /**
   * Check well-formedness before parsing (default true). fast-xml-parser alone is lenient: it accepts
   * mismatched closing tags. Only turn this off for input you produced yourself.
   */
  validate?: boolean;
}

/** Stable error codes of the NF-e module (all AppError kind 'data'). */
export type NfeErrorCode =
  | 'NFE_EMPTY'
  | 'NFE_OVERSIZE'
  | 'NFE_MALFORMED'
  | 'NFE_DOCTYPE'
  | 'NFE_NOT_NFE'
  | 'NFE_INVALID'
  | 'NFE_NO_KEY'
  | 'NFE_EVENT_INVALID';

export interface NfeErrorDetails {
  file?: string;
  reason: string;
  line?: number;
  column?: number;
  [k: string]: unknown;
}

/** An AppError of kind 'data': callers record it as a failed record and go on. */
export function nfeError(code: NfeErrorCode, message: string, details: NfeErrorDetails): AppError {
  const where = details.line !== undefined
    ? ` (linha ${details.line}${details.column !== undefined ? `, coluna ${details.column}` : ''})`
    : '';
  const file = details.file ? `${details.file}: ` : '';
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined) clean[k] = v;
  return new AppError('data', code, `${file}${message}${where}`, { details: clean });
}

const LATIN1_LABELS = /^(iso-?8859-1|latin-?1|windows-1252|cp1252|iso_8859-1)$/i;

/**
 * NF-e never carries a DTD (the layout is an XSD): a `<!DOCTYPE` or `<!ENTITY` declaration is refused outright,
 * whatever the parser would do with it (entity expansion bombs, external entities).
 */
const DTD = /<!\s*(DOCTYPE|ENTITY)\b/i;

export function hasDtd(text: string): boolean {
  return DTD.test(text);
}

/**
 * A cheap check of an XML document an ERP handed over, in the order that bounds the work: size first (16 MiB),
 * then DTD, then well-formedness, then that it looks like an NF-e / event. The reason, or null when it is fine.
 */
export function xmlProblem(xml: string, maxBytes = DEFAULT_MAX_BYTES): string | null {
  if (xml.length > maxBytes) return `XML larger than ${maxBytes} bytes`;
  const body = xml.replace(/^\uFEFF/, '').trimStart();
  if (!body.startsWith('<')) return 'not XML';
  if (hasDtd(body)) return 'XML with a DOCTYPE/ENTITY declaration (never in an NF-e)';
  const v = XMLValidator.validate(body);
  if (v !== true) return `XML not well-formed at line ${v.err.line}`;
  if (!/<(infNFe|infEvento)\b/.test(body)) return 'XML without infNFe/infEvento';
  return null;
}

/** Decodes bytes: BOM-aware, UTF-8 by default, Latin-1 when declared (or, with a warning, when UTF-8 fails). */
export function decodeBytes(bytes: Uint8Array, warnings: ParseWarning[]): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  }
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = hasBom ? bytes.subarray(3) : bytes;
  const head = String.fromCharCode(...body.subarray(0, Math.min(200, body.length)));
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  if (declared && LATIN1_LABELS.test(declared) && !hasBom) {
    warnings.push({ code: 'ENCODING', message: `arquivo em ${declared}; NF-e deve ser UTF-8` });
    return new TextDecoder('windows-1252').decode(body);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    warnings.push({ code: 'ENCODING', message: 'arquivo não está em UTF-8 válido; lido como ISO-8859-1' });
    return new TextDecoder('windows-1252').decode(body);
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  stopNodes: ['*.Signature'],
});

/**
 * Text (or bytes) to the parsed tree. Throws AppError kind 'data': NFE_EMPTY, NFE_OVERSIZE, NFE_MALFORMED.
 * Returns the root element's name and node.
 */
export function readXml(
  input: string | Uint8Array,
  opts: ReadOptions,
  warnings: ParseWarning[],
): { rootName: string; root: XmlNode; text: string } {
  const file = opts.fileName;
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > max) {
    throw nfeError('NFE_OVERSIZE', `arquivo grande demais (${size} bytes; limite ${max})`, {
      file,
      reason: 'oversize',
      size,
      limit: max,
    });
  }
  let text = typeof input === 'string' ? input : decodeBytes(input, warnings);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Tolerate whitespace before the declaration (seen in files re-saved by ERPs).
  if (text.length > 0 && text.charCodeAt(0) <= 32) text = text.trimStart();
  if (text.length === 0) throw nfeError('NFE_EMPTY', 'arquivo vazio', { file, reason: 'empty' });
  if (hasDtd(text)) {
    throw nfeError('NFE_DOCTYPE', 'XML com declaração DOCTYPE/ENTITY (NF-e nunca usa DTD): recusado', {
      file,
      reason: 'doctype',
    });
  }

  if (opts.validate !== false) {
    const v = XMLValidator.validate(text, { allowBooleanAttributes: false });
    if (v !== true) {
      throw nfeError('NFE_MALFORMED', `XML malformado: ${v.err.msg}`, {
        file,
        reason: 'malformed',
        xmlCode: v.err.code,
        line: v.err.line,
        column: v.err.col,
      });
    }
  }
  let tree: XmlNode;
  try {
    tree = parser.parse(text) as XmlNode;
  } catch (e) {
    throw nfeError('NFE_MALFORMED', `XML malformado: ${e instanceof Error ? e.message : String(e)}`, {
      file,
      reason: 'malformed',
    });
  }
  let rootName: string | undefined;
  let count = 0;
  for (const k in tree) {
    if (k.startsWith('?') || k.startsWith('#')) continue;
    count++;
    rootName ??= k;
  }
  if (!rootName) throw nfeError('NFE_MALFORMED', 'XML sem elemento raiz', { file, reason: 'no_root' });
  const rootValue = tree[rootName];
  if (count > 1 || Array.isArray(rootValue)) {
    throw nfeError('NFE_MALFORMED', 'XML com mais de um elemento raiz', { file, reason: 'multiple_roots' });
  }
  const root: XmlNode = rootValue !== null && typeof rootValue === 'object' ? (rootValue as XmlNode) : {};
  return { rootName, root, text };
}

// --- tree access helpers (fast-xml-parser shapes) ------------------------------------------------------------

/** Text of an element: a string, or the '#text' of an element with attributes; first one when repeated. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return str(v[0]);
  if (typeof v === 'object') {
    const t = (v as XmlNode)['#text'];
    return typeof t === 'string' ? t : t === undefined ? '' : String(t);
  }
  return String(v);
}

/** An element as an object (first when repeated); undefined for text-only or missing elements. */
export function obj(v: unknown): XmlNode | undefined {
  if (Array.isArray(v)) return obj(v[0]);
  return v !== null && typeof v === 'object' ? (v as XmlNode) : undefined;
}

/** An element that may repeat, as an array of objects. */
export function objs(v: unknown): XmlNode[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.filter((x): x is XmlNode => x !== null && typeof x === 'object');
  return typeof v === 'object' ? [v as XmlNode] : [];
}

/** Name of the first child element (the chosen group of an xs:choice like ICMS00/ICMS10...). */
export function firstChildName(n: XmlNode): string | undefined {
  for (const k in n) if (k.charCodeAt(0) !== 64 /* @ */ && k !== '#text') return k;
  return undefined;
}

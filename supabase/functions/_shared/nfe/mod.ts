/**
 * NF-e module: parse NF-e 4.00 / NFC-e documents and their events, check access keys.
 *
 *   import { parseNfeDocument } from '../_shared/nfe/mod.ts';
 *   const doc = parseNfeDocument(xml, { fileName });   // throws AppError kind 'data' for unreadable files
 *   for (const note of doc.notes) ...                 // note.cancelled, note.items, note.totals, note.warnings
 *   for (const ev of doc.events) ...                  // standalone events (procEventoNFe): ev.cancels
 */
export * from './model.ts';
export { parseNfeDocument, type ParseOptions, readNote } from './parse.ts';
export {
  AUTHORIZED_NOTE_STATUS,
  CANCELLED_NOTE_STATUS,
  isCancellationType,
  readEvent,
  REGISTERED_EVENT_STATUS,
  TP_CANCELLATION,
  TP_CANCELLATION_BY_SUBSTITUTION,
  TP_CORRECTION_LETTER,
} from './events.ts';
export {
  ACCESS_KEY_RE,
  accessKeyCheckDigit,
  type AccessKeyFacts,
  type AccessKeyInput,
  type AccessKeyParts,
  type AccessKeyWarning,
  buildAccessKey,
  checkAccessKey,
  isValidAccessKey,
  splitAccessKey,
} from './access-key.ts';
export {
  DEFAULT_MAX_BYTES,
  NFE_NAMESPACE,
  nfeError,
  type NfeErrorCode,
  type NfeErrorDetails,
  type ReadOptions,
} from './xml.ts';
export * from './decimal.ts';
export * from './documents.ts';
export * from './uf.ts';

/**
 * NF-e events: the request (`evento/infEvento`) and SEFAZ's answer (`retEvento/infEvento`), paired and merged.
 * A registered 110111 (or 110112, cancellation by substitution) cancels the note; 110110 (CC-e) does not.
 */
import type { EventSource, ParsedEvent, ParseWarning } from './model.ts';
import { obj, str, type XmlNode } from './xml.ts';

export const TP_CANCELLATION = '110111';
export const TP_CANCELLATION_BY_SUBSTITUTION = '110112';
export const TP_CORRECTION_LETTER = '110110';

/** retEvento cStat values meaning "registered" (135 linked, 136 not linked, 155 cancellation out of deadline). */
export const REGISTERED_EVENT_STATUS: ReadonlySet<string> = new Set(['135', '136', '155']);

/** Protocol cStat values that mean the note itself is cancelled (legacy cancellation service). */
export const CANCELLED_NOTE_STATUS: ReadonlySet<string> = new Set(['101', '151']);

/** Protocol cStat values that mean the note is authorised. */
export const AUTHORIZED_NOTE_STATUS: ReadonlySet<string> = new Set(['100', '150']);

export function isCancellationType(tpEvento: string | undefined): boolean {
  return tpEvento === TP_CANCELLATION || tpEvento === TP_CANCELLATION_BY_SUBSTITUTION;
}

/** Key used to pair a request with its answer. */
export function eventPairKey(
  chNFe: string | undefined,
  tpEvento: string | undefined,
  seq: string | undefined,
): string {
  return `${chNFe ?? ''}|${tpEvento ?? ''}|${Number(seq ?? '1') || 1}`;
}

/**
 * Merges a request `infEvento` and an answer `infEvento` (either may be missing) into a ParsedEvent.
 * Returns undefined when neither carries the note's key.
 */
export function readEvent(
  req: XmlNode | undefined,
  ret: XmlNode | undefined,
  source: EventSource,
): ParsedEvent | undefined {
  const warnings: ParseWarning[] = [];
  const accessKey = str(req?.chNFe) ?? str(ret?.chNFe);
  if (!accessKey) return undefined;
  const tpEvento = str(req?.tpEvento) ?? str(ret?.tpEvento) ?? '';
  const det = obj(req?.detEvento);
  const cStat = str(ret?.cStat);
  const registered = cStat !== undefined && REGISTERED_EVENT_STATUS.has(cStat);
  if (!ret) {
    warnings.push({
      code: 'EVENT_NOT_REGISTERED',
      message: 'evento sem retorno da SEFAZ (retEvento): não consta como registrado',
    });
  } else if (!registered) {
    warnings.push({
      code: 'EVENT_REJECTED',
      message: `evento não registrado pela SEFAZ (cStat ${cStat ?? 'ausente'})`,
    });
  }
  if (req && ret) {
    const rk = str(ret.chNFe);
    if (rk && rk !== accessKey) {
      warnings.push({
        code: 'EVENT_KEY_MISMATCH',
        message: `retorno do evento refere-se a outra chave (${rk})`,
      });
    }
  }
  const cnpj = str(req?.CNPJ);
  const cpf = str(req?.CPF);
  const ev: ParsedEvent = {
    kind: 'event',
    accessKey,
    tpEvento,
    description: str(det?.descEvento) ?? str(ret?.xEvento),
    seq: str(req?.nSeqEvento) ?? str(ret?.nSeqEvento),
    at: str(req?.dhEvento),
    registeredAt: str(ret?.dhRegEvento),
    cStat,
    xMotivo: str(ret?.xMotivo),
    eventProtocol: str(ret?.nProt),
    noteProtocol: str(det?.nProt),
    justification: str(det?.xJust),
    correction: str(det?.xCorrecao),
    author: cnpj !== undefined || cpf !== undefined ? { cnpj, cpf } : undefined,
    tpAmb: str(req?.tpAmb) ?? str(ret?.tpAmb),
    cOrgao: str(req?.cOrgao) ?? str(ret?.cOrgao),
    registered,
    cancels: registered && isCancellationType(tpEvento),
    source,
    warnings,
  };
  return ev;
}

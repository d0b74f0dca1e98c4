/**
 * The typed model the NF-e parser produces. Money, rates and quantities are decimal strings exactly as written
 * in the XML ('100', '100.00', '2.5000'); convert with `decimal.ts` (integer cents) when you need arithmetic.
 * A field absent from the XML is absent here (never invented).
 */
import type { AppError } from '../errors.ts';

export interface ParseWarning {
  /** Stable code: KEY_FORMAT, KEY_CHECK_DIGIT, KEY_MISMATCH, TOTALS_MISMATCH, BAD_DECIMAL, NO_NAMESPACE, ... */
  code: string;
  /** Portuguese text for the user. */
  message: string;
}

export interface Party {
  /** 14 characters; alphanumeric CNPJs keep their letters. */
  cnpj?: string;
  cpf?: string;
  /** dest/idEstrangeiro (may be an empty string). */
  foreignId?: string;
  name?: string;
  tradeName?: string;
  ie?: string;
  /** dest/indIEDest. */
  indIEDest?: string;
  uf?: string;
  cityCode?: string;
  city?: string;
  /** emit/CRT: '1' Simples, '2' Simples above sub-limit, '3' normal, '4' MEI. */
  crt?: string;
  email?: string;
}

export interface IcmsInfo {
  /** The XML group name (ICMS00, ICMS10, ICMSSN102, ICMSST, ICMSPart...). It is not the code. */
  group: string;
  orig?: string;
  /** CST for regime normal groups, read inside the group. */
  cst?: string;
  /** CSOSN for Simples Nacional groups, read inside the group. */
  csosn?: string;
  modBC?: string;
  vBC?: string;
  pRedBC?: string;
  pICMS?: string;
  vICMS?: string;
  vICMSDeson?: string;
  motDesICMS?: string;
  vICMSOp?: string;
  pDif?: string;
  vICMSDif?: string;
  vBCFCP?: string;
  pFCP?: string;
  vFCP?: string;
  modBCST?: string;
  pMVAST?: string;
  pRedBCST?: string;
  vBCST?: string;
  pICMSST?: string;
  vICMSST?: string;
  vBCFCPST?: string;
  pFCPST?: string;
  vFCPST?: string;
  vBCSTRet?: string;
  pST?: string;
  vICMSSubstituto?: string;
  vICMSSTRet?: string;
  vFCPSTRet?: string;
  vBCSTDest?: string;
  vICMSSTDest?: string;
  pCredSN?: string;
  vCredICMSSN?: string;
  /** Single-phase fuel ICMS (groups ICMS02/15/53/61). */
  qBCMono?: string;
  adRemICMS?: string;
  vICMSMono?: string;
  vICMSMonoOp?: string;
  vICMSMonoDif?: string;
  vICMSMonoReten?: string;
  vICMSMonoRet?: string;
  /** ICMSPart: UF that receives the ST. */
  UFST?: string;
  pBCOp?: string;
}

export interface PisCofinsInfo {
  /** PISAliq / PISQtde / PISNT / PISOutr (COFINS...). */
  group: string;
  cst?: string;
  vBC?: string;
  /** pPIS / pCOFINS. */
  rate?: string;
  qBCProd?: string;
  /** vAliqProd. */
  ratePerUnit?: string;
  /** vPIS / vCOFINS. */
  value?: string;
}

export interface IpiInfo {
  /** IPITrib / IPINT. */
  group: string;
  cEnq?: string;
  cst?: string;
  vBC?: string;
  pIPI?: string;
  qUnid?: string;
  vUnid?: string;
  vIPI?: string;
}

/** IBS/CBS (tax reform, NT 2025.002), item level. */
export interface IbsCbsInfo {
  cst?: string;
  cClassTrib?: string;
  vBC?: string;
  pIBSUF?: string;
  vIBSUF?: string;
  pIBSMun?: string;
  vIBSMun?: string;
  vIBS?: string;
  pCBS?: string;
  vCBS?: string;
}

export interface NfeItem {
  nItem: number;
  cProd?: string;
  cEAN?: string;
  xProd?: string;
  /** 8 digits (or 2 for a chapter / '00' for non-goods), as written. */
  ncm?: string;
  cest?: string;
  cBenef?: string;
  cfop?: string;
  unit?: string;
  qty?: string;
  unitPrice?: string;
  vProd?: string;
  vFrete?: string;
  vSeg?: string;
  vDesc?: string;
  vOutro?: string;
  /** '1' when the line counts in ICMSTot/vProd. */
  indTot?: string;
  vTotTrib?: string;
  icms?: IcmsInfo;
  ipi?: IpiInfo;
  /** Import duty. */
  ii?: { vBC?: string; vII?: string };
  pis?: PisCofinsInfo;
  cofins?: PisCofinsInfo;
  pisSt?: PisCofinsInfo;
  cofinsSt?: PisCofinsInfo;
  /** DIFAL to a final consumer in another state. */
  icmsUfDest?: {
    vBCUFDest?: string;
    pICMSUFDest?: string;
    vICMSUFDest?: string;
    vFCPUFDest?: string;
    vICMSUFRemet?: string;
  };
  /** Services: ISSQN instead of ICMS. */
  issqn?: { vBC?: string; vAliq?: string; vISSQN?: string; cListServ?: string };
  ibsCbs?: IbsCbsInfo;
}

export interface NfeTotals {
  vBC?: string;
  vICMS?: string;
  vICMSDeson?: string;
  vFCP?: string;
  vFCPUFDest?: string;
  vICMSUFDest?: string;
  vICMSUFRemet?: string;
  vBCST?: string;
  vST?: string;
  vFCPST?: string;
  vFCPSTRet?: string;
  vProd?: string;
  vFrete?: string;
  vSeg?: string;
  vDesc?: string;
  vII?: string;
  vIPI?: string;
  vIPIDevol?: string;
  vPIS?: string;
  vCOFINS?: string;
  vOutro?: string;
  vNF?: string;
  vTotTrib?: string;
  /** ISSQNtot/vServ when the note has services. */
  vServ?: string;
  /** IBSCBSTot. */
  vBCIBSCBS?: string;
  vIBS?: string;
  vCBS?: string;
}

export interface NfeProtocol {
  cStat?: string;
  xMotivo?: string;
  nProt?: string;
  /** ISO date-time with its offset, as written. */
  dhRecbto?: string;
  chNFe?: string;
  tpAmb?: string;
  /** cStat 100 or 150. */
  authorized: boolean;
}

export type EventSource =
  | 'procEventoNFe'
  | 'nfeProc'
  | 'procEvento'
  | 'retEnvEvento'
  | 'evento'
  | 'retEvento';

export interface ParsedEvent {
  kind: 'event';
  /** The note the event refers to (chNFe). */
  accessKey: string;
  tpEvento: string;
  /** descEvento / xEvento. */
  description?: string;
  seq?: string;
  /** dhEvento (request) when present. */
  at?: string;
  /** dhRegEvento (registration by SEFAZ). */
  registeredAt?: string;
  /** retEvento/cStat (135, 136, 155 = registered). */
  cStat?: string;
  xMotivo?: string;
  /** The event's own registration protocol (retEvento/nProt). */
  eventProtocol?: string;
  /** Cancellation: the authorisation protocol of the note being cancelled (detEvento/nProt). */
  noteProtocol?: string;
  justification?: string;
  /** CC-e text (110110). */
  correction?: string;
  author?: { cnpj?: string; cpf?: string };
  tpAmb?: string;
  cOrgao?: string;
  /** SEFAZ registered the event (retEvento cStat 135/136/155). */
  registered: boolean;
  /** A registered cancellation (110111, or 110112 cancellation by substitution). A CC-e never cancels. */
  cancels: boolean;
  source: EventSource;
  warnings: ParseWarning[];
}

export interface ParsedNfe {
  kind: 'nfe';
  /** 44 characters from infNFe@Id (without the 'NFe' prefix). */
  accessKey: string;
  /** Pattern ok and check digit right (agreement with ide/emit is reported in warnings). */
  accessKeyValid: boolean;
  /** infNFe@versao ('4.00'). */
  layoutVersion?: string;
  /** '55' NF-e, '65' NFC-e. */
  model: string;
  series: string;
  number: string;
  cNF?: string;
  cUF?: string;
  /** dhEmi as written, offset kept ('2026-11-10T14:30:00-03:00'); a date only for layouts before 3.10. */
  issuedAt: string;
  tpNF: string;
  /** From tpNF, the issuer's point of view: '0' entrada, '1' saída. */
  operation: 'entrada' | 'saida';
  finNFe?: string;
  natOp?: string;
  tpAmb?: string;
  tpEmis?: string;
  idDest?: string;
  indFinal?: string;
  /** Referenced notes (NFref/refNFe), e.g. the sale a devolução returns. */
  references: string[];
  issuer: Party;
  recipient?: Party;
  items: NfeItem[];
  totals: NfeTotals;
  protocol?: NfeProtocol;
  /** Events found in the same document for this note (e.g. a cancellation appended inside nfeProc). */
  events: ParsedEvent[];
  /** A registered cancellation is in the document, or the protocol says cancelled (101/151). */
  cancelled: boolean;
  warnings: ParseWarning[];
}

/** A note of a batch (enviNFe) that could not be read; the rest of the document still is. */
export interface NoteFailure {
  /** 0-based position of the NFe element in the document. */
  index: number;
  accessKey?: string;
  error: AppError;
}

export interface ParsedDocument {
  /** Root element name without prefix (NFe, nfeProc, enviNFe, procEventoNFe...). */
  root: string;
  fileName?: string;
  notes: ParsedNfe[];
  /** Events not attached to a note in this document (procEventoNFe files). */
  events: ParsedEvent[];
  failures: NoteFailure[];
  /** Document-level warnings (namespace, encoding). */
  warnings: ParseWarning[];
}

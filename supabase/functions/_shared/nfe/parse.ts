/**
 * NF-e 4.00 document parser: one XML pass (xml.ts), then one read of each note's tree.
 *
 * `parseNfeDocument(xml, { fileName })` finds every `infNFe`, `protNFe/infProt`, `evento` and `retEvento`
 * wherever they sit (NFe, nfeProc, enviNFe, procEventoNFe, procEvento, B2B wrappers...), pairs protocols and
 * events with notes by access key, and returns typed notes and events. Problems with the data (key check digit,
 * key vs ide/emit, totals vs items) are warnings; a document that cannot be read at all throws an AppError of
 * kind 'data' (NFE_MALFORMED, NFE_NOT_NFE, NFE_OVERSIZE, NFE_EMPTY, NFE_INVALID, NFE_NO_KEY).
 */
import { isAppError } from '../errors.ts';
import { checkAccessKey, isValidAccessKey } from './access-key.ts';
import { toCents } from './decimal.ts';
import { AUTHORIZED_NOTE_STATUS, CANCELLED_NOTE_STATUS, eventPairKey, readEvent } from './events.ts';
import type {
  EventSource,
  IbsCbsInfo,
  IcmsInfo,
  IpiInfo,
  NfeItem,
  NfeProtocol,
  NfeTotals,
  NoteFailure,
  ParsedDocument,
  ParsedEvent,
  ParsedNfe,
  ParseWarning,
  Party,
  PisCofinsInfo,
} from './model.ts';
import {
  firstChildName,
  NFE_NAMESPACE,
  nfeError,
  obj,
  objs,
  type ReadOptions,
  readXml,
  str,
  type XmlNode,
} from './xml.ts';

export type ParseOptions = ReadOptions;

const DECIMAL_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Reads a decimal field; a value that is not a plain decimal becomes a BAD_DECIMAL warning and is dropped. */
function dec(n: XmlNode, key: string, w: ParseWarning[], where: string): string | undefined {
  const v = n[key];
  if (v === undefined) return undefined;
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  if (DECIMAL_RE.test(s)) return s;
  w.push({
    code: 'BAD_DECIMAL',
    message: `valor não numérico em ${where}/${key}: ${JSON.stringify(s.slice(0, 40))}`,
  });
  return undefined;
}

// --- ICMS -----------------------------------------------------------------------------------------------------

const ICMS_CODES = new Set(['orig', 'modBC', 'modBCST', 'motDesICMS', 'UFST']);
const ICMS_DECIMALS = new Set([
  'vBC',
  'pRedBC',
  'pICMS',
  'vICMS',
  'vICMSDeson',
  'vICMSOp',
  'pDif',
  'vICMSDif',
  'vBCFCP',
  'pFCP',
  'vFCP',
  'pMVAST',
  'pRedBCST',
  'vBCST',
  'pICMSST',
  'vICMSST',
  'vBCFCPST',
  'pFCPST',
  'vFCPST',
  'vBCSTRet',
  'pST',
  'vICMSSubstituto',
  'vICMSSTRet',
  'vFCPSTRet',
  'vBCSTDest',
  'vICMSSTDest',
  'pCredSN',
  'vCredICMSSN',
  'qBCMono',
  'adRemICMS',
  'vICMSMono',
  'vICMSMonoOp',
  'vICMSMonoDif',
  'vICMSMonoReten',
  'vICMSMonoRet',
  'pBCOp',
]);

function readIcms(icms: XmlNode, w: ParseWarning[], where: string): IcmsInfo | undefined {
  const group = firstChildName(icms);
  if (!group) return undefined;
  const info: IcmsInfo = { group };
  const g = obj(icms[group]);
  if (!g) return info;
  const rec = info as unknown as Record<string, string | undefined>;
  for (const k in g) {
    if (k === 'CST') info.cst = str(g[k]);
    else if (k === 'CSOSN') info.csosn = str(g[k]);
    else if (ICMS_CODES.has(k)) rec[k] = str(g[k]);
    else if (ICMS_DECIMALS.has(k)) rec[k] = dec(g, k, w, `${where}/${group}`);
  }
  if (info.cst === undefined && info.csosn === undefined) {
    w.push({ code: 'ICMS_NO_CODE', message: `${where}/${group} sem CST/CSOSN` });
  }
  return info;
}

// --- PIS / COFINS / IPI / others ------------------------------------------------------------------------------

function readPisCofins(
  n: XmlNode | undefined,
  tax: 'PIS' | 'COFINS',
  w: ParseWarning[],
  where: string,
): PisCofinsInfo | undefined {
  if (!n) return undefined;
  const group = firstChildName(n);
  if (!group) return undefined;
  const g = obj(n[group]);
  if (!g) return { group };
  const at = `${where}/${tax}/${group}`;
  return {
    group,
    cst: str(g.CST),
    vBC: dec(g, 'vBC', w, at),
    rate: dec(g, `p${tax}`, w, at),
    qBCProd: dec(g, 'qBCProd', w, at),
    ratePerUnit: dec(g, 'vAliqProd', w, at),
    value: dec(g, `v${tax}`, w, at),
  };
}

/** PISST / COFINSST have no inner choice group. */
function readPisCofinsSt(
  g: XmlNode | undefined,
  tax: 'PIS' | 'COFINS',
  w: ParseWarning[],
  where: string,
): PisCofinsInfo | undefined {
  if (!g) return undefined;
  const at = `${where}/${tax}ST`;
  return {
    group: `${tax}ST`,
    vBC: dec(g, 'vBC', w, at),
    rate: dec(g, `p${tax}`, w, at),
    qBCProd: dec(g, 'qBCProd', w, at),
    ratePerUnit: dec(g, 'vAliqProd', w, at),
    value: dec(g, `v${tax}`, w, at),
  };
}

function readIpi(n: XmlNode, w: ParseWarning[], where: string): IpiInfo | undefined {
  const trib = obj(n.IPITrib);
  const at = `${where}/IPI`;
  if (trib) {
    return {
      group: 'IPITrib',
      cEnq: str(n.cEnq),
      cst: str(trib.CST),
      vBC: dec(trib, 'vBC', w, at),
      pIPI: dec(trib, 'pIPI', w, at),
      qUnid: dec(trib, 'qUnid', w, at),
      vUnid: dec(trib, 'vUnid', w, at),
      vIPI: dec(trib, 'vIPI', w, at),
    };
  }
  const nt = obj(n.IPINT);
  if (nt) return { group: 'IPINT', cEnq: str(n.cEnq), cst: str(nt.CST) };
  return undefined;
}

function readIbsCbs(n: XmlNode, w: ParseWarning[], where: string): IbsCbsInfo {
  const at = `${where}/IBSCBS`;
  const info: IbsCbsInfo = { cst: str(n.CST), cClassTrib: str(n.cClassTrib) };
  const g = obj(n.gIBSCBS) ?? obj(n.gIBSCBSMono);
  if (g) {
    info.vBC = dec(g, 'vBC', w, at);
    info.vIBS = dec(g, 'vIBS', w, at);
    const uf = obj(g.gIBSUF);
    if (uf) {
      info.pIBSUF = dec(uf, 'pIBSUF', w, at);
      info.vIBSUF = dec(uf, 'vIBSUF', w, at);
    }
    const mun = obj(g.gIBSMun);
    if (mun) {
      info.pIBSMun = dec(mun, 'pIBSMun', w, at);
      info.vIBSMun = dec(mun, 'vIBSMun', w, at);
    }
    const cbs = obj(g.gCBS);
    if (cbs) {
      info.pCBS = dec(cbs, 'pCBS', w, at);
      info.vCBS = dec(cbs, 'vCBS', w, at);
    }
  }
  return info;
}

// --- items ----------------------------------------------------------------------------------------------------

function readItem(det: XmlNode, index: number, w: ParseWarning[]): NfeItem {
  const nItemAttr = str(det['@nItem']);
  const nItem = nItemAttr !== undefined && /^\d+$/.test(nItemAttr) ? Number(nItemAttr) : index + 1;
  const where = `det[${nItem}]`;
  const prod = obj(det.prod) ?? {};
  const imp = obj(det.imposto) ?? {};
  const item: NfeItem = {
    nItem,
    cProd: str(prod.cProd),
    cEAN: str(prod.cEAN),
    xProd: str(prod.xProd),
    ncm: str(prod.NCM),
    cest: str(prod.CEST),
    cBenef: str(prod.cBenef),
    cfop: str(prod.CFOP),
    unit: str(prod.uCom),
    qty: dec(prod, 'qCom', w, where),
    unitPrice: dec(prod, 'vUnCom', w, where),
    vProd: dec(prod, 'vProd', w, where),
    vFrete: dec(prod, 'vFrete', w, where),
    vSeg: dec(prod, 'vSeg', w, where),
    vDesc: dec(prod, 'vDesc', w, where),
    vOutro: dec(prod, 'vOutro', w, where),
    indTot: str(prod.indTot),
    vTotTrib: dec(imp, 'vTotTrib', w, where),
  };
  const icms = obj(imp.ICMS);
  if (icms) item.icms = readIcms(icms, w, where);
  const ipi = obj(imp.IPI);
  if (ipi) item.ipi = readIpi(ipi, w, where);
  const ii = obj(imp.II);
  if (ii) item.ii = { vBC: dec(ii, 'vBC', w, `${where}/II`), vII: dec(ii, 'vII', w, `${where}/II`) };
  item.pis = readPisCofins(obj(imp.PIS), 'PIS', w, where);
  item.cofins = readPisCofins(obj(imp.COFINS), 'COFINS', w, where);
  const pisSt = obj(imp.PISST);
  if (pisSt) item.pisSt = readPisCofinsSt(pisSt, 'PIS', w, where);
  const cofinsSt = obj(imp.COFINSST);
  if (cofinsSt) item.cofinsSt = readPisCofinsSt(cofinsSt, 'COFINS', w, where);
  const difal = obj(imp.ICMSUFDest);
  if (difal) {
    const at = `${where}/ICMSUFDest`;
    item.icmsUfDest = {
      vBCUFDest: dec(difal, 'vBCUFDest', w, at),
      pICMSUFDest: dec(difal, 'pICMSUFDest', w, at),
      vICMSUFDest: dec(difal, 'vICMSUFDest', w, at),
      vFCPUFDest: dec(difal, 'vFCPUFDest', w, at),
      vICMSUFRemet: dec(difal, 'vICMSUFRemet', w, at),
    };
  }
  const iss = obj(imp.ISSQN);
  if (iss) {
    const at = `${where}/ISSQN`;
    item.issqn = {
      vBC: dec(iss, 'vBC', w, at),
      vAliq: dec(iss, 'vAliq', w, at),
      vISSQN: dec(iss, 'vISSQN', w, at),
      cListServ: str(iss.cListServ),
    };
  }
  const ibs = obj(imp.IBSCBS);
  if (ibs) item.ibsCbs = readIbsCbs(ibs, w, where);
  return item;
}

// --- parties, totals, protocol ----------------------------------------------------------------------------------

function readParty(n: XmlNode, addrKey: 'enderEmit' | 'enderDest'): Party {
  const addr = obj(n[addrKey]);
  const p: Party = {};
  const cnpj = str(n.CNPJ);
  if (cnpj !== undefined) p.cnpj = cnpj;
  const cpf = str(n.CPF);
  if (cpf !== undefined) p.cpf = cpf;
  const foreign = str(n.idEstrangeiro);
  if (foreign !== undefined) p.foreignId = foreign;
  p.name = str(n.xNome);
  p.tradeName = str(n.xFant);
  p.ie = str(n.IE);
  p.indIEDest = str(n.indIEDest);
  p.uf = addr ? str(addr.UF) : undefined;
  p.cityCode = addr ? str(addr.cMun) : undefined;
  p.city = addr ? str(addr.xMun) : undefined;
  p.crt = str(n.CRT);
  p.email = str(n.email);
  return p;
}

const TOTAL_FIELDS = new Set([
  'vBC',
  'vICMS',
  'vICMSDeson',
  'vFCP',
  'vFCPUFDest',
  'vICMSUFDest',
  'vICMSUFRemet',
  'vBCST',
  'vST',
  'vFCPST',
  'vFCPSTRet',
  'vProd',
  'vFrete',
  'vSeg',
  'vDesc',
  'vII',
  'vIPI',
  'vIPIDevol',
  'vPIS',
  'vCOFINS',
  'vOutro',
  'vNF',
  'vTotTrib',
]);

function readTotals(total: XmlNode, icmsTot: XmlNode, w: ParseWarning[]): NfeTotals {
  const t: NfeTotals = {};
  const rec = t as Record<string, string | undefined>;
  for (const k in icmsTot) if (TOTAL_FIELDS.has(k)) rec[k] = dec(icmsTot, k, w, 'ICMSTot');
  const iss = obj(total.ISSQNtot);
  if (iss) t.vServ = dec(iss, 'vServ', w, 'ISSQNtot');
  const ibs = obj(total.IBSCBSTot);
  if (ibs) {
    t.vBCIBSCBS = dec(ibs, 'vBCIBSCBS', w, 'IBSCBSTot');
    const gi = obj(ibs.gIBS);
    if (gi) t.vIBS = dec(gi, 'vIBS', w, 'IBSCBSTot/gIBS');
    const gc = obj(ibs.gCBS);
    if (gc) t.vCBS = dec(gc, 'vCBS', w, 'IBSCBSTot/gCBS');
  }
  return t;
}

function readProtocol(infProt: XmlNode): NfeProtocol {
  const cStat = str(infProt.cStat);
  return {
    cStat,
    xMotivo: str(infProt.xMotivo),
    nProt: str(infProt.nProt),
    dhRecbto: str(infProt.dhRecbto),
    chNFe: str(infProt.chNFe),
    tpAmb: str(infProt.tpAmb),
    authorized: cStat !== undefined && AUTHORIZED_NOTE_STATUS.has(cStat),
  };
}

// --- one note ---------------------------------------------------------------------------------------------------

function required(
  n: XmlNode,
  key: string,
  where: string,
  file: string | undefined,
  accessKey?: string,
): string {
  const v = str(n[key]);
  if (v === undefined || v === '') {
    throw nfeError('NFE_INVALID', `NF-e sem ${where}/${key}`, {
      file,
      reason: 'missing_field',
      field: `${where}/${key}`,
      accessKey,
    });
  }
  return v;
}

/** Reads one `NFe` element (or a bare `infNFe`). Throws NFE_INVALID / NFE_NO_KEY for notes it cannot use. */
export function readNote(nfe: XmlNode, file?: string): ParsedNfe {
  const inf = obj(nfe.infNFe);
  if (!inf) throw nfeError('NFE_INVALID', 'elemento NFe sem infNFe', { file, reason: 'missing_infNFe' });
  const w: ParseWarning[] = [];
  const id = str(inf['@Id']);
  if (!id) {
    throw nfeError('NFE_NO_KEY', 'infNFe sem atributo Id (chave de acesso)', { file, reason: 'missing_key' });
  }
  const accessKey = id.startsWith('NFe') ? id.slice(3) : id;
  const ide = obj(inf.ide);
  if (!ide) {
    throw nfeError('NFE_INVALID', 'NF-e sem grupo ide', {
      file,
      reason: 'missing_field',
      field: 'ide',
      accessKey,
    });
  }
  const emit = obj(inf.emit);
  if (!emit) {
    throw nfeError('NFE_INVALID', 'NF-e sem grupo emit', {
      file,
      reason: 'missing_field',
      field: 'emit',
      accessKey,
    });
  }
  const total = obj(inf.total);
  const icmsTot = total ? obj(total.ICMSTot) : undefined;
  if (!total || !icmsTot) {
    throw nfeError('NFE_INVALID', 'NF-e sem total/ICMSTot', {
      file,
      reason: 'missing_field',
      field: 'total/ICMSTot',
      accessKey,
    });
  }

  const model = required(ide, 'mod', 'ide', file, accessKey);
  const series = required(ide, 'serie', 'ide', file, accessKey);
  const number = required(ide, 'nNF', 'ide', file, accessKey);
  const tpNF = required(ide, 'tpNF', 'ide', file, accessKey);
  if (tpNF !== '0' && tpNF !== '1') {
    throw nfeError('NFE_INVALID', `ide/tpNF inválido: ${JSON.stringify(tpNF)}`, {
      file,
      reason: 'bad_field',
      field: 'ide/tpNF',
      accessKey,
    });
  }
  let issuedAt = str(ide.dhEmi);
  if (!issuedAt) {
    issuedAt = str(ide.dEmi);
    if (!issuedAt) {
      throw nfeError('NFE_INVALID', 'NF-e sem ide/dhEmi', {
        file,
        reason: 'missing_field',
        field: 'ide/dhEmi',
        accessKey,
      });
    }
    w.push({ code: 'DATE_ONLY', message: 'data de emissão sem hora (dEmi, layout anterior a 3.10)' });
  } else if (!/(?:[+-]\d{2}:\d{2}|Z)$/.test(issuedAt)) {
    w.push({ code: 'DATE_NO_OFFSET', message: `dhEmi sem fuso horário: ${issuedAt}` });
  }
  const layoutVersion = str(inf['@versao']);
  if (layoutVersion !== undefined && layoutVersion !== '4.00') {
    w.push({ code: 'LAYOUT_VERSION', message: `leiaute ${layoutVersion}; esperado 4.00` });
  }
  if (model !== '55' && model !== '65') {
    w.push({ code: 'MODEL', message: `modelo ${model} não é NF-e (55) nem NFC-e (65)` });
  }

  const issuer = readParty(emit, 'enderEmit');
  const destNode = obj(inf.dest);
  const recipient = destNode ? readParty(destNode, 'enderDest') : undefined;

  const cUF = str(ide.cUF);
  const cNF = str(ide.cNF);
  const tpEmis = str(ide.tpEmis);
  w.push(
    ...checkAccessKey(accessKey, {
      cUF,
      dhEmi: issuedAt,
      cnpj: issuer.cnpj,
      cpf: issuer.cnpj === undefined ? issuer.cpf : undefined,
      mod: model,
      serie: series,
      nNF: number,
      tpEmis,
      cNF,
      cDV: str(ide.cDV),
    }),
  );

  const dets = objs(inf.det);
  if (dets.length === 0) w.push({ code: 'NO_ITEMS', message: 'NF-e sem itens (det)' });
  const items: NfeItem[] = new Array(dets.length);
  for (let i = 0; i < dets.length; i++) items[i] = readItem(dets[i], i, w);
  const totals = readTotals(total, icmsTot, w);

  // Σ det/vProd (indTot=1) vs ICMSTot/vProd: a warning only (services, edited fixtures...).
  if (totals.vProd !== undefined) {
    let sum = 0n;
    let ok = true;
    for (const it of items) {
      if (it.indTot === '0') continue;
      if (it.vProd === undefined) {
        ok = false;
        break;
      }
      sum += toCents(it.vProd);
    }
    if (ok && items.length > 0 && sum !== toCents(totals.vProd)) {
      const s = sum.toString().padStart(3, '0');
      w.push({
        code: 'TOTALS_MISMATCH',
        message: `soma de det/vProd (${s.slice(0, -2)}.${
          s.slice(-2)
        }) difere de ICMSTot/vProd (${totals.vProd})`,
      });
    }
  }

  const references: string[] = [];
  for (const ref of objs(ide.NFref)) {
    const k = str(ref.refNFe) ?? str(ref.refNFeSig);
    if (k) references.push(k);
  }

  return {
    kind: 'nfe',
    accessKey,
    accessKeyValid: isValidAccessKey(accessKey),
    layoutVersion,
    model,
    series,
    number,
    cNF,
    cUF,
    issuedAt,
    tpNF,
    operation: tpNF === '0' ? 'entrada' : 'saida',
    finNFe: str(ide.finNFe),
    natOp: str(ide.natOp),
    tpAmb: str(ide.tpAmb),
    tpEmis,
    idDest: str(ide.idDest),
    indFinal: str(ide.indFinal),
    references,
    issuer,
    recipient,
    items,
    totals,
    events: [],
    cancelled: false,
    warnings: w,
  };
}

// --- the document -----------------------------------------------------------------------------------------------

interface Found {
  notes: XmlNode[];
  prots: XmlNode[];
  reqs: { inf: XmlNode; source: EventSource }[];
  rets: { inf: XmlNode; source: EventSource }[];
}

const CONTAINER_SOURCES: Record<string, EventSource> = {
  procEventoNFe: 'procEventoNFe',
  nfeProc: 'nfeProc',
  procEvento: 'procEvento',
  retEnvEvento: 'retEnvEvento',
};

function sourceFor(parent: string, self: 'evento' | 'retEvento'): EventSource {
  return CONTAINER_SOURCES[parent] ?? self;
}

/** Finds the interesting elements without descending into notes, protocols or signatures. */
function visit(name: string, node: XmlNode, parent: string, f: Found, depth: number): void {
  switch (name) {
    case 'NFe':
      f.notes.push(node);
      return;
    case 'infNFe':
      f.notes.push({ infNFe: node });
      return;
    case 'protNFe': {
      const ip = obj(node.infProt);
      if (ip) f.prots.push(ip);
      return;
    }
    case 'evento': {
      const ie = obj(node.infEvento);
      if (ie) f.reqs.push({ inf: ie, source: sourceFor(parent, 'evento') });
      return;
    }
    case 'retEvento': {
      const ie = obj(node.infEvento);
      if (ie) f.rets.push({ inf: ie, source: sourceFor(parent, 'retEvento') });
      // non-standard files nest a retEvento inside retEvento
      for (const nested of objs(node.retEvento)) visit('retEvento', nested, parent, f, depth + 1);
      return;
    }
    case 'Signature':
      return;
  }
  if (depth >= 8) return;
  for (const k in node) {
    const c = k.charCodeAt(0);
    if (c === 64 /* @ */ || c === 35 /* # */) continue;
    for (const child of objs(node[k])) visit(k, child, name, f, depth + 1);
  }
}

/**
 * Parses one XML document into the notes and events it holds. Throws an AppError (kind 'data') when the
 * document is empty, oversize, malformed, or holds no usable NF-e or event; a broken note inside a batch is
 * reported in `failures` while the other notes are returned.
 */
export function parseNfeDocument(input: string | Uint8Array, opts: ParseOptions = {}): ParsedDocument {
  const file = opts.fileName;
  const warnings: ParseWarning[] = [];
  const { rootName, root, text } = readXml(input, opts, warnings);
  if (text.indexOf(NFE_NAMESPACE) < 0) {
    warnings.push({ code: 'NO_NAMESPACE', message: `documento sem o namespace ${NFE_NAMESPACE}` });
  }

  const found: Found = { notes: [], prots: [], reqs: [], rets: [] };
  visit(rootName, root, '', found, 0);

  const notes: ParsedNfe[] = [];
  const failures: NoteFailure[] = [];
  for (let i = 0; i < found.notes.length; i++) {
    try {
      notes.push(readNote(found.notes[i], file));
    } catch (e) {
      if (!isAppError(e)) throw e;
      const key = str(obj(found.notes[i].infNFe)?.['@Id']);
      failures.push({ index: i, accessKey: key?.startsWith('NFe') ? key.slice(3) : key, error: e });
    }
  }

  // protocols, by key; a lone protocol next to a lone note is paired even if its key differs (with a warning)
  if (found.prots.length > 0 && notes.length > 0) {
    const byKey = new Map<string, XmlNode>();
    for (const p of found.prots) {
      const k = str(p.chNFe);
      if (k) byKey.set(k, p);
    }
    for (const n of notes) {
      let p = byKey.get(n.accessKey);
      if (!p && notes.length === 1 && found.prots.length === 1) {
        p = found.prots[0];
        n.warnings.push({
          code: 'PROTOCOL_KEY_MISMATCH',
          message: `protocolo refere-se a outra chave (${str(p.chNFe) ?? 'ausente'})`,
        });
      }
      if (p) {
        n.protocol = readProtocol(p);
        if (n.protocol.cStat !== undefined && CANCELLED_NOTE_STATUS.has(n.protocol.cStat)) n.cancelled = true;
      }
    }
  }

  // events: pair requests and answers, then attach to notes of this document
  const events: ParsedEvent[] = [];
  if (found.reqs.length > 0 || found.rets.length > 0) {
    const rets = new Map<string, { inf: XmlNode; source: EventSource }>();
    for (const r of found.rets) {
      rets.set(eventPairKey(str(r.inf.chNFe), str(r.inf.tpEvento), str(r.inf.nSeqEvento)), r);
    }
    const all: ParsedEvent[] = [];
    const push = (ev: ParsedEvent | undefined, index: number) => {
      if (ev) all.push(ev);
      else {
        failures.push({
          index,
          error: nfeError('NFE_EVENT_INVALID', 'evento sem chave da NF-e (chNFe)', {
            file,
            reason: 'event_without_key',
          }),
        });
      }
    };
    found.reqs.forEach((q, i) => {
      const k = eventPairKey(str(q.inf.chNFe), str(q.inf.tpEvento), str(q.inf.nSeqEvento));
      const r = rets.get(k);
      if (r) rets.delete(k);
      push(readEvent(q.inf, r?.inf, q.source), i);
    });
    let i = found.reqs.length;
    for (const r of rets.values()) push(readEvent(undefined, r.inf, r.source), i++);

    const noteByKey = new Map<string, ParsedNfe>();
    for (const n of notes) noteByKey.set(n.accessKey, n);
    for (const ev of all) {
      const n = noteByKey.get(ev.accessKey);
      if (n) {
        n.events.push(ev);
        if (ev.cancels) n.cancelled = true;
      } else events.push(ev);
    }
  }

  if (notes.length === 0 && events.length === 0) {
    if (failures.length > 0) throw failures[0].error;
    throw nfeError('NFE_NOT_NFE', `documento não é NF-e nem evento de NF-e (raiz <${rootName}>)`, {
      file,
      reason: 'not_nfe',
      root: rootName,
    });
  }
  return { root: rootName, fileName: file, notes, events, failures, warnings };
}

/**
 * NCM analysis rules, pure: NF-e items (both directions) and the product master → one row per NCM for
 * company_ncm_analysis. Format rules: NF-e layout (field NCM) and TIPI (Decreto 11.158/2022). No I/O here (see sql.ts).
 *
 * Counting: items of notes that are authorized, not cancelled and not homologation (tpAmb 2), whose local month
 * (dhEmi as written) is in the period. direction 'entrada' (the company is the recipient) → items_in/value_in;
 * 'saida' → items_out/value_out. value = vProd − vDesc. `products` = active product-master rows with the NCM.
 * NCMs are compared digits-only ('3004.90.99' = '30049099'); an item without NCM is grouped under ''.
 *
 * Flags (rule id = code; severity in brackets):
 *   NCM_MISSING          [error]   items without NCM.
 *   NCM_NON_GOODS        [info]    '00': services / non-goods lines (allowed by the schema).
 *   NCM_CHAPTER_ONLY     [warning] 2 digits: allowed only outside foreign trade and when the item is not
 *                                  subject to IPI.
 *   NCM_FORMAT_INVALID   [error]   not 8 digits (nor the two forms above).
 *   NCM_CHAPTER_UNKNOWN  [error]   chapter not in use (00, 77, 98, 99).
 *   NCM_CODE_CONFLICT    [warning] the same product code of the same issuer with different NCMs across notes
 *                                  (a supplier's code is only compared with that supplier's notes; the company's
 *                                  own codes with its own notes).
 *   NCM_MASTER_MISMATCH  [warning] on notes the company issued (direction = operation: its sales and its own
 *                                  entry notes), a product whose code is in the product master with a different
 *                                  NCM than the invoice.
 *   MONOPHASIC           [info]    NCM in the monophasic PIS/COFINS table (group and legal basis also in the
 *                                  row's columns; table version in rule_version).
 */
import {
  chapterKnown,
  formatNcm,
  MONOPHASIC_TABLE_VERSION,
  monophasicMatch,
  type NcmFormat,
  ncmFormat,
  normalizeNcm,
} from '../common/ncm.ts';
import { brl, type Cents, cents, money } from '../common/money.ts';
import { inPeriod, noteMonth, type Period } from '../common/period.ts';

export const NCM_RULES_ID = 'ncm-2026.11.1';
export const NCM_RULES_VERSION = `${NCM_RULES_ID}+monophasic-${MONOPHASIC_TABLE_VERSION}`;

const MAX_EVIDENCE = 10;

export interface NcmNote {
  id: string;
  issued_at: string | Date;
  issued_at_local: string | null;
  status: string;
  environment: number | null;
  direction: 'entrada' | 'saida';
  /** The issuer's tpNF. direction === operation ⇔ the company issued the note (its own product codes). */
  operation: 'entrada' | 'saida';
  issuer_doc: string;
}

export interface NcmItem {
  xml_import_id: string;
  item_number: number;
  product_code: string | null;
  description: string | null;
  ncm: string | null;
  total_value: string;
  discount: string | null;
}

export interface MasterProduct {
  code: string | null;
  name: string;
  ncm: string | null;
  active: boolean;
}

export interface NcmInput {
  period: Period;
  notes: NcmNote[];
  items: NcmItem[];
  products: MasterProduct[];
}

export type Severity = 'error' | 'warning' | 'info';

export interface NcmFlag {
  code: string;
  severity: Severity;
  message: string;
  evidence?: Record<string, unknown>;
}

export interface NcmRow {
  ncm: string;
  ncm_format: NcmFormat;
  chapter: string | null;
  items_in: number;
  items_out: number;
  value_in: string;
  value_out: string;
  products: number;
  flags: NcmFlag[];
  monophasic_group: string | null;
  legal_basis: string | null;
  monophasic_check: string | null;
  explanation: string;
}

export interface NcmResult {
  rules_version: string;
  period: Period;
  rows: NcmRow[];
  totals: {
    ncms: number;
    items_in: number;
    items_out: number;
    value_in: string;
    value_out: string;
    monophasic_ncms: number;
    monophasic_value_in: string;
    monophasic_value_out: string;
    flagged_ncms: number;
    flags: Record<string, number>;
  };
  warnings: Array<{ code: string; message: string }>;
}

interface Acc {
  itemsIn: number;
  itemsOut: number;
  valueIn: Cents;
  valueOut: Cents;
  products: number;
  conflicts: Array<{ issuer_doc: string; product_code: string; ncms: string[] }>;
  conflictCount: number;
  mismatches: Map<string, { product_code: string; master_ncm: string; invoice_ncm: string; items: number }>;
}

function newAcc(): Acc {
  return {
    itemsIn: 0,
    itemsOut: 0,
    valueIn: 0n,
    valueOut: 0n,
    products: 0,
    conflicts: [],
    conflictCount: 0,
    mismatches: new Map(),
  };
}

export function analyzeNcm(input: NcmInput): NcmResult {
  const notes = new Map<string, NcmNote>();
  for (const n of input.notes) {
    if (n.status !== 'authorized' || n.environment === 2) continue;
    if (!inPeriod(noteMonth(n.issued_at_local, n.issued_at), input.period)) continue;
    notes.set(n.id, n);
  }
  const rows = new Map<string, Acc>();
  const get = (ncm: string) => {
    let a = rows.get(ncm);
    if (!a) rows.set(ncm, a = newAcc());
    return a;
  };

  // Product master: NCM per own code (all rows, active or not, for the mismatch check); active ones count.
  const masterByCode = new Map<string, Set<string>>();
  for (const p of input.products) {
    const ncm = normalizeNcm(p.ncm);
    if (p.active) get(ncm).products++;
    const code = p.code?.trim();
    if (code && ncm) {
      const s = masterByCode.get(code) ?? new Set<string>();
      s.add(ncm);
      masterByCode.set(code, s);
    }
  }

  // Items.
  const codeNcms = new Map<string, { issuer: string; code: string; ncms: Set<string> }>();
  for (const it of input.items) {
    const note = notes.get(it.xml_import_id);
    if (!note) continue;
    const ncm = normalizeNcm(it.ncm);
    const a = get(ncm);
    const value = cents(it.total_value) - cents(it.discount);
    if (note.direction === 'entrada') {
      a.itemsIn++;
      a.valueIn += value;
    } else {
      a.itemsOut++;
      a.valueOut += value;
    }
    const code = it.product_code?.trim();
    if (code) {
      const key = `${note.issuer_doc}\u0000${code}`;
      const e = codeNcms.get(key) ?? { issuer: note.issuer_doc, code, ncms: new Set<string>() };
      if (ncm) e.ncms.add(ncm);
      codeNcms.set(key, e);
      if (note.direction === note.operation && ncm) {
        const master = masterByCode.get(code);
        if (master && !master.has(ncm)) {
          for (const m of master) {
            const k = `${code}\u0000${m}`;
            const mm = a.mismatches.get(k) ??
              { product_code: code, master_ncm: m, invoice_ncm: ncm, items: 0 };
            mm.items++;
            a.mismatches.set(k, mm);
          }
        }
      }
    }
  }
  for (const e of codeNcms.values()) {
    if (e.ncms.size < 2) continue;
    const ncms = [...e.ncms].sort();
    for (const n of ncms) {
      const a = get(n);
      a.conflictCount++;
      if (a.conflicts.length < MAX_EVIDENCE) {
        a.conflicts.push({ issuer_doc: e.issuer, product_code: e.code, ncms });
      }
    }
  }

  const out: NcmRow[] = [];
  const flagCounts: Record<string, number> = {};
  let monoNcms = 0;
  let monoIn = 0n;
  let monoOut = 0n;
  let totIn = 0n;
  let totOut = 0n;
  let itemsIn = 0;
  let itemsOut = 0;
  for (const [ncm, a] of [...rows.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const fmt = ncmFormat(ncm);
    const flags: NcmFlag[] = [];
    const nItems = a.itemsIn + a.itemsOut;
    const shown = formatNcm(ncm);
    switch (fmt) {
      case 'missing':
        flags.push({
          code: 'NCM_MISSING',
          severity: 'error',
          message:
            `${nItems} item(ns) e ${a.products} produto(s) do cadastro sem NCM: a classificação fiscal é obrigatória em itens de mercadoria.`,
        });
        break;
      case 'non_goods':
        flags.push({
          code: 'NCM_NON_GOODS',
          severity: 'info',
          message: 'NCM 00: permitido apenas para serviços e itens que não são mercadorias.',
        });
        break;
      case 'chapter_only':
        flags.push({
          code: 'NCM_CHAPTER_ONLY',
          severity: 'warning',
          message:
            `NCM com apenas o capítulo (${ncm}): só é aceito fora do comércio exterior e para itens não sujeitos ao IPI; informe os 8 dígitos.`,
        });
        break;
      case 'invalid':
        flags.push({
          code: 'NCM_FORMAT_INVALID',
          severity: 'error',
          message: `NCM "${ncm}" fora do formato de 8 dígitos.`,
        });
        break;
    }
    if ((fmt === 'valid' || fmt === 'chapter_only') && !chapterKnown(ncm)) {
      flags.push({
        code: 'NCM_CHAPTER_UNKNOWN',
        severity: 'error',
        message: `Capítulo ${
          ncm.slice(0, 2)
        } não existe na NCM (capítulos 01 a 97, exceto 77; 98 e 99 são reservados).`,
      });
    }
    if (a.conflictCount > 0) {
      flags.push({
        code: 'NCM_CODE_CONFLICT',
        severity: 'warning',
        message:
          `${a.conflictCount} código(s) de produto aparecem com este NCM e com outro(s) em notas diferentes do mesmo emitente.`,
        evidence: { count: a.conflictCount, examples: a.conflicts },
      });
    }
    if (a.mismatches.size > 0) {
      const ex = [...a.mismatches.values()].sort((x, y) => (x.product_code < y.product_code ? -1 : 1));
      flags.push({
        code: 'NCM_MASTER_MISMATCH',
        severity: 'warning',
        message:
          `${ex.length} produto(s) do cadastro com NCM diferente do usado nas notas emitidas pela empresa (ex.: código ${
            ex[0].product_code
          }: cadastro ${formatNcm(ex[0].master_ncm)}, nota ${shown}).`,
        evidence: { count: ex.length, examples: ex.slice(0, MAX_EVIDENCE) },
      });
    }
    const mono = fmt === 'valid' ? monophasicMatch(ncm) : null;
    if (mono) {
      monoNcms++;
      monoIn += a.valueIn;
      monoOut += a.valueOut;
      flags.push({
        code: 'MONOPHASIC',
        severity: 'info',
        message: `PIS/COFINS monofásico: ${mono.label} (${mono.legalBasis}). Na revenda a alíquota é zero${
          mono.check === 'to_verify' ? '; enquadramento a confirmar na TIPI vigente' : ''
        }.`,
        evidence: { group: mono.group, prefix: mono.prefix, table_version: mono.version, check: mono.check },
      });
    }
    for (const f of flags) flagCounts[f.code] = (flagCounts[f.code] ?? 0) + 1;
    totIn += a.valueIn;
    totOut += a.valueOut;
    itemsIn += a.itemsIn;
    itemsOut += a.itemsOut;

    const parts = [
      `NCM ${shown}: ${a.itemsIn} item(ns) de entrada (${brl(a.valueIn)}) e ${a.itemsOut} de saída (${
        brl(a.valueOut)
      }); ${a.products} produto(s) ativo(s) no cadastro.`,
    ];
    const alerts = flags.filter((f) => f.severity !== 'info');
    if (mono) parts.push(`Monofásico: ${mono.label}.`);
    if (alerts.length) parts.push(`Alertas: ${alerts.map((f) => f.message).join(' ')}`);
    else if (fmt === 'valid') parts.push('Sem inconsistências encontradas.');
    out.push({
      ncm,
      ncm_format: fmt,
      chapter: fmt === 'valid' || fmt === 'chapter_only' || fmt === 'non_goods' ? ncm.slice(0, 2) : null,
      items_in: a.itemsIn,
      items_out: a.itemsOut,
      value_in: money(a.valueIn),
      value_out: money(a.valueOut),
      products: a.products,
      flags,
      monophasic_group: mono?.group ?? null,
      legal_basis: mono?.legalBasis ?? null,
      monophasic_check: mono?.check ?? null,
      explanation: parts.join(' '),
    });
  }

  const warnings: NcmResult['warnings'] = [];
  if (notes.size === 0 && input.products.length === 0) {
    warnings.push({
      code: 'NO_DATA',
      message: 'Nenhuma nota válida no período e nenhum produto no cadastro.',
    });
  }
  return {
    rules_version: NCM_RULES_VERSION,
    period: input.period,
    rows: out,
    totals: {
      ncms: out.length,
      items_in: itemsIn,
      items_out: itemsOut,
      value_in: money(totIn),
      value_out: money(totOut),
      monophasic_ncms: monoNcms,
      monophasic_value_in: money(monoIn),
      monophasic_value_out: money(monoOut),
      flagged_ncms: out.filter((r) => r.flags.some((f) => f.severity !== 'info')).length,
      flags: Object.fromEntries(Object.entries(flagCounts).sort(([x], [y]) => (x < y ? -1 : 1))),
    },
    warnings,
  };
}

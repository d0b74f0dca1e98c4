/**
 * `deno task nfe:inspect [--pretty] [--full] FILE...`
 *
 * Prints one JSON object per file (one per line; `--pretty` indents). A file holding one note prints the note's
 * summary; an event file prints `event`; a batch (enviNFe) prints `notes: [...]`. A file that cannot be read
 * prints `{ file, error: { kind, code, message, details } }` and the others are still printed; the exit code is 1
 * at the end when any file failed (2 for usage errors). `--full` prints the whole parsed model instead.
 */
import { isAppError } from '../errors.ts';
import type { NfeItem, ParsedDocument, ParsedEvent, ParsedNfe, Party } from './model.ts';
import { parseNfeDocument } from './parse.ts';

function party(p: Party | undefined) {
  if (!p) return null;
  const doc = p.cnpj !== undefined
    ? { cnpj: p.cnpj }
    : p.cpf !== undefined
    ? { cpf: p.cpf }
    : p.foreignId !== undefined
    ? { foreignId: p.foreignId }
    : {};
  return {
    ...doc,
    name: p.name ?? null,
    ie: p.ie ?? null,
    uf: p.uf ?? null,
    ...(p.crt !== undefined ? { crt: p.crt } : {}),
  };
}

function item(it: NfeItem) {
  const icms = it.icms
    ? {
      group: it.icms.group,
      ...(it.icms.csosn !== undefined ? { csosn: it.icms.csosn } : { cst: it.icms.cst ?? null }),
      vBC: it.icms.vBC ?? null,
      vICMS: it.icms.vICMS ?? null,
      ...(it.icms.vICMSST !== undefined ? { vICMSST: it.icms.vICMSST } : {}),
      ...(it.icms.vCredICMSSN !== undefined ? { vCredICMSSN: it.icms.vCredICMSSN } : {}),
    }
    : null;
  return {
    nItem: it.nItem,
    cProd: it.cProd ?? null,
    xProd: it.xProd ?? null,
    ncm: it.ncm ?? null,
    cest: it.cest ?? null,
    cfop: it.cfop ?? null,
    qty: it.qty ?? null,
    vProd: it.vProd ?? null,
    icms,
    pis: it.pis ? { cst: it.pis.cst ?? null, value: it.pis.value ?? null } : null,
    cofins: it.cofins ? { cst: it.cofins.cst ?? null, value: it.cofins.value ?? null } : null,
    ...(it.ipi ? { ipi: { cst: it.ipi.cst ?? null, vIPI: it.ipi.vIPI ?? null } } : {}),
    ...(it.ibsCbs
      ? { ibsCbs: { cst: it.ibsCbs.cst ?? null, cClassTrib: it.ibsCbs.cClassTrib ?? null } }
      : {}),
  };
}

function event(e: ParsedEvent) {
  return {
    accessKey: e.accessKey,
    tpEvento: e.tpEvento,
    description: e.description ?? null,
    seq: e.seq ?? null,
    at: e.at ?? e.registeredAt ?? null,
    cStat: e.cStat ?? null,
    registered: e.registered,
    cancels: e.cancels,
    source: e.source,
    ...(e.warnings.length ? { warnings: e.warnings } : {}),
  };
}

function note(n: ParsedNfe) {
  const t = n.totals;
  return {
    accessKey: n.accessKey,
    accessKeyValid: n.accessKeyValid,
    model: n.model,
    series: n.series,
    number: n.number,
    issuedAt: n.issuedAt,
    operation: n.operation,
    finNFe: n.finNFe ?? null,
    tpAmb: n.tpAmb ?? null,
    issuer: party(n.issuer),
    recipient: party(n.recipient),
    totals: {
      vProd: t.vProd ?? null,
      vNF: t.vNF ?? null,
      vICMS: t.vICMS ?? null,
      vST: t.vST ?? null,
      vIPI: t.vIPI ?? null,
      vPIS: t.vPIS ?? null,
      vCOFINS: t.vCOFINS ?? null,
      vDesc: t.vDesc ?? null,
      vFrete: t.vFrete ?? null,
    },
    items: n.items.map(item),
    protocol: n.protocol
      ? {
        cStat: n.protocol.cStat ?? null,
        nProt: n.protocol.nProt ?? null,
        dhRecbto: n.protocol.dhRecbto ?? null,
      }
      : null,
    cancelled: n.cancelled,
    events: n.events.map(event),
    warnings: n.warnings,
  };
}

function errorJson(e: unknown) {
  if (isAppError(e)) {
    return { kind: e.kind, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }
  return { kind: 'internal', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** The JSON object printed for one parsed document. */
export function summarize(file: string, doc: ParsedDocument): Record<string, unknown> {
  const base: Record<string, unknown> = { file, root: doc.root };
  if (doc.warnings.length) base.documentWarnings = doc.warnings;
  if (doc.failures.length) {
    base.failures = doc.failures.map((f) => ({
      index: f.index,
      accessKey: f.accessKey ?? null,
      error: errorJson(f.error),
    }));
  }
  if (doc.notes.length === 1) {
    return {
      ...base,
      ...note(doc.notes[0]),
      event: doc.events.length === 1 ? event(doc.events[0]) : null,
      ...(doc.events.length > 1 ? { otherEvents: doc.events.map(event) } : {}),
    };
  }
  if (doc.notes.length === 0) {
    return {
      ...base,
      event: doc.events.length === 1 ? event(doc.events[0]) : null,
      ...(doc.events.length > 1 ? { events: doc.events.map(event) } : {}),
    };
  }
  return { ...base, notes: doc.notes.map(note), events: doc.events.map(event) };
}

/** Runs the CLI; returns the exit code. `write` receives each output line. */
export async function main(args: string[], write: (line: string) => void = console.log): Promise<number> {
  const pretty = args.includes('--pretty');
  const full = args.includes('--full');
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length === 0) {
    console.error('uso: deno task nfe:inspect [--pretty] [--full] ARQUIVO.xml...');
    return 2;
  }
  let failed = 0;
  const out = (o: unknown) => write(pretty ? JSON.stringify(o, null, 2) : JSON.stringify(o));
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (e) {
      failed++;
      out({
        file,
        error: {
          kind: 'data',
          code: 'FILE_READ',
          message: `não foi possível ler o arquivo: ${e instanceof Error ? e.message : String(e)}`,
        },
      });
      continue;
    }
    try {
      const doc = parseNfeDocument(bytes, { fileName: file });
      if (doc.failures.length) failed++;
      out(
        full
          ? { file, ...doc, failures: doc.failures.map((f) => ({ ...f, error: errorJson(f.error) })) }
          : summarize(file, doc),
      );
    } catch (e) {
      failed++;
      out({ file, error: errorJson(e) });
    }
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

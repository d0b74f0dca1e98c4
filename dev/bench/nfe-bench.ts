/**
 * `deno task bench:nfe [--notes 3000] [--batch 250] [--seed 42] [--runs 1]`
 *
 * Generates a seeded mix of realistic NF-e documents (signed nfeProc notes of 1-15 items, cancellations,
 * correction letters) with the fixture builder, then measures:
 *
 *   parse only       parseNfeDocument over every document
 *   parse + import   importNfeDocuments, one call per page of --batch documents, into the TEST stack's database
 *   re-import        the same pages again (every note unchanged: nothing is written)
 *
 * and prints notes/s for each and the ratio to parse only. Goal: parse + import >= 0.5 x parse only.
 * Wall-clock rates depend on what else runs on the machine, so the CPU time spent is printed too: this process
 * (parsing, mapping, the driver) and, when the database runs on this machine, the Postgres backend serving the
 * import (read from /proc). The CPU ratio is what the wall-clock ratio tends to on an idle machine.
 * The import goes to a throwaway company (fresh UUID) that is deleted at the end, rows and all.
 * Database: $DB_URL, else the TEST stack (`npm run stack -- --profile test up`).
 */
import process from 'node:process';
import { generateNotes } from '../fixtures/nfe-builder.ts';
import { connect } from '../../supabase/functions/_shared/db/client.ts';
import { parseNfeDocument } from '../../supabase/functions/_shared/nfe/mod.ts';
import { type ImportDocument, importNfeDocuments } from '../../supabase/functions/_shared/nfe/import.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

function flag(name: string, dflt: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${name} needs a positive integer`);
    Deno.exit(2);
  }
  return v;
}

async function dbUrl(): Promise<string | null> {
  const env = Deno.env.get('DB_URL');
  if (env) return env;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${REPO_ROOT}dev/stack/stack.ts`, '--profile', 'test', 'status', '--env'],
    stdout: 'piped',
    stderr: 'null',
  }).output();
  const m = /^DB_URL=(.+)$/m.exec(new TextDecoder().decode(out.stdout));
  return m ? m[1].trim() : null;
}

const COMPANY_CNPJ = '11222333000181';
const notesN = flag('notes', 3000);
const batch = flag('batch', 250);
const seed = flag('seed', 42);
const runs = flag('runs', 1);

const loadStart = load();
console.log(`generating ${notesN} notes (seed ${seed})...`);
const generated = generateNotes({ seed, count: notesN, companyCnpj: COMPANY_CNPJ });
const documents: ImportDocument[] = [];
for (const n of generated) {
  documents.push({ xml: n.xml, externalId: n.accessKey, fileName: `${n.accessKey}-procNFe.xml` });
  for (const e of n.events) documents.push({ xml: e.xml, fileName: `${e.tpEvento}-${n.accessKey}.xml` });
}
const bytes = documents.reduce((a, d) => a + d.xml.length, 0);
const items = generated.reduce((a, n) => a + n.items.length, 0);
const eventDocs = documents.length - generated.length;
console.log(
  `${generated.length} notes, ${items} items (${
    (items / generated.length).toFixed(1)
  }/note), ${eventDocs} event ` +
    `files, ${(bytes / 1024 / 1024).toFixed(1)} MB (${
      (bytes / documents.length / 1024).toFixed(1)
    } KB/document)`,
);

const url = await dbUrl();
if (!url) {
  console.error('no database: start the test stack (npm run stack -- --profile test up) or set DB_URL');
  Deno.exit(1);
}
const sql = connect(url, 1); // one connection: the imports are sequential, and its backend's CPU is measurable
const [{ pid: backendPid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;

/** CPU milliseconds used by this process. */
function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU milliseconds used by the Postgres backend, or null when it is not on this machine / not readable. */
function backendCpu(): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${backendPid}/stat`);
    if (!/\((postgres|postmaster)\)/.test(stat)) return null;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks (100 Hz) -> ms
  } catch {
    return null;
  }
}

function load(): string {
  try {
    return Deno.readTextFileSync('/proc/loadavg').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

interface Measure {
  seconds: number;
  cpu: number;
  dbCpu: number | null;
}

function parseAll(): Measure {
  const t0 = performance.now();
  const c0 = ownCpu();
  let notes = 0;
  for (const d of documents) notes += parseNfeDocument(d.xml, { fileName: d.fileName }).notes.length;
  if (notes !== generated.length) throw new Error(`parsed ${notes} notes, expected ${generated.length}`);
  return { seconds: (performance.now() - t0) / 1000, cpu: ownCpu() - c0, dbCpu: null };
}

async function importAll(companyId: string) {
  const t0 = performance.now();
  const c0 = ownCpu();
  const d0 = backendCpu();
  const totals = { imported: 0, updated: 0, unchanged: 0, cancelled: 0, events: 0, failed: 0 };
  for (let i = 0; i < documents.length; i += batch) {
    const r = await importNfeDocuments(sql, {
      companyId,
      connectionId: null,
      source: 'bench',
      documents: documents.slice(i, i + batch),
    });
    totals.imported += r.imported;
    totals.updated += r.updated;
    totals.unchanged += r.unchanged;
    totals.cancelled += r.cancelled;
    totals.events += r.events;
    totals.failed += r.failed.length;
  }
  const d1 = backendCpu();
  const m: Measure = {
    seconds: (performance.now() - t0) / 1000,
    cpu: ownCpu() - c0,
    dbCpu: d0 === null || d1 === null ? null : d1 - d0,
  };
  return { ...m, ...totals };
}

interface Row extends Measure {
  phase: string;
  note?: string;
}
const rows: Row[] = [];
const companyIds: string[] = [];
try {
  // warm the JIT on a slice so the first measured phase does not pay for it
  for (const d of documents.slice(0, 200)) parseNfeDocument(d.xml);

  for (let run = 1; run <= runs; run++) {
    const suffix = runs > 1 ? ` #${run}` : '';
    rows.push({ phase: `parse only${suffix}`, ...parseAll() });

    const companyId = crypto.randomUUID();
    companyIds.push(companyId);
    await sql`insert into public.companies (id, name, cnpj) values (${companyId}, 'bench nfe (throwaway)', ${COMPANY_CNPJ})`;
    const first = await importAll(companyId);
    const [{ n, i, c }] = await sql<{ n: number; i: number; c: number }[]>`
      select (select count(*)::int from public.xml_imports where company_id = ${companyId}) as n,
             (select count(*)::int from public.xml_import_items where company_id = ${companyId}) as i,
             (select count(*)::int from public.xml_imports where company_id = ${companyId} and status = 'cancelled') as c`;
    const expectedCancelled = generated.filter((g) => g.cancelled).length;
    const ok = n === generated.length && i === items && c === expectedCancelled && first.failed === 0;
    rows.push({
      phase: `parse + import${suffix}`,
      seconds: first.seconds,
      cpu: first.cpu,
      dbCpu: first.dbCpu,
      note:
        `${first.imported} new, ${first.cancelled} cancelled, ${first.events} events, ${first.failed} failed; ` +
        `db check ${ok ? 'ok' : `MISMATCH (${n} notes, ${i} items, ${c} cancelled)`}`,
    });
    const again = await importAll(companyId);
    rows.push({
      phase: `re-import${suffix}`,
      seconds: again.seconds,
      cpu: again.cpu,
      dbCpu: again.dbCpu,
      note: `${again.unchanged} unchanged, ${again.imported + again.updated} written`,
    });
  }
} finally {
  for (const id of companyIds) await sql`delete from public.companies where id = ${id}`;
  await sql.end({ timeout: 5 });
}

// --- report -------------------------------------------------------------------------------------------------------

const loadEnd = load();
const rate = (seconds: number) => generated.length / seconds;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const phase = (p: string) => rows.filter((r) => r.phase.startsWith(p));
const parseRate = median(phase('parse only').map((r) => rate(r.seconds)));
const parseCpuPerNote = median(phase('parse only').map((r) => r.cpu)) / generated.length;
const ms = (v: number | null) => (v === null ? '-' : v.toFixed(0));
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

console.log(
  `\nNF-e benchmark: ${generated.length} notes in ${documents.length} documents, pages of ${batch} documents, ` +
    `Deno ${Deno.version.deno}, load average ${loadStart} -> ${loadEnd} (${navigator.hardwareConcurrency} CPUs)\n`,
);
console.log(
  `${pad('phase', 18)} ${lpad('seconds', 8)} ${lpad('notes/s', 8)} ${lpad('x parse', 8)} ${
    lpad('cpu ms', 8)
  } ${lpad('db cpu', 8)}  details`,
);
const line = '-'.repeat(118);
console.log(line);
for (const r of rows) {
  console.log(
    `${pad(r.phase, 18)} ${lpad(r.seconds.toFixed(2), 8)} ${lpad(rate(r.seconds).toFixed(0), 8)} ${
      lpad((rate(r.seconds) / parseRate).toFixed(2), 8)
    } ${lpad(ms(r.cpu), 8)} ${lpad(ms(r.dbCpu), 8)}  ${r.note ?? ''}`,
  );
}
console.log(line);
const importRate = median(phase('parse + import').map((r) => rate(r.seconds)));
const ratio = importRate / parseRate;
const imports = phase('parse + import');
const dbKnown = imports.every((r) => r.dbCpu !== null);
const importCpuPerNote = median(imports.map((r) => r.cpu + (r.dbCpu ?? 0))) / generated.length;
console.log(
  `parse only ${parseRate.toFixed(0)} notes/s, parse + import ${importRate.toFixed(0)} notes/s` +
    (runs > 1 ? ` (medians of ${runs} runs)` : ''),
);
console.log(
  `wall-clock ratio parse + import / parse only = ${ratio.toFixed(2)}  (goal >= 0.50: ${
    ratio >= 0.5 ? 'MET' : 'NOT MET'
  })`,
);
console.log(
  `CPU per note: parse ${parseCpuPerNote.toFixed(2)} ms; parse + import ${importCpuPerNote.toFixed(2)} ms ` +
    (dbKnown ? '(this process + Postgres backend)' : '(this process only: database not on this machine)') +
    ` -> CPU ratio ${(parseCpuPerNote / importCpuPerNote).toFixed(2)}`,
);
const busy = Number(loadEnd.split(' ')[0]) > navigator.hardwareConcurrency;
if (busy) {
  console.log(
    `note: the machine was busy (load ${loadEnd.split(' ')[0]} on ${navigator.hardwareConcurrency} CPUs); ` +
      'wall-clock numbers are pessimistic, the CPU ratio is the steadier figure. Use --runs 3 for medians.',
  );
}

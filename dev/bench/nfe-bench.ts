/**
 * `deno task bench:nfe [--notes 3000] [--batch 250] [--seed 42] [--runs 1]` — NF-e parse only vs parse + import vs
 * re-import (window/nfe-ingest.ts) on the TEST stack's database ($DB_URL overrides), printed as a table with the
 * CPU spent (this process and the Postgres backend). Goal: parse + import ≥ 0.5 × parse only.
 */
import postgres from 'postgres';
import { loadAvg } from './window/env.ts';
import { type IngestResult, measureIngest } from './window/nfe-ingest.ts';

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
  return /^DB_URL=(.+)$/m.exec(new TextDecoder().decode(out.stdout))?.[1].trim() ?? null;
}

const [notes, batch, seed, runs] = [flag('notes', 3000), flag('batch', 250), flag('seed', 42), flag('runs', 1)];
const url = await dbUrl();
if (!url) {
  console.error('no database: start the test stack (npm run stack -- --profile test up) or set DB_URL');
  Deno.exit(1);
}
const loadStart = loadAvg();
const results: IngestResult[] = [];
for (let run = 0; run < runs; run++) {
  results.push(await measureIngest(() => postgres(url, { max: 1, prepare: false, onnotice: () => {} }) as never, notes, () => {}, seed, batch));
}
const r0 = results[0];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parseRate = median(results.map((r) => r.parseOnly.notesPerSec));
const row = (phase: string, seconds: number, cpu: number | null, db: number | null, note = '') =>
  `${phase.padEnd(18)} ${seconds.toFixed(2).padStart(8)} ${(r0.notes / seconds).toFixed(0).padStart(8)} ${
    (r0.notes / seconds / parseRate).toFixed(2).padStart(8)
  } ${(cpu?.toFixed(0) ?? '-').padStart(8)} ${(db?.toFixed(0) ?? '-').padStart(8)}  ${note}`;
console.log(
  `\nNF-e benchmark: ${r0.notes} notes in ${r0.documents} documents (${r0.itemsPerNote.toFixed(1)} items/note, ` +
    `${r0.kbPerDocument.toFixed(1)} KB/document), pages of ${batch}, Deno ${Deno.version.deno}, load ${loadStart} -> ${loadAvg()}\n`,
);
console.log(`${'phase'.padEnd(18)} ${'seconds'.padStart(8)} ${'notes/s'.padStart(8)} ${'x parse'.padStart(8)} ${'cpu ms'.padStart(8)} ${'db cpu'.padStart(8)}  details`);
for (const [i, r] of results.entries()) {
  const s = runs > 1 ? ` #${i + 1}` : '';
  console.log(row(`parse only${s}`, r.parseOnly.seconds, r.parseOnly.cpuMs, null));
  console.log(row(`parse + import${s}`, r.parseImport.seconds, r.parseImport.cpuMs, r.parseImport.dbCpuMs, `db check ${r.check}`));
  console.log(row(`re-import${s}`, r.reimport.seconds, null, null));
}
const ratio = median(results.map((r) => r.parseImport.notesPerSec)) / parseRate;
const cpuRatio = r0.cpuRatio === null ? null : median(results.map((r) => r.cpuRatio!));
console.log(`\nwall-clock ratio parse + import / parse only = ${ratio.toFixed(2)}${runs > 1 ? ` (medians of ${runs} runs)` : ''}  (goal >= 0.50: ${ratio >= 0.5 ? 'MET' : 'NOT MET'})`);
console.log(`CPU ratio ${cpuRatio?.toFixed(2) ?? '-'} (this process + Postgres backend: the steadier figure on a busy machine)`);

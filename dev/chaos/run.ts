/**
 * `npm run test:chaos [-- --soak] [--filter <text>] [--quiet]` — the reliability and security suite
 * (supabase/tests/chaos/) on the TEST stack, with a table at the end: scenario → outcome (held / broken /
 * skipped) and the evidence.
 *
 *   (default)  the CI-sized scenarios — the same ones `npm test` runs (a few minutes on 2 cores);
 *   --soak     adds the long runs: 1,000 connections with 10% random faults over several nights
 *              (CHAOS_SOAK_CONNECTIONS, CHAOS_SOAK_NIGHTS override the size) and real 30 s adapter timeouts;
 *   --filter   only scenarios whose name contains the text (deno test --filter);
 *   --quiet    no test output while running, only the table.
 *
 * Brings the test stack up with the working tree's code (dev/test/test-stack.ts: running services restarted, the
 * test database rebuilt only when SQL it was built from changed) and stops it again at the end when it was not
 * running before. Exits non-zero when any scenario is broken or `deno test` fails.
 */
import { exec as run, openTestStack } from '../test/test-stack.ts';

interface ReportLine {
  family: string;
  scenario: string;
  outcome: 'held' | 'broken' | 'skipped';
  evidence: string[];
  seconds: number;
}

const args = [...Deno.args];
const soak = args.includes('--soak');
const quiet = args.includes('--quiet');
const fi = args.indexOf('--filter');
const filter = fi >= 0 ? args[fi + 1] : undefined;
const deno = Deno.execPath();

// --- the test stack ------------------------------------------------------------------------------------------

let session;
try {
  session = await openTestStack({ echo: !quiet });
} catch (e) {
  console.error(`test:chaos: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
const env = session.env;

// --- the scenarios -------------------------------------------------------------------------------------------

const report = await Deno.makeTempFile({ prefix: 'chaos-report-', suffix: '.jsonl' });
env.CHAOS_REPORT = report;
if (soak) env.CHAOS_SOAK = '1';
if (filter) env.CHAOS_FILTER = filter;
const t0 = performance.now();
const test = await run(
  [deno, 'test', '-A', '--no-check', ...(filter ? ['--filter', filter] : []), 'supabase/tests/chaos/'],
  env,
  { echo: !quiet },
).finally(() => session.close());
const lines: ReportLine[] = (await Deno.readTextFile(report)).split('\n').filter(Boolean).map((l) =>
  JSON.parse(l)
);
await Deno.remove(report).catch(() => {});

// --- the table -----------------------------------------------------------------------------------------------

const cols = Math.max(100, Math.min(Number(Deno.env.get('COLUMNS') ?? 160), 200));
const nameWidth = Math.min(70, Math.max(...lines.map((l) => `${l.family} · ${l.scenario}`.length), 20));
const evidenceWidth = Math.max(40, cols - nameWidth - 18);
const mark = { held: 'held', broken: 'BROKEN', skipped: 'skipped' } as const;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let rest = text.replace(/\s+/g, ' ').trim();
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut < width * 0.5) cut = width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

console.log(`\n━━━ chaos: scenario → outcome ━━━${soak ? ' (with the long runs)' : ''}`);
console.log(`${'scenario'.padEnd(nameWidth)}  ${'outcome'.padEnd(8)} ${'time'.padStart(6)}  evidence`);
console.log('─'.repeat(Math.min(cols, nameWidth + 18 + evidenceWidth)));
for (const l of lines) {
  const name = `${l.family} · ${l.scenario}`;
  const nameLines = wrap(name, nameWidth);
  // Held: the ground-truth comparison (what was checked, per ERP) first, then the scenario's own notes.
  const held = [
    ...l.evidence.filter((e) => /no-lost-data/.test(e)),
    ...l.evidence.filter((e) => !/no-lost-data/.test(e)),
  ];
  const evidence = (l.outcome === 'held' ? held.slice(0, 3) : l.evidence.slice(0, 8))
    .flatMap((e) => wrap(e.length > 400 ? `${e.slice(0, 400)}…` : e, evidenceWidth));
  const rows = Math.max(nameLines.length, evidence.length, 1);
  for (let i = 0; i < rows; i++) {
    const left = (nameLines[i] ?? '').padEnd(nameWidth);
    const mid = i === 0 ? `${mark[l.outcome].padEnd(8)} ${`${l.seconds}s`.padStart(6)}` : ' '.repeat(15);
    console.log(`${left}  ${mid}  ${evidence[i] ?? ''}`);
  }
  console.log('');
}
const count = (o: ReportLine['outcome']) => lines.filter((l) => l.outcome === o).length;
console.log(
  `${count('held')} held, ${count('broken')} broken, ${count('skipped')} skipped — ${
    Math.round((performance.now() - t0) / 1000)
  } s${test.code !== 0 && count('broken') === 0 ? ` (deno test exited ${test.code})` : ''}`,
);
if (!soak && count('skipped')) console.log('long runs: npm run test:chaos -- --soak');
if (lines.length === 0) console.log('no scenario reported anything: nothing was proved');
Deno.exit(count('broken') > 0 || test.code !== 0 || lines.length === 0 ? 1 : 0);

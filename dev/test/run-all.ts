/**
 * `npm test`: brings up the TEST stack (its own Postgres + functions + simulators, on other ports than the
 * dev stack) with the working tree's code (test-stack.ts: running services restarted, changed SQL rebuilds the
 * test database), then runs every runner — type check, lint, Deno tests, pgTAP database tests, UI tests
 * (Vitest) and browser tests (playwright-core + Debian's chromium) — prints passed / failed / skipped per step
 * and ends with one line `N passed, N failed, N skipped` summed over all of them. A test step that reports no
 * test at all is a failure (it proved nothing). Exits non-zero on any failure. Stops the test stack at the
 * end when it was not running before.
 *
 * Flags: --only deno|db|ui|browser|static (repeatable), --reset (fresh test database first).
 */
import { REPO_ROOT } from '../stack/config.ts';
import { type Counts, denoSummary, pgTapSummary, runnerSummary, settle } from './summaries.ts';
import { exec, openTestStack, type TestStackSession } from './test-stack.ts';

interface Outcome {
  runner: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  note?: string;
  failures?: string[];
}

const args = Deno.args;
const only = new Set(args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : [])));
const want = (name: string) => only.size === 0 || only.has(name);
const deno = Deno.execPath();

async function timed(runner: string, fn: () => Promise<Counts>): Promise<Outcome> {
  console.log(`\n━━━ ${runner} ━━━`);
  const t0 = performance.now();
  try {
    const r = await fn();
    return { runner, ...r, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    console.error(e);
    return {
      runner,
      passed: 0,
      failed: 1,
      skipped: 0,
      seconds: (performance.now() - t0) / 1000,
      note: String(e),
    };
  }
}

// --- runners ------------------------------------------------------------------------------------------------

const SERVER_DIRS = ['supabase/functions', 'supabase/tests', 'dev'];

async function typecheck(): Promise<Counts> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${REPO_ROOT}/${dir}`)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      else if (e.isFile && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const d of SERVER_DIRS) {
    try {
      walk(d);
    } catch { /* absent */ }
  }
  const r = await exec([deno, 'check', '--quiet', ...files]);
  return {
    passed: r.code === 0 ? 1 : 0,
    failed: r.code === 0 ? 0 : 1,
    skipped: 0,
    note: `${files.length} files`,
  };
}

async function lint(): Promise<Counts> {
  const r = await exec([deno, 'lint', '--quiet', ...SERVER_DIRS]);
  return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0 };
}

async function denoTests(env: Record<string, string>): Promise<Counts> {
  const r = await exec([deno, 'test', '-A', '--no-check', ...SERVER_DIRS], env);
  return denoSummary(r.text, r.code);
}

async function dbTests(env: Record<string, string>): Promise<Counts> {
  const dir = `${REPO_ROOT}/supabase/tests/database`;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith('.sql')).sort();
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const f of files.filter((n) => !n.endsWith('.test.sql'))) {
    const r = await exec(
      ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', env.DB_URL, '-f', `${dir}/${f}`],
      {},
      {
        echo: false,
      },
    );
    if (r.code !== 0) throw new Error(`${f} failed:\n${r.text}`);
  }
  for (const f of files.filter((n) => n.endsWith('.test.sql'))) {
    const r = await exec([
      'psql',
      '-X',
      '-q',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      env.DB_URL,
      '-f',
      `${dir}/${f}`,
    ], {
      PGOPTIONS: '-c search_path=public,extensions',
    }, {
      echo: false,
    });
    const c = pgTapSummary(r.text, r.code);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    const status = c.failed ? 'FAIL' : 'ok';
    console.log(
      `${status.padEnd(4)} ${f}: ${c.passed}/${c.plan ?? '?'}${c.skipped ? ` (${c.skipped} skipped)` : ''}${
        c.note ? ` — ${c.note}` : ''
      }`,
    );
    if (c.failed) console.log(r.text.split('\n').filter((l) => /^not ok|^#|ERROR|psql:/.test(l)).join('\n'));
  }
  return settle(total, 0);
}

/** An npm script: `tests` reads its runner's counts (zero tests is a failure); `check` is one pass or fail. */
async function npmScript(
  name: string,
  kind: 'tests' | 'check',
  env: Record<string, string>,
): Promise<Counts> {
  const pkg = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/package.json`));
  if (!pkg.scripts?.[name]) throw new Error(`package.json has no script ${name}`);
  const r = await exec(['npm', 'run', '--silent', name], env);
  if (kind === 'check') return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0 };
  return runnerSummary(r.text, r.code);
}

// --- main ---------------------------------------------------------------------------------------------------

const outcomes: Outcome[] = [];
let env: Record<string, string> = {};
let session: TestStackSession | null = null;
const needsStack = ['deno', 'db', 'ui', 'browser'].some(want);
if (needsStack) {
  const o = await timed('test stack', async () => {
    session = await openTestStack({ reset: args.includes('--reset') });
    env = session.env;
    return { passed: 0, failed: 0, skipped: 0 };
  });
  if (o.failed) outcomes.push(o);
}
try {
  if (want('static')) {
    outcomes.push(await timed('deno check', typecheck));
    outcomes.push(await timed('deno lint', lint));
    outcomes.push(await timed('npm run typecheck:ui', () => npmScript('typecheck:ui', 'check', env)));
  }
  if (env.DB_URL) {
    if (want('db')) outcomes.push(await timed('database (pgTAP)', () => dbTests(env)));
    if (want('deno')) outcomes.push(await timed('deno test', () => denoTests(env)));
    if (want('ui')) outcomes.push(await timed('npm run test:ui', () => npmScript('test:ui', 'tests', env)));
    if (want('browser')) {
      outcomes.push(await timed('npm run test:browser', () => npmScript('test:browser', 'tests', env)));
    }
  }
} finally {
  await (session as TestStackSession | null)?.close();
}

console.log('\n━━━ summary ━━━');
for (const o of outcomes) {
  console.log(
    `${(o.failed ? 'FAIL' : 'ok').padEnd(5)}${o.runner.padEnd(24)}${String(o.passed).padStart(5)} passed${
      String(o.failed).padStart(4)
    } failed${String(o.skipped).padStart(4)} skipped  ${o.seconds.toFixed(1)}s${
      o.note ? `  (${o.note})` : ''
    }`,
  );
}
const passed = outcomes.reduce((s, o) => s + o.passed, 0);
const failed = outcomes.reduce((s, o) => s + o.failed, 0);
const skipped = outcomes.reduce((s, o) => s + o.skipped, 0);
for (const o of outcomes) {
  for (const name of o.failures ?? []) console.log(`failed in ${o.runner}: ${name}`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
Deno.exit(failed > 0 ? 1 : 0);

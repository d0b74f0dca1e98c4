/**
 * `npm test`: brings up the TEST stack (its own Postgres + functions + simulators, on other ports than the
 * dev stack), then runs every runner — type check, lint, Deno tests, pgTAP database tests, UI tests (Vitest)
 * and browser tests (playwright-core + Debian's chromium) when present — and ends with one line
 * `N passed, N failed` summed over all of them. Exits non-zero on any failure.
 *
 * Flags: --only deno|db|ui|browser|static (repeatable), --reset (fresh test database first), --keep-going.
 */
import { REPO_ROOT } from '../stack/config.ts';

interface Outcome {
  runner: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  note?: string;
}

const args = Deno.args;
const only = new Set(args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : [])));
const want = (name: string) => only.size === 0 || only.has(name);
const deno = Deno.execPath();
const dec = new TextDecoder();

function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

async function exec(cmd: string[], env: Record<string, string> = {}, opts: { echo?: boolean } = { echo: true }) {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: REPO_ROOT,
    env,
    stdout: 'piped',
    stderr: 'piped',
    stdin: 'null',
  }).spawn();
  let text = '';
  const pump = async (stream: ReadableStream<Uint8Array>, sink: { write(p: Uint8Array): Promise<number> }) => {
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      if (opts.echo) await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: status.code, text: stripAnsi(text) };
}

async function timed(runner: string, fn: () => Promise<Omit<Outcome, 'runner' | 'seconds'>>): Promise<Outcome> {
  console.log(`\n━━━ ${runner} ━━━`);
  const t0 = performance.now();
  try {
    const r = await fn();
    return { runner, ...r, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    console.error(e);
    return { runner, passed: 0, failed: 1, skipped: 0, seconds: (performance.now() - t0) / 1000, note: String(e) };
  }
}

// --- the test stack -----------------------------------------------------------------------------------------

async function stackEnv(): Promise<Record<string, string>> {
  if (args.includes('--reset')) {
    const r = await exec([deno, 'run', '-A', 'dev/stack/stack.ts', '--profile', 'test', 'reset']);
    if (r.code !== 0) throw new Error('could not reset the test stack');
  } else {
    const r = await exec([deno, 'run', '-A', 'dev/stack/stack.ts', '--profile', 'test', 'up']);
    if (r.code !== 0) throw new Error('could not start the test stack');
  }
  const r = await exec([deno, 'run', '-A', 'dev/stack/stack.ts', '--profile', 'test', 'status', '--env'], {}, {
    echo: false,
  });
  const env: Record<string, string> = {};
  for (const line of r.text.split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  // What functions imported in-process by tests expect, as on Supabase.
  env.SUPABASE_URL = env.API_URL;
  env.SUPABASE_DB_URL = env.DB_URL;
  env.SUPABASE_ANON_KEY = env.ANON_KEY;
  env.SUPABASE_SERVICE_ROLE_KEY = env.SERVICE_ROLE_KEY;
  env.SUPABASE_JWT_SECRET = env.JWT_SECRET;
  env.TEST_STACK = '1';
  return env;
}

// --- runners ------------------------------------------------------------------------------------------------

const SERVER_DIRS = ['supabase/functions', 'supabase/tests', 'dev'];

async function typecheck(): Promise<Omit<Outcome, 'runner' | 'seconds'>> {
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
  return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0, note: `${files.length} files` };
}

async function lint(): Promise<Omit<Outcome, 'runner' | 'seconds'>> {
  const r = await exec([deno, 'lint', '--quiet', ...SERVER_DIRS]);
  return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0 };
}

async function denoTests(env: Record<string, string>): Promise<Omit<Outcome, 'runner' | 'seconds'>> {
  const r = await exec([deno, 'test', '-A', '--no-check', ...SERVER_DIRS], env);
  // "ok | 12 passed (3 steps) | 0 failed | 2 ignored (1s)"  /  "FAILED | 10 passed | 2 failed (1s)"
  const m = r.text.match(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/);
  if (!m) return { passed: 0, failed: 1, skipped: 0, note: `could not read deno test summary (exit ${r.code})` };
  const failed = Number(m[2]) + (r.code !== 0 && Number(m[2]) === 0 ? 1 : 0);
  return { passed: Number(m[1]), failed, skipped: Number(m[3] ?? 0) };
}

async function dbTests(env: Record<string, string>): Promise<Omit<Outcome, 'runner' | 'seconds'>> {
  const dir = `${REPO_ROOT}/supabase/tests/database`;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith('.sql')).sort();
  let passed = 0, failed = 0;
  for (const f of files.filter((n) => !n.endsWith('.test.sql'))) {
    const r = await exec(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', env.DB_URL, '-f', `${dir}/${f}`], {}, {
      echo: false,
    });
    if (r.code !== 0) throw new Error(`${f} failed:\n${r.text}`);
  }
  for (const f of files.filter((n) => n.endsWith('.test.sql'))) {
    const r = await exec(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', env.DB_URL, '-f', `${dir}/${f}`], {
      PGOPTIONS: '-c search_path=public,extensions',
    }, {
      echo: false,
    });
    const lines = r.text.split('\n');
    const plan = Number(lines.find((l) => /^1\.\.\d+$/.test(l))?.split('..')[1] ?? NaN);
    const ok = lines.filter((l) => /^ok \d+/.test(l)).length;
    const notOk = lines.filter((l) => /^not ok \d+/.test(l));
    passed += ok;
    failed += notOk.length;
    const missing = Number.isNaN(plan) ? 1 : Math.max(0, plan - ok - notOk.length);
    failed += missing;
    const status = notOk.length || missing || r.code !== 0 ? 'FAIL' : 'ok';
    console.log(`${status.padEnd(4)} ${f}: ${ok}/${Number.isNaN(plan) ? '?' : plan}`);
    if (status === 'FAIL') {
      console.log(lines.filter((l) => /^not ok|^#|ERROR|psql:/.test(l)).join('\n'));
      if (r.code !== 0 && !missing && !notOk.length) failed += 1;
    }
  }
  return { passed, failed, skipped: 0 };
}

async function npmScript(name: string, env: Record<string, string>): Promise<Omit<Outcome, 'runner' | 'seconds'> | null> {
  const pkg = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/package.json`));
  if (!pkg.scripts?.[name]) return null;
  const r = await exec(['npm', 'run', '--silent', name], env);
  // Vitest: "Tests  12 passed | 1 failed (13)" / "Tests  12 passed (12)"; node:test: "ℹ pass 5" "ℹ fail 0"
  const vitest = r.text.match(/Tests\s+(?:(\d+) failed \| )?(\d+) passed(?: \| (\d+) skipped)?/);
  const vitestFailOnly = r.text.match(/Tests\s+(\d+) failed/);
  const nodePass = r.text.match(/ℹ pass (\d+)/);
  const nodeFail = r.text.match(/ℹ fail (\d+)/);
  const nodeSkip = r.text.match(/ℹ skipped (\d+)/);
  let passed = 0, failed = 0, skipped = 0;
  if (vitest) {
    passed = Number(vitest[2]);
    failed = Number(vitest[1] ?? 0);
    skipped = Number(vitest[3] ?? 0);
  } else if (vitestFailOnly) {
    failed = Number(vitestFailOnly[1]);
  } else if (nodePass) {
    passed = Number(nodePass[1]);
    failed = Number(nodeFail?.[1] ?? 0);
    skipped = Number(nodeSkip?.[1] ?? 0);
  }
  if (r.code !== 0 && failed === 0) failed = 1;
  if (r.code === 0 && passed + failed + skipped === 0) passed = 1; // a check without test counts (tsc)
  return { passed, failed, skipped };
}

// --- main ---------------------------------------------------------------------------------------------------

const outcomes: Outcome[] = [];
let env: Record<string, string> = {};
const needsStack = ['deno', 'db', 'ui', 'browser'].some(want);
if (needsStack) {
  const o = await timed('test stack', async () => {
    env = await stackEnv();
    return { passed: 0, failed: 0, skipped: 0 };
  });
  if (o.failed) outcomes.push(o);
}
if (want('static')) {
  outcomes.push(await timed('deno check', typecheck));
  outcomes.push(await timed('deno lint', lint));
}
if (want('db') && env.DB_URL) outcomes.push(await timed('database (pgTAP)', () => dbTests(env)));
if (want('deno') && env.DB_URL) outcomes.push(await timed('deno test', () => denoTests(env)));
for (const [key, script] of [['static', 'typecheck:ui'], ['ui', 'test:ui'], ['browser', 'test:browser']] as const) {
  if (!want(key) || (key !== 'static' && !env.DB_URL)) continue;
  let result: Omit<Outcome, 'runner' | 'seconds'> | null = null;
  const o = await timed(`npm run ${script}`, async () => {
    result = await npmScript(script, env);
    return result ?? { passed: 0, failed: 0, skipped: 0 };
  });
  if (result) outcomes.push(o);
}

console.log('\n━━━ summary ━━━');
for (const o of outcomes) {
  console.log(
    `${(o.failed ? 'FAIL' : 'ok').padEnd(5)}${o.runner.padEnd(24)}${String(o.passed).padStart(5)} passed${
      String(o.failed).padStart(4)
    } failed${o.skipped ? `${String(o.skipped).padStart(4)} skipped` : ''}  ${o.seconds.toFixed(1)}s${o.note ? `  (${o.note})` : ''}`,
  );
}
const passed = outcomes.reduce((s, o) => s + o.passed, 0);
const failed = outcomes.reduce((s, o) => s + o.failed, 0);
const skipped = outcomes.reduce((s, o) => s + o.skipped, 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
Deno.exit(failed > 0 ? 1 : 0);

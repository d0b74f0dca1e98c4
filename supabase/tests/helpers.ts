/**
 * Test helpers for tests that need the local TEST stack (started by `npm test`, or by hand with
 * `npm run stack -- --profile test up`).
 *
 * No silent passes: under `npm test` (TEST_STACK=1) and in CI (CI set) the stack is REQUIRED — a stack test
 * whose stack does not answer FAILS and says why. Run by hand (`deno test ...`) with no stack, stack tests are
 * registered with Deno's `ignore` and counted as "ignored", never as passed.
 */
import postgres from 'postgres';

export interface TestStackEnv {
  DB_URL: string;
  API_URL: string;
  FUNCTIONS_URL: string;
  ANON_KEY: string;
  SERVICE_ROLE_KEY: string;
  JWT_SECRET: string;
  ERP_AUTO_SYNC_SECRET: string;
  BLING_URL: string;
  OMIE_URL: string;
  TINY_URL: string;
  CONTA_AZUL_URL: string;
  TINY_V3_URL: string;
  [k: string]: string;
}

/** Whether a stack test must fail (rather than be ignored) when the stack is unreachable. */
export const STACK_REQUIRED = Deno.env.get('TEST_STACK') === '1' || !!Deno.env.get('CI');

type Probe = { env: TestStackEnv; reason: null } | { env: null; reason: string };

async function probeStack(): Promise<Probe> {
  let env: Record<string, string> = {};
  if (Deno.env.get('TEST_STACK') === '1') {
    env = Deno.env.toObject();
  } else {
    const root = new URL('../../', import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ['run', '-A', `${root}dev/stack/stack.ts`, '--profile', 'test', 'status', '--env'],
      stdout: 'piped',
      stderr: 'null',
    }).output();
    for (const line of new TextDecoder().decode(out.stdout).split('\n')) {
      const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
      if (m) env[m[1]] = m[2];
    }
  }
  if (!env.DB_URL) return { env: null, reason: 'the test stack env is unknown (DB_URL not set)' };
  try {
    const sql = postgres(env.DB_URL, { max: 1, connect_timeout: 10, onnotice: () => {} });
    try {
      await sql`select 1`;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  } catch (e) {
    return {
      env: null,
      reason: `the test stack database at ${redactUrl(env.DB_URL)} does not answer (${e})`,
    };
  }
  return { env: env as TestStackEnv, reason: null };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

const probe: Probe = await probeStack();
/** True when a stack test is registered with `ignore` (no stack, and not required). */
export const STACK_IGNORED = probe.env === null && !STACK_REQUIRED;
if (probe.reason) {
  console.warn(
    STACK_REQUIRED
      ? `stack tests will FAIL: ${probe.reason}`
      : `stack tests ignored: ${probe.reason} (npm run stack -- --profile test up)`,
  );
}

/** The test stack's env, or null when it does not answer (decided once, when this module loads). */
export function testStack(): Promise<TestStackEnv | null> {
  return Promise.resolve(probe.env);
}

/** The test stack's env; throws (fails the test) with the reason when it does not answer. */
export function requireStack(): TestStackEnv {
  if (probe.env) return probe.env;
  throw new Error(`the test stack is required and unreachable: ${probe.reason}`);
}

/**
 * Registers a test that needs the stack: ignored when the stack is down and not required, failed when it is
 * down and required (npm test, CI). `ignore` adds a legitimate reason not to run (reported as ignored).
 */
export function stackTest(
  name: string,
  fn: (env: TestStackEnv) => Promise<void>,
  opts: { sanitize?: boolean; ignore?: boolean } = {},
) {
  Deno.test({
    name,
    ignore: STACK_IGNORED || (opts.ignore ?? false),
    sanitizeOps: opts.sanitize ?? false,
    sanitizeResources: opts.sanitize ?? false,
    fn: async () => {
      await fn(requireStack());
    },
  });
}

/**
 * Why the stack's functions gateway does not serve every one of `names`, or null when it does. Waits on the
 * gateway's /health (a deadline, not a race: right after a functions restart it may take a while to answer).
 */
export async function gatewayRefusal(
  env: TestStackEnv,
  names: string[],
  timeoutMs = STACK_REQUIRED ? 60_000 : 5_000,
): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  let reason = 'the functions gateway of the test stack does not answer /health';
  while (Date.now() < end) {
    try {
      const r = await fetch(`${env.API_URL}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await r.json();
      const served: string[] = Array.isArray(body?.functions) ? body.functions : [];
      const missing = names.filter((n) => !served.includes(n));
      if (r.ok && missing.length === 0) return null;
      reason = r.ok
        ? `the test stack gateway does not serve ${
          missing.join(', ')
        } (deno run -A dev/stack/stack.ts --profile test restart functions)`
        : `the gateway's /health answered ${r.status}`;
    } catch (e) {
      reason = `the functions gateway of the test stack does not answer /health (${e})`;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return reason;
}

export function sqlFor(env: TestStackEnv, max = 3) {
  return postgres(env.DB_URL, { max, onnotice: () => {}, prepare: false });
}

/** Polls `probe` until it returns a truthy value or the deadline passes (no timing assertions: a deadline only). */
export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${last}` : ''}`);
}

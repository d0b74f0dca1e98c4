/**
 * Test helpers for tests that need the local TEST stack (started by `npm test`, or by hand with
 * `npm run stack -- --profile test up`). When the stack is not reachable, tests are skipped with a message.
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
  [k: string]: string;
}

let cached: TestStackEnv | null | undefined;

/** Reads the test stack's env (from the runner's environment, or by asking the stack script). */
export async function testStack(): Promise<TestStackEnv | null> {
  if (cached !== undefined) return cached;
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
  if (!env.DB_URL) return (cached = null);
  try {
    const sql = postgres(env.DB_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    await sql`select 1`;
    await sql.end();
  } catch {
    return (cached = null);
  }
  return (cached = env as TestStackEnv);
}

/** Registers a test that needs the stack; skipped with a message when it is down. */
export function stackTest(name: string, fn: (env: TestStackEnv) => Promise<void>, opts: { sanitize?: boolean } = {}) {
  Deno.test({
    name,
    sanitizeOps: opts.sanitize ?? false,
    sanitizeResources: opts.sanitize ?? false,
    fn: async (t) => {
      const env = await testStack();
      if (!env) {
        console.warn(`skipped "${name}": the test stack is not running (npm run stack -- --profile test up)`);
        return;
      }
      await fn(env);
      void t;
    },
  });
}

export function sqlFor(env: TestStackEnv, max = 3) {
  return postgres(env.DB_URL, { max, onnotice: () => {}, prepare: false });
}

/** Polls `probe` until it returns a truthy value or the deadline passes (no timing assertions: a deadline only). */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, stepMs = 100): Promise<T> {
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

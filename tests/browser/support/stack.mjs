// The TEST stack's environment (`stack --profile test status --env`, or the runner's env with TEST_STACK=1)
// and whether it can serve the page's calls.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export function readStackEnv() {
  if (process.env.TEST_STACK === '1' && process.env.DB_URL) return { ...process.env };
  const deno = `${REPO_ROOT}/node_modules/.bin/deno`;
  const out = spawnSync(deno, ['run', '-A', 'dev/stack/stack.ts', '--profile', 'test', 'status', '--env'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const env = {};
  for (const line of (out.stdout ?? '').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env.DB_URL ? env : null;
}

/** Under `npm test` (TEST_STACK=1) or CI the browser suite must run: what stops it is a failure, not a skip. */
export const STACK_REQUIRED = process.env.TEST_STACK === '1' || !!process.env.CI;
/** Functions the page calls through the gateway. */
export const PAGE_FUNCTIONS = ['erp-connections', 'erp-sync'];

/**
 * The functions the gateway serves, waiting on its /health until it lists `wanted` or the deadline passes (right
 * after a functions restart it may take a while to answer; a deadline, not a race). null when it never answered.
 */
export async function gatewayFunctions(env, wanted = PAGE_FUNCTIONS, timeoutMs = STACK_REQUIRED ? 60_000 : 5_000) {
  const end = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${env.API_URL}/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.json();
      if (res.ok && Array.isArray(body?.functions)) {
        last = body.functions;
        if (wanted.every((f) => last.includes(f))) return last;
      }
    } catch { /* not answering yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** Why the browser tests cannot run here (the stack, or one of `functions` not served), or null when they can. */
export async function unavailableReason(env, functions = PAGE_FUNCTIONS) {
  if (!env) return 'the test stack env could not be read (npm run stack -- --profile test up)';
  try {
    const sql = postgres(env.DB_URL, { max: 1, connect_timeout: 10, onnotice: () => {} });
    await sql`select 1`;
    await sql.end();
  } catch {
    return 'the test stack database is not running (npm run stack -- --profile test up)';
  }
  const served = await gatewayFunctions(env, functions);
  if (!served) return 'the test stack functions gateway is not running (npm run stack -- --profile test up)';
  const missing = functions.filter((f) => !served.includes(f));
  if (missing.length) {
    return `the test stack gateway does not serve ${missing.join(', ')} (npx deno run -A dev/stack/stack.ts --profile test restart functions)`;
  }
  return null;
}

/**
 * Whether the browser suite runs: `{ reason: null }`, or why not and whether that is a failure. In CI anything
 * that stops it fails; under `npm test` a missing stack fails and a missing Chromium is reported skipped; run
 * by hand, both are skipped. Never a silent pass.
 */
export async function browserPrerequisites(env, chromiumPath, functions = PAGE_FUNCTIONS) {
  const stackReason = await unavailableReason(env, functions);
  if (stackReason) return { reason: stackReason, fail: STACK_REQUIRED };
  if (!existsSync(chromiumPath)) {
    return { reason: `${chromiumPath} is missing (npm run setup:system)`, fail: !!process.env.CI };
  }
  return { reason: null, fail: false };
}

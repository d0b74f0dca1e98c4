// The TEST stack's environment (`stack --profile test status --env`, or the runner's env with TEST_STACK=1)
// and whether it can serve the page's calls.
import { spawnSync } from 'node:child_process';
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

export async function gatewayFunctions(env) {
  try {
    const res = await fetch(`${env.API_URL}/health`, { signal: AbortSignal.timeout(3000) });
    const body = await res.json();
    return Array.isArray(body?.functions) ? body.functions : null;
  } catch {
    return null;
  }
}

/** Why the browser tests cannot run here, or null when they can. */
export async function unavailableReason(env) {
  if (!env) return 'the test stack env could not be read (npm run stack -- --profile test up)';
  try {
    const sql = postgres(env.DB_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    await sql`select 1`;
    await sql.end();
  } catch {
    return 'the test stack database is not running (npm run stack -- --profile test up)';
  }
  const functions = await gatewayFunctions(env);
  if (!functions) return 'the test stack functions gateway is not running (npm run stack -- --profile test up)';
  if (!functions.includes('erp-connections')) {
    return 'the test stack gateway does not serve erp-connections yet (npx deno run -A dev/stack/stack.ts --profile test restart functions)';
  }
  return null;
}

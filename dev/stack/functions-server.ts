/**
 * Local stand-in for Supabase's Edge Functions gateway + runtime: one Deno process serving every folder of
 * supabase/functions (except _shared) at /functions/v1/<name>, behind ./gateway.ts, which does what the hosted
 * gateway does and nothing more: the JWT check per `verify_jwt` in config.toml (preflights pass without one), no
 * CORS of its own — each function answers its preflight and adds its CORS headers (_shared/api/cors.ts).
 * Provides `EdgeRuntime.waitUntil` (background work outlives the response). Each function module exports
 * `default { fetch }` (Deno.ServeDefaultExport), exactly as deployed.
 */
import { parse as parseToml } from 'smol-toml';
import { portsFor, profileFromEnv, REPO_ROOT } from './config.ts';
import { gateway, type Handler } from './gateway.ts';

const FUNCTIONS_DIR = `${REPO_ROOT}/supabase/functions`;
const JWT_SECRET = Deno.env.get('SUPABASE_JWT_SECRET') ?? '';
const port = Number(Deno.env.get('FUNCTIONS_PORT') ?? portsFor(profileFromEnv()).api);

// Local function secrets (git-ignored), as `supabase functions serve --env-file` would load them.
try {
  const text = await Deno.readTextFile(`${FUNCTIONS_DIR}/.env`);
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/);
    if (m && !Deno.env.has(m[1])) Deno.env.set(m[1], m[2].replace(/^["']|["']$/g, ''));
  }
} catch { /* no local env file */ }

// One process serves every invocation here, so the process's CPU clock is not one invocation's: the functions
// must not read it as theirs (runtime.ts cpuClock; docs/local-vs-hosted.md R1). Hosted, each isolate has its own.
Deno.env.set('ERP_AUTO_SYNC_CPU_CLOCK', 'shared');

// EdgeRuntime.waitUntil: keep background promises alive (and log their failures).
const pending = new Set<Promise<unknown>>();
(globalThis as Record<string, unknown>).EdgeRuntime = {
  waitUntil(p: Promise<unknown>) {
    const tracked = p.catch((e) => console.error('waitUntil task failed:', e)).finally(() => pending.delete(tracked));
    pending.add(tracked);
  },
};

const config = parseToml(await Deno.readTextFile(`${REPO_ROOT}/supabase/config.toml`)) as {
  functions?: Record<string, { verify_jwt?: boolean }>;
};

const handlers = new Map<string, Handler | Error>();
for (const entry of [...Deno.readDirSync(FUNCTIONS_DIR)].sort((a, b) => a.name.localeCompare(b.name))) {
  if (!entry.isDirectory || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
  const path = `${FUNCTIONS_DIR}/${entry.name}/index.ts`;
  try {
    await Deno.stat(path);
  } catch {
    continue;
  }
  try {
    const mod = await import(`file://${path}`);
    const fetchFn = mod.default?.fetch;
    if (typeof fetchFn !== 'function') throw new Error('index.ts must `export default { fetch }`');
    handlers.set(entry.name, fetchFn.bind(mod.default));
  } catch (e) {
    console.error(`functions: ${entry.name} failed to load:`, e);
    handlers.set(entry.name, e instanceof Error ? e : new Error(String(e)));
  }
}

const routes = gateway({
  functions: handlers,
  verifyJwt: (name) => config.functions?.[name]?.verify_jwt ?? true,
  jwtSecret: JWT_SECRET,
  onError: (name, e) => console.error(`functions: ${name} threw:`, e),
});

Deno.serve({ hostname: '127.0.0.1', port, onListen: () => console.error(`functions: listening on ${port}`) }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname === '/health') return Response.json({ ok: true, pid: Deno.pid, ppid: Deno.ppid, functions: [...handlers.keys()] });
  return (await routes(req)) ?? Response.json({ error: 'not found' }, { status: 404 });
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  Deno.addSignalListener(sig, () => Deno.exit(0));
}

/**
 * Local stand-in for Supabase's Edge Functions gateway + runtime: one Deno process serving every folder of
 * supabase/functions (except _shared) at /functions/v1/<name>. Like the hosted gateway it verifies the JWT in
 * `Authorization` before the function runs unless `verify_jwt = false` in config.toml, answers CORS preflight,
 * and provides `EdgeRuntime.waitUntil` (background work outlives the response). Each function module exports
 * `default { fetch }` (Deno.ServeDefaultExport), exactly as deployed.
 */
import { parse as parseToml } from 'smol-toml';
import { jwtVerify } from 'jose';
import { portsFor, profileFromEnv, REPO_ROOT } from './config.ts';

type Handler = (req: Request) => Response | Promise<Response>;

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

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'authorization, x-client-info, apikey, content-type',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
};

async function gatewayJwtOk(req: Request): Promise<boolean> {
  const auth = req.headers.get('authorization') ?? '';
  const m = auth.match(/^Bearer\s+(.+)$/i);
  if (!m) return false;
  try {
    await jwtVerify(m[1], new TextEncoder().encode(JWT_SECRET), { algorithms: ['HS256'] });
    return true;
  } catch {
    return false;
  }
}

function withCors(res: Response): Response {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(CORS)) if (!headers.has(k)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

Deno.serve({ hostname: '127.0.0.1', port, onListen: () => console.error(`functions: listening on ${port}`) }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname === '/health') return Response.json({ ok: true, pid: Deno.pid, functions: [...handlers.keys()] });
  const m = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
  if (!m) return Response.json({ error: 'not found' }, { status: 404 });
  const name = m[1];
  const handler = handlers.get(name);
  if (!handler) return withCors(Response.json({ error: `function ${name} not found` }, { status: 404 }));
  if (req.method === 'OPTIONS') return new Response('ok', { headers: CORS });
  if (handler instanceof Error) {
    return withCors(Response.json({ error: 'function failed to boot', code: 'BOOT_ERROR' }, { status: 503 }));
  }
  const verify = config.functions?.[name]?.verify_jwt ?? true;
  if (verify && !(await gatewayJwtOk(req))) {
    return withCors(Response.json({ code: 401, message: 'Invalid JWT' }, { status: 401 }));
  }
  try {
    return withCors(await handler(req));
  } catch (e) {
    console.error(`functions: ${name} threw:`, e);
    return withCors(Response.json({ error: 'internal error', code: 'INTERNAL' }, { status: 500 }));
  }
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  Deno.addSignalListener(sig, () => Deno.exit(0));
}

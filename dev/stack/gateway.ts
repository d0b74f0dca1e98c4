/**
 * What Supabase's hosted Edge Functions gateway does in front of a function, and nothing more
 * (docs/local-vs-hosted.md lists each rule with its public source and its test):
 *  - routes /functions/v1/<name>[/...] to the function; an unknown name is 404 NOT_FOUND
 *    (https://supabase.com/docs/guides/functions/status-codes);
 *  - with `verify_jwt = true` (the default) checks the JWT in `Authorization: Bearer` before the function runs:
 *    401 with the platform's body, `{ code: 401, message: 'Invalid JWT' }` or `'Missing authorization header'`
 *    (https://supabase.com/docs/guides/troubleshooting/edge-function-401-error-response);
 *  - lets a preflight (OPTIONS) through to the function without a JWT — a browser never sends Authorization on
 *    a preflight, and the documented CORS setup works on verify_jwt functions only because of that
 *    (https://supabase.com/docs/guides/functions/cors; the CLI's emulation of the gateway skips the check for
 *    OPTIONS the same way: supabase/cli internal/functions/serve/templates/main.ts);
 *  - adds no CORS headers and answers no preflight itself: CORS is the function's job, and the gateway's own
 *    401/404 carry no CORS headers (https://github.com/supabase/supabase/issues/9373,
 *    https://github.com/supabase/edge-runtime/issues/213), so a browser sees them as network errors;
 *  - a function that fails to load is 503 BOOT_ERROR, one that throws is 500 WORKER_ERROR
 *    (https://supabase.com/docs/guides/functions/status-codes).
 */
import { jwtVerify } from 'jose';

export type Handler = (req: Request) => Response | Promise<Response>;

export interface GatewayOptions {
  /** Loaded functions by name; an Error stands for a function that failed to boot. */
  functions: Map<string, Handler | Error>;
  /** `[functions.<name>] verify_jwt` from supabase/config.toml; absent means true, as on the platform. */
  verifyJwt: (name: string) => boolean;
  /** The project's legacy JWT secret (HS256). */
  jwtSecret: string;
  onError?: (name: string, e: unknown) => void;
}

function platformError(status: number, body: Record<string, unknown>): Response {
  return Response.json(body, { status });
}

async function jwtProblem(req: Request, secret: string): Promise<string | null> {
  const auth = req.headers.get('authorization');
  if (!auth) return 'Missing authorization header';
  const m = auth.match(/^Bearer\s+(\S+)$/i);
  if (!m) return 'Invalid JWT';
  try {
    await jwtVerify(m[1], new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    return null;
  } catch {
    return 'Invalid JWT';
  }
}

/** The gateway as a fetch handler; null for paths outside /functions/v1/. */
export function gateway(opts: GatewayOptions): (req: Request) => Promise<Response | null> {
  return async (req: Request) => {
    const m = new URL(req.url).pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (!m) return null;
    const name = m[1];
    const fn = opts.functions.get(name);
    if (!fn) return platformError(404, { code: 'NOT_FOUND', message: 'Requested function was not found' });
    if (req.method !== 'OPTIONS' && opts.verifyJwt(name)) {
      const problem = await jwtProblem(req, opts.jwtSecret);
      if (problem) return platformError(401, { code: 401, message: problem });
    }
    if (fn instanceof Error) {
      return platformError(503, { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' });
    }
    try {
      return await fn(req);
    } catch (e) {
      opts.onError?.(name, e);
      return platformError(500, { code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' });
    }
  };
}

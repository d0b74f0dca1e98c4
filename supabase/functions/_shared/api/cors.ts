/**
 * CORS for every function, in the function: Supabase's gateway forwards the browser's preflight (OPTIONS, no
 * Authorization header) to the function and adds no CORS headers of its own, so a function the browser calls
 * must answer the preflight with 2xx and put the CORS headers on every answer, errors included
 * (https://supabase.com/docs/guides/functions/cors; docs/local-vs-hosted.md).
 *
 * The header set is supabase-js's own `corsHeaders` (`@supabase/supabase-js/cors`, the setup that guide
 * recommends): it lists every header the client libraries send, so it stays right when they add one.
 *
 *   export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;
 */
import { corsHeaders } from '@supabase/supabase-js/cors';
import { errorResponse } from './respond.ts';

export { corsHeaders };

type Handler = (req: Request) => Response | Promise<Response>;

/** The same response with the CORS headers added (headers the handler set itself win). */
export function withCorsHeaders(res: Response): Response {
  const missing = Object.entries(corsHeaders).filter(([k]) => !res.headers.has(k));
  if (missing.length === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of missing) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * Wraps a handler: a preflight gets `200 ok` with the CORS headers and never reaches the handler (nothing is
 * read or written for it); every other answer, including one for an error the handler let escape, carries them.
 */
export function withCors(handler: Handler): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (req.method === 'OPTIONS') return new Response('ok', { status: 200, headers: corsHeaders });
    let res: Response;
    try {
      res = await handler(req);
    } catch (e) {
      res = errorResponse(e);
    }
    return withCorsHeaders(res);
  };
}

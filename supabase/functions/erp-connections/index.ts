/**
 * erp-connections (user JWT): what the ERPConnectionCard reads and what its auto-sync checkbox writes.
 *   GET                                   → 200 { connections: [...], server_time }
 *   PATCH { connection_id, auto_sync }    → 200 { connection } | 400 | 403 | 404
 * Thin handler: authenticate, parse, call _shared/connections, answer. CORS (preflight, headers on every answer)
 * comes from _shared/api/cors.ts: the browser calls this function from the app's origin.
 */
import { withCors } from '../_shared/api/cors.ts';
import { errorResponse, json, parseJsonBody } from '../_shared/api/respond.ts';
import { requireUser } from '../_shared/auth/user-jwt.ts';
import { listConnections, setAutoSync, UpdateAutoSyncBody } from '../_shared/connections/service.ts';
import { db, retryOnSessionEnd } from '../_shared/db/client.ts';
import { AppError } from '../_shared/errors.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };

export async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'GET' && req.method !== 'PATCH') {
      throw new AppError(
        'bad_request',
        'METHOD_NOT_ALLOWED',
        `method ${req.method} not allowed (GET, PATCH)`,
        {
          status: 405,
        },
      );
    }
    const { userId } = await requireUser(req);
    // A read, or setting a flag to a value: both sent again when a database restart ended their session.
    if (req.method === 'GET') {
      return json(await retryOnSessionEnd(() => listConnections(db(), userId)), 200, NO_STORE);
    }
    const body = await parseJsonBody(req, UpdateAutoSyncBody);
    return json(await retryOnSessionEnd(() => setAutoSync(db(), userId, body)), 200, NO_STORE);
  } catch (e) {
    return errorResponse(e);
  }
}

export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;

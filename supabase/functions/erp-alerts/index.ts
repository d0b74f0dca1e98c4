/**
 * erp-alerts (user JWT): the open alerts of the caller's companies, and acknowledging one.
 *   GET                   → 200 { alerts: [...], is_operator }
 *   POST { alert_id }     → 200 { alert } | 400 | 404 (not found, or not the caller's)
 * Thin handler: authenticate, parse, call _shared/db/alerts (RLS and the acknowledge RPC authorise).
 */
import { z } from 'zod';
import { withCors } from '../_shared/api/cors.ts';
import { errorResponse, json, parseJsonBody } from '../_shared/api/respond.ts';
import { requireUser } from '../_shared/auth/user-jwt.ts';
import { acknowledgeAlert, openAlertsForUser } from '../_shared/db/alerts.ts';
import { db } from '../_shared/db/client.ts';
import { AppError } from '../_shared/errors.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };
const AcknowledgeBody = z.strictObject({ alert_id: z.guid({ error: 'must be an alert id (uuid)' }) });

export async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new AppError('bad_request', 'METHOD_NOT_ALLOWED', `method ${req.method} not allowed (GET, POST)`, { status: 405 });
    }
    const { userId } = await requireUser(req);
    if (req.method === 'GET') return json(await openAlertsForUser(db(), userId), 200, NO_STORE);
    const body = await parseJsonBody(req, AcknowledgeBody);
    return json({ alert: await acknowledgeAlert(db(), userId, body.alert_id) }, 200, NO_STORE);
  } catch (e) {
    return errorResponse(e);
  }
}

export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;

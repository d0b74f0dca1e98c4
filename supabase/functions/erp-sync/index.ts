/**
 * erp-sync — "Sincronizar agora" (user JWT, verify_jwt = true; verified again here).
 * POST { connection_id } → 202 { log_id, status: 'running' } and the sync runs in the background
 * (sync_type 'manual'); 409 with the running log when the connection is already syncing; 403 when the caller
 * is not a member of the connection's company; 404 for an unknown id; 409 CONNECTION_INACTIVE (pt-BR message)
 * for a connection an admin switched off; 429 MANUAL_SYNC_COOLDOWN with Retry-After when the connection had a
 * manual sync within ERP_SYNC_MANUAL_COOLDOWN_SECONDS. Called from the browser: the preflight and the CORS headers
 * on every answer come from _shared/api/cors.ts (the hosted gateway adds none).
 */
import { z } from 'zod';
import { withCors } from '../_shared/api/cors.ts';
import { errorResponse, json, parseJsonBody } from '../_shared/api/respond.ts';
import { requireUser } from '../_shared/auth/user-jwt.ts';
import { startManualSync } from '../_shared/sync/manual.ts';
import { engineDeps, newOwner, settings } from '../_shared/sync/runtime.ts';

const Body = z.object({ connection_id: z.uuid() }).strict();

declare const EdgeRuntime: { waitUntil(p: Promise<unknown>): void } | undefined;

async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'POST') return json({ error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } }, 405);
    const user = await requireUser(req);
    const body = await parseJsonBody(req, Body);
    const deps = engineDeps(newOwner('manual'));
    const { logId, run } = await startManualSync(deps, user.userId, body.connection_id, {
      cooldownSeconds: settings.manualCooldownSeconds,
    });
    if (typeof EdgeRuntime !== 'undefined' && EdgeRuntime?.waitUntil) EdgeRuntime.waitUntil(run);
    else run.catch((e) => console.error('erp-sync background run failed:', e));
    return json({ log_id: logId, status: 'running' }, 202);
  } catch (e) {
    return errorResponse(e);
  }
}

export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;

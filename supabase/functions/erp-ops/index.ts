/**
 * erp-ops — operations (verify_jwt = false: the report is read with the cron secret, which is not a JWT).
 *   GET /erp-ops[?night=YYYY-MM-DD]   cron secret (ERP_AUTO_SYNC_SECRET) → 200 { report } | 404 NO_REPORT
 *   GET /erp-ops/overview             an operator's user JWT (verified here) → 200 { nights, last_night, attention };
 *                                     any other user → 403 (the database refuses them too)
 * Thin handler: authorise, parse, call _shared/db/ops, answer.
 */
import { z } from 'zod';
import { withCors } from '../_shared/api/cors.ts';
import { errorResponse, json } from '../_shared/api/respond.ts';
import { requireCronSecret } from '../_shared/auth/cron-secret.ts';
import { requireUser } from '../_shared/auth/user-jwt.ts';
import { db } from '../_shared/db/client.ts';
import { nightReport, opsOverview } from '../_shared/db/ops.ts';
import { AppError } from '../_shared/errors.ts';

const NO_STORE = { 'Cache-Control': 'no-store' };
const Night = z.iso.date({ error: 'must be a date (YYYY-MM-DD)' });

export async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'GET') {
      throw new AppError('bad_request', 'METHOD_NOT_ALLOWED', `method ${req.method} not allowed (GET)`, { status: 405 });
    }
    const url = new URL(req.url);
    if (/\/overview\/?$/.test(url.pathname)) {
      const { userId } = await requireUser(req);
      return json(await opsOverview(db(), userId), 200, NO_STORE);
    }
    await requireCronSecret(req); // before anything is read
    const raw = url.searchParams.get('night');
    let night: string | undefined;
    if (raw !== null) {
      const parsed = Night.safeParse(raw);
      if (!parsed.success) throw new AppError('bad_request', 'INVALID_QUERY', `invalid parameter 'night': ${parsed.error.issues[0].message}`);
      night = parsed.data;
    }
    const report = await nightReport(db(), night);
    if (!report) throw new AppError('not_found', 'NO_REPORT', night ? `no report for the night of ${night}` : 'no night report yet');
    return json({ report }, 200, NO_STORE);
  } catch (e) {
    return errorResponse(e);
  }
}

export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;

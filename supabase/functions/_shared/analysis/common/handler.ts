/**
 * The thin handler every analysis function is (its index.ts wraps it in _shared/api/cors.ts): POST only, service-role auth, the body validated
 * (400 naming the field), the module run, a JSON summary back. Errors follow _shared/api/respond.ts.
 */
import { errorResponse, json, parseJsonBody } from '../../api/respond.ts';
import { requireServiceRole } from '../../auth/cron-secret.ts';
import { db, type Sql } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import { type AnalysisRequest, AnalysisRequestSchema } from './request.ts';

export type AnalysisRunner = (sql: Sql, req: AnalysisRequest) => Promise<unknown>;

export function analysisHandler(
  run: AnalysisRunner,
  getSql: () => Sql = db,
): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    try {
      if (req.method !== 'POST') {
        throw new AppError('bad_request', 'METHOD_NOT_ALLOWED', 'use POST', { status: 405 });
      }
      await requireServiceRole(req);
      const body = await parseJsonBody(req, AnalysisRequestSchema);
      return json(await run(getSql(), body));
    } catch (e) {
      return errorResponse(e);
    }
  };
}

/**
 * calculate-tax-score — the 0–100 tax score over the last 12 months, with its components and weights.
 * Service-role only (the sync engine calls it with { company_id, connection_id, log_id } after each financials/DRE sync).
 * Body: { company_id: uuid, connection_id?: uuid, log_id?: uuid, period_from?: 'YYYY-MM', period_to?: 'YYYY-MM' }.
 * Answers the run's summary as JSON; 400 naming the bad field, 401 without the service key, 404 unknown company.
 */
import { analysisHandler } from '../_shared/analysis/common/handler.ts';
import { withCors } from '../_shared/api/cors.ts';
import { runTaxScore } from '../_shared/analysis/score/mod.ts';

export default { fetch: withCors(analysisHandler(runTaxScore)) } satisfies Deno.ServeDefaultExport;

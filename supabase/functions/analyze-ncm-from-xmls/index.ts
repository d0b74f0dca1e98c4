/**
 * analyze-ncm-from-xmls — per-NCM picture of the NF-e items and the product master (company_ncm_analysis).
 * Service-role only (the sync engine calls it with { company_id, connection_id, log_id } after each products sync).
 * Body: { company_id: uuid, connection_id?: uuid, log_id?: uuid, period_from?: 'YYYY-MM', period_to?: 'YYYY-MM' }.
 * Answers the run's summary as JSON; 400 naming the bad field, 401 without the service key, 404 unknown company.
 */
import { analysisHandler } from '../_shared/analysis/common/handler.ts';
import { withCors } from '../_shared/api/cors.ts';
import { runNcmAnalysis } from '../_shared/analysis/ncm/mod.ts';

export default { fetch: withCors(analysisHandler(runNcmAnalysis)) } satisfies Deno.ServeDefaultExport;

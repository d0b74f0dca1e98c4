/**
 * analyze-ncm-from-xmls: per NCM, items and value in and out, format/chapter checks, product-code and
 * product-master conflicts, monophasic groups with their legal basis (rules.ts) → company_ncm_analysis.
 * Default period: the last 12 months including the current one. Idempotent: a re-run replaces the company's rows.
 */
import type { Sql } from '../../db/client.ts';
import { type AnalysisRequest, resolvePeriod } from '../common/request.ts';
import { inCompanyTransaction, loadCompanyContext, recordRun } from '../common/sql.ts';
import { analyzeNcm, type NcmResult } from './rules.ts';
import { loadNcmInputs, replaceNcmResults } from './sql.ts';

export * from './rules.ts';

export interface NcmRunSummary {
  analysis: 'ncm';
  company_id: string;
  status: 'success' | 'no_data';
  period_from: string;
  period_to: string;
  rules_version: string;
  totals: NcmResult['totals'];
  warnings: NcmResult['warnings'];
}

export async function runNcmAnalysis(
  sql: Sql,
  req: AnalysisRequest,
  opts: { now?: Date } = {},
): Promise<NcmRunSummary> {
  const startedAt = new Date();
  const period = resolvePeriod(req, 'last_12_including_current', opts.now ?? startedAt);
  return await inCompanyTransaction(sql, 'ncm', req.company_id, async (tx) => {
    const ctx = await loadCompanyContext(tx, req);
    const inputs = await loadNcmInputs(tx, ctx.companyId, period);
    const result = analyzeNcm({ period, ...inputs });
    await replaceNcmResults(tx, result, {
      companyId: ctx.companyId,
      connectionId: req.connection_id,
      logId: req.log_id,
    });
    const status = result.rows.length ? 'success' : 'no_data';
    await recordRun(tx, {
      analysis: 'ncm',
      companyId: ctx.companyId,
      status,
      period,
      rulesVersion: result.rules_version,
      summary: result.totals as unknown as Record<string, unknown>,
      warnings: result.warnings,
      connectionId: req.connection_id,
      logId: req.log_id,
      startedAt,
    });
    return {
      analysis: 'ncm',
      company_id: ctx.companyId,
      status,
      period_from: period.from,
      period_to: period.to,
      rules_version: result.rules_version,
      totals: result.totals,
      warnings: result.warnings,
    };
  });
}

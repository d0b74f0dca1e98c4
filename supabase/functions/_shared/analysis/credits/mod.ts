/**
 * analyze-credits: per company and month, the PIS/COFINS and ICMS credit candidates on purchase NF-e (rules in
 * rules.ts), written to company_credit_analysis + company_credit_lines. Idempotent: a re-run replaces the
 * company's results for the period inside one transaction.
 */
import type { Sql } from '../../db/client.ts';
import { type AnalysisRequest, resolvePeriod } from '../common/request.ts';
import { resolveRegime } from '../common/regime.ts';
import { inCompanyTransaction, loadCompanyContext, recordRun } from '../common/sql.ts';
import { analyzeCredits, type CreditTotals } from './rules.ts';
import { loadPurchaseNotes, replaceCreditResults } from './sql.ts';

export * from './rules.ts';

export interface CreditRunSummary {
  analysis: 'credits';
  company_id: string;
  status: 'success' | 'no_data';
  period_from: string;
  period_to: string;
  regime: string;
  regime_source: string;
  rules_version: string;
  months: number;
  lines: number;
  totals: CreditTotals;
  warnings: Array<{ code: string; message: string }>;
}

export async function runCreditAnalysis(
  sql: Sql,
  req: AnalysisRequest,
  opts: { now?: Date } = {},
): Promise<CreditRunSummary> {
  const startedAt = new Date();
  const period = resolvePeriod(req, 'nfe_window', opts.now ?? startedAt);
  return await inCompanyTransaction(sql, 'credits', req.company_id, async (tx) => {
    const ctx = await loadCompanyContext(tx, req);
    const regime = resolveRegime(ctx.profile);
    const loaded = await loadPurchaseNotes(tx, ctx.companyId, period);
    const result = analyzeCredits({ regime, period, ...loaded });
    await replaceCreditResults(tx, result, {
      companyId: ctx.companyId,
      connectionId: req.connection_id,
      logId: req.log_id,
    });
    const summary: CreditRunSummary = {
      analysis: 'credits',
      company_id: ctx.companyId,
      status: result.months.length ? 'success' : 'no_data',
      period_from: period.from,
      period_to: period.to,
      regime: regime.regime,
      regime_source: regime.source,
      rules_version: result.rules_version,
      months: result.months.length,
      lines: result.lines.length,
      totals: result.totals,
      warnings: result.warnings,
    };
    await recordRun(tx, {
      analysis: 'credits',
      companyId: ctx.companyId,
      status: summary.status,
      period,
      rulesVersion: result.rules_version,
      summary: {
        months: summary.months,
        lines: summary.lines,
        regime: summary.regime,
        totals: summary.totals,
      },
      warnings: result.warnings,
      connectionId: req.connection_id,
      logId: req.log_id,
      startedAt,
    });
    return summary;
  });
}

/**
 * calculate-tax-score: a 0–100 score over the last 12 closed months (DRE, profile, credits, NCM analysis), each
 * component with its weight shown (rules.ts) → company_tax_scores. Idempotent per (company, last month).
 */
import type { Sql } from '../../db/client.ts';
import { buildFacts } from '../common/facts.ts';
import { loadFactsInput } from '../common/facts-sql.ts';
import { resolveRegime } from '../common/regime.ts';
import { type AnalysisRequest, resolvePeriod } from '../common/request.ts';
import { inCompanyTransaction, loadCompanyContext, recordRun } from '../common/sql.ts';
import { computeTaxScore, type ScoreComponent } from './rules.ts';
import { replaceTaxScore } from './sql.ts';

export * from './rules.ts';

export interface TaxScoreRunSummary {
  analysis: 'tax_score';
  company_id: string;
  status: 'success' | 'no_data';
  score_status: 'ok' | 'insufficient_data';
  score: number | null;
  regime: string;
  period_from: string;
  period_to: string;
  rules_version: string;
  components: Array<
    Pick<ScoreComponent, 'id' | 'label' | 'weight' | 'effective_weight' | 'available' | 'score'>
  >;
  explanation: string;
}

export async function runTaxScore(
  sql: Sql,
  req: AnalysisRequest,
  opts: { now?: Date } = {},
): Promise<TaxScoreRunSummary> {
  const startedAt = new Date();
  const period = resolvePeriod(req, 'last_12_closed', opts.now ?? startedAt);
  return await inCompanyTransaction(sql, 'tax_score', req.company_id, async (tx) => {
    const ctx = await loadCompanyContext(tx, req);
    const regime = resolveRegime(ctx.profile);
    const facts = buildFacts(await loadFactsInput(tx, ctx.companyId, period));
    const result = computeTaxScore(facts, regime);
    await replaceTaxScore(tx, period, result, {
      companyId: ctx.companyId,
      connectionId: req.connection_id,
      logId: req.log_id,
    });
    const summary: TaxScoreRunSummary = {
      analysis: 'tax_score',
      company_id: ctx.companyId,
      status: result.status === 'ok' ? 'success' : 'no_data',
      score_status: result.status,
      score: result.score,
      regime: regime.regime,
      period_from: period.from,
      period_to: period.to,
      rules_version: result.rules_version,
      components: result.components.map((c) => ({
        id: c.id,
        label: c.label,
        weight: c.weight,
        effective_weight: c.effective_weight,
        available: c.available,
        score: c.score,
      })),
      explanation: result.explanation,
    };
    await recordRun(tx, {
      analysis: 'tax_score',
      companyId: ctx.companyId,
      status: summary.status,
      period,
      rulesVersion: result.rules_version,
      summary: { score: result.score, score_status: result.status, components: summary.components },
      warnings: result.status === 'ok'
        ? []
        : [{ code: 'INSUFFICIENT_DATA', message: 'Dados insuficientes para calcular a nota.' }],
      connectionId: req.connection_id,
      logId: req.log_id,
      startedAt,
    });
    return summary;
  });
}

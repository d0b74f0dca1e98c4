/**
 * match-opportunities: the versioned catalogue (data/opportunities.json) matched against the company's profile
 * and analyses over the last 12 closed months (rules.ts) → company_opportunities. Idempotent: a re-run replaces
 * the company's matches. Runs best after the other analyses (the sync triggers it last, after the profile).
 */
import type { Sql } from '../../db/client.ts';
import { buildFacts } from '../common/facts.ts';
import { loadFactsInput } from '../common/facts-sql.ts';
import { cents, money, sumC } from '../common/money.ts';
import { resolveRegime } from '../common/regime.ts';
import { type AnalysisRequest, resolvePeriod } from '../common/request.ts';
import { inCompanyTransaction, loadCompanyContext, recordRun } from '../common/sql.ts';
import { type Evaluation, matchOpportunities } from './rules.ts';
import { loadStRows, replaceOpportunities } from './sql.ts';

export * from './rules.ts';

export interface OpportunityRunSummary {
  analysis: 'opportunities';
  company_id: string;
  status: 'success' | 'no_data';
  regime: string;
  period_from: string;
  period_to: string;
  rules_version: string;
  catalogue_version: string;
  matched: number;
  total_estimated_value: string;
  matches: Array<
    { opportunity_id: string; estimated_value: string; value_basis: string; confidence: string }
  >;
  evaluated: Evaluation[];
}

export async function runOpportunityMatch(
  sql: Sql,
  req: AnalysisRequest,
  opts: { now?: Date } = {},
): Promise<OpportunityRunSummary> {
  const startedAt = new Date();
  const period = resolvePeriod(req, 'last_12_closed', opts.now ?? startedAt);
  return await inCompanyTransaction(sql, 'opportunities', req.company_id, async (tx) => {
    const ctx = await loadCompanyContext(tx, req);
    const regime = resolveRegime(ctx.profile);
    const facts = buildFacts(await loadFactsInput(tx, ctx.companyId, period));
    const st = await loadStRows(tx, ctx.companyId, period);
    const result = matchOpportunities({ regime, cnae: ctx.profile?.cnae ?? null, facts, st });
    await replaceOpportunities(tx, result.matches, {
      companyId: ctx.companyId,
      connectionId: req.connection_id,
      logId: req.log_id,
    });
    const total = sumC(result.matches.map((m) => cents(m.estimated_value)));
    const summary: OpportunityRunSummary = {
      analysis: 'opportunities',
      company_id: ctx.companyId,
      status: result.matches.length ? 'success' : 'no_data',
      regime: regime.regime,
      period_from: period.from,
      period_to: period.to,
      rules_version: result.rules_version,
      catalogue_version: result.catalogue_version,
      matched: result.matches.length,
      total_estimated_value: money(total),
      matches: result.matches.map((m) => ({
        opportunity_id: m.opportunity_id,
        estimated_value: m.estimated_value,
        value_basis: m.value_basis,
        confidence: m.confidence,
      })),
      evaluated: result.evaluated,
    };
    await recordRun(tx, {
      analysis: 'opportunities',
      companyId: ctx.companyId,
      status: summary.status,
      period,
      rulesVersion: result.rules_version,
      summary: {
        matched: summary.matched,
        total_estimated_value: summary.total_estimated_value,
        evaluated: result.evaluated,
        facts: result.facts,
      },
      warnings: regime.regime === 'unknown'
        ? [{
          code: 'REGIME_UNKNOWN',
          message:
            'Regime tributário não informado: oportunidades que dependem do regime não foram avaliadas.',
        }]
        : [],
      connectionId: req.connection_id,
      logId: req.log_id,
      startedAt,
    });
    return summary;
  });
}

/**
 * calculate-tax-score SQL: replaces the company's score for the window (keyed by its last month).
 * Inputs are loaded by common/facts-sql.ts.
 */
import type { Tx } from '../../db/client.ts';
import { monthStart, type Period } from '../common/period.ts';
import type { TaxScoreResult } from './rules.ts';

export interface WriteMeta {
  companyId: string;
  connectionId?: string;
  logId?: string;
}

export async function replaceTaxScore(
  tx: Tx,
  period: Period,
  r: TaxScoreResult,
  meta: WriteMeta,
): Promise<void> {
  await tx`delete from public.company_tax_scores where company_id = ${meta.companyId} and period_to = ${
    monthStart(period.to)
  }`;
  await tx`
    insert into public.company_tax_scores
      (company_id, period_from, period_to, score, status, tax_regime, components, inputs, explanation, rules_version,
       connection_id, log_id)
    values (${meta.companyId}, ${monthStart(period.from)}, ${monthStart(period.to)},
      ${r.score === null ? null : r.score.toFixed(2)}, ${r.status}, ${r.regime.regime}, ${
    tx.json(r.components as never)
  },
      ${tx.json(r.inputs as never)}, ${r.explanation}, ${r.rules_version}, ${meta.connectionId ?? null}, ${
    meta.logId ?? null
  })`;
}

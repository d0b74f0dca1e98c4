/**
 * The body every analysis function accepts:
 *   { company_id: uuid, connection_id?: uuid, log_id?: uuid, period_from?: 'YYYY-MM', period_to?: 'YYYY-MM' }
 * Anything else (unknown key, wrong type, bad month, from after to, more than 60 months) is a 400 that names the
 * field. The sync engine sends { company_id, connection_id, log_id } after each entity lands.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import {
  addMonths,
  currentMonthBrt,
  MAX_PERIOD_MONTHS,
  type Month,
  MONTH_RE,
  monthSpan,
  type Period,
} from './period.ts';

const month = z.string().regex(MONTH_RE, { message: "mês inválido: use 'YYYY-MM'" });

const SHAPE = {
  company_id: z.uuid({ message: 'UUID inválido' }),
  connection_id: z.uuid({ message: 'UUID inválido' }).optional(),
  log_id: z.uuid({ message: 'UUID inválido' }).optional(),
  period_from: month.optional(),
  period_to: month.optional(),
};

export const AnalysisRequestSchema = z
  .looseObject(SHAPE)
  .superRefine((v, ctx) => {
    for (const k of Object.keys(v)) {
      if (!(k in SHAPE)) ctx.addIssue({ code: 'custom', path: [k], message: 'campo não permitido' });
    }
    if (v.period_from && v.period_to) {
      const span = monthSpan(v.period_from, v.period_to);
      if (span < 1) {
        ctx.addIssue({ code: 'custom', path: ['period_to'], message: 'period_to é anterior a period_from' });
      } else if (span > MAX_PERIOD_MONTHS) {
        ctx.addIssue({
          code: 'custom',
          path: ['period_to'],
          message: `o período pode ter no máximo ${MAX_PERIOD_MONTHS} meses`,
        });
      }
    }
  })
  .transform((v): AnalysisRequest => ({
    company_id: v.company_id,
    connection_id: v.connection_id,
    log_id: v.log_id,
    period_from: v.period_from,
    period_to: v.period_to,
  }));

export interface AnalysisRequest {
  company_id: string;
  connection_id?: string;
  log_id?: string;
  /** 'YYYY-MM' */
  period_from?: string;
  /** 'YYYY-MM' */
  period_to?: string;
}

/** How an analysis picks its months when the caller gives none. */
export type DefaultPeriod =
  /** The NF-e window of a sync: from the month of (today − 90 days) to the current month. */
  | 'nfe_window'
  /** The last 12 months including the current one. */
  | 'last_12_including_current'
  /** The last 12 closed months (ends with the previous month). */
  | 'last_12_closed';

/** Resolves the period of a request: explicit months win; a missing end or start follows the default. */
export function resolvePeriod(
  req: Pick<AnalysisRequest, 'period_from' | 'period_to'>,
  kind: DefaultPeriod,
  now: Date,
): Period {
  const current = currentMonthBrt(now);
  let to: Month;
  let defaultSpan: number;
  switch (kind) {
    case 'nfe_window':
      to = req.period_to ?? current;
      defaultSpan = monthSpan(currentMonthBrt(new Date(now.getTime() - 90 * 86400_000)), current);
      break;
    case 'last_12_including_current':
      to = req.period_to ?? current;
      defaultSpan = 12;
      break;
    case 'last_12_closed':
      to = req.period_to ?? addMonths(current, -1);
      defaultSpan = 12;
      break;
  }
  const from = req.period_from ?? addMonths(to, -(defaultSpan - 1));
  const span = monthSpan(from, to);
  if (span < 1) {
    throw new AppError(
      'bad_request',
      'INVALID_BODY',
      "invalid field 'period_from': period_from é posterior ao fim do período",
      {
        details: { field: 'period_from' },
      },
    );
  }
  if (span > MAX_PERIOD_MONTHS) {
    throw new AppError(
      'bad_request',
      'INVALID_BODY',
      `invalid field 'period_from': o período pode ter no máximo ${MAX_PERIOD_MONTHS} meses`,
      {
        details: { field: 'period_from' },
      },
    );
  }
  return { from, to };
}

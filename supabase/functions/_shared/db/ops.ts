/**
 * Operations reads: the night report (erp_night_reports, written by the database when a night's last run
 * ends) and the Operação page's overview, which the database gives to operators only (erp_ops_overview raises
 * 42501 for anyone else; called under the user's own role and claims).
 */
import { AppError, pgCode } from '../errors.ts';
import type { NightReport, OpsOverviewResponse } from '../ops/types.ts';
import { asUser } from './as-user.ts';
import type { Sql } from './client.ts';

/** The report of `night` (YYYY-MM-DD), or of the latest night when omitted; null when there is none. */
export async function nightReport(sql: Sql, night?: string): Promise<NightReport | null> {
  const rows = night
    ? await sql`select report from public.erp_night_reports where night = ${night}::date`
    : await sql`select report from public.erp_night_reports order by night desc limit 1`;
  return (rows[0]?.report as NightReport | undefined) ?? null;
}

export async function opsOverview(sql: Sql, userId: string, nights = 30): Promise<OpsOverviewResponse> {
  return await asUser(sql, userId, async (tx) => {
    try {
      const [row] = await tx`select public.erp_ops_overview(${nights}::int) as overview`;
      return row.overview as OpsOverviewResponse;
    } catch (e) {
      if (pgCode(e) === '42501') throw new AppError('forbidden', 'NOT_AN_OPERATOR', 'operations role required');
      throw e;
    }
  });
}

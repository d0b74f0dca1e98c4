/**
 * Loads the rows buildFacts() needs (see facts.ts) for a company and window: DRE, stored credit results, the
 * stored NCM analysis, tax debits on the company's own sales notes, and tax payments among its payables.
 */
import type { Sql, Tx } from '../../db/client.ts';
import type { CreditMonthRow, DreRow, FactsInput, NcmShareRow, PaymentRow, SalesDebitRow } from './facts.ts';
import { addMonths, monthStart, type Period } from './period.ts';

export async function loadFactsInput(tx: Sql | Tx, companyId: string, period: Period): Promise<FactsInput> {
  const from = monthStart(period.from);
  const to = monthStart(period.to);
  const end = monthStart(addMonths(period.to, 1));
  const dre = await tx<DreRow[]>`
    select period, line, amount from public.company_dre
    where company_id = ${companyId} and period between ${from} and ${to}`;
  const credits = await tx<CreditMonthRow[]>`
    select period, pis_credit, cofins_credit, icms_credit, potential_pis_credit, potential_cofins_credit,
           potential_icms_credit, st_charged, st_retained, purchases_value
    from public.company_credit_analysis
    where company_id = ${companyId} and period between ${from} and ${to}`;
  const [ncm] = await tx<NcmShareRow[]>`
    select count(*)::int as rows,
           coalesce(sum(value_out) filter (where monophasic_group is not null), 0)::text as monophasic_value_out,
           coalesce(sum(value_out), 0)::text as total_value_out,
           coalesce(sum(value_in) filter (where monophasic_group is not null), 0)::text as monophasic_value_in,
           min(period_from) as period_from, max(period_to) as period_to,
           (select jsonb_object_agg(g.monophasic_group, g.v) from (
              select monophasic_group, sum(value_out)::text as v from public.company_ncm_analysis
              where company_id = ${companyId} and monophasic_group is not null group by 1) g) as by_group
    from public.company_ncm_analysis where company_id = ${companyId}`;
  const sales = await tx<SalesDebitRow[]>`
    select left(issued_at_local, 7) as month, count(*)::int as notes,
           coalesce(sum(total_icms), 0)::text as icms, coalesce(sum(total_pis), 0)::text as pis,
           coalesce(sum(total_cofins), 0)::text as cofins, coalesce(sum(total_products), 0)::text as value
    from public.xml_imports
    where company_id = ${companyId} and direction = 'saida' and operation = 'saida' and status = 'authorized' and coalesce(environment, 1) <> 2
      and issued_at >= ${from}::date - interval '2 days' and issued_at < ${end}::date + interval '2 days'
      and left(issued_at_local, 7) between ${period.from} and ${period.to}
    group by 1`;
  const payments = await tx<PaymentRow[]>`
    select to_char(entry_date, 'YYYY-MM') as month, category_name, sum(amount)::text as amount, count(*)::int as entries
    from public.company_financial_entries
    where company_id = ${companyId} and kind = 'payable' and status <> 'cancelled'
      and entry_date >= ${from} and entry_date < ${end}
    group by 1, 2`;
  return { period, dre, credits, ncm: ncm ?? null, sales, payments };
}

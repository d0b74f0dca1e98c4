/**
 * erp_sync_alerts as members see them: read under RLS (their companies only), and acknowledged through the
 * only column grant they hold (acknowledged_at/by, their companies' rows). Opening, resolving and delivering happen in the database
 * (migration 20261203001200_sync_alerts.sql).
 */
import { AppError } from '../errors.ts';
import type { AlertDto, ListAlertsResponse } from '../ops/types.ts';
import { asUser } from './as-user.ts';
import type { Sql, Tx } from './client.ts';

const MAX_ALERTS = 200;

function selectAlerts(tx: Tx, where: { alertId?: string }) {
  return tx<AlertDto[]>`
    select a.id, a.company_id, co.name as company_name, a.connection_id, c.name as connection_name, c.erp_type,
           a.kind, a.code, a.message, a.action, a.opened_at, a.acknowledged_at
      from public.erp_sync_alerts a
      join public.erp_connections c on c.id = a.connection_id
      join public.companies co on co.id = a.company_id
     where ${where.alertId ? tx`a.id = ${where.alertId}::uuid` : tx`a.resolved_at is null`}
     order by a.opened_at desc, a.id
     limit ${MAX_ALERTS}`;
}

function toDto(r: AlertDto): AlertDto {
  const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
  return { ...r, opened_at: iso(r.opened_at)!, acknowledged_at: iso(r.acknowledged_at) };
}

/** The open alerts of the user's companies, newest first, and whether the user operates the platform. */
export async function openAlertsForUser(sql: Sql, userId: string): Promise<ListAlertsResponse> {
  return await asUser(sql, userId, async (tx) => {
    const alerts = (await selectAlerts(tx, {})).map(toDto);
    const [{ is_operator }] = await tx`select public.is_erp_operator() as is_operator`;
    return { alerts, is_operator: is_operator === true };
  });
}

/** Acknowledges one alert of the user's companies (idempotent); not found when it is not theirs. */
export async function acknowledgeAlert(sql: Sql, userId: string, alertId: string): Promise<AlertDto> {
  return await asUser(sql, userId, async (tx) => {
    // RLS limits the row to the user's companies; the column grant to the acknowledgement; the database's
    // guard sets the time and the user (an acknowledgement is never undone).
    const updated = await tx`update public.erp_sync_alerts set acknowledged_at = now() where id = ${alertId}::uuid returning id`;
    if (updated.length === 0) throw new AppError('not_found', 'ALERT_NOT_FOUND', 'alert not found');
    const [row] = await selectAlerts(tx, { alertId });
    if (!row) throw new AppError('not_found', 'ALERT_NOT_FOUND', 'alert not found');
    return toDto(row);
  });
}

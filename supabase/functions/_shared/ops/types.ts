/**
 * The wire contract of the operations functions (`erp-alerts` for members, `erp-ops` for operations). Types
 * only, no imports: the React app (src/lib/ops-types.ts) imports this very file. Timestamps are ISO-8601 (UTC).
 */

export type AlertKind = 'auth_failure' | 'repeated_failures' | 'records_failing' | 'sync_overdue';
export type AlertDeliveryStatus = 'not_configured' | 'pending' | 'delivered' | 'failed';

/** An open alert of one of the caller's companies (GET /functions/v1/erp-alerts). */
export interface AlertDto {
  id: string;
  company_id: string;
  company_name: string;
  connection_id: string;
  connection_name: string;
  erp_type: string;
  kind: AlertKind;
  code: string;
  /** pt-BR: what happened. */
  message: string;
  /** pt-BR: what to do. */
  action: string;
  opened_at: string;
  acknowledged_at: string | null;
}

export interface ListAlertsResponse {
  alerts: AlertDto[];
  /** Whether the caller has the operations role (the app shows the Operação link only then). */
  is_operator: boolean;
}

/** POST /functions/v1/erp-alerts { alert_id } → the alert, acknowledged. */
export interface AcknowledgeAlertRequest {
  alert_id: string;
}
export interface AcknowledgeAlertResponse {
  alert: AlertDto;
}

export interface NightTotals {
  due: number;
  synced: number;
  partial: number;
  failed: number;
  interrupted: number;
  skipped: number;
}

export interface ErpNightStats extends NightTotals {
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface SlowSync {
  connection_id: string;
  company_name: string;
  erp_type: string;
  connection_name: string;
  status: string;
  duration_ms: number;
  records_synced: number;
  records_failed: number;
}

/** One night (noon to noon, Brasília), as stored in erp_night_reports.report. */
export interface NightReport {
  night: string;
  computed_at: string;
  complete: boolean;
  window: { start: string | null; end: string | null; seconds: number | null; target_seconds: number; within_target: boolean };
  totals: NightTotals;
  skipped_reasons: Record<string, number>;
  by_erp: Record<string, ErpNightStats>;
  by_error_code: Record<string, number>;
  record_error_codes: Record<string, number>;
  records_by_entity: Record<string, { synced: number; failed: number }>;
  invocations: number;
  continuations: number;
  empty_invocations: number;
  syncs: number;
  slowest: SlowSync[];
}

/** GET /functions/v1/erp-ops[?night=YYYY-MM-DD] with the cron secret. */
export interface NightReportResponse {
  report: NightReport;
}

export interface NightSummary extends NightTotals {
  night: string;
  window_seconds: number | null;
  failed_by_erp: Record<string, number>;
}

export interface AttentionConnection {
  connection_id: string;
  company_name: string;
  erp_type: string;
  connection_name: string;
  status: string;
  status_message: string | null;
  last_sync_at: string | null;
  alerts: Array<{
    id: string;
    kind: AlertKind;
    code: string;
    message: string;
    opened_at: string;
    acknowledged: boolean;
    delivery_status: AlertDeliveryStatus;
  }>;
}

/** GET /functions/v1/erp-ops/overview with an operator's JWT (403 for anyone else). */
export interface OpsOverviewResponse {
  nights: NightSummary[];
  last_night: NightReport | null;
  attention: AttentionConnection[];
}

/** The nightly window target (seconds). */
export const WINDOW_TARGET_SECONDS = 1800;

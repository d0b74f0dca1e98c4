/** Alerts (members) and the operations overview (operators), through the project's functions. */
import { ApiError, invoke } from './api';
import type { AcknowledgeAlertResponse, AlertDto, ListAlertsResponse, OpsOverviewResponse } from './ops-types';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function fetchAlerts(signal?: AbortSignal): Promise<ListAlertsResponse> {
  const data = await invoke<ListAlertsResponse>('erp-alerts', { method: 'GET', signal });
  if (!isRecord(data) || !Array.isArray(data.alerts)) throw new ApiError(500, 'BAD_RESPONSE', 'erp-alerts answered an unexpected body');
  return data;
}

export async function acknowledgeAlert(alertId: string): Promise<AlertDto> {
  const data = await invoke<AcknowledgeAlertResponse>('erp-alerts', { method: 'POST', body: { alert_id: alertId } });
  if (!isRecord(data) || !isRecord(data.alert)) throw new ApiError(500, 'BAD_RESPONSE', 'erp-alerts answered an unexpected body');
  return data.alert;
}

export async function fetchOpsOverview(signal?: AbortSignal): Promise<OpsOverviewResponse> {
  const data = await invoke<OpsOverviewResponse>('erp-ops/overview', { method: 'GET', signal });
  if (!isRecord(data) || !Array.isArray(data.nights) || !Array.isArray(data.attention)) {
    throw new ApiError(500, 'BAD_RESPONSE', 'erp-ops answered an unexpected body');
  }
  return data;
}

/** The open alerts of the user's companies (erp-alerts) and acknowledging one, cached by react-query. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '@/lib/api';
import { acknowledgeAlert, fetchAlerts } from '@/lib/ops-api';
import type { ListAlertsResponse } from '@/lib/ops-types';

export const alertsQueryKey = ['erp-alerts'] as const;
export const ALERTS_POLL_MS = 60_000;

export function useAlerts() {
  return useQuery({
    queryKey: alertsQueryKey,
    queryFn: ({ signal }) => fetchAlerts(signal),
    refetchInterval: ALERTS_POLL_MS,
    retry: (failureCount, error) =>
      !(error instanceof ApiError && [400, 401, 403, 404].includes(error.status)) && failureCount < 2,
  });
}

export function useAcknowledgeAlert() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: acknowledgeAlert,
    onSuccess: (alert) => {
      client.setQueryData<ListAlertsResponse>(alertsQueryKey, (old) =>
        old ? { ...old, alerts: old.alerts.map((a) => (a.id === alert.id ? alert : a)) } : old,
      );
    },
  });
}

/** The open alerts of the user's companies (erp-alerts) and acknowledging one, cached by react-query. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import * as React from 'react';
import { connectionsQueryKey } from '@/hooks/use-connections';
import { ApiError, fetchConnections } from '@/lib/api';
import { acknowledgeAlert, fetchAlerts } from '@/lib/ops-api';
import type { ListAlertsResponse } from '@/lib/ops-types';

export const alertsQueryKey = ['erp-alerts'] as const;
export const ALERTS_POLL_MS = 60_000;

export function useAlerts() {
  const query = useQuery({
    queryKey: alertsQueryKey,
    queryFn: ({ signal }) => fetchAlerts(signal),
    refetchInterval: ALERTS_POLL_MS,
    retry: (failureCount, error) =>
      !(error instanceof ApiError && [400, 401, 403, 404].includes(error.status)) && failureCount < 2,
  });
  // When the connections change (a sync ended, a setting changed), alerts may have opened or resolved: read them
  // again then rather than at the next poll. Observes the connections' cache only (never fetches them itself).
  const { dataUpdatedAt } = useQuery({ queryKey: connectionsQueryKey, queryFn: () => fetchConnections(), enabled: false });
  const seen = React.useRef(dataUpdatedAt);
  const { refetch } = query;
  React.useEffect(() => {
    if (seen.current !== 0 && dataUpdatedAt !== seen.current) void refetch();
    seen.current = dataUpdatedAt;
  }, [dataUpdatedAt, refetch]);
  return query;
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

/**
 * The signed-in user's connections (erp-connections GET), cached by react-query. Polls quickly while any
 * connection has a sync running (that is how "Sincronizar agora" follows its progress), slowly otherwise.
 */
import { type QueryClient, useQuery } from '@tanstack/react-query';
import { ApiError, fetchConnections } from '@/lib/api';
import type { ConnectionDto, ListConnectionsResponse } from '@/lib/types';

export const connectionsQueryKey = ['erp-connections'] as const;

export const POLL_WHILE_RUNNING_MS = 2_000;
export const POLL_IDLE_MS = 60_000;

export function anyRunning(data: ListConnectionsResponse | undefined): boolean {
  return !!data?.connections.some((c) => c.running !== null);
}

export function useConnections() {
  return useQuery({
    queryKey: connectionsQueryKey,
    queryFn: ({ signal }) => fetchConnections(signal),
    refetchInterval: (query) => (anyRunning(query.state.data) ? POLL_WHILE_RUNNING_MS : POLL_IDLE_MS),
    retry: (failureCount, error) =>
      !(error instanceof ApiError && [400, 401, 403, 404].includes(error.status)) && failureCount < 2,
  });
}

/** Replaces (or patches) one connection inside the cached list. */
export function updateCachedConnection(
  client: QueryClient,
  id: string,
  update: (c: ConnectionDto) => ConnectionDto,
): void {
  client.setQueryData<ListConnectionsResponse>(connectionsQueryKey, (old) =>
    old ? { ...old, connections: old.connections.map((c) => (c.id === id ? update(c) : c)) } : old,
  );
}

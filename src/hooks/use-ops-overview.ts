/** The Operação page's data (erp-ops/overview): operators only, the server answers 403 to anyone else. */
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '@/lib/api';
import { fetchOpsOverview } from '@/lib/ops-api';

export const opsOverviewQueryKey = ['erp-ops', 'overview'] as const;

export function useOpsOverview() {
  return useQuery({
    queryKey: opsOverviewQueryKey,
    queryFn: ({ signal }) => fetchOpsOverview(signal),
    refetchInterval: 5 * 60_000,
    retry: (failureCount, error) =>
      !(error instanceof ApiError && [400, 401, 403, 404].includes(error.status)) && failureCount < 2,
  });
}

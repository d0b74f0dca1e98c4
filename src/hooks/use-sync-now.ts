/**
 * "Sincronizar agora": POST erp-sync, then follow the running log by polling erp-connections until it
 * finishes, and tell the result (toast + the card's aria-live region). Any running sync the card sees
 * (the nightly one too) is followed the same way, so the region also says when it ends.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import * as React from 'react';
import { describeError, startSync } from '@/lib/api';
import { describeOutcome, type SyncOutcome } from '@/lib/sync-status';
import { type ConnectionDto, HISTORY_SIZE, type SyncLogDto } from '@/lib/types';
import { toast } from './use-toast';
import { connectionsQueryKey, updateCachedConnection } from './use-connections';

interface Tracked {
  logId: string | null;
  /** Started from this card (toast the result) or only observed (announce it). */
  mine: boolean;
  /** The log has been seen running in the data (until then, its absence proves nothing). */
  seen: boolean;
}

export type SyncPhase = 'idle' | 'starting' | 'running';

export function useSyncNow(connection: ConnectionDto) {
  const queryClient = useQueryClient();
  const [tracked, setTracked] = React.useState<Tracked | null>(null);
  const [outcome, setOutcome] = React.useState<SyncOutcome | null>(null);

  const mutation = useMutation({
    mutationKey: ['sync-now', connection.id],
    mutationFn: () => startSync(connection.id),
    onMutate: () => setOutcome(null),
    onSuccess: (result) => {
      setTracked({ logId: result.logId, mine: true, seen: false });
      if (result.alreadyRunning) {
        toast({
          title: 'Já existe uma sincronização em andamento',
          description: 'Acompanhe aqui: o resultado aparece quando ela terminar.',
        });
      }
      if (result.logId) {
        const logId = result.logId;
        // Show "running" right away; the next poll brings the real row.
        updateCachedConnection(queryClient, connection.id, (c) => {
          if (c.running) return c;
          const running: SyncLogDto = {
            id: logId,
            sync_type: 'manual',
            status: 'running',
            started_at: new Date().toISOString(),
            completed_at: null,
            records_synced: 0,
            records_failed: 0,
            duration_ms: null,
            error_message: null,
          };
          return { ...c, running, logs: [running, ...c.logs.filter((l) => l.id !== logId)].slice(0, HISTORY_SIZE) };
        });
      }
      void queryClient.invalidateQueries({ queryKey: connectionsQueryKey });
    },
    onError: (error) => {
      const description = describeError(error);
      setOutcome({ variant: 'destructive', title: 'Não foi possível iniciar a sincronização', description });
      toast({ variant: 'destructive', title: 'Não foi possível iniciar a sincronização', description });
    },
  });

  // Follow whatever runs: adopt a running log seen from the server (the nightly one, another tab's)...
  const runningId = connection.running?.id ?? null;
  React.useEffect(() => {
    if (runningId && (tracked === null || tracked.logId === null)) {
      setTracked((t) => ({ logId: runningId, mine: t?.mine ?? false, seen: true }));
      setOutcome(null);
    }
  }, [runningId, tracked]);

  // ...and report it when its log is no longer running.
  React.useEffect(() => {
    if (!tracked?.logId) return;
    if (connection.running?.id === tracked.logId) {
      if (!tracked.seen) setTracked({ ...tracked, seen: true });
      return;
    }
    const log = connection.logs.find((l) => l.id === tracked.logId);
    if (!log) {
      // Seen running, now gone from the history: nothing reliable to say. Not seen yet: the data is older
      // than the 202 (the cache update may land after this render), keep waiting.
      if (tracked.seen) setTracked(null);
      return;
    }
    if (log.status === 'running') return;
    setTracked(null);
    const result = describeOutcome(log);
    setOutcome(result);
    if (tracked.mine) toast({ variant: result.variant, title: result.title, description: result.description });
  }, [connection.logs, connection.running, tracked]);

  const phase: SyncPhase = mutation.isPending ? 'starting' : connection.running || tracked?.logId ? 'running' : 'idle';
  return {
    phase,
    busy: phase !== 'idle',
    outcome,
    syncNow: () => mutation.mutate(),
  };
}

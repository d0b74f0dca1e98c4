/**
 * The "Sincronização automática" checkbox: optimistic (the box shows the new value at once, from the
 * mutation's variables), persisted with PATCH erp-connections, rolled back with a toast when the server says no.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { describeError, updateAutoSync } from '@/lib/api';
import type { ConnectionDto } from '@/lib/types';
import { toast } from './use-toast';
import { connectionsQueryKey, updateCachedConnection } from './use-connections';

export function useAutoSync(connection: ConnectionDto) {
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationKey: ['auto-sync', connection.id],
    mutationFn: (value: boolean) => updateAutoSync(connection.id, value),
    onMutate: async () => {
      // A poll answered with the old value must not overwrite the optimistic one.
      await queryClient.cancelQueries({ queryKey: connectionsQueryKey });
    },
    onSuccess: (updated) => {
      updateCachedConnection(queryClient, updated.id, () => updated);
      toast({
        variant: 'success',
        title: updated.auto_sync ? 'Sincronização automática ativada' : 'Sincronização automática desativada',
        duration: 3000,
      });
    },
    onError: (error, value) => {
      toast({
        variant: 'destructive',
        title: value
          ? 'Não foi possível ativar a sincronização automática'
          : 'Não foi possível desativar a sincronização automática',
        description: describeError(error),
      });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: connectionsQueryKey }),
  });

  const checked = mutation.isPending && mutation.variables !== undefined ? mutation.variables : connection.auto_sync;
  return {
    checked,
    pending: mutation.isPending,
    setAutoSync: (value: boolean) => mutation.mutate(value),
  };
}

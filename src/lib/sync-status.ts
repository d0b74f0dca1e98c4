/**
 * What the card says about a connection's syncs: the last one, what to do after a failure, and the outcome
 * message of a sync the user started. Pure: the component only renders these.
 */
import { erpBrand } from './erp';
import { formatDuration, formatRecords, formatRelativePast } from './format';
import type { ConnectionDto, SyncLogDto } from './types';

/** The newest finished log (the running one is shown as progress, not as "the last sync"). */
export function lastFinishedLog(connection: ConnectionDto): SyncLogDto | null {
  return connection.logs.find((l) => l.status !== 'running') ?? null;
}

export interface LastSyncSummary {
  /** "Última sincronização: há 2 horas · 1.234 registros" */
  text: string;
  /** For <time dateTime>. */
  at: string | null;
}

export function summarizeLastSync(connection: ConnectionDto, now: Date): LastSyncSummary {
  const log = lastFinishedLog(connection);
  const at = log?.completed_at ?? log?.started_at ?? connection.last_sync_at;
  if (!at) return { text: 'Nenhuma sincronização ainda', at: null };
  const parts = [`Última sincronização: ${formatRelativePast(at, now)}`];
  if (log) {
    if (log.status === 'error') parts.push('falhou');
    else parts.push(formatRecords(log.records_synced));
    if (log.records_failed > 0) parts.push(`${formatRecords(log.records_failed)} com falha`);
  }
  return { text: parts.join(' · '), at };
}

export interface SyncProblem {
  tone: 'destructive' | 'warning';
  title: string;
  /** What happened (server text, already redacted), when known. */
  detail: string | null;
  /** What the user can do about it. */
  action: string;
}

/** A problem worth telling the user about, with what to do; null when everything is fine. */
export function syncProblem(connection: ConnectionDto): SyncProblem | null {
  const erp = erpBrand(connection.erp_type).name;
  if (connection.status === 'error') {
    return {
      tone: 'destructive',
      title: `A conexão com o ${erp} precisa de atenção`,
      detail: connection.status_message,
      // The engine's status_message already says what failed and how to reconnect.
      action: connection.status_message
        ? 'Depois de reconectar, clique em “Sincronizar agora” para conferir.'
        : `Reconecte o ${erp} (as credenciais podem ter expirado ou sido revogadas) e depois clique em “Sincronizar agora”.`,
    };
  }
  const log = lastFinishedLog(connection);
  if (!log) return null;
  const retry = connection.auto_sync ? ' A próxima sincronização automática também tentará de novo.' : '';
  switch (log.status) {
    case 'error':
      return {
        tone: 'destructive',
        title: 'A última sincronização falhou',
        detail: log.error_message,
        action: `Clique em “Sincronizar agora” para tentar de novo. Se o erro continuar, confira se o ${erp} está no ar e se o acesso ainda é válido.${retry}`,
      };
    case 'partial':
      return {
        tone: 'warning',
        title: `${formatRecords(log.records_failed)} não puderam ser importados`,
        detail: log.error_message,
        action: `Os demais dados foram salvos. Confira esses registros no ${erp}; eles serão tentados de novo na próxima sincronização.`,
      };
    case 'interrupted':
      return {
        tone: 'warning',
        title: 'A última sincronização foi interrompida',
        detail: log.error_message,
        action: 'Nada do que já foi importado se perde: a próxima sincronização continua de onde parou, ou clique em “Sincronizar agora”.',
      };
    default:
      return null;
  }
}

export interface SyncOutcome {
  variant: 'success' | 'destructive' | 'default';
  title: string;
  description: string;
}

/** The message after a sync the user started has finished. */
export function describeOutcome(log: SyncLogDto): SyncOutcome {
  const records = formatRecords(log.records_synced);
  const took = log.duration_ms !== null ? ` em ${formatDuration(log.duration_ms)}` : '';
  switch (log.status) {
    case 'success':
      return { variant: 'success', title: 'Sincronização concluída', description: `${records} sincronizados${took}.` };
    case 'partial':
      return {
        variant: 'default',
        title: 'Sincronização concluída com falhas',
        description: `${records} sincronizados, ${formatRecords(log.records_failed)} com falha${took}.`,
      };
    case 'interrupted':
      return {
        variant: 'default',
        title: 'Sincronização interrompida',
        description: 'Ela continuará de onde parou na próxima sincronização.',
      };
    case 'error':
      return {
        variant: 'destructive',
        title: 'A sincronização falhou',
        description: log.error_message ?? 'Tente de novo em instantes.',
      };
    default:
      return { variant: 'default', title: 'Sincronizando…', description: '' };
  }
}

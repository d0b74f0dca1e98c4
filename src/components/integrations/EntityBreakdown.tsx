import * as React from 'react';
import { ENTITY_LABEL } from '@/lib/alerts';
import { formatDayTime, formatRecords } from '@/lib/format';
import type { EntitySyncDto, SyncLogDto } from '@/lib/types';

const STATUS_LABEL: Record<EntitySyncDto['status'], string> = {
  success: 'Sincronizado',
  error: 'Falhou',
  skipped: 'Não sincronizado',
  not_supported: 'Não disponível neste ERP',
};

/** "2026-12-03" → "03/12/2026"; a timestamp → "hoje às 21:05". */
function formatUntil(value: string, now: Date): string {
  const day = value.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  return day ? `${day[3]}/${day[2]}/${day[1]}` : formatDayTime(value, now);
}

/** The latest finished sync that recorded per-entity details. */
export function latestWithEntities(logs: SyncLogDto[]): SyncLogDto | null {
  return logs.find((l) => l.status !== 'running' && (l.entities?.length ?? 0) > 0) ?? null;
}

/**
 * Per entity (notas fiscais, produtos, financeiro, empresa), what the last sync did: synced up to when, how many
 * records, or failed with which message.
 */
export function EntityBreakdown({ logs, now }: { logs: SyncLogDto[]; now: Date }) {
  const headingId = React.useId();
  const log = latestWithEntities(logs);
  if (!log?.entities) return null;
  return (
    <section aria-labelledby={headingId} className="space-y-2" data-testid="entity-breakdown" data-log-id={log.id}>
      <h4 id={headingId} className="text-sm font-medium">
        Na última sincronização
      </h4>
      <ul className="divide-y rounded-lg border">
        {log.entities.map((e) => (
          <li
            key={e.entity}
            className="space-y-0.5 px-3 py-2 text-sm"
            data-testid="entity-row"
            data-entity={e.entity}
            data-status={e.status}
          >
            <div className="flex flex-wrap items-baseline justify-between gap-x-2">
              <span className="font-medium">{ENTITY_LABEL[e.entity] ?? e.entity}</span>
              <span className={e.status === 'error' ? 'text-xs text-destructive' : 'text-xs text-muted-foreground'}>
                {STATUS_LABEL[e.status] ?? e.status}
              </span>
            </div>
            {e.status === 'success' || e.synced > 0 ? (
              <p className="text-xs text-muted-foreground">
                {formatRecords(e.synced)}
                {e.synced_until ? ` · atualizado até ${formatUntil(e.synced_until, now)}` : ''}
              </p>
            ) : null}
            {e.error ? (
              <p className="text-xs break-words text-destructive" data-testid="entity-error">
                {e.error}
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

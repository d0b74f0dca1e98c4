import { Info } from 'lucide-react';
import * as React from 'react';
import { SYNC_TYPE_LABEL } from '@/lib/erp';
import { formatDuration, formatExactDateTime, formatLogDate, formatRecords } from '@/lib/format';
import type { SyncLogDto } from '@/lib/types';
import { SyncStatusBadge } from './StatusBadges';
import { TapTooltip } from './TapTooltip';

/** Records are worth showing unless the sync failed (or is still running) with nothing synced. */
function showRecords(log: SyncLogDto): boolean {
  return log.records_synced > 0 || (log.status !== 'error' && log.status !== 'running');
}

/** The last five syncs: Automática/Manual, status, when, records, duration, the error in a tooltip. */
export function SyncHistory({ logs, now }: { logs: SyncLogDto[]; now: Date }) {
  const headingId = React.useId();
  return (
    <section aria-labelledby={headingId} className="space-y-2">
      <h4 id={headingId} className="text-sm font-medium">
        Últimas sincronizações
      </h4>
      {logs.length === 0 ? (
        <p className="text-sm text-muted-foreground">Nenhuma sincronização registrada ainda.</p>
      ) : (
        <ul className="divide-y rounded-lg border" data-testid="sync-history">
          {logs.map((log) => (
            <li
              key={log.id}
              data-testid="sync-history-item"
              data-log-id={log.id}
              data-sync-type={log.sync_type}
              data-status={log.status}
              className="flex items-start gap-3 px-3 py-2 text-sm"
            >
              <div className="min-w-0 flex-1 space-y-1">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">{SYNC_TYPE_LABEL[log.sync_type] ?? log.sync_type}</span>
                  <SyncStatusBadge status={log.status} />
                </div>
                <p className="text-xs text-muted-foreground">
                  <time dateTime={log.started_at} title={formatExactDateTime(log.started_at)}>
                    {formatLogDate(log.started_at, now)}
                  </time>
                  {showRecords(log) ? <> · {formatRecords(log.records_synced)}</> : null}
                  {log.records_failed > 0 ? <> · {formatRecords(log.records_failed)} com falha</> : null}
                </p>
              </div>
              <div className="flex shrink-0 items-center gap-1 pt-0.5 text-xs text-muted-foreground">
                {log.status === 'running' ? null : (
                  <span>
                    <span className="sr-only">Duração: </span>
                    {formatDuration(log.duration_ms)}
                  </span>
                )}
                {log.error_message ? (
                  <TapTooltip content={log.error_message}>
                    <button
                      type="button"
                      aria-label="Ver erro desta sincronização"
                      className="inline-flex size-6 items-center justify-center rounded-md text-destructive outline-none hover:bg-destructive/10 focus-visible:ring-[3px] focus-visible:ring-ring/50"
                    >
                      <Info className="size-4" aria-hidden="true" />
                    </button>
                  </TapTooltip>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

import { CircleAlert, Loader2, RefreshCw, TriangleAlert } from 'lucide-react';
import * as React from 'react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { useAutoSync } from '@/hooks/use-auto-sync';
import { useNow } from '@/hooks/use-now';
import { useSyncNow } from '@/hooks/use-sync-now';
import { erpBrand } from '@/lib/erp';
import { formatExactDateTime, formatRecords } from '@/lib/format';
import { summarizeLastSync, syncProblem } from '@/lib/sync-status';
import type { ConnectionDto } from '@/lib/types';
import { EntityBreakdown } from './EntityBreakdown';
import { ErpLogo } from './ErpLogo';
import { NextSyncBadge } from './NextSyncBadge';
import { ConnectionStatusBadge } from './StatusBadges';
import { SyncHistory } from './SyncHistory';

export interface ERPConnectionCardProps {
  connection: ConnectionDto;
}

/**
 * One ERP connection: name, logo and status; when auto-sync is on, when the next sync runs (Brasília time);
 * how the last sync went and what to do after a failure; the auto-sync checkbox; "Sincronizar agora" with its
 * progress; per entity, what the last sync did; the last five syncs.
 */
export function ERPConnectionCard({ connection }: ERPConnectionCardProps) {
  const now = useNow();
  const brand = erpBrand(connection.erp_type);
  const autoSync = useAutoSync(connection);
  const sync = useSyncNow(connection);
  const ids = {
    checkbox: React.useId(),
    checkboxHint: React.useId(),
    live: React.useId(),
  };

  const last = summarizeLastSync(connection, now);
  const problem = syncProblem(connection);
  const running = connection.running;
  const subtitle = [connection.name, connection.company_name].filter(Boolean).join(' · ');

  let liveText = '';
  if (sync.phase === 'starting') liveText = 'Iniciando sincronização…';
  else if (sync.phase === 'running') {
    liveText = running?.sync_type === 'auto' ? 'Sincronização automática em andamento…' : 'Sincronização em andamento…';
  } else if (sync.outcome) liveText = `${sync.outcome.title}. ${sync.outcome.description}`.trim();

  return (
    <Card
      role="region"
      aria-label={connection.name ? `${brand.name} – ${connection.name}` : brand.name}
      data-testid="erp-connection-card"
      data-connection-id={connection.id}
      className="min-w-0"
    >
      <CardHeader>
        <div className="flex items-start gap-3">
          <ErpLogo erpType={connection.erp_type} />
          <div className="min-w-0 flex-1">
            <CardTitle className="text-base">
              {brand.name}
            </CardTitle>
            {subtitle ? <CardDescription className="break-words">{subtitle}</CardDescription> : null}
          </div>
          <ConnectionStatusBadge status={connection.status} />
        </div>
        {connection.status_message && connection.status !== 'error' ? (
          <p className="text-sm text-muted-foreground" data-testid="status-message">
            {connection.status_message}
          </p>
        ) : null}
        {autoSync.checked ? (
          <div className="flex flex-wrap items-center gap-2 pt-1">
            <NextSyncBadge nextSyncAt={connection.next_sync_at} now={now} />
          </div>
        ) : null}
      </CardHeader>

      <CardContent className="space-y-4">
        <p className="text-sm" data-testid="last-sync">
          {last.at ? (
            <time dateTime={last.at} title={formatExactDateTime(last.at)}>
              {last.text}
            </time>
          ) : (
            <span className="text-muted-foreground">{last.text}</span>
          )}
        </p>

        {problem ? (
          <Alert variant={problem.tone} data-testid="sync-problem">
            {problem.tone === 'destructive' ? <CircleAlert aria-hidden="true" /> : <TriangleAlert aria-hidden="true" />}
            <AlertTitle>{problem.title}</AlertTitle>
            <AlertDescription>
              {problem.detail ? <p className="break-words">{problem.detail}</p> : null}
              <p>{problem.action}</p>
            </AlertDescription>
          </Alert>
        ) : null}

        <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
          <div className="flex items-start gap-3">
            <Checkbox
              id={ids.checkbox}
              checked={autoSync.checked}
              disabled={autoSync.pending}
              aria-busy={autoSync.pending || undefined}
              aria-describedby={ids.checkboxHint}
              onCheckedChange={(value) => autoSync.setAutoSync(value === true)}
              className="mt-0.5"
            />
            <div className="grid gap-0.5">
              <label htmlFor={ids.checkbox} className="cursor-pointer text-sm leading-none font-medium">
                Sincronização automática
              </label>
              <p id={ids.checkboxHint} className="text-xs text-muted-foreground">
                Notas fiscais, produtos e financeiro, todas as noites.
              </p>
            </div>
          </div>
          <Button
            variant="outline"
            onClick={sync.syncNow}
            disabled={sync.busy}
            aria-describedby={ids.live}
            data-testid="sync-now"
            className="w-full sm:w-auto"
          >
            {sync.busy ? <Loader2 className="animate-spin" aria-hidden="true" /> : <RefreshCw aria-hidden="true" />}
            {sync.busy ? 'Sincronizando…' : 'Sincronizar agora'}
          </Button>
        </div>

        <div className="space-y-1">
          <p id={ids.live} role="status" aria-live="polite" className="text-sm" data-testid="sync-live">
            {liveText}
          </p>
          {sync.phase === 'running' && running && running.records_synced > 0 ? (
            <p className="text-xs text-muted-foreground">{formatRecords(running.records_synced)} até agora</p>
          ) : null}
        </div>

        <EntityBreakdown logs={connection.logs} now={now} />

        <SyncHistory logs={connection.logs} now={now} />
      </CardContent>
    </Card>
  );
}

import { CircleAlert, Lock, RotateCw } from 'lucide-react';
import * as React from 'react';
import { FailuresChart, WindowChart, windowMinutes } from '@/components/ops/NightCharts';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { useNow } from '@/hooks/use-now';
import { useOpsOverview } from '@/hooks/use-ops-overview';
import { ALERT_TITLE } from '@/lib/alerts';
import { ApiError, describeError } from '@/lib/api';
import { CONNECTION_STATUS_LABEL, erpBrand, SYNC_STATUS_LABEL } from '@/lib/erp';
import { formatDayTime, formatDuration, formatNumber } from '@/lib/format';
import type { NightReport, OpsOverviewResponse } from '@/lib/ops-types';
import type { ConnectionStatus, SyncLogStatus } from '@/lib/types';

/**
 * Operação (operators only; the server refuses anyone else): the last 30 nights as charts, the connections
 * in error or alert now, and the slowest syncs of the last night.
 */
export function OperationsPage() {
  const query = useOpsOverview();
  return (
    <main className="mx-auto w-full max-w-6xl px-4 py-6 sm:px-6 sm:py-10">
      <header className="mb-6 space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Operação</h1>
        <p className="text-sm text-muted-foreground">
          As sincronizações noturnas de todas as empresas: as últimas 30 noites, o que precisa de atenção agora e o que
          foi mais lento na última noite.
        </p>
      </header>
      {query.isPending ? (
        <p role="status" className="text-sm text-muted-foreground">
          Carregando…
        </p>
      ) : query.isError && !query.data ? (
        query.error instanceof ApiError && (query.error.status === 403 || query.error.status === 401) ? (
          <Card data-testid="ops-forbidden">
            <CardContent className="flex flex-col items-center gap-3 py-8 text-center">
              <Lock className="size-8 text-muted-foreground" aria-hidden="true" />
              <h2 className="font-semibold">Acesso restrito</h2>
              <p className="max-w-md text-sm text-muted-foreground">
                Esta página é só para a equipe de operações. Se você precisa dela, peça acesso a um administrador.
              </p>
            </CardContent>
          </Card>
        ) : (
          <Alert variant="destructive" data-testid="ops-error">
            <CircleAlert aria-hidden="true" />
            <AlertTitle>Não foi possível carregar a operação</AlertTitle>
            <AlertDescription>
              <p>{describeError(query.error)}</p>
              <Button variant="outline" size="sm" className="mt-2" onClick={() => void query.refetch()} disabled={query.isFetching}>
                <RotateCw aria-hidden="true" />
                Tentar novamente
              </Button>
            </AlertDescription>
          </Alert>
        )
      ) : query.data ? (
        <Overview data={query.data} />
      ) : null}
    </main>
  );
}

function Overview({ data }: { data: OpsOverviewResponse }) {
  return (
    <div className="space-y-6" data-testid="ops-overview">
      {data.last_night ? <LastNight report={data.last_night} /> : (
        <p className="text-sm text-muted-foreground" data-testid="no-nights">Nenhuma noite registrada ainda.</p>
      )}
      {data.nights.length > 0 ? (
        <div className="grid gap-6 lg:grid-cols-2">
          <Card>
            <CardContent className="pt-6">
              <WindowChart nights={data.nights} />
            </CardContent>
          </Card>
          <Card>
            <CardContent className="pt-6">
              <FailuresChart nights={data.nights} />
            </CardContent>
          </Card>
        </div>
      ) : null}
      <Attention data={data} />
      {data.last_night ? <Slowest report={data.last_night} /> : null}
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="rounded-lg border px-3 py-2">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="text-lg font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function LastNight({ report }: { report: NightReport }) {
  const t = report.totals;
  const minutes = windowMinutes({ ...t, night: report.night, window_seconds: report.window.seconds, failed_by_erp: {} });
  const [, m, d] = report.night.split('-');
  return (
    <Card data-testid="last-night" data-night={report.night}>
      <CardHeader>
        <CardTitle className="text-base">Última noite ({d}/{m})</CardTitle>
      </CardHeader>
      <CardContent>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-7">
          <Stat label="Janela" value={minutes == null ? '—' : `${formatNumber(minutes)} min`} testId="stat-window" />
          <Stat label="Devidas" value={String(t.due)} testId="stat-due" />
          <Stat label="Sincronizadas" value={String(t.synced)} testId="stat-synced" />
          <Stat label="Parciais" value={String(t.partial)} testId="stat-partial" />
          <Stat label="Falharam" value={String(t.failed)} testId="stat-failed" />
          <Stat label="Não sincronizadas" value={String(t.skipped + t.interrupted)} testId="stat-skipped" />
          <Stat label="Invocações" value={`${report.invocations} (${report.continuations} cont.)`} testId="stat-invocations" />
        </dl>
      </CardContent>
    </Card>
  );
}

/** Where the alert's webhook delivery to operations stands. */
const DELIVERY_LABEL: Record<string, string> = {
  delivered: 'aviso enviado',
  pending: 'aviso pendente',
  failed: 'aviso não entregue',
  not_configured: 'sem webhook',
};

function Attention({ data }: { data: OpsOverviewResponse }) {
  const now = useNow();
  const headingId = React.useId();
  return (
    <section aria-labelledby={headingId} className="space-y-2">
      <h2 id={headingId} className="text-base font-semibold">
        Conexões com erro ou alerta ({data.attention.length})
      </h2>
      {data.attention.length === 0 ? (
        <p className="text-sm text-muted-foreground">Nenhuma conexão precisa de atenção agora.</p>
      ) : (
        <ul className="divide-y rounded-lg border" data-testid="attention-list">
          {data.attention.map((c) => (
            <li key={c.connection_id} className="space-y-1 px-3 py-2 text-sm" data-testid="attention-item" data-connection-id={c.connection_id}>
              <div className="flex flex-wrap items-baseline gap-x-2">
                <span className="font-medium">{c.company_name}</span>
                <span className="text-muted-foreground">
                  {erpBrand(c.erp_type).name}
                  {c.connection_name ? ` · ${c.connection_name}` : ''}
                </span>
                <span className={c.status === 'error' ? 'text-xs text-destructive' : 'text-xs text-muted-foreground'}>
                  {CONNECTION_STATUS_LABEL[c.status as ConnectionStatus] ?? c.status}
                </span>
              </div>
              {c.status_message ? <p className="text-xs break-words text-muted-foreground">{c.status_message}</p> : null}
              {c.alerts.map((a) => (
                <p key={a.id} className="text-xs break-words" data-testid="attention-alert" data-kind={a.kind}>
                  <strong className="font-medium">{ALERT_TITLE[a.kind] ?? a.kind}</strong> ({a.code}, desde{' '}
                  {formatDayTime(a.opened_at, now)}
                  {a.acknowledged ? ', cliente ciente' : ''}, {DELIVERY_LABEL[a.delivery_status] ?? a.delivery_status}): {a.message}
                </p>
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Slowest({ report }: { report: NightReport }) {
  const headingId = React.useId();
  return (
    <section aria-labelledby={headingId} className="space-y-2">
      <h2 id={headingId} className="text-base font-semibold">
        Mais lentas na última noite
      </h2>
      {report.slowest.length === 0 ? (
        <p className="text-sm text-muted-foreground">Nenhuma sincronização na última noite.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border">
          <table className="w-full text-sm" data-testid="slowest-table">
            <thead className="bg-muted/40 text-left text-xs text-muted-foreground">
              <tr>
                <th className="px-3 py-2 font-medium">Empresa</th>
                <th className="px-3 py-2 font-medium">ERP</th>
                <th className="px-3 py-2 font-medium">Duração</th>
                <th className="px-3 py-2 font-medium">Registros</th>
                <th className="px-3 py-2 font-medium">Resultado</th>
              </tr>
            </thead>
            <tbody>
              {report.slowest.map((s) => (
                <tr key={`${s.connection_id}-${s.duration_ms}`} className="border-t" data-testid="slowest-row" data-connection-id={s.connection_id}>
                  <td className="px-3 py-2">{s.company_name}</td>
                  <td className="px-3 py-2">
                    {erpBrand(s.erp_type).name}
                    {s.connection_name ? ` · ${s.connection_name}` : ''}
                  </td>
                  <td className="px-3 py-2 tabular-nums" data-testid="slowest-duration">{formatDuration(s.duration_ms)}</td>
                  <td className="px-3 py-2 tabular-nums">{formatNumber(s.records_synced)}</td>
                  <td className="px-3 py-2">{SYNC_STATUS_LABEL[s.status as SyncLogStatus] ?? s.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

import { BellRing, CircleAlert, TriangleAlert } from 'lucide-react';
import * as React from 'react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useAcknowledgeAlert, useAlerts } from '@/hooks/use-alerts';
import { useNow } from '@/hooks/use-now';
import { describeError } from '@/lib/api';
import { ALERT_TITLE, alertTone } from '@/lib/alerts';
import { erpBrand } from '@/lib/erp';
import { formatDayTime, formatExactDateTime } from '@/lib/format';
import type { AlertDto } from '@/lib/ops-types';

/**
 * The open alerts of the user's companies, at the top of the integrations page: what happened and what to do,
 * in pt-BR, and "Estou ciente" to acknowledge (the alert stays until the connection recovers). Renders nothing
 * when there is no open alert (or they could not be loaded: the cards below still tell each connection's state).
 */
export function AlertsPanel() {
  const query = useAlerts();
  const headingId = React.useId();
  const alerts = query.data?.alerts ?? [];
  if (alerts.length === 0) return null;
  return (
    <section aria-labelledby={headingId} className="mb-6 space-y-3" data-testid="alerts-panel">
      <h2 id={headingId} className="flex items-center gap-2 text-sm font-medium">
        <BellRing className="size-4" aria-hidden="true" />
        {alerts.length === 1 ? '1 alerta aberto' : `${alerts.length} alertas abertos`}
      </h2>
      <ul className="space-y-3">
        {alerts.map((a) => (
          <AlertItem key={a.id} alert={a} />
        ))}
      </ul>
    </section>
  );
}

function AlertItem({ alert }: { alert: AlertDto }) {
  const now = useNow();
  const ack = useAcknowledgeAlert();
  const tone = alertTone(alert.kind);
  const brand = erpBrand(alert.erp_type);
  const where = [alert.company_name, alert.connection_name].filter(Boolean).join(' · ');
  return (
    <li data-testid="alert-item" data-alert-id={alert.id} data-kind={alert.kind}>
      <Alert variant={alert.acknowledged_at ? 'default' : tone}>
        {tone === 'destructive' ? <CircleAlert aria-hidden="true" /> : <TriangleAlert aria-hidden="true" />}
        <AlertTitle>
          {ALERT_TITLE[alert.kind] ?? alert.kind} — {brand.name}
        </AlertTitle>
        <AlertDescription>
          <p className="break-words">{alert.message}</p>
          <p className="break-words" data-testid="alert-action">
            <strong className="font-medium text-foreground">O que fazer:</strong> {alert.action}
          </p>
          <p className="text-xs">
            {where ? `${where} · ` : ''}aberto{' '}
            <time dateTime={alert.opened_at} title={formatExactDateTime(alert.opened_at)}>
              {formatDayTime(alert.opened_at, now)}
            </time>{' '}
            · código {alert.code}
          </p>
          {alert.acknowledged_at ? (
            <p className="text-xs" data-testid="alert-acknowledged">
              Ciente desde {formatDayTime(alert.acknowledged_at, now)}. O alerta fecha sozinho quando a integração voltar a
              sincronizar.
            </p>
          ) : (
            <Button
              variant="outline"
              size="sm"
              className="mt-1"
              onClick={() => ack.mutate(alert.id)}
              disabled={ack.isPending}
              data-testid="alert-acknowledge"
            >
              Estou ciente
            </Button>
          )}
          {ack.isError ? (
            <p className="text-xs text-destructive" data-testid="alert-acknowledge-error">
              {describeError(ack.error)}
            </p>
          ) : null}
        </AlertDescription>
      </Alert>
    </li>
  );
}

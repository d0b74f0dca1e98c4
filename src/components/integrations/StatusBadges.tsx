import { CircleAlert, CircleCheck, CirclePause, CircleX, Loader2, TriangleAlert } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { CONNECTION_STATUS_LABEL, SYNC_STATUS_LABEL } from '@/lib/erp';
import type { ConnectionStatus, SyncLogStatus } from '@/lib/types';

export function ConnectionStatusBadge({ status }: { status: ConnectionStatus }) {
  const label = CONNECTION_STATUS_LABEL[status] ?? status;
  if (status === 'active') {
    return (
      <Badge variant="success" data-testid="connection-status">
        <CircleCheck aria-hidden="true" />
        {label}
      </Badge>
    );
  }
  if (status === 'error') {
    return (
      <Badge variant="destructive" data-testid="connection-status">
        <CircleAlert aria-hidden="true" />
        {label}
      </Badge>
    );
  }
  return (
    <Badge variant="secondary" data-testid="connection-status">
      <CirclePause aria-hidden="true" />
      {label}
    </Badge>
  );
}

export function SyncStatusBadge({ status }: { status: SyncLogStatus }) {
  const label = SYNC_STATUS_LABEL[status] ?? status;
  switch (status) {
    case 'running':
      return (
        <Badge variant="secondary">
          <Loader2 className="animate-spin" aria-hidden="true" />
          {label}
        </Badge>
      );
    case 'success':
      return (
        <Badge variant="outline" className="border-success/40 text-success">
          <CircleCheck aria-hidden="true" />
          {label}
        </Badge>
      );
    case 'partial':
      return (
        <Badge variant="outline" className="border-warning/60 text-foreground">
          <TriangleAlert aria-hidden="true" className="text-warning" />
          {label}
        </Badge>
      );
    case 'error':
      return (
        <Badge variant="outline" className="border-destructive/40 text-destructive">
          <CircleX aria-hidden="true" />
          {label}
        </Badge>
      );
    default:
      return (
        <Badge variant="outline" className="text-muted-foreground">
          <CirclePause aria-hidden="true" />
          {label}
        </Badge>
      );
  }
}

import type { AlertKind } from './ops-types';

/** What each kind of alert is called on the page (pt-BR). */
export const ALERT_TITLE: Record<AlertKind, string> = {
  auth_failure: 'Autorização revogada',
  repeated_failures: 'Sincronização falhando',
  records_failing: 'Registros falhando toda noite',
  sync_overdue: 'Sincronização atrasada',
};

export function alertTone(kind: AlertKind): 'destructive' | 'warning' {
  return kind === 'auth_failure' || kind === 'repeated_failures' ? 'destructive' : 'warning';
}

export const ENTITY_LABEL: Record<string, string> = {
  nfe: 'Notas fiscais',
  products: 'Produtos',
  financials: 'Financeiro',
  profile: 'Empresa',
};

import { screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api';
import { fetchOpsOverview } from '@/lib/ops-api';
import type { NightReport, OpsOverviewResponse } from '@/lib/ops-types';
import { renderWithProviders } from '@/test/render';
import { OperationsPage } from './OperationsPage';

vi.mock('@/lib/ops-api', () => ({ fetchAlerts: vi.fn(), acknowledgeAlert: vi.fn(), fetchOpsOverview: vi.fn() }));

const lastNight: NightReport = {
  night: '2026-12-02',
  computed_at: '2026-12-03T00:20:00Z',
  complete: true,
  window: { start: '2026-12-03T00:00:01Z', end: '2026-12-03T00:19:31Z', seconds: 1170, target_seconds: 1800, within_target: true },
  totals: { due: 40, synced: 35, partial: 2, failed: 2, interrupted: 0, skipped: 1 },
  skipped_reasons: { in_error: 1 },
  by_erp: { bling: { due: 20, synced: 19, partial: 0, failed: 1, interrupted: 0, skipped: 0, p50_ms: 2000, p95_ms: 9000 } },
  by_error_code: { OAUTH_INVALID_GRANT: 1 },
  record_error_codes: {},
  records_by_entity: { nfe: { synced: 900, failed: 0 } },
  invocations: 6,
  continuations: 5,
  empty_invocations: 1,
  syncs: 41,
  slowest: [
    { connection_id: 'c1', company_name: 'Lenta Ltda', erp_type: 'tiny', connection_name: 'Matriz', status: 'success', duration_ms: 95_000, records_synced: 1234, records_failed: 0 },
    { connection_id: 'c2', company_name: 'Outra SA', erp_type: 'bling', connection_name: '', status: 'partial', duration_ms: 30_000, records_synced: 10, records_failed: 1 },
  ],
};

const overview: OpsOverviewResponse = {
  nights: [
    { night: '2026-12-01', window_seconds: 2400, due: 39, synced: 36, partial: 1, failed: 2, interrupted: 0, skipped: 0, failed_by_erp: { omie: 2 } },
    { night: '2026-12-02', window_seconds: 1170, due: 40, synced: 35, partial: 2, failed: 2, interrupted: 0, skipped: 1, failed_by_erp: { bling: 1, conta_azul: 1 } },
  ],
  last_night: lastNight,
  attention: [
    {
      connection_id: 'a1', company_name: 'Revogada Ltda', erp_type: 'conta_azul', connection_name: 'Loja', status: 'error',
      status_message: 'A autorização do Conta Azul foi revogada ou expirou.', last_sync_at: null,
      alerts: [{ id: 'x', kind: 'auth_failure', code: 'OAUTH_INVALID_GRANT', message: 'A autorização foi revogada.', opened_at: new Date().toISOString(), acknowledged: false, delivery_status: 'delivered' }],
    },
  ],
};

beforeEach(() => {
  vi.mocked(fetchOpsOverview).mockReset();
});

describe('OperationsPage', () => {
  it('the last night in numbers, the nights as charts (with their numbers), attention and slowest lists', async () => {
    vi.mocked(fetchOpsOverview).mockResolvedValue(overview);
    renderWithProviders(<OperationsPage />);
    expect(await screen.findByTestId('ops-overview')).toBeInTheDocument();
    expect(screen.getByText('Última noite (02/12)')).toBeInTheDocument();
    expect(screen.getByTestId('stat-window')).toHaveTextContent('19,5 min');
    expect(screen.getByTestId('stat-due')).toHaveTextContent('40');
    expect(screen.getByTestId('stat-failed')).toHaveTextContent('2');
    expect(screen.getByTestId('stat-invocations')).toHaveTextContent('6 (5 cont.)');
    expect(screen.getByText('Duração da janela noturna (meta: 30 min)')).toBeInTheDocument();
    expect(screen.getByText('Falhas por ERP')).toBeInTheDocument();
    expect(screen.getAllByTestId('window-minutes').map((c) => c.textContent)).toEqual(['40 min', '19,5 min']);

    const attention = screen.getAllByTestId('attention-item');
    expect(attention).toHaveLength(1);
    expect(attention[0]).toHaveTextContent('Revogada Ltda');
    expect(attention[0]).toHaveTextContent('Conta Azul · Loja');
    expect(within(attention[0]).getByTestId('attention-alert')).toHaveTextContent('Autorização revogada (OAUTH_INVALID_GRANT');
    expect(within(attention[0]).getByTestId('attention-alert')).toHaveTextContent('aviso enviado');

    const rows = screen.getAllByTestId('slowest-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Lenta Ltda');
    expect(within(rows[0]).getByTestId('slowest-duration')).toHaveTextContent('1 min 35 s');
  });

  it('a non-operator: "Acesso restrito" and no data', async () => {
    vi.mocked(fetchOpsOverview).mockRejectedValue(new ApiError(403, 'NOT_AN_OPERATOR', 'operations role required'));
    renderWithProviders(<OperationsPage />);
    expect(await screen.findByTestId('ops-forbidden')).toHaveTextContent('Acesso restrito');
    expect(screen.queryByTestId('ops-overview')).not.toBeInTheDocument();
  });

  it('no night yet', async () => {
    vi.mocked(fetchOpsOverview).mockResolvedValue({ nights: [], last_night: null, attention: [] });
    renderWithProviders(<OperationsPage />);
    expect(await screen.findByTestId('no-nights')).toHaveTextContent('Nenhuma noite registrada ainda.');
    expect(screen.getByText('Nenhuma conexão precisa de atenção agora.')).toBeInTheDocument();
  });
});

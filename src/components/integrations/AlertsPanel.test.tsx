import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api';
import { acknowledgeAlert, fetchAlerts } from '@/lib/ops-api';
import type { AlertDto } from '@/lib/ops-types';
import { renderWithProviders } from '@/test/render';
import { AlertsPanel } from './AlertsPanel';

vi.mock('@/lib/ops-api', () => ({ fetchAlerts: vi.fn(), acknowledgeAlert: vi.fn(), fetchOpsOverview: vi.fn() }));

function makeAlert(overrides: Partial<AlertDto> = {}): AlertDto {
  return {
    id: '40000000-0000-4000-8000-000000000001',
    company_id: '30000000-0000-4000-8000-000000000001',
    company_name: 'Empresa Teste Ltda',
    connection_id: '20000000-0000-4000-8000-000000000001',
    connection_name: 'Loja Matriz',
    erp_type: 'conta_azul',
    kind: 'auth_failure',
    code: 'OAUTH_INVALID_GRANT',
    message: 'A autorização do Conta Azul foi revogada ou expirou: a sincronização está parada.',
    action: 'Reconecte a integração em Integrações › Conta Azul.',
    opened_at: new Date().toISOString(),
    acknowledged_at: null,
    ...overrides,
  };
}

beforeEach(() => {
  vi.mocked(fetchAlerts).mockReset();
  vi.mocked(acknowledgeAlert).mockReset();
});

describe('AlertsPanel', () => {
  it('shows each open alert with what happened and what to do, in pt-BR', async () => {
    vi.mocked(fetchAlerts).mockResolvedValue({
      alerts: [makeAlert(), makeAlert({ id: '40000000-0000-4000-8000-000000000002', kind: 'sync_overdue', erp_type: 'bling', code: 'SYNC_OVERDUE' })],
      is_operator: false,
    });
    renderWithProviders(<AlertsPanel />);
    expect(await screen.findByRole('heading', { name: '2 alertas abertos' })).toBeInTheDocument();
    const items = screen.getAllByTestId('alert-item');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Autorização revogada — Conta Azul');
    expect(items[0]).toHaveTextContent('foi revogada ou expirou');
    expect(within(items[0]).getByTestId('alert-action')).toHaveTextContent('O que fazer: Reconecte a integração');
    expect(items[0]).toHaveTextContent('Empresa Teste Ltda · Loja Matriz · aberto hoje às');
    expect(items[1]).toHaveTextContent('Sincronização atrasada — Bling');
  });

  it('"Estou ciente" acknowledges the alert, which stays listed until it resolves', async () => {
    const alert = makeAlert();
    vi.mocked(fetchAlerts).mockResolvedValue({ alerts: [alert], is_operator: false });
    vi.mocked(acknowledgeAlert).mockResolvedValue({ ...alert, acknowledged_at: new Date().toISOString() });
    const { user } = renderWithProviders(<AlertsPanel />);
    await user.click(await screen.findByRole('button', { name: 'Estou ciente' }));
    expect(vi.mocked(acknowledgeAlert).mock.calls[0][0]).toBe(alert.id);
    expect(await screen.findByTestId('alert-acknowledged')).toHaveTextContent('Ciente desde hoje às');
    expect(screen.queryByRole('button', { name: 'Estou ciente' })).not.toBeInTheDocument();
    expect(screen.getAllByTestId('alert-item')).toHaveLength(1);
  });

  it('a refused acknowledgement says why and keeps the button', async () => {
    vi.mocked(fetchAlerts).mockResolvedValue({ alerts: [makeAlert()], is_operator: false });
    vi.mocked(acknowledgeAlert).mockRejectedValue(new ApiError(404, 'ALERT_NOT_FOUND', 'alert not found'));
    const { user } = renderWithProviders(<AlertsPanel />);
    await user.click(await screen.findByRole('button', { name: 'Estou ciente' }));
    expect(await screen.findByTestId('alert-acknowledge-error')).toHaveTextContent('Integração não encontrada');
    expect(screen.getByRole('button', { name: 'Estou ciente' })).toBeEnabled();
  });

  it('renders nothing without open alerts, or when they cannot be loaded', async () => {
    vi.mocked(fetchAlerts).mockResolvedValueOnce({ alerts: [], is_operator: false });
    const { unmount } = renderWithProviders(<AlertsPanel />);
    await waitFor(() => expect(fetchAlerts).toHaveBeenCalled());
    expect(screen.queryByTestId('alerts-panel')).not.toBeInTheDocument();
    unmount();
    vi.mocked(fetchAlerts).mockRejectedValueOnce(new ApiError(500, 'HTTP_500', 'x'));
    renderWithProviders(<AlertsPanel />);
    await waitFor(() => expect(fetchAlerts).toHaveBeenCalledTimes(2));
    expect(screen.queryByTestId('alerts-panel')).not.toBeInTheDocument();
  });
});

describe('AlertsPanel follows the connections', () => {
  it('reads the alerts again when the connections change (a sync ended)', async () => {
    const { connectionsQueryKey } = await import('@/hooks/use-connections');
    vi.mocked(fetchAlerts)
      .mockResolvedValueOnce({ alerts: [makeAlert()], is_operator: false })
      .mockResolvedValueOnce({ alerts: [], is_operator: false });
    const { client } = renderWithProviders(<AlertsPanel />);
    client.setQueryData(connectionsQueryKey, { connections: [], server_time: '2026-12-03T00:00:00Z' });
    expect(await screen.findByTestId('alerts-panel')).toBeInTheDocument();
    expect(fetchAlerts).toHaveBeenCalledTimes(1);
    client.setQueryData(connectionsQueryKey, { connections: [], server_time: '2026-12-03T00:05:00Z' });
    await waitFor(() => expect(fetchAlerts).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.queryByTestId('alerts-panel')).not.toBeInTheDocument());
  });
});

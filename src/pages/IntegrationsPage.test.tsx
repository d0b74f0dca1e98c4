import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { anyRunning, POLL_IDLE_MS, POLL_WHILE_RUNNING_MS } from '@/hooks/use-connections';
import { ApiError, fetchConnections } from '@/lib/api';
import type { ListConnectionsResponse } from '@/lib/types';
import { makeConnection, makeLog } from '@/test/fixtures';
import { renderWithProviders } from '@/test/render';
import { IntegrationsPage } from './IntegrationsPage';

vi.mock('@/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/lib/api')>();
  return { ...actual, fetchConnections: vi.fn(), updateAutoSync: vi.fn(), startSync: vi.fn() };
});

function response(connections = [makeConnection()]): ListConnectionsResponse {
  return { connections, server_time: new Date().toISOString() };
}

beforeEach(() => {
  vi.mocked(fetchConnections).mockReset();
});

describe('IntegrationsPage', () => {
  it('loading: skeletons, busy, announced', async () => {
    vi.mocked(fetchConnections).mockReturnValue(new Promise(() => {}));
    renderWithProviders(<IntegrationsPage />);
    expect(screen.getByRole('heading', { level: 1, name: 'Integrações' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Carregando integrações…');
    expect(screen.getAllByTestId('connection-skeleton')).toHaveLength(2);
    expect(screen.getByLabelText('ERPs conectados')).toHaveAttribute('aria-busy', 'true');
  });

  it('empty: says how to get started', async () => {
    vi.mocked(fetchConnections).mockResolvedValue(response([]));
    renderWithProviders(<IntegrationsPage />);
    expect(await screen.findByTestId('connections-empty')).toHaveTextContent('Nenhum ERP conectado');
  });

  it('error: an alert with a retry that works', async () => {
    vi.mocked(fetchConnections)
      .mockRejectedValueOnce(new ApiError(401, 'INVALID_JWT', 'invalid JWT'))
      .mockResolvedValueOnce(response());
    const { user } = renderWithProviders(<IntegrationsPage />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Não foi possível carregar suas integrações');
    expect(alert).toHaveTextContent('Sua sessão expirou. Entre novamente para continuar.');
    await user.click(within(alert).getByRole('button', { name: 'Tentar novamente' }));
    expect(await screen.findByTestId('erp-connection-card')).toBeInTheDocument();
    expect(fetchConnections).toHaveBeenCalledTimes(2);
  });

  it('a list: one card per connection, counted', async () => {
    vi.mocked(fetchConnections).mockResolvedValue(
      response([makeConnection(), makeConnection({ erp_type: 'omie', name: 'Filial' }), makeConnection({ erp_type: 'tiny', name: '' })]),
    );
    renderWithProviders(<IntegrationsPage />);
    await waitFor(() => expect(screen.getAllByTestId('erp-connection-card')).toHaveLength(3));
    expect(screen.getByRole('heading', { name: '3 ERPs conectados' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Omie – Filial' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Tiny' })).toBeInTheDocument();
  });

  it('polls fast only while a sync runs', () => {
    expect(POLL_WHILE_RUNNING_MS).toBeLessThan(POLL_IDLE_MS);
    expect(anyRunning(response())).toBe(false);
    const running = makeLog({ status: 'running', completed_at: null });
    expect(anyRunning(response([makeConnection(), makeConnection({ running })]))).toBe(true);
    expect(anyRunning(undefined)).toBe(false);
  });
});

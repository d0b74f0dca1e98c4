import { act, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useConnections } from '@/hooks/use-connections';
import { ApiError, fetchConnections, startSync, updateAutoSync } from '@/lib/api';
import type { ConnectionDto } from '@/lib/types';
import { makeConnection, makeLog } from '@/test/fixtures';
import { renderWithProviders, toasts } from '@/test/render';
import { ERPConnectionCard } from './ERPConnectionCard';

vi.mock('@/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/lib/api')>();
  return { ...actual, fetchConnections: vi.fn(), updateAutoSync: vi.fn(), startSync: vi.fn() };
});

const NOW = new Date('2026-11-29T15:00:00Z'); // Sunday 12:00 in Brasília

/** What the fake server holds; fetchConnections answers a copy of it. */
let server: ConnectionDto[] = [];

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The card as the page renders it: fed from the react-query cache, so the hooks' cache writes show. */
function CardFromCache({ id }: { id: string }) {
  const query = useConnections();
  const connection = query.data?.connections.find((c) => c.id === id);
  return connection ? <ERPConnectionCard connection={connection} /> : null;
}

async function renderCard(connection: ConnectionDto) {
  server = [connection];
  const utils = renderWithProviders(<CardFromCache id={connection.id} />);
  const card = await screen.findByTestId('erp-connection-card');
  return { ...utils, card: within(card) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  vi.mocked(fetchConnections).mockImplementation(async () => ({
    connections: structuredClone(server),
    server_time: new Date().toISOString(),
  }));
  vi.mocked(updateAutoSync).mockReset();
  vi.mocked(startSync).mockReset();
});

describe('ERPConnectionCard: what it shows', () => {
  it('active with auto-sync on: name, logo, status, "Próxima" in Brasília time, last sync', async () => {
    const { card } = await renderCard(
      makeConnection({ logs: [makeLog({ completed_at: '2026-11-29T13:00:00Z', records_synced: 1234 })] }),
    );
    expect(screen.getByRole('region', { name: 'Bling – Loja Matriz' })).toBeInTheDocument();
    expect(card.getByText('Loja Matriz · Empresa Teste Ltda')).toBeInTheDocument();
    expect(card.getByTestId('erp-logo')).toHaveTextContent('B');
    expect(card.getByTestId('connection-status')).toHaveTextContent('Ativa');
    const next = card.getByTestId('next-sync');
    expect(next).toHaveTextContent('Próxima: hoje às 21:00');
    expect(next.querySelector('time')).toHaveAttribute('datetime', '2026-11-30T00:00:00.000Z');
    expect(card.getByTestId('last-sync')).toHaveTextContent('Última sincronização: há 2 horas · 1.234 registros');
    expect(card.queryByTestId('sync-problem')).not.toBeInTheDocument();
    expect(card.getByRole('checkbox', { name: 'Sincronização automática' })).toBeChecked();
    expect(card.getByRole('button', { name: /Sincronizar agora/ })).toBeEnabled();
  });

  it('the exact date and time is in a tooltip, on keyboard focus and on tap', async () => {
    const { card, user } = await renderCard(makeConnection());
    await user.tab(); // first focusable element of the card: the badge
    expect(card.getByTestId('next-sync')).toHaveFocus();
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'domingo, 29 de novembro de 2026 às 21:00 (horário de Brasília)',
    );
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('tooltip')).not.toBeInTheDocument());
    await user.click(card.getByTestId('next-sync'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent('29 de novembro de 2026 às 21:00');
  });

  it('"amanhã às 21:00" right after the nightly run', async () => {
    vi.setSystemTime(new Date('2026-11-30T00:10:00Z')); // 21:10 in Brasília
    const { card } = await renderCard(makeConnection({ next_sync_at: '2026-12-01T00:00:00Z' }));
    expect(card.getByTestId('next-sync')).toHaveTextContent('Próxima: amanhã às 21:00');
  });

  it('auto-sync on without a date yet: due at the next run', async () => {
    const { card } = await renderCard(makeConnection({ next_sync_at: null }));
    expect(card.getByTestId('next-sync')).toHaveTextContent('Próxima: na próxima execução');
  });

  it('inactive with auto-sync off: "Inativa", no "Próxima" badge, unchecked', async () => {
    const { card } = await renderCard(makeConnection({ status: 'inactive', auto_sync: false, erp_type: 'conta_azul' }));
    expect(card.getByTestId('connection-status')).toHaveTextContent('Inativa');
    expect(card.getByTestId('erp-logo')).toHaveTextContent('CA');
    expect(card.getByRole('heading', { name: /Conta Azul/ })).toBeInTheDocument();
    expect(card.queryByTestId('next-sync')).not.toBeInTheDocument();
    expect(card.getByRole('checkbox', { name: 'Sincronização automática' })).not.toBeChecked();
  });

  it('active with a status message shows it under the header', async () => {
    const { card } = await renderCard(makeConnection({ status_message: 'Omie lento: tentaremos de novo.' }));
    expect(card.getByTestId('status-message')).toHaveTextContent('Omie lento: tentaremos de novo.');
  });

  it('error: "Erro", the status message and what to do', async () => {
    const { card } = await renderCard(
      makeConnection({ erp_type: 'omie', status: 'error', status_message: 'O Omie recusou as credenciais.' }),
    );
    expect(card.getByTestId('connection-status')).toHaveTextContent('Erro');
    const problem = within(card.getByTestId('sync-problem'));
    expect(problem.getByText('A conexão com o Omie precisa de atenção')).toBeInTheDocument();
    expect(problem.getByText('O Omie recusou as credenciais.')).toBeInTheDocument();
    expect(problem.getByText(/Depois de reconectar, clique em “Sincronizar agora”/)).toBeInTheDocument();
  });

  it('never synced', async () => {
    const { card } = await renderCard(makeConnection({ logs: [], last_sync_at: null }));
    expect(card.getByTestId('last-sync')).toHaveTextContent('Nenhuma sincronização ainda');
    expect(card.getByText('Nenhuma sincronização registrada ainda.')).toBeInTheDocument();
  });

  it('last sync failed: says so and what to do', async () => {
    const { card } = await renderCard(
      makeConnection({
        logs: [makeLog({ status: 'error', records_synced: 0, completed_at: '2026-11-29T14:00:00Z', error_message: 'Bling respondeu 503' })],
      }),
    );
    expect(card.getByTestId('last-sync')).toHaveTextContent('Última sincronização: há 1 hora · falhou');
    const problem = within(card.getByTestId('sync-problem'));
    expect(problem.getByText('A última sincronização falhou')).toBeInTheDocument();
    expect(problem.getByText('Bling respondeu 503')).toBeInTheDocument();
    expect(problem.getByText(/Clique em “Sincronizar agora” para tentar de novo/)).toBeInTheDocument();
  });

  it('partial sync: a warning with the failed count', async () => {
    const { card } = await renderCard(makeConnection({ logs: [makeLog({ status: 'partial', records_failed: 4 })] }));
    expect(card.getByTestId('sync-problem')).toHaveTextContent('4 registros não puderam ser importados');
  });

  it('the last five syncs: Automática/Manual, status, records, duration, error in a tooltip', async () => {
    const logs = [
      makeLog({ sync_type: 'manual', status: 'success', started_at: '2026-11-29T12:00:00Z', records_synced: 1234, duration_ms: 125_000 }),
      makeLog({ sync_type: 'auto', status: 'partial', started_at: '2026-11-29T00:00:00Z', records_synced: 310, records_failed: 4, duration_ms: 42_000 }),
      makeLog({ sync_type: 'auto', status: 'error', started_at: '2026-11-28T00:00:00Z', records_synced: 0, duration_ms: 850, error_message: 'Token expirado no Bling' }),
      makeLog({ sync_type: 'auto', status: 'interrupted', started_at: '2026-11-27T00:00:00Z', records_synced: 120, duration_ms: 3_780_000 }),
      makeLog({ sync_type: 'manual', status: 'success', started_at: '2026-11-26T00:00:00Z', records_synced: 1, duration_ms: null }),
    ];
    const { card, user } = await renderCard(makeConnection({ logs }));
    const items = card.getAllByTestId('sync-history-item');
    expect(items).toHaveLength(5);
    const text = items.map((i) => i.textContent);
    expect(text[0]).toContain('Manual');
    expect(text[0]).toContain('Concluída');
    expect(text[0]).toContain('hoje, 09:00 · 1.234 registros');
    expect(text[0]).toContain('2 min 5 s');
    expect(text[1]).toContain('Automática');
    expect(text[1]).toContain('Parcial');
    expect(text[1]).toContain('ontem, 21:00 · 310 registros · 4 registros com falha');
    expect(text[1]).toContain('42 s');
    expect(text[2]).toContain('Falhou');
    expect(text[2]).not.toContain('0 registros');
    expect(text[2]).toContain('menos de 1 s');
    expect(text[3]).toContain('Interrompida');
    expect(text[3]).toContain('1 h 3 min');
    expect(text[4]).toContain('1 registro');
    expect(text[4]).toContain('—');
    const errorButton = within(items[2]).getByRole('button', { name: 'Ver erro desta sincronização' });
    await user.hover(errorButton);
    await user.click(errorButton);
    expect(await screen.findByRole('tooltip')).toHaveTextContent('Token expirado no Bling');
  });

  it('a nightly sync running: button disabled with a spinner, progress announced', async () => {
    const running = makeLog({ status: 'running', completed_at: null, duration_ms: null, records_synced: 120, started_at: '2026-11-29T14:59:00Z' });
    const { card } = await renderCard(makeConnection({ running, logs: [running, makeLog()] }));
    const button = card.getByTestId('sync-now');
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Sincronizando…');
    expect(button.querySelector('.animate-spin')).not.toBeNull();
    expect(card.getByRole('status')).toHaveTextContent('Sincronização automática em andamento…');
    expect(card.getByText('120 registros até agora')).toBeInTheDocument();
    expect(card.getAllByTestId('sync-history-item')[0]).toHaveTextContent('Em andamento');
  });
});

describe('ERPConnectionCard: auto-sync checkbox', () => {
  it('is optimistic, persists through PATCH and confirms with a toast', async () => {
    const c = makeConnection();
    const { card, user } = await renderCard(c);
    const pending = deferred<ConnectionDto>();
    vi.mocked(updateAutoSync).mockReturnValue(pending.promise);
    const box = card.getByRole('checkbox', { name: 'Sincronização automática' });
    await user.click(box);
    expect(updateAutoSync).toHaveBeenCalledWith(c.id, false);
    expect(box).not.toBeChecked(); // before the server answered
    expect(box).toBeDisabled();
    expect(card.queryByTestId('next-sync')).not.toBeInTheDocument();
    server = [{ ...c, auto_sync: false, sync_config: { auto_sync: false } }];
    await act(async () => pending.resolve(server[0]));
    await waitFor(() => expect(box).toBeEnabled());
    expect(box).not.toBeChecked();
    expect(await toasts().findByText('Sincronização automática desativada')).toBeInTheDocument();
  });

  it('rolls back with a toast when the server refuses', async () => {
    const c = makeConnection({ auto_sync: false, next_sync_at: null });
    const { card, user } = await renderCard(c);
    const pending = deferred<ConnectionDto>();
    vi.mocked(updateAutoSync).mockReturnValue(pending.promise);
    const box = card.getByRole('checkbox', { name: 'Sincronização automática' });
    await user.click(box);
    expect(box).toBeChecked(); // optimistic
    expect(card.getByTestId('next-sync')).toHaveTextContent('Próxima: na próxima execução');
    await act(async () => pending.reject(new ApiError(403, 'NOT_A_MEMBER', 'forbidden')));
    await waitFor(() => expect(box).not.toBeChecked());
    expect(card.queryByTestId('next-sync')).not.toBeInTheDocument();
    expect(await toasts().findByText('Não foi possível ativar a sincronização automática')).toBeInTheDocument();
    expect(toasts().getByText('Você não tem permissão para alterar esta integração.')).toBeInTheDocument();
  });

  it('works from the keyboard (Space) and is labelled', async () => {
    const c = makeConnection();
    const { card, user } = await renderCard(c);
    vi.mocked(updateAutoSync).mockResolvedValue({ ...c, auto_sync: false });
    const box = card.getByRole('checkbox', { name: 'Sincronização automática' });
    expect(box).toHaveAccessibleDescription('Notas fiscais, produtos e financeiro, todas as noites.');
    box.focus();
    await user.keyboard(' ');
    expect(updateAutoSync).toHaveBeenCalledWith(c.id, false);
  });
});

describe('ERPConnectionCard: Sincronizar agora', () => {
  it('starts a manual sync, stays disabled while it runs (polling), then shows the result', async () => {
    const c = makeConnection({ logs: [makeLog({ started_at: '2026-11-29T00:00:00Z' })] });
    const { card, user, client } = await renderCard(c);
    const start = deferred<{ logId: string; alreadyRunning: boolean }>();
    vi.mocked(startSync).mockReturnValue(start.promise);
    const button = card.getByRole('button', { name: /Sincronizar agora/ });
    await user.click(button);
    expect(startSync).toHaveBeenCalledWith(c.id);
    expect(button).toBeDisabled();
    expect(card.getByRole('status')).toHaveTextContent('Iniciando sincronização…');

    const running = makeLog({ id: 'log-new', sync_type: 'manual', status: 'running', completed_at: null, duration_ms: null, records_synced: 0, started_at: NOW.toISOString() });
    server = [{ ...c, running, logs: [running, ...c.logs] }];
    await act(async () => start.resolve({ logId: 'log-new', alreadyRunning: false }));
    await waitFor(() => expect(card.getByRole('status')).toHaveTextContent('Sincronização em andamento…'));
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('Sincronizando…');

    // The engine finishes; the next poll brings the closed log.
    const done = { ...running, status: 'success' as const, completed_at: NOW.toISOString(), records_synced: 1234, duration_ms: 125_000 };
    server = [{ ...c, running: null, last_sync_at: NOW.toISOString(), logs: [done, ...c.logs] }];
    await act(async () => client.invalidateQueries());
    await waitFor(() => expect(button).toBeEnabled());
    expect(button).toHaveTextContent('Sincronizar agora');
    expect(card.getByRole('status')).toHaveTextContent('Sincronização concluída. 1.234 registros sincronizados em 2 min 5 s.');
    expect(await toasts().findByText('Sincronização concluída')).toBeInTheDocument();
    const first = card.getAllByTestId('sync-history-item')[0];
    expect(first).toHaveTextContent('Manual');
    expect(first).toHaveTextContent('Concluída');
    expect(card.getByTestId('last-sync')).toHaveTextContent('Última sincronização: agora há pouco · 1.234 registros');
  });

  it('tells the failure of the sync it started', async () => {
    const c = makeConnection();
    const { card, user, client } = await renderCard(c);
    const running = makeLog({ id: 'log-x', sync_type: 'manual', status: 'running', completed_at: null, duration_ms: null });
    vi.mocked(startSync).mockImplementation(async () => {
      server = [{ ...c, running, logs: [running, ...c.logs] }];
      return { logId: 'log-x', alreadyRunning: false };
    });
    await user.click(card.getByRole('button', { name: /Sincronizar agora/ }));
    await waitFor(() => expect(card.getByRole('status')).toHaveTextContent('Sincronização em andamento…'));
    const failed = { ...running, status: 'error' as const, completed_at: NOW.toISOString(), error_message: 'Credenciais do Bling expiradas' };
    server = [{ ...c, logs: [failed, ...c.logs] }];
    await act(async () => client.invalidateQueries());
    await waitFor(() => expect(card.getByRole('status')).toHaveTextContent('A sincronização falhou. Credenciais do Bling expiradas'));
    expect(await toasts().findByText('A sincronização falhou')).toBeInTheDocument();
    expect(card.getByTestId('sync-problem')).toHaveTextContent('A última sincronização falhou');
  });

  it('409: a sync is already running, it is followed instead', async () => {
    const c = makeConnection();
    const { card, user } = await renderCard(c);
    const running = makeLog({ id: 'log-auto', sync_type: 'auto', status: 'running', completed_at: null, duration_ms: null });
    vi.mocked(startSync).mockImplementation(async () => {
      server = [{ ...c, running, logs: [running, ...c.logs] }];
      return { logId: 'log-auto', alreadyRunning: true };
    });
    await user.click(card.getByRole('button', { name: /Sincronizar agora/ }));
    expect(await toasts().findByText('Já existe uma sincronização em andamento')).toBeInTheDocument();
    await waitFor(() => expect(card.getByRole('status')).toHaveTextContent('Sincronização automática em andamento…'));
    expect(card.getByTestId('sync-now')).toBeDisabled();
  });

  it('a refused start: toast, message in the live region, button usable again', async () => {
    const { card, user } = await renderCard(makeConnection());
    vi.mocked(startSync).mockRejectedValue(new ApiError(403, 'NOT_A_MEMBER', 'forbidden'));
    await user.click(card.getByRole('button', { name: /Sincronizar agora/ }));
    expect(await toasts().findByText('Não foi possível iniciar a sincronização')).toBeInTheDocument();
    expect(card.getByRole('status')).toHaveTextContent('Você não tem permissão para alterar esta integração.');
    expect(card.getByTestId('sync-now')).toBeEnabled();
  });
});

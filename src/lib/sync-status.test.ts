import { describe, expect, it } from 'vitest';
import { makeConnection, makeLog } from '@/test/fixtures';
import { describeOutcome, lastFinishedLog, summarizeLastSync, syncProblem } from './sync-status';

const now = new Date('2026-11-29T15:00:00Z');

describe('summarizeLastSync', () => {
  it('relative time and pt-BR record count of the newest finished log', () => {
    const c = makeConnection({ logs: [makeLog({ completed_at: '2026-11-29T13:00:00Z', records_synced: 1234 })] });
    expect(summarizeLastSync(c, now)).toEqual({
      text: 'Última sincronização: há 2 horas · 1.234 registros',
      at: '2026-11-29T13:00:00Z',
    });
  });

  it('skips the running log, mentions failures', () => {
    const running = makeLog({ status: 'running', completed_at: null, duration_ms: null });
    const failed = makeLog({ status: 'error', completed_at: '2026-11-26T15:00:00Z', records_synced: 0 });
    const c = makeConnection({ running, logs: [running, failed] });
    expect(lastFinishedLog(c)).toBe(failed);
    expect(summarizeLastSync(c, now).text).toBe('Última sincronização: há 3 dias · falhou');
    const partial = makeConnection({
      logs: [makeLog({ status: 'partial', completed_at: '2026-11-29T14:00:00Z', records_synced: 10, records_failed: 2 })],
    });
    expect(summarizeLastSync(partial, now).text).toBe('Última sincronização: há 1 hora · 10 registros · 2 registros com falha');
  });

  it('never synced; or only last_sync_at known', () => {
    expect(summarizeLastSync(makeConnection({ logs: [], last_sync_at: null }), now)).toEqual({
      text: 'Nenhuma sincronização ainda',
      at: null,
    });
    expect(summarizeLastSync(makeConnection({ logs: [], last_sync_at: '2026-11-29T12:00:00Z' }), now).text).toBe(
      'Última sincronização: há 3 horas',
    );
  });
});

describe('syncProblem', () => {
  it('connection in error: reconnect the ERP, with the status message', () => {
    const p = syncProblem(makeConnection({ erp_type: 'omie', status: 'error', status_message: 'Credenciais revogadas.' }));
    expect(p?.tone).toBe('destructive');
    expect(p?.title).toBe('A conexão com o Omie precisa de atenção');
    expect(p?.detail).toBe('Credenciais revogadas.');
    expect(p?.action).toBe('Depois de reconectar, clique em “Sincronizar agora” para conferir.');
    const bare = syncProblem(makeConnection({ erp_type: 'tiny', status: 'error', status_message: null }));
    expect(bare?.detail).toBeNull();
    expect(bare?.action).toMatch(/^Reconecte o Tiny/);
  });

  it('last sync failed / partial / interrupted; nothing after a success', () => {
    const err = syncProblem(makeConnection({ logs: [makeLog({ status: 'error', error_message: 'Bling respondeu 503' })] }));
    expect(err?.title).toBe('A última sincronização falhou');
    expect(err?.detail).toBe('Bling respondeu 503');
    expect(err?.action).toContain('Sincronizar agora');
    expect(err?.action).toContain('A próxima sincronização automática também tentará de novo.');
    const errOff = syncProblem(makeConnection({ auto_sync: false, logs: [makeLog({ status: 'error' })] }));
    expect(errOff?.action).not.toContain('automática');
    expect(syncProblem(makeConnection({ logs: [makeLog({ status: 'partial', records_failed: 4 })] }))?.title).toBe(
      '4 registros não puderam ser importados',
    );
    expect(syncProblem(makeConnection({ logs: [makeLog({ status: 'interrupted' })] }))?.tone).toBe('warning');
    expect(syncProblem(makeConnection())).toBeNull();
    expect(syncProblem(makeConnection({ logs: [] }))).toBeNull();
  });
});

describe('describeOutcome', () => {
  it('per status', () => {
    expect(describeOutcome(makeLog())).toEqual({
      variant: 'success',
      title: 'Sincronização concluída',
      description: '1.234 registros sincronizados em 2 min 5 s.',
    });
    expect(describeOutcome(makeLog({ status: 'partial', records_failed: 3 })).description).toBe(
      '1.234 registros sincronizados, 3 registros com falha em 2 min 5 s.',
    );
    expect(describeOutcome(makeLog({ status: 'error', error_message: 'Token expirado' }))).toMatchObject({
      variant: 'destructive',
      description: 'Token expirado',
    });
    expect(describeOutcome(makeLog({ status: 'interrupted' })).title).toBe('Sincronização interrompida');
  });
});

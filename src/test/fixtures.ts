import type { ConnectionDto, SyncLogDto } from '@/lib/types';

let seq = 0;
function id(prefix: string): string {
  seq += 1;
  return `${prefix}-0000-4000-8000-${String(seq).padStart(12, '0')}`;
}

export function makeLog(overrides: Partial<SyncLogDto> = {}): SyncLogDto {
  return {
    id: id('10000000'),
    sync_type: 'auto',
    status: 'success',
    started_at: '2026-11-29T00:00:00.000Z',
    completed_at: '2026-11-29T00:02:05.000Z',
    records_synced: 1234,
    records_failed: 0,
    duration_ms: 125_000,
    error_message: null,
    ...overrides,
  };
}

export function makeConnection(overrides: Partial<ConnectionDto> = {}): ConnectionDto {
  const autoSync = overrides.auto_sync ?? true;
  return {
    id: id('20000000'),
    company_id: '30000000-0000-4000-8000-000000000001',
    company_name: 'Empresa Teste Ltda',
    erp_type: 'bling',
    name: 'Loja Matriz',
    status: 'active',
    status_message: null,
    sync_config: { auto_sync: autoSync },
    auto_sync: autoSync,
    last_sync_at: '2026-11-29T00:02:05.000Z',
    next_sync_at: '2026-11-30T00:00:00.000Z',
    running: null,
    logs: [makeLog()],
    ...overrides,
  };
}

import type { ConnectionStatus, ErpType, SyncLogStatus, SyncType } from './types';

export interface ErpBrand {
  name: string;
  /** Monogram shown in the logo tile (no third-party artwork is bundled). */
  monogram: string;
  /** Tailwind classes of the logo tile. */
  tile: string;
}

export const ERP_BRANDS: Record<ErpType, ErpBrand> = {
  bling: { name: 'Bling', monogram: 'B', tile: 'bg-emerald-600 text-white' },
  omie: { name: 'Omie', monogram: 'O', tile: 'bg-sky-600 text-white' },
  tiny: { name: 'Tiny', monogram: 'T', tile: 'bg-indigo-600 text-white' },
  conta_azul: { name: 'Conta Azul', monogram: 'CA', tile: 'bg-blue-700 text-white' },
};

export function erpBrand(type: string): ErpBrand {
  return ERP_BRANDS[type as ErpType] ?? { name: type, monogram: type.slice(0, 2).toUpperCase(), tile: 'bg-muted text-foreground' };
}

export const CONNECTION_STATUS_LABEL: Record<ConnectionStatus, string> = {
  active: 'Ativa',
  inactive: 'Inativa',
  error: 'Erro',
};

export const SYNC_TYPE_LABEL: Record<SyncType, string> = {
  auto: 'Automática',
  manual: 'Manual',
};

export const SYNC_STATUS_LABEL: Record<SyncLogStatus, string> = {
  running: 'Em andamento',
  success: 'Concluída',
  partial: 'Parcial',
  error: 'Falhou',
  interrupted: 'Interrompida',
};

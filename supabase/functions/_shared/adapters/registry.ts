/**
 * The one place that turns an ERP type into an adapter. The sync engine calls
 * `createAdapter(connection.erp_type, ctx)`; tests and the benchmark may pass `deps` (fake clock, own limiter).
 */
import { AppError } from '../errors.ts';
import type { AdapterDeps } from '../http/mod.ts';
import type { AdapterContext, ErpAdapter, ErpType } from './contract.ts';
import { ERP_TYPES } from './contract.ts';
import { createBlingAdapter } from './bling/index.ts';
import { createTinyAdapter } from './tiny/index.ts';
// --- slots owned by the Omie / Conta Azul engineer: each folder exports its AdapterFactory under this name ---
import { createOmieAdapter } from './omie/index.ts';
import { createContaAzulAdapter } from './conta_azul/index.ts';

export type AdapterFactoryWithDeps = (ctx: AdapterContext, deps?: AdapterDeps) => ErpAdapter;

export const ADAPTER_FACTORIES: Record<ErpType, AdapterFactoryWithDeps> = {
  bling: createBlingAdapter,
  tiny: createTinyAdapter,
  omie: createOmieAdapter,
  conta_azul: createContaAzulAdapter,
};

/** Production API base URLs (a simulator's URL replaces them locally via configuration). */
export const DEFAULT_BASE_URLS: Record<ErpType, { baseUrl: string; authUrl?: string }> = {
  bling: { baseUrl: 'https://api.bling.com.br/Api/v3', authUrl: 'https://www.bling.com.br/Api/v3' },
  tiny: { baseUrl: 'https://api.tiny.com.br/api2' },
  omie: { baseUrl: 'https://app.omie.com.br/api/v1' },
  conta_azul: { baseUrl: 'https://api-v2.contaazul.com', authUrl: 'https://auth.contaazul.com' },
};

export function isErpType(v: unknown): v is ErpType {
  return typeof v === 'string' && (ERP_TYPES as readonly string[]).includes(v);
}

export function createAdapter(erp: ErpType, ctx: AdapterContext, deps?: AdapterDeps): ErpAdapter {
  if (!isErpType(erp)) {
    throw new AppError('config', 'UNKNOWN_ERP', `unknown ERP type: ${String(erp).slice(0, 40)}`);
  }
  return ADAPTER_FACTORIES[erp](ctx, deps);
}

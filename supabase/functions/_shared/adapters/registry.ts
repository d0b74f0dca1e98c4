/**
 * The one place that turns an ERP type into an adapter. The sync engine calls
 * `createAdapter(connection.erp_type, ctx, deps, connection.api_version)`; tests and the benchmark may pass
 * `deps` (fake clock, own limiter). Tiny has two APIs: `api_version` 'v3' picks the OAuth2 API v3 adapter,
 * null or 'v2' the token API v2 one (the column is checked in the database, migration …001500, and here).
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { AdapterDeps } from '../http/mod.ts';
import type { AdapterContext, ErpAdapter, ErpType } from './contract.ts';
import { ERP_TYPES } from './contract.ts';
import { createBlingAdapter } from './bling/index.ts';
import { createTinyAdapter } from './tiny/index.ts';
// --- slots owned by the Omie / Conta Azul engineer: each folder exports its AdapterFactory under this name ---
import { createOmieAdapter } from './omie/index.ts';
import { createContaAzulAdapter } from './conta_azul/index.ts';
import { createTinyV3Adapter } from './tiny_v3/index.ts';
import { TINY_V3_AUTH_URL, TINY_V3_BASE_URL } from './tiny_v3/client.ts';

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

/** Production URLs of Tiny's API v3 (API and Keycloak realm). */
export const TINY_V3_URLS = { baseUrl: TINY_V3_BASE_URL, authUrl: TINY_V3_AUTH_URL };

/** erp_connections.api_version: which API of the ERP a connection uses (only Tiny has a choice). */
export const ApiVersionSchema = z.enum(['v2', 'v3']).nullable();
export type ApiVersion = z.infer<typeof ApiVersionSchema>;

export function isErpType(v: unknown): v is ErpType {
  return typeof v === 'string' && (ERP_TYPES as readonly string[]).includes(v);
}

export function createAdapter(
  erp: ErpType,
  ctx: AdapterContext,
  deps?: AdapterDeps,
  apiVersion: string | null = null,
): ErpAdapter {
  if (!isErpType(erp)) {
    throw new AppError('config', 'UNKNOWN_ERP', `unknown ERP type: ${String(erp).slice(0, 40)}`);
  }
  const version = ApiVersionSchema.safeParse(apiVersion);
  if (!version.success || (version.data !== null && erp !== 'tiny')) {
    throw new AppError('config', 'UNKNOWN_API_VERSION', `unknown API version for ${erp}: ${String(apiVersion).slice(0, 20)}`);
  }
  if (erp === 'tiny' && version.data === 'v3') return createTinyV3Adapter(ctx, deps);
  return ADAPTER_FACTORIES[erp](ctx, deps);
}

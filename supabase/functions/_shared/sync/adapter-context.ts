/**
 * Builds a connection's adapter in production: its configured base URL (the only host it may call), its
 * Vault-backed credentials, the app's OAuth client from function secrets (BLING_CLIENT_ID/_SECRET,
 * CONTA_AZUL_CLIENT_ID/_SECRET, TINY_CLIENT_ID/_SECRET). Base URLs must be https (http only on loopback, the
 * local stack): checked here, before any credential is loaded, and by the database on write.
 */
import type { ErpAdapter, ErpType } from '../adapters/contract.ts';
import { createAdapter } from '../adapters/registry.ts';
import { vaultCredentialStore } from '../db/credentials.ts';
import type { Sql } from '../db/client.ts';
import type { ConnectionRow } from '../db/connections.ts';
import { registerSecret } from '../errors.ts';
import { assertBaseUrl } from '../http/base-url.ts';

const OAUTH_ENV: Partial<Record<ErpType, string>> = { bling: 'BLING', conta_azul: 'CONTA_AZUL', tiny: 'TINY' };

export function oauthClientFor(erp: ErpType): { clientId: string; clientSecret: string } | undefined {
  const prefix = OAUTH_ENV[erp];
  if (!prefix) return undefined;
  const clientId = Deno.env.get(`${prefix}_CLIENT_ID`);
  const clientSecret = Deno.env.get(`${prefix}_CLIENT_SECRET`);
  if (!clientId || !clientSecret) return undefined;
  registerSecret(clientSecret);
  return { clientId, clientSecret };
}

export function adapterFor(
  sql: Sql,
  conn: ConnectionRow & { auth_base_url?: string | null; api_version?: string | null },
  signal?: AbortSignal,
): ErpAdapter {
  assertBaseUrl(conn.erp_type, 'api_base_url', conn.api_base_url);
  if (conn.auth_base_url) assertBaseUrl(conn.erp_type, 'auth_base_url', conn.auth_base_url);
  return createAdapter(conn.erp_type, {
    connectionId: conn.id,
    accountKey: conn.account_key,
    baseUrl: conn.api_base_url,
    authUrl: conn.auth_base_url ?? undefined,
    credentials: vaultCredentialStore(sql, conn.credentials_secret_id),
    oauthClient: oauthClientFor(conn.erp_type),
    signal,
  }, undefined, conn.api_version ?? null);
}

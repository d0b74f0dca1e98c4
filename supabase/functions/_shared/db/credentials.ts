/**
 * The production CredentialStore: a connection's credentials are one JSON Vault secret
 * (erp_connections.credentials_secret_id). Refreshes are single-flight across processes through a
 * session-held advisory lock on the secret; inside the lock `load()` re-reads, so a token rotated by
 * someone else is seen, and `save()` commits before the caller uses the new token.
 */
import type { Credentials, CredentialStore } from '../adapters/contract.ts';
import { AppError, registerSecret } from '../errors.ts';
import type { Sql } from './client.ts';

function registerAll(c: Credentials) {
  for (const v of Object.values(c)) if (typeof v === 'string') registerSecret(v);
}

export function vaultCredentialStore(sql: Sql, secretId: string | null): CredentialStore {
  if (!secretId) {
    return {
      load: () => Promise.reject(new AppError('auth', 'NO_CREDENTIALS', 'connection has no stored credentials')),
      save: () => Promise.reject(new AppError('auth', 'NO_CREDENTIALS', 'connection has no stored credentials')),
      withRefreshLock: (fn) => fn(),
    };
  }
  // Inside withRefreshLock, reads and writes go through the connection that holds the lock: a refresh never
  // needs a second pool connection (many refreshes at once behind a slow token endpoint cannot starve the pool).
  let locked: Sql | null = null;
  return {
    async load() {
      const db = locked ?? sql;
      const rows = await db`select decrypted_secret from vault.decrypted_secrets where id = ${secretId}`;
      if (!rows.length) throw new AppError('auth', 'NO_CREDENTIALS', 'stored credentials not found');
      try {
        const c = JSON.parse(rows[0].decrypted_secret as string) as Credentials;
        registerAll(c);
        return c;
      } catch {
        throw new AppError('auth', 'BAD_CREDENTIALS', 'stored credentials are not valid JSON');
      }
    },
    async save(credentials) {
      registerAll(credentials);
      const db = locked ?? sql;
      await db`select vault.update_secret(${secretId}::uuid, ${JSON.stringify(credentials)})`;
    },
    async withRefreshLock(fn) {
      const reserved = await sql.reserve();
      try {
        await reserved`select pg_advisory_lock(hashtextextended(${'erp-refresh:' + secretId}, 0))`;
        locked = reserved as unknown as Sql;
        try {
          return await fn();
        } finally {
          locked = null;
          await reserved`select pg_advisory_unlock(hashtextextended(${'erp-refresh:' + secretId}, 0))`;
        }
      } finally {
        reserved.release();
      }
    },
  };
}

/** Creates the Vault secret for a new connection's credentials (provisioning, demo, tests). */
export async function createCredentialsSecret(sql: Sql, name: string, credentials: Credentials): Promise<string> {
  const [r] = await sql`select vault.create_secret(${JSON.stringify(credentials)}, ${name}) as id`;
  return r.id as string;
}

/**
 * The production CredentialStore: a connection's credentials are one JSON Vault secret
 * (erp_connections.credentials_secret_id). Refreshes are single-flight across processes through a
 * transaction-scoped advisory lock on the secret (pg_advisory_xact_lock under `lock_timeout`): it lives and dies
 * with one transaction, so it works behind Supabase's transaction pooler too (a session lock taken and released
 * through a pooler can land on two backends and leak), and a waiter gives up after the timeout with a transient
 * error instead of queueing forever. Inside the lock `load()` re-reads, so a token rotated by someone else is
 * seen, and `save()` writes in that transaction, which commits before withRefreshLock returns: the new token is
 * stored before the caller uses it.
 *   ERP_REFRESH_LOCK_TIMEOUT_MS  how long a refresh waits for another one of the same connection (default 45000)
 */
import type { Credentials, CredentialStore } from '../adapters/contract.ts';
import { AppError, registerSecret } from '../errors.ts';
import type { Sql } from './client.ts';

function registerAll(c: Credentials) {
  for (const v of Object.values(c)) if (typeof v === 'string') registerSecret(v);
}

function defaultLockTimeoutMs(): number {
  const v = Number(Deno.env.get('ERP_REFRESH_LOCK_TIMEOUT_MS'));
  return Number.isFinite(v) && v > 0 ? v : 45_000;
}

export function vaultCredentialStore(
  sql: Sql,
  secretId: string | null,
  opts: { lockTimeoutMs?: number } = {},
): CredentialStore {
  const lockTimeoutMs = opts.lockTimeoutMs ?? defaultLockTimeoutMs();
  if (!secretId) {
    return {
      load: () => Promise.reject(new AppError('auth', 'NO_CREDENTIALS', 'connection has no stored credentials')),
      save: () => Promise.reject(new AppError('auth', 'NO_CREDENTIALS', 'connection has no stored credentials')),
      withRefreshLock: (fn) => fn(),
    };
  }
  // Inside withRefreshLock, reads and writes go through the transaction that holds the lock: a refresh never
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
      try {
        return await sql.begin(async (tx) => {
          await tx.unsafe(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
          await tx`select pg_advisory_xact_lock(hashtextextended(${'erp-refresh:' + secretId}, 0))`;
          // A failed save rolls back to its savepoint only, so the caller's retry can still write.
          locked = ((q: TemplateStringsArray, ...v: unknown[]) =>
            tx.savepoint((sp) => sp(q, ...(v as never[])))) as unknown as Sql;
          try {
            return await fn();
          } finally {
            locked = null;
          }
        }) as Awaited<ReturnType<typeof fn>>;
      } catch (e) {
        if ((e as { code?: string })?.code === '55P03') {
          throw new AppError('transient', 'REFRESH_LOCK_TIMEOUT', 'another token refresh of this connection is still running', {
            cause: e,
          });
        }
        throw e;
      }
    },
  };
}

/** Creates the Vault secret for a new connection's credentials (provisioning, demo, tests). */
export async function createCredentialsSecret(sql: Sql, name: string, credentials: Credentials): Promise<string> {
  const [r] = await sql`select vault.create_secret(${JSON.stringify(credentials)}, ${name}) as id`;
  return r.id as string;
}

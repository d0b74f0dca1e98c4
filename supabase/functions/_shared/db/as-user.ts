/**
 * Runs queries as a signed-in user, exactly as PostgREST would: one transaction under the `authenticated` role
 * with the caller's claims, so row-level security, column grants and auth.uid() apply.
 */
import { retryOnSessionEnd, type Sql, type Tx } from './client.ts';

export async function asUser<T>(sql: Sql, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const claims = JSON.stringify({ sub: userId, role: 'authenticated', aud: 'authenticated' });
  // One transaction with no effect outside the database: sent again when a restart ended its session.
  return await retryOnSessionEnd(() =>
    sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', 'authenticated', true)`;
      return await fn(tx);
    }) as Promise<T>
  );
}

/**
 * The Postgres connection every function uses: SUPABASE_DB_URL (set by Supabase for Edge Functions, and by the
 * local stack), through postgres.js. One pool per isolate, small (Edge Functions are many and short-lived).
 * All SQL lives in the modules of this folder, one per concern, next to the tables it serves.
 */
import postgres from 'postgres';
import { AppError } from '../errors.ts';

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;

let pool: Sql | null = null;

export function db(): Sql {
  if (pool) return pool;
  const url = Deno.env.get('SUPABASE_DB_URL');
  if (!url) throw new AppError('config', 'MISSING_DB_URL', 'SUPABASE_DB_URL is not set');
  pool = postgres(url, {
    max: Number(Deno.env.get('DB_POOL_MAX') ?? 5),
    idle_timeout: 20,
    connect_timeout: 10,
    prepare: false, // works behind Supabase's transaction pooler too
    onnotice: () => {},
    connection: { application_name: 'erp-auto-sync' },
  });
  return pool;
}

/** For tests and scripts: a pool on an explicit URL. */
export function connect(url: string, max = 5): Sql {
  return postgres(url, { max, prepare: false, onnotice: () => {} });
}

export async function closeDb(): Promise<void> {
  if (pool) {
    const p = pool;
    pool = null;
    await p.end({ timeout: 5 });
  }
}

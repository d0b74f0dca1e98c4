/**
 * The Postgres connection every function uses: SUPABASE_DB_URL (set by Supabase for Edge Functions, and by the
 * local stack), through postgres.js. One pool per isolate, small (Edge Functions are many and short-lived).
 * All SQL lives in the modules of this folder, one per concern, next to the tables it serves.
 */
import postgres from 'postgres';
import { AppError, sessionEnded } from '../errors.ts';

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;

/**
 * postgres.js 3.4 rejects a promise nobody awaits when a backend is terminated (57P01, a restart or a failover) at
 * the wrong moment: "Uncaught (in promise) PostgresError: terminating connection due to administrator command" from
 * the driver's ErrorResponse, seen about once in 25 runs of supabase/tests/sync/session_end.test.ts. Deno ends the
 * process on an unhandled rejection (hosted: the isolate, and every sync in it). Such a rejection carries nothing
 * anyone could act on (the statements that were awaited got their own error and are sent again:
 * retryOnSessionEnd), so it is logged and dropped; any other unhandled rejection still ends the process.
 */
export function dropOrphanSessionEnd(e: PromiseRejectionEvent): void {
  if (!sessionEnded(e.reason)) return;
  e.preventDefault();
  console.warn(`postgres: a session ended under a statement nobody awaited (${(e.reason as Error).message})`);
}
globalThis.addEventListener('unhandledrejection', dropOrphanSessionEnd);

let pool: Sql | null = null;
const POOL_MAX = Number(Deno.env.get('DB_POOL_MAX') ?? 5);

export function db(): Sql {
  if (pool) return pool;
  const url = Deno.env.get('SUPABASE_DB_URL');
  if (!url) throw new AppError('config', 'MISSING_DB_URL', 'SUPABASE_DB_URL is not set');
  pool = postgres(url, {
    max: POOL_MAX,
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

/** Runs `work` up to `attempts` times while `retryIf` says its failure may pass, pausing `pauseMs(attempt)` between. */
async function retrying<T>(
  work: () => Promise<T>,
  o: { attempts: number; retryIf: (e: unknown) => boolean; pauseMs: (attempt: number) => number },
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (attempt >= o.attempts || !o.retryIf(e)) throw e;
      await new Promise((r) => setTimeout(r, o.pauseMs(attempt)));
    }
  }
}

/**
 * Idempotent writes that must land (a sync's closing log and connection writes, a run's close) retried on any
 * failure through a short database outage (a restart, a failover): the pool reconnects on the next query, and a
 * sync that ran must not be left 'running'.
 */
export async function persistently<T>(write: () => Promise<T>, attempts = 8): Promise<T> {
  return await retrying(write, { attempts, retryIf: () => true, pauseMs: (i) => Math.min(5000, 250 * 2 ** i) });
}

/**
 * Runs `work` again when the database ended the session under it (`sessionEnded`: a restart, a failover,
 * pg_terminate_backend). Such a statement rolled back, and so did its transaction. postgres.js 3.4 also hands the
 * killed backend's 57P01 to the next query of that pooled connection, a query it never sent
 * (https://github.com/porsager/postgres/pull/1215, https://github.com/porsager/postgres/issues/1223): after a
 * restart, each pooled connection that was busy fails its next statement once. So up to one attempt per pooled
 * connection and one more, a short pause between them (57P03: the server is still starting).
 *
 * Only for work whose effects are all in the database and safe to run again once rolled back: reads, one
 * statement, or one transaction. Anything else is thrown as it came.
 */
export async function retryOnSessionEnd<T>(work: () => Promise<T>, attempts = POOL_MAX + 1): Promise<T> {
  return await retrying(work, { attempts, retryIf: sessionEnded, pauseMs: (i) => Math.min(50 * i, 500) });
}

/**
 * The engine's dependencies as runtime.ts builds them, with the bench's virtual clock, a local trigger stub and
 * timing (adapter, import, every SQL statement by category) around the production code.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';
import type { ErpAdapter, ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { createAdapter } from '../../../supabase/functions/_shared/adapters/registry.ts';
import type { Sql } from '../../../supabase/functions/_shared/db/client.ts';
import type { ConnectionRow } from '../../../supabase/functions/_shared/db/connections.ts';
import { vaultCredentialStore } from '../../../supabase/functions/_shared/db/credentials.ts';
import { RateLimiter } from '../../../supabase/functions/_shared/http/limiter.ts';
import type { HttpEvent } from '../../../supabase/functions/_shared/http/client.ts';
import { importNfeDocuments } from '../../../supabase/functions/_shared/nfe/import.ts';
import { oauthClientFor } from '../../../supabase/functions/_shared/sync/adapter-context.ts';
import type { EngineDeps } from '../../../supabase/functions/_shared/sync/engine.ts';
import { httpTrigger } from '../../../supabase/functions/_shared/sync/triggers.ts';
import { realNow, type ScaledClock } from './clock.ts';

export interface ConnMetrics {
  id: string;
  erp: ErpType;
  /** Real ms inside the adapter (HTTP, rate-limit waits, mapping): its iterators' next() and profile(). */
  adapterMs: number;
  /** Real ms inside importNfeDocuments (NF-e parse + database writes). */
  importMs: number;
  notes: number;
  /** HTTP attempts by outcome, and per request path (Omie's limits are per method). */
  http: { ok: number; rateLimited: number; failed: number };
  paths: Record<string, number>;
  /** Real epoch ms when the adapter was built (≈ sync start) and when the profile finished (≈ sync end). */
  firstAt: number;
  lastAt: number;
}

/** Where a SQL statement was sent from (see timedSql). */
export type SqlCategory = 'bookkeeping' | 'claim' | 'heartbeat' | 'run' | 'data' | 'import' | 'adapter';

const scope = new AsyncLocalStorage<'import' | 'adapter'>();

export class MetricsBook {
  readonly byConn = new Map<string, ConnMetrics>();
  queries = 0;
  /** Real ms and statement counts per category (summed over concurrent syncs). */
  readonly sql: Record<SqlCategory, { ms: number; count: number }> = {
    bookkeeping: { ms: 0, count: 0 },
    claim: { ms: 0, count: 0 },
    heartbeat: { ms: 0, count: 0 },
    run: { ms: 0, count: 0 },
    data: { ms: 0, count: 0 },
    import: { ms: 0, count: 0 },
    adapter: { ms: 0, count: 0 },
  };
  /** Claim statements (claimNextDue) sent, and how many came back empty. */
  claims = 0;
  emptyClaims = 0;
  /** The first claims of the invocation: [sent, answered] (real epoch ms) and whether they came back empty. */
  readonly claimLog: Array<[number, number, boolean]> = [];
  /** Real ms waiting for follow-up triggers. */
  triggerMs = 0;
  triggers = 0;
  /** Called with every timed statement's text and real ms (the overhead probe splits them by phase). */
  onStatement?: (text: string, ms: number) => void;
  /** Called with the text of every query the pool sends (one round trip each, BEGIN/COMMIT included). */
  onRoundTrip?: (text: string) => void;

  conn(id: string, erp: ErpType): ConnMetrics {
    let m = this.byConn.get(id);
    if (!m) {
      m = {
        id,
        erp,
        adapterMs: 0,
        importMs: 0,
        notes: 0,
        http: { ok: 0, rateLimited: 0, failed: 0 },
        paths: {},
        firstAt: realNow(),
        lastAt: realNow(),
      };
      this.byConn.set(id, m);
    }
    return m;
  }
}

const DATA_TABLES = /company_(products|financial_entries|dre|profile)/;

function categorize(text: string): SqlCategory {
  const s = scope.getStore();
  if (s) return s;
  if (text.includes('erp_claim_next_due')) return 'claim';
  if (/set lease_expires_at = now\(\)|set heartbeat_at = now\(\) where/.test(text)) return 'heartbeat';
  if (text.includes('erp_sync_runs') || text.includes('count(*)::int as n from public.erp_connections')) return 'run';
  return DATA_TABLES.test(text) ? 'data' : 'bookkeeping';
}

/**
 * Times every statement sent through `sql` (and through transactions opened on it): from the moment it is
 * awaited until its result arrives (pool wait + round trip + server time), by category: statements made while
 * the NF-e importer or an adapter is running belong to them; the rest are entity writes ('data', the
 * company_* tables) or the orchestration's own bookkeeping (claim, lease, logs, checkpoints, progress, runs).
 */
export function timedSql<T extends object>(target: T, book: MetricsBook): T {
  const wrapQuery = (q: any, cat: SqlCategory, text: string) => {
    if (!q || typeof q.then !== 'function') return q;
    const isClaim = text.includes('erp_claim_next_due');
    const then = q.then.bind(q);
    let t0 = 0;
    let claimT0 = 0;
    q.then = (ok?: (v: unknown) => unknown, err?: (e: unknown) => unknown) => {
      if (!t0) t0 = claimT0 = realNow();
      const done = () => {
        if (t0 > 0) {
          const ms = realNow() - t0;
          book.sql[cat].ms += ms;
          book.sql[cat].count++;
          book.onStatement?.(text, ms);
          t0 = -1;
        }
      };
      return then((v: unknown) => {
        done();
        if (isClaim) {
          book.claims++;
          const empty = Array.isArray(v) && v.length === 0;
          if (empty) book.emptyClaims++;
          if (book.claimLog.length < 64) book.claimLog.push([claimT0, realNow(), empty]);
        }
        return ok ? ok(v) : v;
      }, (e: unknown) => {
        done();
        if (err) return err(e);
        throw e;
      });
    };
    return q;
  };
  return new Proxy(target, {
    apply(t, thisArg, args) {
      const r = Reflect.apply(t as (...a: unknown[]) => unknown, thisArg, args);
      const strings = args[0];
      if (Array.isArray(strings) && 'raw' in strings) {
        const text = strings.join(' ');
        return wrapQuery(r, categorize(text), text);
      }
      return r;
    },
    get(t, prop, recv) {
      const v = Reflect.get(t, prop, recv);
      if (prop === 'unsafe' && typeof v === 'function') {
        return (text: string, ...rest: unknown[]) => wrapQuery(v.call(t, text, ...rest), categorize(text), text);
      }
      if (prop === 'begin' && typeof v === 'function') {
        return (...a: unknown[]) => {
          const fnIdx = a.findIndex((x) => typeof x === 'function');
          if (fnIdx >= 0) {
            const fn = a[fnIdx] as (tx: unknown) => unknown;
            a[fnIdx] = (tx: object) => fn(timedSql(tx, book));
          }
          return v.apply(t, a);
        };
      }
      return typeof v === 'function' && prop !== 'constructor' ? v.bind(t) : v;
    },
  });
}

/** How the invocations' connections name themselves (the bench counts them in pg_stat_activity). */
export const BENCH_APPLICATION_NAME = 'erp-auto-sync-bench';

/** The production pool options (db/client.ts `db()`), plus statement counting and timing (timedSql). */
export function benchPool(url: string, book: MetricsBook, max = Number(Deno.env.get('DB_POOL_MAX') ?? 5)): Sql {
  return timedSql(postgres(url, {
    max,
    idle_timeout: 20,
    connect_timeout: 10,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: BENCH_APPLICATION_NAME },
    debug: (_conn: number, text: string) => {
      book.queries++;
      book.onRoundTrip?.(text);
    },
  }), book) as unknown as Sql;
}

function timedIterable<T>(src: AsyncIterable<T>, m: ConnMetrics): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const inner = src[Symbol.asyncIterator]();
      const timed = async <R>(f: () => Promise<R>): Promise<R> => {
        const t = realNow();
        try {
          return await scope.run('adapter', f);
        } finally {
          m.adapterMs += realNow() - t;
          m.lastAt = realNow();
        }
      };
      return {
        next: () => timed(() => inner.next()),
        return: (v?: unknown) => timed(() => inner.return ? inner.return(v) : Promise.resolve({ done: true, value: v as T })),
        throw: (e?: unknown) => timed(() => inner.throw ? inner.throw(e) : Promise.reject(e)),
      } as AsyncIterator<T>;
    },
  };
}

function timedAdapter(a: ErpAdapter, m: ConnMetrics): ErpAdapter {
  return {
    erp: a.erp,
    capabilities: a.capabilities,
    nfe: (w, c) => timedIterable(a.nfe(w, c), m),
    products: (c) => timedIterable(a.products(c), m),
    financials: (w, c) => timedIterable(a.financials(w, c), m),
    profile: async () => {
      const t = realNow();
      try {
        return await scope.run('adapter', () => a.profile());
      } finally {
        m.adapterMs += realNow() - t;
        m.lastAt = realNow();
      }
    },
  };
}

export function benchDeps(o: {
  sql: Sql;
  clock: ScaledClock;
  book: MetricsBook;
  leaseSeconds: number;
  owner: string;
  triggerUrl: string;
}): EngineDeps {
  // One limiter per process, like the per-isolate sharedLimiter, but on the virtual clock. The limiter's own
  // longest-wait default (60 s) is virtual time too.
  const limiter = new RateLimiter({ clock: o.clock });
  const http = httpTrigger({ baseUrl: o.triggerUrl, serviceKey: 'bench-trigger-stub', timeoutMs: 30_000 });
  const trigger: EngineDeps['trigger'] = async (fn, body) => {
    const t = realNow();
    try {
      return await http(fn, body);
    } finally {
      o.book.triggerMs += realNow() - t;
      o.book.triggers++;
    }
  };
  return {
    sql: o.sql,
    now: () => new Date(),
    adapterFor: (conn: ConnectionRow, signal: AbortSignal) => {
      const m = o.book.conn(conn.id, conn.erp_type);
      const onEvent = (e: HttpEvent) => {
        if (!e.error) m.http.ok++;
        else if (e.error.kind === 'rate_limited') m.http.rateLimited++;
        else m.http.failed++;
        if (!e.error) {
          const key = e.path.replace(/\/\d+(?=\/|$)/g, '/{id}');
          m.paths[key] = (m.paths[key] ?? 0) + 1;
        }
      };
      const adapter = createAdapter(conn.erp_type, {
        connectionId: conn.id,
        accountKey: conn.account_key,
        baseUrl: conn.api_base_url,
        authUrl: conn.auth_base_url ?? undefined,
        credentials: vaultCredentialStore(o.sql, conn.credentials_secret_id),
        oauthClient: oauthClientFor(conn.erp_type),
        signal,
      }, { clock: o.clock, limiter, onEvent });
      return timedAdapter(adapter, m);
    },
    importNfe: async (sql, opts) => {
      const t = realNow();
      try {
        return await scope.run('import', () => importNfeDocuments(sql, opts));
      } finally {
        if (opts.connectionId) {
          const m = o.book.byConn.get(opts.connectionId);
          if (m) {
            m.importMs += realNow() - t;
            m.notes += opts.documents.length;
          }
        }
      }
    },
    trigger,
    leaseSeconds: o.leaseSeconds,
    owner: o.owner,
  };
}

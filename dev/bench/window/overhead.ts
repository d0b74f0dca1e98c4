/**
 * The orchestrator overhead probe: what the orchestration adds to a sync whose ERP has nothing new, one connection at a
 * time on the idle database, ours and naive (README: Definitions).
 */
import type { CompanyProfile, ErpAdapter, ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import type { Sql as AppSql } from '../../../supabase/functions/_shared/db/client.ts';
import { claimNextDue, listDue } from '../../../supabase/functions/_shared/db/connections.ts';
import { importNfeDocuments } from '../../../supabase/functions/_shared/nfe/import.ts';
import { type EngineDeps, syncConnection } from '../../../supabase/functions/_shared/sync/engine.ts';
import { mean, pct } from './analyze.ts';
import { realNow } from './clock.ts';
import { setDue } from './dbcost.ts';
import { benchPool, MetricsBook } from './deps.ts';
import { syncOne } from './naive.ts';

type Sql = Parameters<typeof setDue>[0];

export const PHASES = ['claim', 'open', 'progress', 'close', 'other'] as const;
export type Phase = (typeof PHASES)[number] | 'entity';

export interface OverheadStats {
  design: 'ours' | 'naive';
  n: number;
  /** Real ms per connection, entity writes excluded. */
  wallMs: { mean: number; p50: number; p95: number };
  /** Entity writes per connection (excluded above): ms and statements. */
  entityMs: number;
  entityStatements: number;
  /** Per connection, entity writes excluded. */
  statements: number;
  roundTrips: number;
  /**
   * Per connection: ms, statements and round trips by phase (the claim's ms is its whole transaction); `js` = wall
   * − the phases' time.
   */
  phases: Record<(typeof PHASES)[number], { ms: number; statements: number; roundTrips: number }>;
  jsMs: number;
  /**
   * A bare round trip (`select 1` through a second pool with the same options), timed before each connection of
   * the loop: what the machine charges a statement at that moment, whatever the statement does.
   */
  bareRoundTripMs: { mean: number; p50: number };
  /**
   * Postgres's execution of the phases' statements, ms per connection (pg_stat_statements' total_exec_time over
   * the measured connections; parse, bind and the round trips come on top). Null when pg_stat_statements is not
   * loaded (a stack made before it was preloaded; `npm run stack -- reset` rebuilds it).
   */
  serverMs: Record<(typeof PHASES)[number], number> | null;
}

/** Which part of the bookkeeping a statement belongs to, from its text. */
export function phaseOf(text: string): Phase {
  const t = text.replace(/\s+/g, ' ').toLowerCase();
  if (t.includes('erp_claim_next_due')) return 'claim'; // with the log's open and the checkpoints read, as executeRun claims
  // what is left with an advisory lock is the DRE rebuild's company lock
  if (/company_(products|financial_entries|dre|profile)|pg_advisory_xact_lock\(hashtextextended\(/.test(t)) return 'entity';
  if (t.includes('with l as') || t.includes(' as checkpoints')) return 'open';
  if (t.includes('update public.erp_sync_logs set records_synced')) return 'progress';
  if (t.includes('with log as') || t.includes('insert into public.erp_sync_logs') || t.includes('update public.erp_connections')) return 'close';
  return 'other';
}

const PROFILE: CompanyProfile = { cnpj: null, legalName: 'bench probe', tradeName: null, taxRegime: 'unknown', crt: null, cnae: null, uf: null, city: null, unavailable: [] };

/** An ERP with no news: every list is empty, the profile is unchanged. */
function quietAdapter(erp: ErpType): ErpAdapter {
  const none = async function* () {};
  return {
    erp,
    capabilities: { nfeIssued: true, nfeReceived: true, products: true, financials: true, profile: true },
    nfe: none,
    products: none,
    financials: none,
    profile: () => Promise.resolve(PROFILE),
  };
}

interface Sample {
  wall: number;
  ms: Record<Phase, number>;
  st: Record<Phase, number>;
  rt: Record<Phase, number>;
}
const zero = (): Record<Phase, number> => ({ claim: 0, open: 0, progress: 0, close: 0, other: 0, entity: 0 });

/** Attributes statements and round trips to the connection being probed (BEGIN/COMMIT to their statements). */
function recorder(book: MetricsBook) {
  let cur: Sample = { wall: 0, ms: zero(), st: zero(), rt: zero() };
  let pendingBegin = 0;
  let last: Phase = 'other';
  book.onStatement = (text, ms) => {
    const p = phaseOf(text);
    cur.ms[p] += ms;
    cur.st[p]++;
  };
  book.onRoundTrip = (text) => {
    const t = text.trim().toLowerCase();
    if (t.startsWith('begin')) pendingBegin++;
    else if (t.startsWith('commit') || t.startsWith('rollback')) cur.rt[last]++;
    else {
      last = phaseOf(text);
      cur.rt[last] += 1 + pendingBegin;
      pendingBegin = 0;
    }
  };
  return {
    start() {
      cur = { wall: 0, ms: zero(), st: zero(), rt: zero() };
      return realNow();
    },
    end(t0: number): Sample {
      cur.wall = realNow() - t0;
      return cur;
    },
  };
}

type ServerStats = Map<string, { query: string; ms: number }>;

/** Every statement's execution totals so far (pg_stat_statements), or null when it is not loaded. */
async function serverStats(sql: Sql): Promise<ServerStats | null> {
  try {
    const rows = await sql`select queryid::text as id, query, total_exec_time as ms
                             from extensions.pg_stat_statements
                            where dbid = (select oid from pg_database where datname = current_database())`;
    return new Map(rows.map((r) => [r.id as string, { query: r.query as string, ms: r.ms as number }]));
  } catch {
    return null;
  }
}

/** Postgres's execution ms per connection by phase between two snapshots (phaseOf on the normalised text). */
function serverMsPerConn(before: ServerStats | null, after: ServerStats | null, n: number): OverheadStats['serverMs'] {
  if (!before || !after || n === 0) return null;
  const ms = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<(typeof PHASES)[number], number>;
  for (const [id, a] of after) {
    const phase = phaseOf(a.query);
    if (phase === 'entity') continue;
    ms[phase] += (a.ms - (before.get(id)?.ms ?? 0)) / n;
  }
  return ms;
}

/** Postgres's execution of the bookkeeping statements, ms per connection (every phase but 'other'); null unmeasured. */
export function postgresBookkeepingMs(o: OverheadStats): number | null {
  const s = o.serverMs;
  return s ? s.claim + s.open + s.progress + s.close : null;
}

function summarise(design: OverheadStats['design'], xs: Sample[], bare: number[], serverMs: OverheadStats['serverMs']): OverheadStats {
  const avg = (f: (s: Sample) => number) => mean(xs.map(f));
  const work = xs.map((s) => s.wall - s.ms.entity);
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, { ms: avg((s) => s.ms[p]), statements: avg((s) => s.st[p]), roundTrips: avg((s) => s.rt[p]) }]),
  ) as OverheadStats['phases'];
  const sqlMs = PHASES.reduce((a, p) => a + phases[p].ms, 0);
  return {
    design,
    n: xs.length,
    wallMs: { mean: mean(work), p50: pct(work, 0.5), p95: pct(work, 0.95) },
    entityMs: avg((s) => s.ms.entity),
    entityStatements: avg((s) => s.st.entity),
    statements: PHASES.reduce((a, p) => a + phases[p].statements, 0),
    roundTrips: PHASES.reduce((a, p) => a + phases[p].roundTrips, 0),
    phases,
    jsMs: mean(work) - sqlMs,
    bareRoundTripMs: { mean: mean(bare), p50: pct(bare, 0.5) },
    serverMs,
  };
}

export async function probeOverhead(o: {
  dbUrl: string;
  sql: Sql;
  ids: string[];
  /** Claim as production does (no id list): only when no connection outside the benchmark is due. */
  unrestricted: boolean;
  warm: number;
  notDueAt: Date;
  onProgress?: (done: number, total: number) => void;
}): Promise<{ ours: OverheadStats; naive: OverheadStats }> {
  const book = new MetricsBook();
  const pool = benchPool(o.dbUrl, book);
  const rec = recorder(book);
  const barePool = benchPool(o.dbUrl, new MetricsBook());
  const bareRoundTrip = async () => {
    const t0 = realNow();
    await barePool`select 1`;
    return realNow() - t0;
  };
  const owner = `bench-probe:${crypto.randomUUID().slice(0, 8)}`;
  const deps: EngineDeps = {
    sql: pool,
    now: () => new Date(),
    adapterFor: (conn) => quietAdapter(conn.erp_type),
    importNfe: importNfeDocuments,
    trigger: (fn) => Promise.resolve({ function: fn, ok: true, status: 202 }),
    leaseSeconds: 120,
    owner,
  };
  const total = 2 * o.ids.length;
  try {
    // ours: claim + syncConnection, one at a time
    await setDue(o.sql, o.ids, o.ids.length, new Date(Date.now() - 1000), o.notDueAt);
    const ours: Sample[] = [];
    const bare: number[] = [];
    let server0: ServerStats | null = null;
    for (let i = 0; i < o.ids.length; i++) {
      if (i === o.warm) server0 = await serverStats(o.sql);
      const rt = await bareRoundTrip();
      if (i >= o.warm) bare.push(rt);
      const t0 = rec.start();
      // Restricted to the one connection it syncs next: production's claim sends no id list, and a list of all
      // the probe's ids cost the claim ~1.5 ms more to parse and check (200 uuids) than the claim itself.
      const conn = await claimNextDue(pool, new Date(), owner, deps.leaseSeconds, {
        ids: o.unrestricted ? undefined : [o.ids[i]],
        openLog: { runId: null },
      });
      const claimMs = realNow() - t0;
      if (!conn) throw new Error(`overhead probe: claim ${i + 1} of ${o.ids.length} came back empty`);
      const out = await syncConnection(deps, conn, {
        syncType: 'auto',
        runId: null,
        deadline: new Date(Date.now() + 600_000),
        log: conn.opened ?? undefined,
      });
      if (out.status !== 'success') throw new Error(`overhead probe: sync ended ${out.status}: ${out.error ?? ''}`);
      const s = rec.end(t0);
      s.ms.claim = claimMs;
      if (i >= o.warm) ours.push(s);
      o.onProgress?.(i + 1, total);
    }
    const serverOurs = serverMsPerConn(server0, await serverStats(o.sql), ours.length);
    // naive: its per-connection loop over the same connections, due again
    await setDue(o.sql, o.ids, o.ids.length, new Date(Date.now() - 1000), o.notDueAt);
    const due = await listDue(pool as AppSql, new Date(), o.ids, o.ids.length);
    const naive: Sample[] = [];
    const bareNaive: number[] = [];
    for (const [i, conn] of due.entries()) {
      if (i === o.warm) server0 = await serverStats(o.sql);
      const rt = await bareRoundTrip();
      if (i >= o.warm) bareNaive.push(rt);
      const t0 = rec.start();
      await syncOne(deps, conn, () => {});
      const s = rec.end(t0);
      if (i >= o.warm) naive.push(s);
      o.onProgress?.(o.ids.length + i + 1, total);
    }
    const serverNaive = serverMsPerConn(server0, await serverStats(o.sql), naive.length);
    return { ours: summarise('ours', ours, bare, serverOurs), naive: summarise('naive', naive, bareNaive, serverNaive) };
  } finally {
    book.onStatement = book.onRoundTrip = undefined;
    for (const p of [pool, barePool]) await (p as unknown as { end: (o: { timeout: number }) => Promise<void> }).end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * One invocation in its own process (like an isolate): `openRun` + `executeRun` (or the naive pass) with the bench's
 * dependencies, reporting CPU, peak memory, SQL and per-connection timings.
 */
import process from 'node:process';
import { executeRun, type RunRequest } from '../../../supabase/functions/_shared/sync/orchestrator.ts';
import { openRun } from '../../../supabase/functions/_shared/db/sync-logs.ts';
import { realNow, ScaledClock } from './clock.ts';
import { benchDeps, benchPool, type ConnMetrics, MetricsBook } from './deps.ts';
import { LineReader } from './lines.ts';
import { naiveRun, type NaiveOutcome } from './naive.ts';

export interface InvocationJob {
  mode: 'ours' | 'naive';
  dbUrl: string;
  t0: number;
  scale: number;
  ids: string[];
  /** Real milliseconds: the claim budget, the platform's wall clock and the close margin under it. */
  budgetMs: number;
  wallMs: number;
  closeMarginMs: number;
  /** The CPU budget per request (real ms, start-up counted). */
  cpuMs: number;
  concurrency: number;
  maxConcurrency: number;
  /** ERP_AUTO_SYNC_MAX_IN_FLIGHT: the claim's cap on live leases (undefined: none). */
  maxInFlight?: number;
  /** Real seconds. */
  leaseSeconds: number;
  continuationOf?: string;
  triggerUrl: string;
  label: string;
}

export interface Resources {
  cpuMs: number;
  bootCpuMs: number;
  /** RSS after boot, before the job: the runtime and the loaded modules. */
  bootRssMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  peakExternalMb: number;
  vmHwmMb: number | null;
  queries: number;
  wallMs: number;
}

export interface InvocationReport {
  type: 'result' | 'killed' | 'error';
  label: string;
  runId?: string;
  processed?: number;
  remaining?: number;
  succeeded?: number;
  failed?: number;
  statuses?: Record<string, number>;
  startedAt: number;
  endedAt: number;
  resources: Resources;
  metrics: ConnMetrics[];
  sql: MetricsBook['sql'];
  triggerMs: number;
  triggers: number;
  claims: number;
  emptyClaims: number;
  claimLog: Array<[number, number, boolean]>;
  naive?: NaiveOutcome[];
  error?: string;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function vmHwmMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync('/proc/self/status'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function emit(obj: unknown) {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(obj) + '\n'));
}

/** The parent's lines: the job, then one answer per hand-on. */
const stdin = new LineReader(Deno.stdin.readable);
async function readJson<T>(): Promise<T> {
  const line = await stdin.next();
  if (line === null) throw new Error('the bench closed the invocation\'s input');
  return JSON.parse(line) as T;
}

if (import.meta.main) {
  const bootCpuMs = cpuNow();
  const bootRssMb = Deno.memoryUsage().rss / 2 ** 20;
  emit({ type: 'ready', bootCpuMs });
  const job = await readJson<InvocationJob>();
  const book = new MetricsBook();
  const clock = new ScaledClock(job.t0, job.scale);
  const sql = benchPool(job.dbUrl, book);
  const cpu0 = cpuNow();
  const startedAt = realNow();
  const peak = { rss: 0, heap: 0, external: 0 };
  const sample = () => {
    const m = Deno.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  sample();
  // Every 20 ms at ×10 (200 virtual ms): the same number of samples per invocation at any time scale, so a slow
  // night (scale below 1) does not charge the invocation the CPU of thousands of extra samples (VmHWM is exact).
  const sampler = setInterval(sample, Math.max(20, 200 / job.scale));
  let runId: string | undefined;
  const naive: NaiveOutcome[] = [];
  const resources = (): Resources => {
    sample();
    return {
      cpuMs: cpuNow() - cpu0,
      bootCpuMs,
      bootRssMb,
      peakRssMb: peak.rss / 2 ** 20,
      peakHeapMb: peak.heap / 2 ** 20,
      peakExternalMb: peak.external / 2 ** 20,
      vmHwmMb: vmHwmMb(),
      queries: book.queries,
      wallMs: realNow() - startedAt,
    };
  };
  const base = () => ({
    label: job.label,
    runId,
    startedAt,
    endedAt: realNow(),
    metrics: [...book.byConn.values()],
    sql: book.sql,
    triggerMs: book.triggerMs,
    triggers: book.triggers,
    claims: book.claims,
    emptyClaims: book.emptyClaims,
    claimLog: book.claimLog,
  });
  Deno.addSignalListener('SIGTERM', () => {
    emit({ type: 'killed', ...base(), resources: resources(), naive });
    Deno.exit(0);
  });

  try {
    const deps = benchDeps({
      sql,
      clock,
      book,
      leaseSeconds: job.leaseSeconds,
      owner: `bench:${job.label}:${crypto.randomUUID().slice(0, 8)}`,
      triggerUrl: job.triggerUrl,
    });
    if (job.mode === 'ours') {
      const req: RunRequest = {
        source: 'cron',
        connectionIds: job.ids,
        concurrency: job.concurrency,
        continuationOf: job.continuationOf,
      };
      runId = (await openRun(sql, {
        source: job.continuationOf ? 'continuation' : 'cron',
        parentRunId: job.continuationOf ?? null,
        dryRun: false,
        recovered: 0,
      }))!.id;
      emit({ type: 'run', runId });
      const s = await executeRun(deps, runId, 0, req, {
        claimMs: job.budgetMs,
        wallMs: job.wallMs,
        closeMarginMs: job.closeMarginMs,
        cpuMs: job.cpuMs,
        maxConcurrency: job.maxConcurrency,
        maxInFlight: job.maxInFlight,
      }, {
        sleep: (ms) => clock.sleep(ms), // the cap poll, on the virtual clock
        cpuMs: cpuNow, // the whole process: start-up counted
        handOn: async () => {
          emit({ type: 'handon' });
          return (await readJson<{ accepted: boolean }>()).accepted;
        },
      });
      const statuses: Record<string, number> = {};
      for (const r of s.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      emit({
        type: 'result',
        ...base(),
        processed: s.processed,
        remaining: s.remaining,
        succeeded: s.succeeded,
        failed: s.failed,
        statuses,
        resources: resources(),
      });
    } else {
      const r = await naiveRun(deps, job.ids, (o) => naive.push(o));
      emit({ type: 'result', ...base(), processed: r.processed, remaining: 0, resources: resources(), naive });
    }
  } catch (e) {
    emit({ type: 'error', ...base(), resources: resources(), error: e instanceof Error ? e.stack ?? e.message : String(e) });
  } finally {
    clearInterval(sampler);
    await sql.end({ timeout: 5 }).catch(() => {});
  }
  Deno.exit(0);
}

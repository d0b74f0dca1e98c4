/**
 * Command line of `npm run bench` (dev/bench/window-bench.ts).
 */
import { parseArgs } from 'node:util';
import { settings } from '../../../supabase/functions/_shared/sync/runtime.ts';

export interface BenchConfig {
  quick: boolean;
  /** Due connections of the night the report is about (seeded; default 2,000, quick 24). */
  connections: number;
  /** How many of them the measured run syncs for real (the rest of the night is modelled). */
  sample: number;
  /** Side-by-side subset (ours vs naive on twin connections). */
  subset: number;
  /** Connections of the orchestrator overhead probe (overhead.ts), each design; 0 = skip. */
  probe: number;
  growth: number[];
  latencyMs: number;
  jitterMs: number;
  concurrency: number;
  maxConcurrency: number;
  /** ERP_AUTO_SYNC_MAX_IN_FLIGHT: syncs in flight at most, all invocations together (live leases). */
  maxInFlight: number;
  budgetMs: number;
  leaseMs: number;
  wallMs: number;
  invokeDelayMs: number;
  scaleMain: number;
  scaleSide: number;
  scaleBackfill: number;
  nfeNotes: number;
  backfill: boolean;
  nfe: boolean;
  seed: number;
  out: string;
}

const HELP = `npm run bench [-- options]

  --quick                 smoke run under 2 minutes (24 connections measured, growth modelled)
  --connections N         due connections in the night (default 2000; quick 24)
  --sample S              connections synced for real in the measured night (default N: the whole night; quick N);
                          S = N measures the whole night (slow for large N: see dev/bench/README.md)
  --subset S              side-by-side subset, ours vs naive (default 40; quick 8)
  --probe K               connections of the orchestrator overhead probe, one at a time, each design (default 200;
                          quick 50; 0 skips it)
  --growth 500,2000,10000 connection counts for the growth table
  --latency MS            simulated ERP latency per request (default 80)      --jitter MS (default 0)
  --concurrency C         the cron body's concurrency (default 16, as invoke_erp_auto_sync sends)
  --max-concurrency C     ERP_AUTO_SYNC_MAX_CONCURRENCY (default: runtime.ts settings.maxConcurrency, 32)
  --max-in-flight N       ERP_AUTO_SYNC_MAX_IN_FLIGHT: syncs in flight at most, all invocations together (default:
                          runtime.ts settings.maxInFlight, 160)
  --budget-s S            ERP_AUTO_SYNC_BUDGET_MS / 1000 (default 120)
  --lease-s S             ERP_SYNC_LEASE_SECONDS (default 120)
  --wall-s S              platform wall-clock limit per invocation (default 400 = paid plan; free plan: 150)
  --invoke-delay-ms MS    self-invocation hop + isolate start before a continuation runs (default 300)
  --time-scale K          virtual-time factor of the measured night (default 5; quick 10); below 1 (e.g. 0.5)
                          every wait lasts longer in real time: a slower night that leaves the CPU unsaturated
  --side-scale K          ... of the side-by-side runs (default 10; quick 15)
  --backfill-scale K      ... of the backfill run (default 20; quick 100)
  --nfe-notes N           notes for the NF-e ingest measurement (default 3000 as nfe-bench; quick 600)
  --no-backfill --no-nfe  skip those parts
  --seed N                data seed (default 42)
  --out DIR               output folder (default bench-results)
`;

export function parseConfig(args: string[]): BenchConfig {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean' },
      connections: { type: 'string' },
      sample: { type: 'string' },
      subset: { type: 'string' },
      probe: { type: 'string' },
      growth: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      concurrency: { type: 'string' },
      'max-concurrency': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'budget-s': { type: 'string' },
      'lease-s': { type: 'string' },
      'wall-s': { type: 'string' },
      'invoke-delay-ms': { type: 'string' },
      'time-scale': { type: 'string' },
      'side-scale': { type: 'string' },
      'backfill-scale': { type: 'string' },
      'nfe-notes': { type: 'string' },
      'no-backfill': { type: 'boolean' },
      'no-nfe': { type: 'boolean' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const num = (v: string | undefined, d: number, min = 0) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`bad number: ${v}`);
    return n;
  };
  const quick = !!values.quick;
  const connections = Math.round(num(values.connections, quick ? 24 : 2000, 4));
  const sample = Math.min(connections, Math.round(num(values.sample, connections, 4)));
  const growth = (values.growth ?? '500,2000,10000').split(',').map((s) => Math.round(num(s.trim(), 0, 4)));
  return {
    quick,
    connections,
    sample,
    subset: Math.round(num(values.subset, quick ? 8 : 40, 4)),
    probe: Math.round(num(values.probe, quick ? 50 : 200)),
    growth: [...new Set([...growth, connections])].sort((a, b) => a - b),
    latencyMs: num(values.latency, 80),
    jitterMs: num(values.jitter, 0),
    concurrency: Math.round(num(values.concurrency, 16, 1)),
    maxConcurrency: Math.round(num(values['max-concurrency'], settings.maxConcurrency, 1)),
    maxInFlight: Math.round(num(values['max-in-flight'], settings.maxInFlight, 1)),
    budgetMs: num(values['budget-s'], 120, 1) * 1000,
    leaseMs: num(values['lease-s'], 120, 10) * 1000,
    wallMs: num(values['wall-s'], 400, 10) * 1000,
    invokeDelayMs: num(values['invoke-delay-ms'], 300),
    scaleMain: num(values['time-scale'], quick ? 10 : 5, 0.01),
    scaleSide: num(values['side-scale'], quick ? 15 : 10, 0.01),
    scaleBackfill: num(values['backfill-scale'], quick ? 100 : 20, 0.01),
    nfeNotes: Math.round(num(values['nfe-notes'], quick ? 600 : 3000, 10)),
    backfill: !values['no-backfill'],
    nfe: !values['no-nfe'],
    seed: Math.round(num(values.seed, 42)),
    out: values.out ?? 'bench-results',
  };
}

/** The report folder: `--out` as given when absolute, else under the repository (the default bench-results/). */
export function outDir(out: string, repoRoot: string): string {
  return (out.startsWith('/') ? out : `${repoRoot}/${out}`).replace(/(.)\/+$/, '$1');
}

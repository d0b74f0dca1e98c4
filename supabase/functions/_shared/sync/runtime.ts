/**
 * The engine and orchestrator as deployed: dependencies and limits from the function's environment.
 *   ERP_SYNC_LEASE_SECONDS         lease length per connection (default 300; renewed every third)
 *   ERP_AUTO_SYNC_WALL_MS          the platform's wall clock per invocation (default 150000, the free plan; 400000
 *                                  on paid plans); every sync has a deadline 10 s under it
 *   ERP_AUTO_SYNC_BUDGET_MS        wall clock an invocation spends claiming work (default 120000)
 *   ERP_AUTO_SYNC_CPU_MS           CPU time per request, start-up counted (default 2000, the platform's limit);
 *                                  an invocation hands on before its measured CPU would pass 80 % of it
 *   ERP_AUTO_SYNC_MAX_CONCURRENCY  upper bound for the body's `concurrency` (default 32; the cron sends 16)
 *   ERP_AUTO_SYNC_MAX_IN_FLIGHT    syncs in flight at most, all invocations together (default 160): the night's
 *                                  parallelism; a claim waits while that many connections hold a live lease
 *   ERP_AUTO_SYNC_DB_CONNECTIONS   database connections the background invocations may use together (default
 *                                  100): at most this / DB_POOL_MAX of them are alive, see invocationCeiling
 *   ERP_AUTO_SYNC_PER_INVOCATION   connections one invocation is expected to take: sizes the fan-out
 *                                  (default 8); also the cap when the CPU cannot be measured
 *   ERP_SYNC_MANUAL_COOLDOWN_SECONDS  minimum time between two manual syncs of one connection (default 300)
 */
import process from 'node:process';
import { db } from '../db/client.ts';
import { importNfeDocuments } from '../nfe/import.ts';
import { adapterFor } from './adapter-context.ts';
import type { EngineDeps } from './engine.ts';
import { type InvocationLimits, invocationCeiling } from './orchestrator.ts';
import { httpTrigger } from './triggers.ts';

function envNumber(name: string, fallback: number): number {
  const v = Number(Deno.env.get(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Connections in one isolate's pool (db/client.ts). */
export function poolPerIsolate(): number {
  return envNumber('DB_POOL_MAX', 5);
}

export const settings = {
  get leaseSeconds() {
    return envNumber('ERP_SYNC_LEASE_SECONDS', 300);
  },
  get wallMs() {
    return envNumber('ERP_AUTO_SYNC_WALL_MS', 150_000);
  },
  get budgetMs() {
    return envNumber('ERP_AUTO_SYNC_BUDGET_MS', 120_000);
  },
  get cpuMs() {
    return envNumber('ERP_AUTO_SYNC_CPU_MS', 2000);
  },
  get maxConcurrency() {
    return envNumber('ERP_AUTO_SYNC_MAX_CONCURRENCY', 32);
  },
  get maxInFlight() {
    return envNumber('ERP_AUTO_SYNC_MAX_IN_FLIGHT', 160);
  },
  get dbConnections() {
    return envNumber('ERP_AUTO_SYNC_DB_CONNECTIONS', 100);
  },
  get perInvocation() {
    return envNumber('ERP_AUTO_SYNC_PER_INVOCATION', 8);
  },
  get manualCooldownSeconds() {
    return envNumber('ERP_SYNC_MANUAL_COOLDOWN_SECONDS', 300);
  },
};

/** Time a sync is given after its deadline to save, close its log and release its lease. */
const CLOSE_MARGIN_MS = 10_000;

/** The limits of one background invocation (cron, sweep, continuation). */
export function backgroundLimits(): InvocationLimits {
  const wallMs = settings.wallMs;
  return {
    wallMs,
    claimMs: Math.min(settings.budgetMs, wallMs - CLOSE_MARGIN_MS),
    closeMarginMs: CLOSE_MARGIN_MS,
    cpuMs: cpuClock.measurable ? settings.cpuMs : undefined,
    maxConcurrency: settings.maxConcurrency,
    maxInFlight: settings.maxInFlight,
    ceiling: invocationCeiling(settings.dbConnections, poolPerIsolate()),
    perInvocation: settings.perInvocation,
    maxConnections: cpuClock.measurable ? undefined : settings.perInvocation,
  };
}

// --- CPU ------------------------------------------------------------------------------------------------

function processCpuMs(): number | null {
  try {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  } catch {
    return null;
  }
}

/** CPU this isolate spent starting (module evaluation): charged to its first invocation. */
const BOOT_CPU_MS = processCpuMs();
let bootCharged = false;

export const cpuClock = {
  // A runtime that answers zeros does not measure, and a process shared by concurrent invocations (the local
  // functions server sets ERP_AUTO_SYNC_CPU_CLOCK=shared) measures them all: then the fixed cap
  // (ERP_AUTO_SYNC_PER_INVOCATION) applies and syncs are not stopped for CPU.
  measurable: BOOT_CPU_MS !== null && BOOT_CPU_MS > 0 && Deno.env.get('ERP_AUTO_SYNC_CPU_CLOCK') !== 'shared',
  /** A clock of the CPU one invocation spends, from now, start-up included for the isolate's first one. */
  forInvocation(): () => number {
    const start = processCpuMs() ?? 0;
    const boot = bootCharged ? 0 : Math.min(BOOT_CPU_MS ?? 0, 1000);
    bootCharged = true;
    return () => (processCpuMs() ?? start) - start + boot;
  },
  /** "Sincronizar agora" cooldown per connection: repeated clicks must not burn the ERP's daily quota. */
  get manualCooldownSeconds() {
    return envNumber('ERP_SYNC_MANUAL_COOLDOWN_SECONDS', 300);
  },
};

/** One owner id per isolate + invocation, so leases name who holds them. */
export function newOwner(kind: string): string {
  const exec = Deno.env.get('SB_EXECUTION_ID') ?? `pid-${Deno.pid}`;
  return `${kind}:${exec}:${crypto.randomUUID().slice(0, 8)}`;
}

export function engineDeps(owner: string): EngineDeps {
  const sql = db();
  return {
    sql,
    now: () => new Date(),
    adapterFor: (conn, signal) => adapterFor(sql, conn, signal),
    importNfe: importNfeDocuments,
    trigger: httpTrigger(),
    leaseSeconds: settings.leaseSeconds,
    owner,
  };
}

/**
 * The engine as deployed: dependencies from the function's environment.
 *   ERP_SYNC_LEASE_SECONDS    lease length per connection (default 300; renewed every third)
 *   ERP_AUTO_SYNC_BUDGET_MS   wall clock an invocation spends claiming work (default 120000, under the 150 s limit)
 *   ERP_AUTO_SYNC_MAX_CONCURRENCY  upper bound for the body's `concurrency` (default 8)
 *   ERP_AUTO_SYNC_MAX_PER_INVOCATION  connections a background invocation takes before handing on (default 8)
 *   ERP_AUTO_SYNC_MAX_PARALLEL  invocations started side by side on a big night (default 16)
 *   ERP_SYNC_MANUAL_COOLDOWN_SECONDS  minimum time between two manual syncs of one connection (default 300)
 */
import { db } from '../db/client.ts';
import { importNfeDocuments } from '../nfe/import.ts';
import { adapterFor } from './adapter-context.ts';
import type { EngineDeps } from './engine.ts';
import { httpTrigger } from './triggers.ts';

function envNumber(name: string, fallback: number): number {
  const v = Number(Deno.env.get(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const settings = {
  get leaseSeconds() {
    return envNumber('ERP_SYNC_LEASE_SECONDS', 300);
  },
  get budgetMs() {
    return envNumber('ERP_AUTO_SYNC_BUDGET_MS', 120_000);
  },
  get maxConcurrency() {
    return envNumber('ERP_AUTO_SYNC_MAX_CONCURRENCY', 8);
  },
  /** Connections one background invocation takes before handing on (CPU budget: 2 s per request). */
  get maxPerInvocation() {
    return envNumber('ERP_AUTO_SYNC_MAX_PER_INVOCATION', 8);
  },
  /** Invocations started side by side for a night with many due connections. */
  get maxParallel() {
    return envNumber('ERP_AUTO_SYNC_MAX_PARALLEL', 16);
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

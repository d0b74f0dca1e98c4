/**
 * The ERP simulators the bench drives, in process on ephemeral ports and on its virtual clock, one set per 48 accounts
 * synced at once (a simulator keeps the data of its 64 most recent accounts).
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import type { ProvisionedAccount } from '../../simulators/common/types.ts';
import { type RunningSimulators, startSimulators } from '../../simulators/serve.ts';
import type { ScaledClock } from './clock.ts';
import { brDay, ERPS, type LoadProfile } from './profiles.ts';

export interface SimSet {
  index: number;
  sims: RunningSimulators;
}

export interface BenchAccount {
  erp: ErpType;
  accountId: string;
  set: number;
  baseUrl: string;
  authUrl?: string;
  account: ProvisionedAccount;
  profile: LoadProfile['name'];
}

export class SimFleet {
  private constructor(readonly sets: SimSet[], readonly latencyMs: number) {}

  static async start(o: { sets: number; clock: ScaledClock; latencyMs: number; jitterMs: number; seed: number }) {
    const sets: SimSet[] = [];
    for (let i = 0; i < o.sets; i++) {
      const sims = await startSimulators({
        only: [...ERPS],
        ports: { bling: 0, omie: 0, tiny: 0, conta_azul: 0 },
        seed: o.seed,
        knobs: { latencyMs: o.latencyMs / o.clock.scale, latencyJitterMs: o.jitterMs / o.clock.scale },
        simulator: { clock: o.clock, logLimit: 200 },
      });
      sets.push({ index: i, sims });
    }
    return new SimFleet(sets, o.latencyMs);
  }

  /**
   * Provisions one account. `dataSeed` fixes the generated data: two accounts with the same seed and profile
   * (twins) get the same company, documents and request pattern.
   */
  provision(erp: ErpType, accountId: string, profile: LoadProfile, set: number, dataSeed: number, nowMs: number): BenchAccount {
    const s = this.sets[set % this.sets.length].sims.get(erp)!;
    const account = s.sim.admin.provision({
      accountId,
      nfeCount: profile.nfeCount,
      productCount: profile.productCount,
      financialCount: profile.financialCount,
      from: brDay(nowMs, -profile.days),
      to: brDay(nowMs, -1),
      seed: dataSeed,
    });
    return { erp, accountId, set: set % this.sets.length, baseUrl: s.baseUrl, authUrl: s.authUrl, account, profile: profile.name };
  }

  /** Server-side counters summed over the sets, per ERP. */
  stats(): Record<ErpType, { requests: number; tokenCalls: number; rateLimited: number }> {
    const out = Object.fromEntries(ERPS.map((e) => [e, { requests: 0, tokenCalls: 0, rateLimited: 0 }])) as Record<
      ErpType,
      { requests: number; tokenCalls: number; rateLimited: number }
    >;
    for (const set of this.sets) {
      for (const erp of ERPS) {
        const st = set.sims.get(erp)!.sim.admin.stats();
        out[erp].requests += st.requests;
        out[erp].tokenCalls += st.tokenCalls;
        out[erp].rateLimited += st.rateLimited;
      }
    }
    return out;
  }

  /** Server-side request count of one account. */
  accountRequests(a: BenchAccount): number {
    const st = this.sets[a.set].sims.get(a.erp)!.sim.admin.stats();
    return st.byAccount[a.accountId] ?? 0;
  }

  async close(): Promise<void> {
    for (const s of this.sets) await s.sims.close();
  }
}

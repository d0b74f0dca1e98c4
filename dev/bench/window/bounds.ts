/**
 * What bounds a goal the night did not meet, as arithmetic over the measured night (README: Definitions, "What
 * bounds it"). Pure functions: the report prints their sentences beside the goals.
 *
 * The window is an identity: W = Σ sync time / P̄, with P̄ the mean syncs in flight over the window, and
 * P̄ = A × F (invocations alive on average × syncs in flight per invocation alive). The ideal bound is
 * Σ t_min / C (its slots C) unless one account's t_min is longer. So, exactly:
 *
 *   ideal / window = rate × pacing × work × resumes × parallelism
 *     rate        = ideal / concurrency bound (1 unless the slowest account binds)
 *     pacing      = Σ t_min (documented limits) / Σ t_min (the adapters' own pacing)
 *     work        = Σ t_min (pacing) / Σ sync time had every connection taken one attempt
 *     resumes     = that / Σ sync time measured (every attempt: what resuming after a stop costs)
 *     parallelism = P̄ / C
 */
import type { ErpType } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { asOneAttempt } from './ideal.ts';

/** What the measured night spent and ran in parallel (virtual ms; from nightStats). */
export interface NightLoad {
  n: number;
  windowMs: number;
  /** Σ sync time over every attempt, per connection (S̄). */
  busyMsPerConn: number;
  /** The same had each connection taken one attempt (S̄₁): a resumed one counts as its ERP's median single attempt. */
  singleAttemptMsPerConn: number;
  /** Invocations alive on average over the window (A = Σ invocation wall time / W). */
  aliveMean: number;
  /** Syncs in flight per invocation alive (F = Σ sync time / Σ invocation wall time). */
  inFlightPerInvocation: number;
}

export interface IdealTerms {
  idealMs: number;
  concurrencyBoundMs: number;
  /** Σ t_min under the documented limits and under the adapters' pacing. */
  sumTminMs: number;
  sumTminPolicyMs: number;
}

export interface RatioFactors {
  ratio: number;
  rate: number;
  pacing: number;
  work: number;
  resumes: number;
  parallelism: number;
  /** P̄ measured and C, the ideal's mean slots (Σ t_min / concurrency bound). */
  inFlight: number;
  idealSlots: number;
}

export interface SyncLoad {
  busyMs: number;
  attempts: number;
  erp: ErpType;
}

/** S̄ and S̄₁ (NightLoad) from the connections' sync times: a resumed connection counts as one attempt (asOneAttempt). */
export function syncTimes(conns: SyncLoad[]): { busyMsPerConn: number; singleAttemptMsPerConn: number } {
  const n = Math.max(1, conns.length);
  const sum = (xs: SyncLoad[]) => xs.reduce((a, c) => a + c.busyMs, 0);
  return { busyMsPerConn: sum(conns) / n, singleAttemptMsPerConn: sum(asOneAttempt(conns, (c) => c.busyMs)) / n };
}

/** The factors of ideal / window (module doc); their product is the ratio. */
export function ratioFactors(load: NightLoad, ideal: IdealTerms): RatioFactors {
  const sumBusy = load.n * load.busyMsPerConn;
  const sumSingle = load.n * load.singleAttemptMsPerConn;
  const inFlight = sumBusy / load.windowMs;
  const idealSlots = ideal.sumTminMs / ideal.concurrencyBoundMs;
  return {
    ratio: ideal.idealMs / load.windowMs,
    rate: ideal.idealMs / ideal.concurrencyBoundMs,
    pacing: ideal.sumTminMs / ideal.sumTminPolicyMs,
    work: ideal.sumTminPolicyMs / sumSingle,
    resumes: sumSingle / sumBusy,
    parallelism: inFlight / idealSlots,
    inFlight,
    idealSlots,
  };
}

/** Syncs in flight a night of n connections needs to end inside goalMs at a mean sync time of msPerConn. */
export const inFlightNeeded = (n: number, msPerConn: number, goalMs: number) => (n * msPerConn) / goalMs;

/** Connections one invocation takes before its CPU rule stops it: (use × budget − fixed) / per connection. */
export function connsPerBudget(o: { budgetMs: number; use: number; fixedMs: number; perConnMs: number }): number {
  if (!(o.perConnMs > 0)) return Infinity;
  return Math.max(0, Math.floor((o.use * o.budgetMs - o.fixedMs) / o.perConnMs));
}

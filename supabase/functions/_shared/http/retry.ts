/** Bounded retries with exponential backoff and full jitter (AWS "full jitter": sleep = random(0, cap)). */
import type { ErrorKind } from '../errors.ts';

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). Default 4. */
  maxAttempts: number;
  /** Backoff base: attempt n (1-based) waits random(0, min(maxDelayMs, baseDelayMs * 2^(n-1))). Default 500. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A server-requested wait (Retry-After, provider block) longer than this is not slept through: the error is
   * thrown with its retryAfterMs so the engine can reschedule. Default 60 s.
   */
  maxRetryAfterMs: number;
  /** Which error kinds are retried. Default transient + rate_limited. */
  retryOn: ErrorKind[];
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  retryOn: ['transient', 'rate_limited'],
};

/** Full-jitter delay before attempt `attempt + 1` (attempt is the 1-based number of the attempt that failed). */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

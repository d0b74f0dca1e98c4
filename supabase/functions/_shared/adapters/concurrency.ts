/** Small helpers every adapter shares: bounded-concurrency detail calls (p-limit) and error predicates. */
import pLimit from 'p-limit';
import { type AppError, isAppError } from '../errors.ts';

/** Runs `fn` over `items` with at most `n` in flight, keeping order (the rate limiter still paces the calls). */
export async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(Math.max(1, n));
  return await Promise.all(items.map((item) => limit(() => fn(item))));
}

/** A failure that concerns one record only (bad payload, not found): record it and go on. */
export function isDataError(e: unknown): e is AppError {
  return isAppError(e) && e.kind === 'data';
}

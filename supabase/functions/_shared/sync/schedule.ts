/**
 * When a connection is next due. Schedules are UTC cron expressions restricted to minute, hour and
 * day-of-week fields (`m h * * dow`, one space between fields), the daily default being `0 0 * * *` = 00:00 UTC
 * = 21:00 Brasília. The database checks the same grammar (public.erp_schedule_is_valid, migration
 * 20261203001000); supabase/tests/sync/sync_config.test.ts runs both over one table of cases. Every valid
 * schedule runs at its hour: pg_cron's due-check job calls erp-auto-sync whenever a connection is due.
 *
 * Rule (grid-anchored, never "finish + 24 h"): next_sync_at is the first slot strictly after the moment the
 * sync finished. A nightly sync finishing at 00:07 is due again at the next midnight; a manual sync at 15:00
 * leaves the nightly slot of that same night in place.
 */
import { AppError } from '../errors.ts';

/** The default schedule (one of the sync_config defaults, see config.ts): 00:00 UTC = 21:00 Brasília. */
export const DEFAULT_SCHEDULE = '0 0 * * *';

interface Parsed {
  minutes: number[];
  hours: number[];
  dows: Set<number>;
}

function field(expr: string, min: number, max: number, name: string): number[] {
  const out = new Set<number>();
  for (const part of expr.split(',')) {
    const m = part.match(/^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/);
    if (!m) throw new AppError('config', 'BAD_SCHEDULE', `invalid ${name} field '${expr}' in schedule`);
    let lo = min, hi = max;
    if (m[1] !== '*') {
      const [a, b] = m[1].split('-').map(Number);
      lo = a;
      hi = b ?? (m[2] ? max : a);
    }
    const step = m[2] ? Number(m[2]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) {
      throw new AppError('config', 'BAD_SCHEDULE', `${name} field '${expr}' out of range ${min}-${max}`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** The schedule's error message, or null when it is valid (for zod). */
export function scheduleError(expr: string): string | null {
  try {
    parseSchedule(expr);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export function parseSchedule(expr: string = DEFAULT_SCHEDULE): Parsed {
  const parts = expr.split(' ');
  if (parts.length !== 5 || parts[2] !== '*' || parts[3] !== '*') {
    throw new AppError('config', 'BAD_SCHEDULE', `schedule must look like 'm h * * dow' (UTC), got '${expr}'`);
  }
  const dows = field(parts[4], 0, 7, 'day-of-week').map((d) => d % 7);
  return { minutes: field(parts[0], 0, 59, 'minute'), hours: field(parts[1], 0, 23, 'hour'), dows: new Set(dows) };
}

/** The first slot of `expr` strictly after `after` (UTC). */
export function nextSlotAfter(after: Date, expr: string = DEFAULT_SCHEDULE): Date {
  const s = parseSchedule(expr);
  const dayStart = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  for (let d = 0; d <= 8; d++) {
    const day = new Date(dayStart + d * 86_400_000);
    if (!s.dows.has(day.getUTCDay())) continue;
    for (const h of s.hours) {
      for (const m of s.minutes) {
        const t = day.getTime() + h * 3_600_000 + m * 60_000;
        if (t > after.getTime()) return new Date(t);
      }
    }
  }
  throw new AppError('config', 'BAD_SCHEDULE', `schedule '${expr}' has no slot in the next week`);
}

/**
 * Date windows the engine asks adapters for, in the ERP's calendar (America/Sao_Paulo).
 *  - NF-e: the first sync (or a requested full re-sync) reaches `nfe_lookback_days` back (90); later syncs
 *    start at the last fully synced day minus `nfe_overlap_days` (3), so late cancellations are caught.
 *  - Financials: the first sync covers the 12 months the tax score needs; later syncs re-read from the start
 *    of the previous month (open entries get paid, cancelled or re-categorised).
 */
import { TZDate } from '@date-fns/tz';
import { addDays, format, startOfMonth, subMonths } from 'date-fns';
import type { DateWindow } from '../adapters/contract.ts';
import type { SyncConfig } from './config.ts';

export const ERP_TIME_ZONE = 'America/Sao_Paulo';

/** 'YYYY-MM-DD' of an instant in Brasília. */
export function localDay(at: Date): string {
  return format(new TZDate(at, ERP_TIME_ZONE), 'yyyy-MM-dd');
}

function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return format(addDays(new Date(y, m - 1, d), days), 'yyyy-MM-dd');
}

export function nfeWindow(now: Date, cfg: SyncConfig, syncedThrough: string | null): DateWindow & { full: boolean } {
  const today = localDay(now);
  const earliest = shiftDay(today, -cfg.nfe_lookback_days);
  if (!syncedThrough) return { from: earliest, to: today, full: true };
  const from = shiftDay(syncedThrough, -cfg.nfe_overlap_days);
  return { from: from < earliest ? earliest : from, to: today, full: false };
}

export function financialsWindow(now: Date, _cfg: SyncConfig, syncedThrough: string | null): DateWindow & { full: boolean } {
  const today = localDay(now);
  const [y, m, d] = today.split('-').map(Number);
  const local = new Date(y, m - 1, d);
  if (!syncedThrough) {
    return { from: format(startOfMonth(subMonths(local, 12)), 'yyyy-MM-dd'), to: today, full: true };
  }
  return { from: format(startOfMonth(subMonths(local, 1)), 'yyyy-MM-dd'), to: today, full: false };
}

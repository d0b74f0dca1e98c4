/**
 * Pure formatting for the integrations page, in Brazilian Portuguese and in Brasília time whatever the
 * browser's (or the test machine's) time zone is. Every function takes `now` explicitly: no hidden clock.
 */
import { tz } from '@date-fns/tz';
import { differenceInCalendarDays, format, formatDistanceStrict } from 'date-fns';
import { ptBR } from 'date-fns/locale/pt-BR';

export const BRASILIA_TZ = 'America/Sao_Paulo';
const inBrasilia = tz(BRASILIA_TZ);
const numberFormat = new Intl.NumberFormat('pt-BR');

export type DateInput = string | number | Date;

function toDate(v: DateInput): Date {
  return v instanceof Date ? v : new Date(v);
}

function valid(d: Date): boolean {
  return !Number.isNaN(d.getTime());
}

/** 1234 → "1.234". */
export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

/** (1234, 'registro', 'registros') → "1.234 registros"; 1 → "1 registro". */
export function formatCount(n: number, singular: string, plural: string): string {
  return `${formatNumber(n)} ${n === 1 ? singular : plural}`;
}

export function formatRecords(n: number): string {
  return formatCount(n, 'registro', 'registros');
}

/** "21:00" in Brasília. */
export function formatTime(value: DateInput): string {
  return format(toDate(value), 'HH:mm', { in: inBrasilia });
}

/** Calendar days from `now` to `value`, both taken in Brasília (0 = today, 1 = tomorrow, -1 = yesterday). */
export function brasiliaDayOffset(value: DateInput, now: Date): number {
  return differenceInCalendarDays(toDate(value), now, { in: inBrasilia });
}

/** "sábado, 29 de novembro de 2026 às 21:00 (horário de Brasília)". */
export function formatExactDateTime(value: DateInput): string {
  const d = toDate(value);
  if (!valid(d)) return '';
  return `${format(d, "EEEE, d 'de' MMMM 'de' yyyy 'às' HH:mm", { in: inBrasilia, locale: ptBR })} (horário de Brasília)`;
}

/**
 * A day-relative label in Brasília: "hoje às 21:00", "amanhã às 21:00", "ontem às 21:00",
 * "segunda-feira às 21:00" (within the week ahead), "12/12 às 21:00", "12/12/2027 às 21:00" (another year).
 */
export function formatDayTime(value: DateInput, now: Date): string {
  const d = toDate(value);
  const offset = brasiliaDayOffset(d, now);
  const time = formatTime(d);
  if (offset === 0) return `hoje às ${time}`;
  if (offset === 1) return `amanhã às ${time}`;
  if (offset === -1) return `ontem às ${time}`;
  if (offset > 1 && offset < 7) return `${format(d, 'EEEE', { in: inBrasilia, locale: ptBR })} às ${time}`;
  const sameYear = format(d, 'yyyy', { in: inBrasilia }) === format(now, 'yyyy', { in: inBrasilia });
  return `${format(d, sameYear ? 'dd/MM' : 'dd/MM/yyyy', { in: inBrasilia })} às ${time}`;
}

export interface NextSyncLabel {
  /** Shown after "Próxima: ". */
  label: string;
  /** Full date for the tooltip; null when there is no date yet. */
  exact: string | null;
  /** ISO string for <time dateTime>, null when unknown. */
  iso: string | null;
  /** True when the scheduler treats the connection as due (no date yet, or the date has passed). */
  due: boolean;
}

/** The "Próxima: …" badge of a connection with auto-sync on. */
export function formatNextSync(nextSyncAt: DateInput | null | undefined, now: Date): NextSyncLabel {
  if (nextSyncAt === null || nextSyncAt === undefined) {
    return { label: 'na próxima execução', exact: null, iso: null, due: true };
  }
  const d = toDate(nextSyncAt);
  if (!valid(d)) return { label: 'na próxima execução', exact: null, iso: null, due: true };
  if (d.getTime() <= now.getTime()) {
    return { label: 'na próxima execução', exact: formatExactDateTime(d), iso: d.toISOString(), due: true };
  }
  return { label: formatDayTime(d, now), exact: formatExactDateTime(d), iso: d.toISOString(), due: false };
}

/** "há 2 horas", "há 3 dias"; under a minute "agora há pouco" (also for a clock slightly ahead). */
export function formatRelativePast(value: DateInput, now: Date): string {
  const d = toDate(value);
  if (!valid(d)) return '';
  if (now.getTime() - d.getTime() < 60_000) return 'agora há pouco';
  return formatDistanceStrict(d, now, { addSuffix: true, locale: ptBR, roundingMethod: 'floor' });
}

/** 850 → "menos de 1 s", 42_000 → "42 s", 125_000 → "2 min 5 s", 3_780_000 → "1 h 3 min"; null → "—". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return 'menos de 1 s';
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (totalMinutes < 60) return seconds ? `${totalMinutes} min ${seconds} s` : `${totalMinutes} min`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** A log's start for the history list: "hoje, 21:00", "ontem, 21:00", "27/11, 21:00", "27/11/2025, 21:00". */
export function formatLogDate(value: DateInput, now: Date): string {
  const d = toDate(value);
  if (!valid(d)) return '';
  const offset = brasiliaDayOffset(d, now);
  const time = formatTime(d);
  if (offset === 0) return `hoje, ${time}`;
  if (offset === -1) return `ontem, ${time}`;
  const sameYear = format(d, 'yyyy', { in: inBrasilia }) === format(now, 'yyyy', { in: inBrasilia });
  return `${format(d, sameYear ? 'dd/MM' : 'dd/MM/yyyy', { in: inBrasilia })}, ${time}`;
}

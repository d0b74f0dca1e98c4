import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  brasiliaDayOffset,
  formatCount,
  formatDayTime,
  formatDuration,
  formatExactDateTime,
  formatLogDate,
  formatNextSync,
  formatNumber,
  formatRecords,
  formatRelativePast,
} from './format';

// Vitest runs in Node; the app's tsconfig has no Node types.
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;

/** Runs `fn` with the process in another time zone (Node applies a changed TZ at once). */
function inZone<T>(zone: string, fn: () => T): T {
  const saved = env.TZ;
  env.TZ = zone;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete env.TZ;
    else env.TZ = saved;
  }
}

describe('formatNextSync (Brasília, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the nightly 00:00 UTC slot is "hoje às 21:00" during the Brazilian day', () => {
    vi.setSystemTime(new Date('2026-11-29T15:00:00Z')); // 12:00 in Brasília
    const next = formatNextSync('2026-11-30T00:00:00Z', new Date());
    expect(next.label).toBe('hoje às 21:00');
    expect(next.due).toBe(false);
    expect(next.iso).toBe('2026-11-30T00:00:00.000Z');
    expect(next.exact).toBe('domingo, 29 de novembro de 2026 às 21:00 (horário de Brasília)');
  });

  it('uses Brasília days, not UTC days: 20:00 BRT is already the next UTC day', () => {
    vi.setSystemTime(new Date('2026-11-29T23:00:00Z')); // 20:00 on the 29th in Brasília, 30th in UTC
    expect(formatNextSync('2026-11-30T00:00:00Z', new Date()).label).toBe('hoje às 21:00');
  });

  it('after the nightly run the next slot is "amanhã às 21:00"', () => {
    vi.setSystemTime(new Date('2026-11-30T00:07:00Z')); // 21:07 in Brasília
    expect(formatNextSync('2026-12-01T00:00:00Z', new Date()).label).toBe('amanhã às 21:00');
  });

  it('just before midnight in Brasília, a slot after midnight is tomorrow', () => {
    vi.setSystemTime(new Date('2026-11-30T02:59:00Z')); // 23:59 on the 29th in Brasília
    expect(formatNextSync('2026-11-30T03:30:00Z', new Date()).label).toBe('amanhã às 00:30');
  });

  it('within the week: the weekday; further: dd/MM; another year: dd/MM/yyyy', () => {
    vi.setSystemTime(new Date('2026-11-29T15:00:00Z')); // Sunday
    expect(formatNextSync('2026-12-02T00:00:00Z', new Date()).label).toBe('terça-feira às 21:00');
    expect(formatNextSync('2026-12-05T00:00:00Z', new Date()).label).toBe('sexta-feira às 21:00');
    expect(formatNextSync('2026-12-13T00:00:00Z', new Date()).label).toBe('12/12 às 21:00');
    expect(formatNextSync('2027-01-08T12:30:00Z', new Date()).label).toBe('08/01/2027 às 09:30');
  });

  it('no date yet or a date in the past: due at the next scheduler run', () => {
    vi.setSystemTime(new Date('2026-11-29T15:00:00Z'));
    expect(formatNextSync(null, new Date())).toEqual({ label: 'na próxima execução', exact: null, iso: null, due: true });
    const past = formatNextSync('2026-11-29T00:00:00Z', new Date());
    expect(past.label).toBe('na próxima execução');
    expect(past.due).toBe(true);
    expect(past.exact).toBe('sábado, 28 de novembro de 2026 às 21:00 (horário de Brasília)');
    expect(formatNextSync('not a date', new Date()).due).toBe(true);
  });

  it('gives the same answers whatever the machine time zone is', () => {
    vi.setSystemTime(new Date('2026-11-29T14:00:00Z')); // 11:00 BRT on the 29th, 23:00 on the 29th in Tokyo
    const expected = formatNextSync('2026-11-30T00:00:00Z', new Date()); // 09:00 on the 30th in Tokyo
    expect(expected.label).toBe('hoje às 21:00');
    for (const zone of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Kiritimati', 'America/Sao_Paulo']) {
      expect(inZone(zone, () => formatNextSync('2026-11-30T00:00:00Z', new Date())), zone).toEqual(expected);
      expect(inZone(zone, () => formatLogDate('2026-11-29T00:00:00Z', new Date())), zone).toBe('ontem, 21:00');
    }
  });

  it('follows the tz database (Brazil had daylight saving time until 2019)', () => {
    expect(formatExactDateTime('2018-12-01T00:00:00Z')).toBe('sexta-feira, 30 de novembro de 2018 às 22:00 (horário de Brasília)');
    expect(formatExactDateTime('2026-12-01T00:00:00Z')).toBe('segunda-feira, 30 de novembro de 2026 às 21:00 (horário de Brasília)');
  });
});

describe('day helpers', () => {
  it('brasiliaDayOffset / formatDayTime', () => {
    const now = new Date('2026-11-29T15:00:00Z');
    expect(brasiliaDayOffset('2026-11-29T02:00:00Z', now)).toBe(-1); // 23:00 on the 28th in Brasília
    expect(formatDayTime('2026-11-29T02:00:00Z', now)).toBe('ontem às 23:00');
    expect(formatDayTime('2026-11-29T03:00:00Z', now)).toBe('hoje às 00:00');
  });

  it('formatLogDate', () => {
    const now = new Date('2026-11-29T15:00:00Z');
    expect(formatLogDate('2026-11-29T12:00:00Z', now)).toBe('hoje, 09:00');
    expect(formatLogDate('2026-11-29T00:00:00Z', now)).toBe('ontem, 21:00');
    expect(formatLogDate('2026-11-26T00:00:00Z', now)).toBe('25/11, 21:00');
    expect(formatLogDate('2025-12-31T12:00:00Z', now)).toBe('31/12/2025, 09:00');
  });
});

describe('relative times, durations and counts', () => {
  const now = new Date('2026-11-29T15:00:00Z');

  it('formatRelativePast', () => {
    expect(formatRelativePast('2026-11-29T13:00:00Z', now)).toBe('há 2 horas');
    expect(formatRelativePast('2026-11-29T12:59:00Z', now)).toBe('há 2 horas'); // floor, never "cerca de"
    expect(formatRelativePast('2026-11-29T14:59:00Z', now)).toBe('há 1 minuto');
    expect(formatRelativePast('2026-11-29T14:59:30Z', now)).toBe('agora há pouco');
    expect(formatRelativePast('2026-11-29T15:00:05Z', now)).toBe('agora há pouco'); // clock skew
    expect(formatRelativePast('2026-11-26T15:00:00Z', now)).toBe('há 3 dias');
  });

  it('formatDuration', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
    expect(formatDuration(850)).toBe('menos de 1 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(3_780_000)).toBe('1 h 3 min');
  });

  it('pt-BR thousands', () => {
    expect(formatNumber(1234)).toBe('1.234');
    expect(formatNumber(1234567)).toBe('1.234.567');
    expect(formatRecords(1234)).toBe('1.234 registros');
    expect(formatRecords(1)).toBe('1 registro');
    expect(formatRecords(0)).toBe('0 registros');
    expect(formatCount(2, 'nota', 'notas')).toBe('2 notas');
  });
});

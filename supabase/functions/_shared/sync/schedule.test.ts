// Scheduling rules with a fake clock: next_sync_at is the next slot of the schedule after the run.
import assert from 'node:assert/strict';
import { autoSyncOn, parseSyncConfig, SYNC_CONFIG_DEFAULTS } from './config.ts';
import { nextSlotAfter, parseSchedule } from './schedule.ts';

const at = (iso: string) => new Date(iso);

Deno.test('a nightly sync finishing at 00:07 UTC is due again at the next midnight', () => {
  assert.equal(nextSlotAfter(at('2026-11-30T00:07:00Z')).toISOString(), '2026-12-01T00:00:00.000Z');
});

Deno.test('a manual sync at 15:00 UTC keeps that night\'s slot (does not push it a day)', () => {
  assert.equal(nextSlotAfter(at('2026-11-29T15:00:00Z')).toISOString(), '2026-11-30T00:00:00.000Z');
});

Deno.test('finishing exactly on a slot moves to the following one (strictly after)', () => {
  assert.equal(nextSlotAfter(at('2026-11-30T00:00:00Z')).toISOString(), '2026-12-01T00:00:00.000Z');
});

Deno.test('21:00 Brasília is 00:00 UTC: a sync at 20:59 BRT (23:59 UTC) is due a minute later', () => {
  assert.equal(nextSlotAfter(at('2026-11-29T20:59:00-03:00')).toISOString(), '2026-11-30T00:00:00.000Z');
});

Deno.test('month and year boundaries', () => {
  assert.equal(nextSlotAfter(at('2026-12-31T12:00:00Z')).toISOString(), '2027-01-01T00:00:00.000Z');
  assert.equal(nextSlotAfter(at('2028-02-28T03:00:00Z')).toISOString(), '2028-02-29T00:00:00.000Z');
});

Deno.test('custom schedules: several hours, weekdays only, steps', () => {
  assert.equal(nextSlotAfter(at('2026-11-29T07:00:00Z'), '30 6,18 * * *').toISOString(), '2026-11-29T18:30:00.000Z');
  // 2026-11-28 is a Saturday: weekdays-only moves to Monday 30th.
  assert.equal(nextSlotAfter(at('2026-11-28T01:00:00Z'), '0 0 * * 1-5').toISOString(), '2026-11-30T00:00:00.000Z');
  assert.equal(nextSlotAfter(at('2026-11-29T00:20:00Z'), '*/15 0 * * *').toISOString(), '2026-11-29T00:30:00.000Z');
  assert.equal(nextSlotAfter(at('2026-11-29T00:00:00Z'), '0 0 * * 7').toISOString(), '2026-12-06T00:00:00.000Z');
});

Deno.test('invalid schedules are config errors with a clear message', () => {
  assert.throws(() => parseSchedule('0 0 1 * *'), /m h \* \* dow/);
  assert.throws(() => parseSchedule('61 0 * * *'), /minute field '61' out of range/);
  assert.throws(() => parseSchedule('every night'), /schedule/);
});

// Issue #13 item 3: `0 24 * * *` used to pass zod (any string) and then make nextSlotAfter throw in the engine.
Deno.test('sync_config rejects a schedule the scheduler cannot run (0 24 * * *, 61 0 * * *)', () => {
  assert.throws(() => parseSchedule('0 24 * * *'), /hour field '24' out of range/);
  assert.throws(() => parseSyncConfig({ schedule: '0 24 * * *' }), /hour field '24' out of range/);
  assert.throws(() => parseSyncConfig({ schedule: '61 0 * * *' }), /minute field '61' out of range/);
  assert.equal(parseSyncConfig({ schedule: '0 12 * * *' }).schedule, '0 12 * * *');
  assert.equal(nextSlotAfter(at('2026-11-29T07:00:00Z'), '0 12 * * *').toISOString(), '2026-11-29T12:00:00.000Z');
});

// Issue #13 item 4: one set of defaults; `{}` means auto_sync on and every entity on.
Deno.test('sync_config defaults come from one object', () => {
  const cfg = parseSyncConfig({});
  assert.equal(cfg.auto_sync, SYNC_CONFIG_DEFAULTS.auto_sync);
  assert.deepEqual(cfg.entities, SYNC_CONFIG_DEFAULTS.entities);
  assert.deepEqual(parseSyncConfig({ entities: { nfe: false } }).entities, { ...SYNC_CONFIG_DEFAULTS.entities, nfe: false });
  assert.equal(autoSyncOn({}), true);
  assert.equal(autoSyncOn({ auto_sync: false }), false);
});

// NF-e and financial windows (Brasília calendar) with a fake clock.
import assert from 'node:assert/strict';
import { parseSyncConfig } from './config.ts';
import { financialsWindow, localDay, nfeWindow } from './window.ts';

const now = new Date('2026-11-30T00:05:00Z'); // 21:05 on the 29th in Brasília
const cfg = parseSyncConfig({});

Deno.test('the day is the Brasília day, whatever the machine zone', () => {
  assert.equal(localDay(now), '2026-11-29');
  assert.equal(localDay(new Date('2026-11-30T03:00:00Z')), '2026-11-30');
});

Deno.test('first NF-e sync reaches 90 days back', () => {
  assert.deepEqual(nfeWindow(now, cfg, null), { from: '2026-08-31', to: '2026-11-29', full: true });
});

Deno.test('later NF-e syncs start at the checkpoint minus the overlap (default 3 days)', () => {
  assert.deepEqual(nfeWindow(now, cfg, '2026-11-28'), { from: '2026-11-25', to: '2026-11-29', full: false });
  const five = parseSyncConfig({ nfe_overlap_days: 5 });
  assert.equal(nfeWindow(now, five, '2026-11-28').from, '2026-11-23');
});

Deno.test('an old checkpoint never reaches further back than the lookback', () => {
  assert.equal(nfeWindow(now, cfg, '2026-01-10').from, '2026-08-31');
});

Deno.test('the first sync (and a full re-sync, which forgets the checkpoints) reaches the whole lookback', () => {
  assert.deepEqual(nfeWindow(now, cfg, null), { from: '2026-08-31', to: '2026-11-29', full: true });
});

Deno.test('financials: 12 months first, then from the start of the previous month', () => {
  assert.deepEqual(financialsWindow(now, cfg, null), { from: '2025-11-01', to: '2026-11-29', full: true });
  assert.deepEqual(financialsWindow(now, cfg, '2026-11-28'), { from: '2026-10-01', to: '2026-11-29', full: false });
});

Deno.test('sync_config: defaults, and unknown keys rejected', () => {
  assert.equal(cfg.nfe_lookback_days, 90);
  assert.equal(cfg.nfe_overlap_days, 3);
  assert.equal(cfg.schedule, '0 0 * * *');
  assert.throws(() => parseSyncConfig({ auto_sync: true, surprise: 1 }));
});

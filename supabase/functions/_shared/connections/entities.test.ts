// Per entity, what a sync did, as the card shows it: order, synced-up-to, and failures in pt-BR.
import assert from 'node:assert/strict';
import { toEntities } from './service.ts';

Deno.test('toEntities: in entity order, synced up to the window end or the sync end, failures in pt-BR', () => {
  const out = toEntities('bling', {
    profile: { status: 'success', synced: 1, failed: 0 },
    nfe: { status: 'success', synced: 20, failed: 2, window_to: '2026-12-02', first_record_error: { code: 'NFE_INVALID_KEY', message: 'bad key' } },
    financials: { status: 'error', synced: 0, failed: 0, error: { kind: 'transient', code: 'HTTP_503', message: 'x' } },
    products: { status: 'not_supported', synced: 0, failed: 0 },
    bogus: { status: 'success', synced: 9 },
  }, '2026-12-03T00:05:00.000Z')!;
  assert.deepEqual(out.map((e) => e.entity), ['nfe', 'products', 'financials', 'profile']);
  assert.equal(out[0].synced_until, '2026-12-02');
  assert.equal(out[0].error, '2 registros falharam [NFE_INVALID_KEY]: bad key');
  assert.equal(out[1].synced_until, null);
  assert.match(out[2].error!, /^O Bling não respondeu \(financeiro\) .*\[HTTP_503\]$/);
  assert.equal(out[2].synced_until, null, 'a failed entity is not synced up to anything');
  assert.equal(out[3].synced_until, '2026-12-03T00:05:00.000Z');
  assert.equal(toEntities('bling', null, null), undefined, 'older logs without details');
});

/**
 * Conta Azul financial statuses on a real-sourced shape (fixtures/contas-a-receber-status.json): `status` is an
 * English enum, `status_traduzido` the Portuguese name; paid and overdue entries must not land as open.
 */
import assert from 'node:assert/strict';
import { buildCaDreResolver, mapCaEvento, mapCaStatus } from './mappers.ts';
import { CaBuscarResponseSchema } from './schemas.ts';
import { sharedDreFallback } from '../common/dre.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));

Deno.test('conta azul ground truth: English status enum with status_traduzido → paid / open', () => {
  const page = CaBuscarResponseSchema.parse(fixture('contas-a-receber-status').response);
  const r = buildCaDreResolver([], [], sharedDreFallback);
  const entries = page.itens.map((i) => mapCaEvento(i, 'receivable', r)).flatMap((
    x,
  ) => (x.ok ? [x.value] : []));
  assert.deepEqual(entries.map((e) => [e.externalId, e.status]), [
    ['9a3e41f1-f4fd-46ce-a129-5323ebb8a3f1', 'paid'],
    ['1c7f7a52-2f0e-4a8e-9d7b-0b7f2d9e6a10', 'open'],
  ]);
});

Deno.test('conta azul ground truth: each vocabulary alone is enough', () => {
  // English `status` only
  assert.equal(mapCaStatus('ACQUITTED'), 'paid');
  assert.equal(mapCaStatus('OVERDUE'), 'overdue');
  assert.equal(mapCaStatus('PENDING'), 'open');
  assert.equal(mapCaStatus('LOST'), 'cancelled');
  assert.equal(mapCaStatus('RENEGOTIATED'), 'cancelled');
  // Portuguese `status_traduzido` wins over an English value we do not know
  assert.equal(mapCaStatus('SOMETHING_NEW', 'ATRASADO'), 'overdue');
  assert.equal(mapCaStatus('OVERDUE', 'ATRASADO'), 'overdue');
  assert.equal(mapCaStatus(undefined, 'RECEBIDO_PARCIAL'), 'partial');
  assert.equal(mapCaStatus(null, null), 'open');
});

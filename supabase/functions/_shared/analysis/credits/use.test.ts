/**
 * The buyer's use of an item (issue 16): the entry CFOP table, and every rule id the credit rules can emit names
 * its legal basis (legal.ts).
 */
import assert from 'node:assert/strict';
import { LEGAL_BASIS } from './legal.ts';
import { useFromEntryCfop, useFromReturnCfop } from './rules.ts';

Deno.test('entry CFOP → use (Tabela de CFOP)', () => {
  const cases: Array<[string | null, string | null]> = [
    ['1102', 'resale'],
    ['2102', 'resale'],
    ['1.102', 'resale'],
    ['1403', 'resale'],
    ['3102', 'resale'],
    ['1101', 'input'],
    ['2101', 'input'],
    ['2401', 'input'],
    ['1551', 'fixed_asset'],
    ['2551', 'fixed_asset'],
    ['3551', 'fixed_asset'],
    ['2406', 'fixed_asset'],
    ['1556', 'own_use'],
    ['2556', 'own_use'],
    ['1407', 'own_use'],
    ['1949', null],
    ['5102', null],
    ['', null],
    [null, null],
  ];
  for (const [cfop, use] of cases) assert.equal(useFromEntryCfop(cfop), use, String(cfop));
  assert.equal(useFromReturnCfop('5202'), 'resale');
  assert.equal(useFromReturnCfop('6201'), 'input');
  assert.equal(useFromReturnCfop('5411'), 'resale');
  assert.equal(useFromReturnCfop('5553'), 'fixed_asset');
  assert.equal(useFromReturnCfop('6556'), 'own_use');
  assert.equal(useFromReturnCfop('5102'), null);
});

Deno.test('every rule id the credit rules emit has a legal basis', () => {
  const src = Deno.readTextFileSync(new URL('./rules.ts', import.meta.url));
  const ids = new Set(
    [...src.matchAll(/'((?:NOTE|CFOP|PC|ICMS|USE)_[A-Z_]+)'/g)].map((m) => m[1]),
  );
  assert.ok(ids.size > 30, `found ${ids.size} rule ids`);
  for (const id of ids) assert.ok(LEGAL_BASIS[id], `no legal basis for ${id}`);
});

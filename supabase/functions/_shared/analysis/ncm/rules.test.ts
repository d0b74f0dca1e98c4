/**
 * NCM rules on generated rows; expectations computed by hand from the rules in rules.ts's header / issue 7.
 */
import assert from 'node:assert/strict';
import { monophasicMatch, normalizeNcm } from '../common/ncm.ts';
import { analyzeNcm, type MasterProduct, type NcmItem, type NcmNote } from './rules.ts';

const S1 = '11111111000191';
const S2 = '22222222000191';
const ME = '33333333000191';
const OCT = { from: '2026-10', to: '2026-10' };

function note(id: string, direction: 'entrada' | 'saida', issuer: string, o: Partial<NcmNote> = {}): NcmNote {
  return {
    id,
    issued_at: '2026-10-10T13:00:00Z',
    issued_at_local: '2026-10-10T10:00:00-03:00',
    status: 'authorized',
    environment: 1,
    direction,
    operation: 'saida',
    issuer_doc: issuer,
    ...o,
  };
}

function item(
  noteId: string,
  n: number,
  ncm: string | null,
  code: string,
  total: string,
  discount = '0.00',
): NcmItem {
  return {
    xml_import_id: noteId,
    item_number: n,
    product_code: code,
    description: `item ${code}`,
    ncm,
    total_value: total,
    discount,
  };
}

function product(code: string | null, ncm: string | null, active = true): MasterProduct {
  return { code, name: `produto ${code}`, ncm, active };
}

Deno.test('ncm: counts, formats, chapters, conflicts, master mismatch and monophasic groups', () => {
  const notes = [
    note('IN1', 'entrada', S1),
    note('IN2', 'entrada', S1),
    note('IN3', 'entrada', S2),
    note('OUT1', 'saida', ME),
    note('OUT2', 'saida', ME, { status: 'cancelled' }),
    note('HOM', 'entrada', S1, { environment: 2 }),
  ];
  const items = [
    item('IN1', 1, '3004.90.99', 'A', '100.00'),
    item('IN2', 1, '30049069', 'A', '50.00'), // same supplier, same code, other NCM → conflict
    item('IN3', 1, '30049069', 'A', '70.00', '10.00'), // another supplier's code A: not compared with S1's
    item('IN1', 2, null, 'B', '20.00'),
    item('IN1', 3, '99999999', 'C', '30.00'),
    item('OUT1', 1, '30049099', 'P1', '300.00'), // master says 3004.90.69 → mismatch
    item('OUT1', 2, '2202.10.00', 'P2', '40.00'),
    item('OUT1', 3, '00', 'SERV', '500.00'),
    item('OUT1', 4, '123', 'X', '10.00'),
    item('OUT1', 5, '84', 'Y', '5.00'),
    item('OUT2', 1, '84713012', 'Z', '999.00'), // cancelled
    item('HOM', 1, '84713012', 'Z', '999.00'), // homologation
  ];
  const products = [
    product('P1', '3004.90.69'),
    product('P2', '22021000'),
    product('P3', '94033000'),
    product('P4', '94033000', false),
    product('P5', null),
  ];
  const r = analyzeNcm({ period: OCT, notes, items, products });
  const view = r.rows.map((
    x,
  ) => [
    x.ncm,
    x.items_in,
    x.value_in,
    x.items_out,
    x.value_out,
    x.products,
    x.flags.map((f) => f.code),
    x.monophasic_group,
  ]);
  assert.deepEqual(view, [
    ['', 1, '20.00', 0, '0.00', 1, ['NCM_MISSING'], null],
    ['00', 0, '0.00', 1, '500.00', 0, ['NCM_NON_GOODS'], null],
    ['123', 0, '0.00', 1, '10.00', 0, ['NCM_FORMAT_INVALID'], null],
    ['22021000', 0, '0.00', 1, '40.00', 1, ['MONOPHASIC'], 'cold_drinks'],
    ['30049069', 2, '110.00', 0, '0.00', 1, ['NCM_CODE_CONFLICT', 'MONOPHASIC'], 'pharma'],
    [
      '30049099',
      1,
      '100.00',
      1,
      '300.00',
      0,
      ['NCM_CODE_CONFLICT', 'NCM_MASTER_MISMATCH', 'MONOPHASIC'],
      'pharma',
    ],
    ['84', 0, '0.00', 1, '5.00', 0, ['NCM_CHAPTER_ONLY'], null],
    ['94033000', 0, '0.00', 0, '0.00', 1, [], null],
    ['99999999', 1, '30.00', 0, '0.00', 0, ['NCM_CHAPTER_UNKNOWN'], null],
  ]);
  const r9099 = r.rows.find((x) => x.ncm === '30049099')!;
  assert.deepEqual(r9099.flags.find((f) => f.code === 'NCM_CODE_CONFLICT')!.evidence, {
    count: 1,
    examples: [{ issuer_doc: S1, product_code: 'A', ncms: ['30049069', '30049099'] }],
  });
  assert.deepEqual(r9099.flags.find((f) => f.code === 'NCM_MASTER_MISMATCH')!.evidence, {
    count: 1,
    examples: [{ product_code: 'P1', master_ncm: '30049069', invoice_ncm: '30049099', items: 1 }],
  });
  assert.match(r9099.legal_basis!, /Lei 10\.147\/2000/);
  assert.equal(r9099.chapter, '30');
  assert.match(
    r9099.explanation,
    /NCM 3004\.90\.99: 1 item\(ns\) de entrada \(R\$ 100,00\) e 1 de saída \(R\$ 300,00\)/,
  );
  assert.equal(r.rows.find((x) => x.ncm === '123')!.chapter, null);
  assert.equal(r.rows.find((x) => x.ncm === '94033000')!.explanation.includes('Sem inconsistências'), true);
  assert.deepEqual(r.totals, {
    ncms: 9,
    items_in: 5,
    items_out: 5,
    value_in: '260.00',
    value_out: '855.00',
    monophasic_ncms: 3,
    monophasic_value_in: '210.00',
    monophasic_value_out: '340.00',
    flagged_ncms: 6,
    flags: {
      MONOPHASIC: 3,
      NCM_CHAPTER_ONLY: 1,
      NCM_CHAPTER_UNKNOWN: 1,
      NCM_CODE_CONFLICT: 2,
      NCM_FORMAT_INVALID: 1,
      NCM_MASTER_MISMATCH: 1,
      NCM_MISSING: 1,
      NCM_NON_GOODS: 1,
    },
  });
  assert.deepEqual(r.warnings, []);
});

Deno.test('ncm: a company with no data', () => {
  const r = analyzeNcm({ period: OCT, notes: [], items: [], products: [] });
  assert.deepEqual(r.rows, []);
  assert.equal(r.totals.ncms, 0);
  assert.deepEqual(r.warnings.map((w) => w.code), ['NO_DATA']);
});

Deno.test('ncm: cancelled notes are excluded (only the product master remains)', () => {
  const notes = [note('C', 'entrada', S1, { status: 'cancelled' })];
  const items = [item('C', 1, '30049099', 'A', '100.00')];
  const none = analyzeNcm({ period: OCT, notes, items, products: [] });
  assert.deepEqual(none.rows, []);
  assert.deepEqual(none.warnings.map((w) => w.code), ['NO_DATA']);
  const withMaster = analyzeNcm({ period: OCT, notes, items, products: [product('A', '30049099')] });
  assert.deepEqual(withMaster.rows.map((x) => [x.ncm, x.items_in, x.products]), [['30049099', 0, 1]]);
});

Deno.test('ncm: notes outside the period (local month) are not counted', () => {
  const notes = [
    note('N', 'entrada', S1, {
      issued_at: '2026-11-01T02:30:00Z',
      issued_at_local: '2026-10-31T23:30:00-03:00',
    }),
    note('M', 'entrada', S1, { issued_at_local: '2026-11-01T00:00:00-03:00' }),
  ];
  const items = [item('N', 1, '84713012', 'A', '10.00'), item('M', 1, '84713012', 'A', '99.00')];
  const r = analyzeNcm({ period: OCT, notes, items, products: [] });
  assert.deepEqual(r.rows.map((x) => [x.ncm, x.items_in, x.value_in]), [['84713012', 1, '10.00']]);
});

Deno.test('monophasic table: groups, longest prefix, exceptions, non-matches', () => {
  const g = (n: string) => monophasicMatch(normalizeNcm(n))?.group ?? null;
  assert.equal(g('3004.90.99'), 'pharma');
  assert.equal(g('3004.90.46'), null); // excluded by Lei 10.147 art. 1º I a
  assert.equal(g('3006.40.20'), null); // 30.06.40 is not in the list
  assert.equal(g('3305.10.00'), 'toiletries');
  assert.equal(g('3401.11.90'), 'toiletries');
  assert.equal(g('3401.11.10'), null);
  assert.equal(g('8703.23.10'), 'vehicles');
  assert.equal(g('8708.30.90'), 'auto_parts');
  assert.equal(g('4011.10.00'), 'tyres');
  assert.equal(g('2202.10.00'), 'cold_drinks');
  assert.equal(g('2710.19.21'), 'fuels');
  assert.equal(g('8471.30.12'), null);
  assert.equal(g('3004'), null); // only 8-digit NCMs match
  const m = monophasicMatch('33051000')!;
  assert.match(m.legalBasis, /Lei 10\.147\/2000, art\. 1º, I, b/);
  assert.equal(m.check, 'research');
});

/**
 * Credit rules on generated rows. Every expected number below was computed by hand from the rules (header of
 * rules.ts / issue 7), not from the code: 1,65% and 7,6% on the base, rounded half-up per line.
 */
import assert from 'node:assert/strict';
import { resolveRegime } from '../common/regime.ts';
import {
  analyzeCredits as analyze,
  classifyCfop,
  type CreditInput,
  type CreditItem,
  type CreditNote,
} from './rules.ts';

/**
 * These cases test the item rules for goods bought for resale: every note is booked by the buyer with entry CFOP
 * 1102 (compra para comercialização), so the credits are confirmed. Unknown use, own use and fixed assets are in
 * use.test.ts and the law-based cases (testing/cases/).
 */
function analyzeCredits(input: CreditInput) {
  return analyze({
    entries: input.notes.map((n) => ({ access_key: n.access_key, item_number: 0, entry_cfop: '1102' })),
    ...input,
  });
}

const S1 = '11111111000191';
const S2 = '22222222000191';

function note(id: string, o: Partial<CreditNote> = {}): CreditNote {
  return {
    id,
    access_key: id.padEnd(44, '0'),
    issued_at: '2026-10-05T13:00:00Z',
    issued_at_local: '2026-10-05T10:00:00-03:00',
    status: 'authorized',
    environment: 1,
    issuer_doc: S1,
    issuer_name: 'Fornecedor Um Ltda',
    issuer_crt: 3,
    ...o,
  };
}

function item(noteId: string, n: number, o: Partial<CreditItem> = {}): CreditItem {
  return {
    xml_import_id: noteId,
    item_number: n,
    product_code: `P${n}`,
    description: `Produto ${n}`,
    ncm: '84713012',
    cfop: '5102',
    total_value: '100.00',
    discount: '0.00',
    icms_group: null,
    icms_cst: null,
    icms_csosn: null,
    icms_value: null,
    icms_st_value: null,
    icms_sn_credit: null,
    pis_cst: '01',
    cofins_cst: '01',
    ...o,
  };
}

const OCT = { from: '2026-10', to: '2026-10' };

/** The month of issue 7's example mix (see the hand computation in each test). */
function octoberMix(): Pick<CreditInput, 'notes' | 'items'> {
  const notes = [
    note('A'),
    note('B', {
      issuer_doc: S2,
      issuer_name: 'Fornecedor Simples ME',
      issuer_crt: 1,
      issued_at: '2026-10-20T15:00:00Z',
      issued_at_local: '2026-10-20T12:00:00-03:00',
    }),
    note('C', { status: 'cancelled', issued_at_local: '2026-10-25T09:00:00-03:00' }),
    note('D', { issued_at_local: '2026-10-28T09:00:00-03:00' }),
  ];
  const items = [
    // A1: taxed purchase. base 1000 - 180 = 820; PIS 13.53; COFINS 62.32; ICMS 180.
    item('A', 1, { total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' }),
    // A2: monophasic pharma with ST retained earlier: no credit at all, ST retained 15.
    item('A', 2, {
      ncm: '3004.90.99',
      cfop: '5405',
      total_value: '200.00',
      icms_group: 'ICMS60',
      icms_cst: '60',
      icms_st_value: '15.00',
      pis_cst: '04',
      cofins_cst: '04',
    }),
    // A3: ICMS10 (own 54 + ST charged 30), PIS/COFINS 06 (zero rate). value 500 - 50 = 450.
    item('A', 3, {
      ncm: '94033000',
      cfop: '6102',
      total_value: '500.00',
      discount: '50.00',
      icms_group: 'ICMS10',
      icms_cst: '10',
      icms_value: '54.00',
      icms_st_value: '30.00',
      pis_cst: '06',
      cofins_cst: '06',
    }),
    // B1: Simples supplier CSOSN 101 with vCredICMSSN 9; PIS/COFINS 49.
    item('B', 1, {
      ncm: '94033000',
      total_value: '300.00',
      icms_group: 'ICMSSN101',
      icms_csosn: '101',
      icms_sn_credit: '9.00',
      pis_cst: '49',
      cofins_cst: '49',
    }),
    // B2: CSOSN 102: no ICMS credit.
    item('B', 2, {
      ncm: '94033000',
      total_value: '100.00',
      icms_group: 'ICMSSN102',
      icms_csosn: '102',
      pis_cst: '49',
      cofins_cst: '49',
    }),
    // C1: cancelled note: excluded.
    item('C', 1, { total_value: '10000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '1800.00' }),
    // D1: bonificação (5910): no credit of any kind.
    item('D', 1, {
      ncm: '94033000',
      cfop: '5910',
      icms_group: 'ICMS00',
      icms_cst: '00',
      icms_value: '18.00',
    }),
  ];
  return { notes, items };
}

function regime(tax_regime: string | null, crt: number | null = null) {
  return resolveRegime(tax_regime === null && crt === null ? null : { tax_regime, crt });
}

Deno.test('credits: Lucro Real month with every kind of line (hand-computed totals and breakdowns)', () => {
  const r = analyzeCredits({ regime: regime('lucro_real'), period: OCT, ...octoberMix() });
  assert.equal(r.months.length, 1);
  const m = r.months[0];
  assert.equal(m.period, '2026-10');
  assert.equal(m.notes_total, 4);
  assert.equal(m.notes_cancelled, 1);
  assert.equal(m.notes_excluded, 0);
  assert.equal(m.notes_analyzed, 3);
  assert.equal(m.items_analyzed, 6);
  // 1000 + 200 + 450 + 300 + 100 + 100
  assert.equal(m.purchases_value, '2150.00');
  // Rules 2026.12 (issue 16): A3 (CST 10, ST) no longer credits its own ICMS 54 (fix 1); B1 and B2 (Simples
  // supplier) now give PIS/COFINS (fix 2): B1 base 300 − vCredICMSSN 9 = 291 → PIS 4.80 (4.8015), COFINS 22.12
  // (22.116); B2 base 100 → PIS 1.65, COFINS 7.60.
  // base 820 + 291 + 100 = 1211; PIS 13.53 + 4.80 + 1.65 = 19.98; COFINS 62.32 + 22.12 + 7.60 = 92.04
  assert.equal(m.pis_cofins_base, '1211.00');
  assert.equal(m.pis_credit, '19.98');
  assert.equal(m.cofins_credit, '92.04');
  // 180 + 9 (A3's 54 is ST: no credit)
  assert.equal(m.icms_credit, '189.00');
  assert.equal(m.potential_pis_credit, '19.98');
  assert.equal(m.potential_cofins_credit, '92.04');
  assert.equal(m.potential_icms_credit, '189.00');
  assert.equal(m.to_confirm_pis_credit, '0.00');
  assert.equal(m.items_to_confirm, 0);
  assert.equal(m.st_charged, '30.00');
  assert.equal(m.st_retained, '15.00');

  assert.deepEqual(
    m.by_supplier.map((
      s,
    ) => [
      s.supplier_doc,
      s.notes,
      s.items,
      s.value,
      s.pis_credit,
      s.cofins_credit,
      s.icms_credit,
      s.total_credit,
      s.st_charged,
      s.st_retained,
    ]),
    [
      [S1, 2, 4, '1750.00', '13.53', '62.32', '180.00', '255.85', '30.00', '15.00'],
      // PIS 4.80 + 1.65 = 6.45; COFINS 22.12 + 7.60 = 29.72; total 6.45 + 29.72 + 9 = 45.17
      [S2, 1, 2, '400.00', '6.45', '29.72', '9.00', '45.17', '0.00', '0.00'],
    ],
  );
  assert.deepEqual(
    m.by_ncm.map((
      n,
    ) => [n.ncm, n.monophasic_group, n.items, n.value, n.total_credit, n.st_charged, n.st_retained]),
    [
      ['84713012', null, 1, '1000.00', '255.85', '0.00', '0.00'],
      ['94033000', null, 4, '950.00', '45.17', '30.00', '0.00'],
      ['30049099', 'pharma', 1, '200.00', '0.00', '0.00', '15.00'],
    ],
  );
  assert.deepEqual(m.rule_counts, {
    CFOP_OTHER: 1,
    ICMS_SN_CREDIT: 1,
    ICMS_SN_NO_CREDIT: 1,
    ICMS_ST_PURCHASE: 1,
    ICMS_ST_RETAINED: 1,
    ICMS_TAXED: 1,
    NOTE_CANCELLED: 1,
    PC_CST_ELIGIBLE: 1,
    PC_CST_NOT_CREDITABLE: 1,
    PC_MONOPHASIC_NCM: 1,
    PC_SIMPLES_SUPPLIER: 2,
  });

  // Every line carries its rules, the version, and a pt-BR explanation.
  assert.equal(r.lines.length, 7);
  for (const l of r.lines) {
    assert.ok(l.pis_cofins_rule && l.icms_rule && l.pis_cofins_explanation && l.icms_explanation);
    assert.equal(l.rules_version, r.rules_version);
  }
  const a1 = r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 1)!;
  assert.equal(a1.pis_cofins_base, '820.00');
  assert.match(a1.pis_cofins_explanation, /R\$ 820,00.*R\$ 13,53.*R\$ 62,32/);
  assert.match(a1.pis_cofins_explanation, /menos ICMS destacado R\$ 180,00/);
  const a2 = r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 2)!;
  assert.equal(a2.ncm, '30049099');
  assert.match(a2.pis_cofins_explanation, /Lei 10\.147\/2000/);
  assert.equal(a2.st_kind, 'retained');
  const c1 = r.lines.find((l) => l.xml_import_id === 'C')!;
  assert.equal(c1.counted, false);
  assert.equal(c1.pis_cofins_rule, 'NOTE_CANCELLED');
  assert.equal(c1.icms_credit, '0.00');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.totals.icms_credit, '189.00');
  // Every counted line names its legal basis.
  for (const l of r.lines) {
    assert.ok(l.pis_cofins_legal_basis && l.icms_legal_basis, `${l.xml_import_id}${l.item_number}`);
  }
});

Deno.test('credits: Lucro Presumido keeps ICMS, PIS/COFINS only as potential', () => {
  const r = analyzeCredits({ regime: regime('lucro_presumido'), period: OCT, ...octoberMix() });
  const m = r.months[0];
  assert.equal(m.pis_credit, '0.00');
  assert.equal(m.cofins_credit, '0.00');
  assert.equal(m.pis_cofins_base, '0.00');
  assert.equal(m.potential_pis_credit, '19.98');
  assert.equal(m.potential_cofins_credit, '92.04');
  assert.equal(m.icms_credit, '189.00');
  const a1 = r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 1)!;
  assert.equal(a1.pis_cofins_rule, 'PC_REGIME_CUMULATIVE');
  assert.equal(a1.pis_cofins_base, '820.00');
  assert.equal(a1.pis_credit, '0.00');
  assert.match(a1.pis_cofins_explanation, /Lucro Presumido/);
  // Items not eligible on their own keep their own reason.
  assert.equal(
    r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 3)!.pis_cofins_rule,
    'PC_CST_NOT_CREDITABLE',
  );
});

Deno.test('credits: Simples Nacional company takes no credits at all', () => {
  const r = analyzeCredits({ regime: regime('simples_nacional'), period: OCT, ...octoberMix() });
  const m = r.months[0];
  assert.equal(m.pis_credit, '0.00');
  assert.equal(m.cofins_credit, '0.00');
  assert.equal(m.icms_credit, '0.00');
  assert.equal(m.potential_icms_credit, '189.00');
  assert.equal(m.st_retained, '15.00');
  const a1 = r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 1)!;
  assert.equal(a1.pis_cofins_rule, 'PC_REGIME_SIMPLES');
  assert.equal(a1.icms_rule, 'ICMS_REGIME_SIMPLES');
  assert.equal(a1.icms_creditable, '180.00');
  assert.equal(
    r.lines.find((l) => l.xml_import_id === 'B' && l.item_number === 1)!.icms_rule,
    'ICMS_REGIME_SIMPLES',
  );
});

Deno.test('credits: regime not known (no profile) counts nothing and says why', () => {
  const r = analyzeCredits({ regime: regime(null), period: OCT, ...octoberMix() });
  assert.equal(r.regime.regime, 'unknown');
  const m = r.months[0];
  assert.equal(m.pis_credit, '0.00');
  assert.equal(m.icms_credit, '0.00');
  assert.equal(m.potential_pis_credit, '19.98');
  assert.equal(m.potential_icms_credit, '189.00');
  const a1 = r.lines.find((l) => l.xml_import_id === 'A' && l.item_number === 1)!;
  assert.equal(a1.pis_cofins_rule, 'PC_REGIME_UNKNOWN');
  assert.equal(a1.icms_rule, 'ICMS_REGIME_UNKNOWN');
  assert.deepEqual(r.warnings.map((w) => w.code), ['REGIME_UNKNOWN', 'REGIME_AND_CRT_UNKNOWN']);
});

Deno.test('credits: regime unknown but CRT 3 → ICMS counted, PIS/COFINS not; CRT 1 → Simples', () => {
  const crt3 = analyzeCredits({ regime: regime('unknown', 3), period: OCT, ...octoberMix() });
  assert.equal(crt3.regime.regime, 'normal_unknown');
  assert.equal(crt3.months[0].icms_credit, '189.00');
  assert.equal(crt3.months[0].pis_credit, '0.00');
  assert.deepEqual(crt3.warnings.map((w) => w.code), ['REGIME_UNKNOWN']);
  const crt1 = analyzeCredits({ regime: regime('unknown', 1), period: OCT, ...octoberMix() });
  assert.equal(crt1.regime.regime, 'simples_nacional');
  assert.equal(crt1.regime.source, 'crt');
  assert.equal(crt1.months[0].icms_credit, '0.00');
});

Deno.test('credits: a company with no data', () => {
  const r = analyzeCredits({
    regime: regime('lucro_real'),
    period: { from: '2026-08', to: '2026-10' },
    notes: [],
    items: [],
  });
  assert.deepEqual(r.months, []);
  assert.deepEqual(r.lines, []);
  assert.equal(r.totals.notes_total, 0);
  assert.equal(r.totals.pis_credit, '0.00');
  assert.deepEqual(r.warnings.map((w) => w.code), ['NO_PURCHASE_NOTES']);
});

Deno.test('credits: cancelled notes only → counted apart, no credits, no breakdowns', () => {
  const notes = [note('C', { status: 'cancelled' })];
  const items = [
    item('C', 1, { total_value: '10000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '1800.00' }),
  ];
  const r = analyzeCredits({ regime: regime('lucro_real'), period: OCT, notes, items });
  const m = r.months[0];
  assert.equal(m.notes_total, 1);
  assert.equal(m.notes_cancelled, 1);
  assert.equal(m.notes_analyzed, 0);
  assert.equal(m.items_analyzed, 0);
  assert.equal(m.purchases_value, '0.00');
  assert.equal(m.icms_credit, '0.00');
  assert.equal(m.potential_icms_credit, '0.00');
  assert.deepEqual(m.by_supplier, []);
  assert.deepEqual(m.rule_counts, { NOTE_CANCELLED: 1 });
  assert.equal(r.lines[0].counted, false);
  assert.match(r.lines[0].icms_explanation, /cancelada/);
});

Deno.test('credits: ICMS leaves the PIS/COFINS base only for notes issued from 2023-05-01 (local date)', () => {
  // 2023-04-30 23:00 -03:00 is already May in UTC, but the fiscal date is April 30.
  const notes = [
    note('OLD', { issued_at: '2023-05-01T02:00:00Z', issued_at_local: '2023-04-30T23:00:00-03:00' }),
    note('NEW', { issued_at: '2023-05-01T03:30:00Z', issued_at_local: '2023-05-01T00:30:00-03:00' }),
  ];
  const it = { total_value: '1000.00', icms_group: 'ICMS00', icms_cst: '00', icms_value: '180.00' };
  const r = analyzeCredits({
    regime: regime('lucro_real'),
    period: { from: '2023-04', to: '2023-05' },
    notes,
    items: [item('OLD', 1, it), item('NEW', 1, it)],
  });
  assert.deepEqual(r.months.map((m) => [m.period, m.pis_cofins_base, m.pis_credit, m.cofins_credit]), [
    // 1000 × 1,65% = 16.50; 1000 × 7,6% = 76.00
    ['2023-04', '1000.00', '16.50', '76.00'],
    // (1000 − 180) = 820 → 13.53 / 62.32
    ['2023-05', '820.00', '13.53', '62.32'],
  ]);
});

Deno.test('credits: rounding half-up per line, partial CST, transfers and non-purchase CFOPs', () => {
  const notes = [note('N')];
  const items = [
    // 33.33 × 1,65% = 0.549945 → 0.55; × 7,6% = 2.53308 → 2.53
    item('N', 1, { total_value: '33.33', icms_group: 'ICMS40', icms_cst: '40' }),
    // 10.00 × 1,65% = 0.165 → 0.17 (half away from zero); × 7,6% = 0.76
    item('N', 2, { total_value: '10.00', icms_group: 'ICMS41', icms_cst: '41' }),
    // PIS 01 / COFINS 06: PIS only: 100 × 1,65% = 1.65
    item('N', 3, { total_value: '100.00', icms_group: 'ICMS40', icms_cst: '40', cofins_cst: '06' }),
    // transfer 5152: ICMS 18 yes, PIS/COFINS no
    item('N', 4, { cfop: '5152', icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' }),
    // entry code, fixed asset, missing CFOP: nothing; 5202 received = a customer returning a sale: to confirm
    // (art. 3º, VIII: PIS (100 − 18) × 1,65% = 1.35, COFINS 82 × 7,6% = 6.23; ICMS 18)
    item('N', 5, { cfop: '1102', icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' }),
    item('N', 6, { cfop: '5202', icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' }),
    item('N', 7, { cfop: '6551', icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' }),
    item('N', 8, { cfop: null, icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' }),
  ];
  const r = analyzeCredits({ regime: regime('lucro_real'), period: OCT, notes, items });
  const by = (n: number) => r.lines.find((l) => l.item_number === n)!;
  assert.deepEqual([by(1).pis_credit, by(1).cofins_credit, by(1).pis_cofins_rule], [
    '0.55',
    '2.53',
    'PC_CST_ELIGIBLE',
  ]);
  assert.deepEqual([by(2).pis_credit, by(2).cofins_credit], ['0.17', '0.76']);
  assert.deepEqual([by(3).pis_credit, by(3).cofins_credit, by(3).pis_cofins_rule], [
    '1.65',
    '0.00',
    'PC_CST_PARTIAL',
  ]);
  assert.deepEqual([by(4).pis_cofins_rule, by(4).icms_rule, by(4).icms_credit], [
    'PC_TRANSFER',
    'ICMS_TAXED',
    '18.00',
  ]);
  assert.deepEqual([5, 6, 7, 8].map((n) => [by(n).pis_cofins_rule, by(n).icms_credit]), [
    ['CFOP_ENTRY_CODE', '0.00'],
    ['PC_SALE_RETURN', '0.00'],
    ['CFOP_FIXED_ASSET', '0.00'],
    ['CFOP_INVALID', '0.00'],
  ]);
  assert.deepEqual(
    [
      by(6).to_confirm_pis_credit,
      by(6).to_confirm_cofins_credit,
      by(6).to_confirm_icms_credit,
      by(6).icms_rule,
    ],
    ['1.35', '6.23', '18.00', 'ICMS_SALE_RETURN'],
  );
  const m = r.months[0];
  // PIS 0.55 + 0.17 + 1.65 = 2.37; COFINS 2.53 + 0.76 = 3.29; ICMS 18
  assert.deepEqual([m.pis_credit, m.cofins_credit, m.icms_credit], ['2.37', '3.29', '18.00']);
  // base: 33.33 + 10 + 100 = 143.33
  assert.equal(m.pis_cofins_base, '143.33');
});

Deno.test('credits: every ICMS group rule', () => {
  const notes = [note('N')];
  const base = { pis_cst: '49', cofins_cst: '49' };
  const items = [
    item('N', 1, { ...base, icms_group: 'ICMSST', icms_cst: '41', icms_st_value: '7.00' }),
    item('N', 2, { ...base, icms_group: 'ICMS51', icms_cst: '51', icms_value: '0.00' }),
    item('N', 3, { ...base, icms_group: 'ICMS53', icms_cst: '53' }),
    item('N', 4, { ...base, icms_group: 'ICMSSN500', icms_csosn: '500', icms_st_value: '3.00' }),
    item('N', 5, {
      ...base,
      icms_group: 'ICMSSN201',
      icms_csosn: '201',
      icms_sn_credit: '5.00',
      icms_st_value: '12.00',
    }),
    item('N', 6, { ...base, icms_group: 'ICMSSN101', icms_csosn: '101' }),
    item('N', 7, {
      ...base,
      icms_group: 'ICMSSN900',
      icms_csosn: '900',
      icms_value: '18.00',
      icms_st_value: '8.02',
    }),
    item('N', 8, {
      ...base,
      icms_group: 'ICMS70',
      icms_cst: '70',
      icms_value: '7.20',
      icms_st_value: '4.00',
    }),
    item('N', 9, { ...base, icms_group: 'ICMS30', icms_cst: '30', icms_st_value: '6.00' }),
    item('N', 10, { ...base }),
    item('N', 11, { ...base, icms_group: 'ICMSPart', icms_cst: '90', icms_value: '12.00' }),
  ];
  const r = analyzeCredits({ regime: regime('lucro_real'), period: OCT, notes, items });
  assert.deepEqual(
    r.lines.map((l) => [l.item_number, l.icms_rule, l.icms_credit, l.st_kind, l.st_value]),
    [
      [1, 'ICMS_ST_RETAINED', '0.00', 'retained', '7.00'],
      [2, 'ICMS_TAXED_NO_VALUE', '0.00', null, '0.00'],
      [3, 'ICMS_MONOPHASIC_FUEL', '0.00', null, '0.00'],
      [4, 'ICMS_ST_RETAINED', '0.00', 'retained', '3.00'],
      // Fix 1 (rules 2026.12): CSOSN 201 / 900 with ST and CST 70 are purchases under ST: no credit of the
      // supplier's own ICMS either (before: 5.00, 0.00 and 7.20).
      [5, 'ICMS_ST_PURCHASE', '0.00', 'charged', '12.00'],
      [6, 'ICMS_SN_CREDIT_ABSENT', '0.00', null, '0.00'],
      [7, 'ICMS_ST_PURCHASE', '0.00', 'charged', '8.02'],
      [8, 'ICMS_ST_PURCHASE', '0.00', 'charged', '4.00'],
      [9, 'ICMS_NOT_TAXED', '0.00', 'charged', '6.00'],
      [10, 'ICMS_MISSING', '0.00', null, '0.00'],
      [11, 'ICMS_TAXED', '12.00', null, '0.00'],
    ],
  );
  // CST 49 from a regime normal supplier (CRT 3): PC_CST_OTHER (the Simples case is in the October mix)
  assert.equal(r.lines[0].pis_cofins_rule, 'PC_CST_OTHER');
  const m = r.months[0];
  // ICMS 12 (item 11 only); ST charged 12 + 8.02 + 4 + 6 = 30.02; retained 7 + 3 = 10
  assert.deepEqual([m.icms_credit, m.st_charged, m.st_retained], ['12.00', '30.02', '10.00']);
});

Deno.test('credits: homologation, unauthorized and out-of-period notes', () => {
  const notes = [
    note('H', { environment: 2 }),
    note('U', { status: 'unauthorized' }),
    note('X', { issued_at: '2026-11-01T02:00:00Z', issued_at_local: '2026-11-01T00:00:00-02:00' }),
  ];
  const it = { icms_group: 'ICMS00', icms_cst: '00', icms_value: '18.00' };
  const r = analyzeCredits({
    regime: regime('lucro_real'),
    period: OCT,
    notes,
    items: [item('H', 1, it), item('U', 1, it), item('X', 1, it)],
  });
  assert.equal(r.months.length, 1);
  assert.deepEqual(
    [
      r.months[0].notes_total,
      r.months[0].notes_excluded,
      r.months[0].notes_analyzed,
      r.months[0].icms_credit,
    ],
    [2, 2, 0, '0.00'],
  );
  assert.deepEqual(r.lines.map((l) => l.icms_rule), ['NOTE_HOMOLOGATION', 'NOTE_NOT_AUTHORIZED']);
});

Deno.test('credits: CFOP classes', () => {
  const cases: Array<[string | null, string]> = [
    ['5102', 'purchase'],
    ['6108', 'purchase'],
    ['5405', 'purchase'],
    ['5656', 'purchase'],
    ['7101', 'purchase'],
    ['5152', 'transfer'],
    ['6409', 'transfer'],
    ['5202', 'return'],
    ['5411', 'return'],
    ['5551', 'fixed_asset'],
    ['5557', 'use_consumption'],
    ['5910', 'other'],
    ['5949', 'other'],
    ['1102', 'entry_code'],
    ['4102', 'invalid'],
    ['51', 'invalid'],
    [null, 'invalid'],
  ];
  for (const [c, want] of cases) assert.equal(classifyCfop(c), want, String(c));
});

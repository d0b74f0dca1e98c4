/**
 * Issue 16, fixes 1 and 2: regression tests written from the law (they fail on rules credits-2026.11.1).
 *   1. A reseller receiving goods under ST (supplier CST 10) takes no ICMS credit, not even the supplier's own ICMS
 *      (Convênio ICMS 142/2018; RICMS/SP art. 272).
 *   2. A Lucro Real buyer credits PIS/COFINS on goods for resale bought from a Simples Nacional supplier
 *      (ADI RFB 15/2007), at 1,65% / 7,6% on the purchase value.
 */
import assert from 'node:assert/strict';
import { resolveRegime } from '../common/regime.ts';
import { analyzeCredits, type CreditItem, type CreditNote } from './rules.ts';

const REAL = resolveRegime({ tax_regime: 'lucro_real', crt: 3 });
const NOV = { from: '2026-11', to: '2026-11' };

function note(crt: number): CreditNote {
  return {
    id: 'N',
    access_key: '3'.repeat(44),
    issued_at: '2026-11-10T13:00:00Z',
    issued_at_local: '2026-11-10T10:00:00-03:00',
    status: 'authorized',
    environment: 1,
    issuer_doc: '33333333000191',
    issuer_name: 'Fornecedor',
    issuer_crt: crt,
  };
}

function item(o: Partial<CreditItem>): CreditItem {
  return {
    xml_import_id: 'N',
    item_number: 1,
    product_code: 'X',
    description: 'Mercadoria para revenda',
    ncm: '94033000',
    cfop: '5102',
    total_value: '1000.00',
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

const RESALE = [{ access_key: '3'.repeat(44), item_number: 0, entry_cfop: '1403' }];

Deno.test('issue 16 fix 1: CST 10 purchase for resale → no ICMS credit of the supplier own ICMS', () => {
  // Supplier (regime normal) sells under ST: CFOP 5401, CST 10, own ICMS 18% of 1,000 = 180, ST 95.
  const r = analyzeCredits({
    regime: REAL,
    period: NOV,
    notes: [note(3)],
    items: [
      item({
        cfop: '5401',
        icms_group: 'ICMS10',
        icms_cst: '10',
        icms_value: '180.00',
        icms_st_value: '95.00',
      }),
    ],
    entries: [{ access_key: '3'.repeat(44), item_number: 0, entry_cfop: '1403' }],
  });
  assert.equal(r.totals.icms_credit, '0.00');
  assert.equal(r.totals.potential_icms_credit, '0.00');
  assert.equal(r.lines[0].icms_rule, 'ICMS_ST_PURCHASE');
  assert.equal(r.totals.st_charged, '95.00');
  assert.match(r.lines[0].icms_legal_basis, /RICMS\/SP, art\. 272/);
});

Deno.test('issue 16 fix 1: CSOSN 201 (Simples supplier, ST) → no vCredICMSSN credit for the reseller', () => {
  const r = analyzeCredits({
    regime: REAL,
    period: NOV,
    notes: [note(1)],
    items: [item({
      cfop: '5401',
      icms_group: 'ICMSSN201',
      icms_csosn: '201',
      icms_sn_credit: '25.00',
      icms_st_value: '60.00',
      pis_cst: '49',
      cofins_cst: '49',
    })],
    entries: RESALE,
  });
  assert.equal(r.totals.icms_credit, '0.00');
});

Deno.test('issue 16 fix 2: Simples supplier (CRT 1, CST 49), resale, Lucro Real → 1,65% + 7,6% on the value', () => {
  // CSOSN 102 (no ICMS credit, no vCredICMSSN): base = 1,000.00; PIS 16.50; COFINS 76.00.
  const r = analyzeCredits({
    regime: REAL,
    period: NOV,
    notes: [note(1)],
    items: [item({ icms_group: 'ICMSSN102', icms_csosn: '102', pis_cst: '49', cofins_cst: '49' })],
    entries: [{ access_key: '3'.repeat(44), item_number: 1, entry_cfop: '1102' }],
  });
  assert.equal(r.totals.pis_credit, '16.50');
  assert.equal(r.totals.cofins_credit, '76.00');
  assert.equal(r.lines[0].pis_cofins_rule, 'PC_SIMPLES_SUPPLIER');
  assert.match(r.lines[0].pis_cofins_legal_basis, /ADI RFB nº 15\/2007/);
});

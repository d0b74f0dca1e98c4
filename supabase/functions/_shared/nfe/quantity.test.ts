/**
 * The commercial quantity and unit (qCom / uCom — what was sold, as the item's vProd = qCom × vUnCom) are the
 * item's quantity and unit, never the taxable ones (qTrib / uTrib, e.g. 1 box of 12 → qTrib 12 UN). Both a
 * generated note whose taxable unit differs and a public sample where qTrib ≠ qCom (when the corpus is present).
 * NF-e layout 4.00 (leiauteNFe_v4.00.xsd, group det/prod): qCom "Quantidade Comercial do produto", qTrib
 * "Quantidade Tributável".
 */
import assert from 'node:assert/strict';
import { buildNfeXml, type NoteSpec } from '../../../../dev/fixtures/nfe-builder.ts';
import { parseNfeDocument } from './parse.ts';

const spec: NoteSpec = {
  issuer: { cnpj: '58716523000119', name: 'Fornecedor Ltda', ie: '112006603110', uf: 'SP', crt: 3 },
  recipient: { cnpj: '11222333000181', name: 'Cliente Ltda', ie: '110042490114', uf: 'PR' },
  model: 55,
  series: 1,
  number: 77,
  cNF: '12345678',
  issuedAt: '2026-11-10T14:30:00-03:00',
  tpNF: 1,
  finNFe: 1,
  natOp: 'VENDA DE MERCADORIA',
  tpAmb: 1,
  items: [{
    cProd: 'CX12',
    xProd: 'AGUA MINERAL CX 12',
    ncm: '2201.10.00',
    cfop: '6102',
    unit: 'CX',
    qty: '2',
    unitPrice: '30.00',
    icms: { group: 'ICMS00', pICMS: '12' },
    pis: { cst: '01', rate: '1.65' },
    cofins: { cst: '01', rate: '7.60' },
  }],
  protocol: { nProt: '135260000000077', dhRecbto: '2026-11-10T14:30:40-03:00' },
};

Deno.test('item quantity and unit are the commercial ones (qCom/uCom), not the taxable ones (qTrib/uTrib)', () => {
  const built = buildNfeXml(spec).xml;
  const xml = built.replace('<uTrib>CX</uTrib>', '<uTrib>UN</uTrib>').replace(
    '<qTrib>2</qTrib>',
    '<qTrib>24</qTrib>',
  );
  assert.notEqual(xml, built, 'the taxable unit was changed');
  const [note] = parseNfeDocument(xml).notes;
  assert.equal(Number(note.items[0].qty), 2);
  assert.equal(note.items[0].unit, 'CX');
});

const SAMPLE = new URL(
  '../../../../../shared/nfe-samples/Engenere__BrazilFiscalReport__nfe_big_font_size.xml',
  import.meta.url,
);
const sample = (() => {
  try {
    return Deno.readTextFileSync(SAMPLE);
  } catch {
    return null;
  }
})();

Deno.test({
  name: 'a public sample where qTrib ≠ qCom: every item quantity is its qCom',
  ignore: sample === null,
  fn() {
    const qCom = [...sample!.matchAll(/<qCom>([^<]+)<\/qCom>/g)].map((m) => Number(m[1]));
    const qTrib = [...sample!.matchAll(/<qTrib>([^<]+)<\/qTrib>/g)].map((m) => Number(m[1]));
    assert.ok(qCom.some((q, i) => q !== qTrib[i]), 'the sample has items whose qTrib differs');
    const items = parseNfeDocument(sample!).notes.flatMap((n) => n.items);
    assert.deepEqual(items.map((i) => Number(i.qty)), qCom);
  },
});

// Issue #13 items 10 and 11: NF-e never carries a DTD — a DOCTYPE/ENTITY declaration is refused outright;
// the cheap XML check bounds its work by size first.
import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { parseNfeDocument } from './parse.ts';
import { DEFAULT_MAX_BYTES, readXml, xmlProblem } from './xml.ts';

const laughs = `<?xml version="1.0"?>
<!DOCTYPE nfeProc [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<nfeProc xmlns="http://www.portalfiscal.inf.br/nfe"><NFe><infNFe Id="NFe35240112345678000195550010000000011000000015" versao="4.00"><ide><natOp>&lol2;</natOp></ide></infNFe></NFe></nfeProc>`;

const external = `<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><nfeProc><NFe><infNFe>x</infNFe></NFe></nfeProc>`;
const entityOnly = `<nfeProc><!ENTITY x "y"><NFe><infNFe>x</infNFe></NFe></nfeProc>`;

for (const [name, xml] of [['entity expansion (billion laughs)', laughs], ['external DTD', external], ['a bare ENTITY', entityOnly], [
  'lower-case doctype',
  laughs.replace('<!DOCTYPE', '<!doctype'),
]] as const) {
  Deno.test(`NF-e with ${name}: refused with NFE_DOCTYPE before parsing`, () => {
    assert.throws(() => readXml(xml, { fileName: 'x.xml' }, []), (e) => e instanceof AppError && e.code === 'NFE_DOCTYPE' && e.kind === 'data');
    assert.throws(() => parseNfeDocument(xml, { fileName: 'x.xml' }), (e) => e instanceof AppError && e.code === 'NFE_DOCTYPE');
    assert.match(xmlProblem(xml) ?? '', /DOCTYPE/);
    assert.match(readXmlBytes(xml), /NFE_DOCTYPE/);
  });
}

function readXmlBytes(xml: string): string {
  try {
    readXml(new TextEncoder().encode(xml), {}, []);
    return 'accepted';
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
}

Deno.test('a document without DTD is still read', () => {
  assert.equal(readXml('<?xml version="1.0"?><a>&amp;</a>', {}, []).rootName, 'a');
});

Deno.test('xmlProblem: size first (over 16 MiB is refused without validating)', () => {
  const big = '<nfeProc><infNFe>' + ' '.repeat(DEFAULT_MAX_BYTES) + '</infNFe></nfeProc>';
  assert.match(xmlProblem(big) ?? '', /larger than/);
  assert.equal(xmlProblem('<nfeProc><NFe><infNFe Id="x"/></NFe></nfeProc>'), null);
});

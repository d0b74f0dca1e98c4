/**
 * Conformance over the public sample corpus in <repo>/../shared/nfe-samples/ (outside the repo, never copied in).
 * Expected values were written by reading each XML file (ids, ide, ICMSTot, det count, events), not taken
 * from the parser's output. Skipped with a message when the folder is absent.
 */
import assert from 'node:assert/strict';
import { isAppError } from '../errors.ts';
import { isValidAccessKey } from './access-key.ts';
import { parseNfeDocument } from './parse.ts';

const REPO = new URL('../../../../', import.meta.url);
const SAMPLES = new URL('../shared/nfe-samples/', REPO);

function corpusFiles(): string[] | undefined {
  try {
    return [...Deno.readDirSync(SAMPLES)].filter((e) => e.isFile && e.name.endsWith('.xml')).map((e) =>
      e.name
    ).sort();
  } catch {
    return undefined;
  }
}
const files = corpusFiles();
if (!files) console.log(`[nfe samples] ${SAMPLES.pathname} not found: corpus conformance tests skipped`);

interface NoteExpect {
  key: string;
  model: '55' | '65';
  series: string;
  number: string;
  issuedAt: string;
  tpNF: '0' | '1';
  finNFe: string;
  items: number;
  vProd: string;
  vNF: string;
  vICMS: string;
  vST: string;
  vPIS: string;
  vCOFINS: string;
  issuer: { cnpj?: string; cpf?: string; crt: string };
  recipient?: { cnpj?: string; cpf?: string };
  /** [ICMS group, CST or CSOSN, PIS CST, COFINS CST] of the first item. */
  firstItem: [string, string, string, string];
  ncm: string;
  cfop: string;
  cStat?: string;
  cancelled: boolean;
  events?: string[];
  /** Key valid (pattern + DV) per SOURCES.tsv / nfe-domain.md §3.2. */
  keyValid: boolean;
  /** Warning codes that must be present. */
  warns?: string[];
}

type Expect = { note: NoteExpect } | {
  event: { key: string; tpEvento: string; cStat: string; cancels: boolean };
} | { error: string };

const EXPECTED: Record<string, Expect> = {
  'akretion__nfelib__26180875335849000115550010000016871192213331-nfe.xml': {
    note: {
      key: '26180875335849000115550010000016871192213331',
      model: '55',
      series: '1',
      number: '1687',
      issuedAt: '2018-08-16T16:28:18-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 3,
      vProd: '5780.00',
      vNF: '5780.00',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '75335849000115', crt: '3' },
      recipient: { cnpj: '37148260000119' },
      firstItem: ['ICMS40', '40', '06', '06'],
      ncm: '30064020',
      cfop: '6102',
      cStat: '100',
      cancelled: false,
      keyValid: true,
      warns: ['KEY_MISMATCH'], // ide/cDV 9 vs key DV 1
    },
  },
  'nfephp-org__sped-nfe__nfe_4.0.xml': {
    note: {
      key: '32191107670813000825550010059062251133037938',
      model: '55',
      series: '1',
      number: '5906225',
      issuedAt: '2019-11-20T00:00:00-02:00',
      tpNF: '1',
      finNFe: '1',
      items: 1,
      vProd: '28.90',
      vNF: '40.79',
      vICMS: '4.89',
      vST: '0.00',
      vPIS: '0.55',
      vCOFINS: '2.54',
      issuer: { cnpj: '07670813000823', crt: '3' },
      recipient: { cpf: '014345733812' },
      firstItem: ['ICMS00', '00', '01', '01'],
      ncm: '84719019',
      cfop: '6108',
      cStat: '100',
      cancelled: false,
      keyValid: false,
      warns: ['KEY_CHECK_DIGIT', 'KEY_MISMATCH'],
    },
  },
  'nfephp-org__sped-nfe__nfe_layout4_com_prot.xml': {
    note: {
      key: '43180906929383000163550010000000261000010301',
      model: '55',
      series: '1',
      number: '26',
      issuedAt: '2018-09-25T00:00:00-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 1,
      vProd: '500.00',
      vNF: '500.00',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '06929383000163', crt: '1' },
      recipient: { cnpj: '58716523000119' },
      firstItem: ['ICMSSN202', '202', '49', '49'],
      ncm: '64011000',
      cfop: '6101',
      cStat: '100',
      cancelled: false,
      keyValid: true,
    },
  },
  'nfephp-org__sped-da__cancelada_55_new.xml': {
    note: {
      key: '35210258716523000119550000000573661346317847',
      model: '55',
      series: '0',
      number: '57366',
      issuedAt: '2021-02-04T13:31:00-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 2,
      vProd: '581.55',
      vNF: '581.55',
      vICMS: '104.68',
      vST: '0.00',
      vPIS: '9.60',
      vCOFINS: '44.20',
      issuer: { cnpj: '58716523000119', crt: '3' },
      recipient: { cnpj: '10702368000155' },
      firstItem: ['ICMS00', '00', '01', '01'],
      ncm: '60063210',
      cfop: '5101',
      cStat: '100',
      cancelled: true,
      events: ['110111'],
      keyValid: true,
    },
  },
  'Unimake__Uninfe__33180702414602000110550010007020011000212025-procNFe.xml': {
    note: {
      key: '33180702414602000110550010007020011000212025',
      model: '55',
      series: '1',
      number: '702001',
      issuedAt: '2018-07-23T12:43:13-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 1,
      vProd: '100.00',
      vNF: '100.00',
      vICMS: '12.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '02414602000110', crt: '3' },
      recipient: { cnpj: '04168271000101' },
      firstItem: ['ICMS00', '00', '06', '06'],
      ncm: '85011021',
      cfop: '6102',
      cStat: '100',
      cancelled: false,
      keyValid: true,
    },
  },
  'Unimake__Uninfe__DEVOLUCAO_VENDA_REGIME_SIMPES_COM_ICMS_ST-nfe.xml': {
    note: {
      key: '41191099999999999999550010000022221001111112',
      model: '55',
      series: '1',
      number: '2222',
      issuedAt: '2019-10-09T16:42:11-03:00',
      tpNF: '0',
      finNFe: '4',
      items: 13,
      vProd: '603.33',
      vNF: '715.59',
      vICMS: '0.00',
      vST: '112.26',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '99999999999999', crt: '1' },
      recipient: { cnpj: '99999999999999' },
      firstItem: ['ICMSSN900', '900', '99', '99'],
      ncm: '21050090',
      cfop: '1411',
      cancelled: false,
      keyValid: true,
    },
  },
  'Unimake__Uninfe__41180800458535000100550010000123821128328172-Nfe.xml': {
    note: {
      key: '41180899999999999999550010000123821128328171',
      model: '55',
      series: '1',
      number: '12382',
      issuedAt: '2018-08-28T10:34:01-03:00',
      tpNF: '0',
      finNFe: '1',
      items: 1,
      vProd: '73922.52',
      vNF: '73922.52',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '9999999', crt: '3' },
      recipient: { cpf: 'xxxxx' },
      firstItem: ['ICMS51', '51', '08', '08'],
      ncm: '07141000',
      cfop: '1101',
      cancelled: false,
      keyValid: false,
      warns: ['KEY_CHECK_DIGIT', 'KEY_MISMATCH'],
    },
  },
  'Unimake__Uninfe__NFe3.xml': {
    note: {
      key: '41230200000000000000550010001111111001111114',
      model: '55',
      series: '1',
      number: '111111',
      issuedAt: '2023-02-01T15:17:21-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 1,
      vProd: '2835.00',
      vNF: '2835.00',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '00000000000000', crt: '3' },
      recipient: { cpf: '00000000000' },
      firstItem: ['ICMS53', '53', '08', '08'],
      ncm: '27101921',
      cfop: '5656',
      cancelled: false,
      keyValid: true,
    },
  },
  'Engenere__BrazilFiscalReport__nfe_mei.xml': {
    note: {
      key: '31270107661274003118950017000000421356964220',
      model: '55',
      series: '1',
      number: '46',
      issuedAt: '2025-01-16T10:05:09-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 3,
      vProd: '3267.60',
      vNF: '3267.60',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '07661074000118', crt: '4' },
      recipient: { cnpj: '02364958000197' },
      firstItem: ['ICMSSN102', '102', '49', '49'],
      ncm: '94012000',
      cfop: '6101',
      cancelled: false,
      keyValid: false,
      warns: ['KEY_CHECK_DIGIT', 'KEY_MISMATCH', 'TOTALS_MISMATCH'],
    },
  },
  'Engenere__BrazilFiscalReport__nfe_big_font_size.xml': {
    note: {
      key: '35200159594315000157550010000000022062777169',
      model: '55',
      series: '1',
      number: '2',
      issuedAt: '2020-01-01T12:00:00+01:00',
      tpNF: '1',
      finNFe: '1',
      items: 12,
      vProd: '1950.00',
      vNF: '1950.00',
      vICMS: '171.60',
      vST: '0.00',
      vPIS: '12.68',
      vCOFINS: '58.50',
      issuer: { cnpj: '81583054000129', crt: '3' },
      recipient: { cpf: '76586507812' },
      firstItem: ['ICMS10', '10', '01', '01'],
      ncm: '20052000',
      cfop: '6403',
      cancelled: false,
      keyValid: true,
      warns: ['KEY_MISMATCH', 'TOTALS_MISMATCH'],
    },
  },
  'nfephp-org__sped-da__nfce112_2.xml': {
    note: {
      key: '41200323285089000185650010000013051817822496',
      model: '65',
      series: '1',
      number: '1305',
      issuedAt: '2020-03-11T15:32:17-03:00',
      tpNF: '1',
      finNFe: '1',
      items: 4,
      vProd: '30.00',
      vNF: '30.00',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.00',
      vCOFINS: '0.00',
      issuer: { cnpj: '23285089000185', crt: '1' },
      recipient: { cnpj: '10422724000187' },
      firstItem: ['ICMSSN500', '500', '49', '49'],
      ncm: '22011000',
      cfop: '5405',
      cStat: '150',
      cancelled: false,
      keyValid: true,
    },
  },
  'nfephp-org__sped-nfe__nfce_com_qrcode.xml': {
    note: {
      key: '29181033657677000156650010001654399001654399',
      model: '65',
      series: '1',
      number: '165439',
      issuedAt: '2018-10-01T07:28:14-04:00',
      tpNF: '1',
      finNFe: '1',
      items: 2,
      vProd: '150.00',
      vNF: '150.00',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '0.89',
      vCOFINS: '4.09',
      issuer: { cnpj: '33657677000156', crt: '3' },
      firstItem: ['ICMS60', '60', '04', '04'],
      ncm: '87083090',
      cfop: '5405',
      cancelled: false,
      keyValid: false,
      warns: ['KEY_CHECK_DIGIT'],
    },
  },
  'Unimake__Uninfe__41210899999999999999550010000099991999999995-nfe.xml': {
    note: {
      key: '41210899999999999999550010000099991999999995',
      model: '55',
      series: '1',
      number: '9999',
      issuedAt: '2021-08-23T08:42:05-03:00',
      tpNF: '0',
      finNFe: '1',
      items: 1,
      vProd: '31695.06',
      vNF: '31219.63',
      vICMS: '0.00',
      vST: '0.00',
      vPIS: '183.04',
      vCOFINS: '843.09',
      issuer: { cnpj: '99999999999999', crt: '3' },
      recipient: { cpf: '99999999999' },
      firstItem: ['ICMS51', '51', '60', '60'],
      ncm: '99999999',
      cfop: '1101',
      cancelled: false,
      keyValid: false,
      warns: ['KEY_CHECK_DIGIT'],
    },
  },
  'nfephp-org__sped-da__110110-53181011028793000173550010000066701204276800-1-procEventoNfe.xml': {
    event: {
      key: '53181011028793000173550010000066701204276800',
      tpEvento: '110110',
      cStat: '135',
      cancels: false,
    },
  },
  'nfephp-org__nfephp__xml-sujo.xml': { error: 'NFE_MALFORMED' },
};

function checkNote(file: string, e: NoteExpect) {
  const doc = parseNfeDocument(Deno.readFileSync(new URL(file, SAMPLES)), { fileName: file });
  assert.equal(doc.notes.length, 1, `${file}: one note`);
  assert.equal(doc.failures.length, 0);
  const n = doc.notes[0];
  const m = (what: string) => `${file}: ${what}`;
  assert.equal(n.accessKey, e.key, m('key'));
  assert.equal(n.accessKeyValid, e.keyValid, m('key validity'));
  assert.equal(isValidAccessKey(n.accessKey), e.keyValid);
  assert.equal(n.model, e.model, m('model'));
  assert.equal(n.series, e.series, m('series'));
  assert.equal(n.number, e.number, m('number'));
  assert.equal(n.issuedAt, e.issuedAt, m('dhEmi with offset'));
  assert.equal(n.tpNF, e.tpNF, m('tpNF'));
  assert.equal(n.operation, e.tpNF === '0' ? 'entrada' : 'saida');
  assert.equal(n.finNFe, e.finNFe, m('finNFe'));
  assert.equal(n.items.length, e.items, m('item count'));
  assert.deepEqual(n.items.map((i) => i.nItem), Array.from({ length: e.items }, (_, i) => i + 1), m('nItem'));
  assert.equal(n.totals.vProd, e.vProd, m('vProd'));
  assert.equal(n.totals.vNF, e.vNF, m('vNF'));
  assert.equal(n.totals.vICMS, e.vICMS, m('vICMS'));
  assert.equal(n.totals.vST, e.vST, m('vST'));
  assert.equal(n.totals.vPIS, e.vPIS, m('vPIS'));
  assert.equal(n.totals.vCOFINS, e.vCOFINS, m('vCOFINS'));
  assert.equal(n.issuer.cnpj, e.issuer.cnpj, m('issuer cnpj'));
  assert.equal(n.issuer.cpf, e.issuer.cpf, m('issuer cpf'));
  assert.equal(n.issuer.crt, e.issuer.crt, m('crt'));
  if (e.recipient) {
    assert.equal(n.recipient?.cnpj, e.recipient.cnpj, m('recipient cnpj'));
    assert.equal(n.recipient?.cpf, e.recipient.cpf, m('recipient cpf'));
  } else assert.equal(n.recipient, undefined, m('no dest'));
  const it = n.items.find((i) => i.ncm === e.ncm) ?? n.items[0];
  const code = it.icms?.cst ?? it.icms?.csosn;
  assert.deepEqual([it.icms?.group, code, it.pis?.cst, it.cofins?.cst], e.firstItem, m('item taxes'));
  assert.equal(it.ncm, e.ncm, m('ncm'));
  assert.equal(it.cfop, e.cfop, m('cfop'));
  assert.equal(n.protocol?.cStat, e.cStat, m('protocol cStat'));
  if (e.cStat) assert.equal(n.protocol?.authorized, true, m('100 and 150 are authorised'));
  assert.equal(n.cancelled, e.cancelled, m('cancelled'));
  assert.deepEqual(n.events.map((x) => x.tpEvento), e.events ?? [], m('events'));
  const codes = new Set(n.warnings.map((w) => w.code));
  for (const w of e.warns ?? []) assert.ok(codes.has(w), m(`warning ${w} in ${[...codes]}`));
  if (e.keyValid && !(e.warns ?? []).includes('KEY_MISMATCH')) {
    assert.ok(![...codes].some((c) => c.startsWith('KEY_')), m(`no key warnings, got ${[...codes]}`));
  }
}

Deno.test({
  name: 'corpus: every sample file gives the expected note, event or typed error',
  ignore: !files,
  fn() {
    for (const file of files ?? []) {
      const exp = EXPECTED[file];
      if (!exp) {
        // a file added to the corpus later: it must at least parse or fail with a typed data error
        try {
          parseNfeDocument(Deno.readFileSync(new URL(file, SAMPLES)), { fileName: file });
        } catch (e) {
          assert.ok(isAppError(e) && e.kind === 'data', `${file}: untyped failure ${e}`);
        }
        console.log(`[nfe samples] ${file}: no written expectation, checked for robustness only`);
        continue;
      }
      if ('note' in exp) checkNote(file, exp.note);
      else if ('event' in exp) {
        const doc = parseNfeDocument(Deno.readFileSync(new URL(file, SAMPLES)), { fileName: file });
        assert.equal(doc.notes.length, 0);
        assert.equal(doc.events.length, 1);
        const ev = doc.events[0];
        assert.equal(ev.accessKey, exp.event.key);
        assert.equal(ev.tpEvento, exp.event.tpEvento);
        assert.equal(ev.cStat, exp.event.cStat);
        assert.equal(ev.registered, true);
        assert.equal(ev.cancels, exp.event.cancels);
        assert.equal(ev.source, 'procEventoNFe');
      } else {
        assert.throws(
          () => parseNfeDocument(Deno.readFileSync(new URL(file, SAMPLES)), { fileName: file }),
          (e: unknown) => {
            assert.ok(isAppError(e));
            assert.equal(e.kind, 'data');
            assert.equal(e.code, exp.error);
            assert.equal(e.details?.file, file);
            assert.equal(typeof e.details?.line, 'number');
            assert.match(e.message, new RegExp(file.replace(/[.]/g, '\\.')));
            return true;
          },
        );
      }
    }
  },
});

Deno.test({
  name: 'corpus: BOM files and the single-line minified file read the same as text and as bytes',
  ignore: !files,
  fn() {
    for (const file of files ?? []) {
      const bytes = Deno.readFileSync(new URL(file, SAMPLES));
      let fromBytes, fromText;
      try {
        fromBytes = parseNfeDocument(bytes, { fileName: file });
        fromText = parseNfeDocument(new TextDecoder().decode(bytes), { fileName: file });
      } catch {
        continue;
      }
      assert.deepEqual(
        fromBytes.notes.map((n) => [n.accessKey, n.totals.vNF]),
        fromText.notes.map((n) => [n.accessKey, n.totals.vNF]),
      );
    }
  },
});

Deno.test({
  name: 'corpus: names with entities and accents are decoded',
  ignore: !files?.includes('nfephp-org__sped-da__cancelada_55_new.xml'),
  fn() {
    const doc = parseNfeDocument(
      Deno.readFileSync(new URL('nfephp-org__sped-da__cancelada_55_new.xml', SAMPLES)),
    );
    const n = doc.notes[0];
    assert.equal(n.issuer.name, 'FIMATEC TEXTIL LTDA');
    assert.equal(n.events[0].source, 'nfeProc');
    assert.equal(n.events[0].eventProtocol, '135210128997350');
    assert.equal(n.protocol?.nProt, '135210128765156');
  },
});

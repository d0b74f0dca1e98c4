import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accessKeyCheckDigit,
  buildAccessKey,
  checkAccessKey,
  isValidAccessKey,
  splitAccessKey,
} from './access-key.ts';
import { cnpjCheckDigits, cpfCheckDigits, isValidCnpj, isValidCpf } from './documents.ts';

/** Independent reference: explicit weight table, left to right. */
function referenceDv(body: string): string {
  const weights: number[] = [];
  for (let i = 0; i < 43; i++) weights.push(2 + ((42 - i) % 8));
  let sum = 0;
  for (let i = 0; i < 43; i++) sum += (body.charCodeAt(i) - 48) * weights[i];
  const dv = 11 - (sum % 11);
  return dv > 9 ? '0' : String(dv);
}

const digit = fc.constantFrom(...'0123456789'.split(''));
const alnum = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((a) => a.join(''));
/** A key body as PL_010 allows: 6 digits, 12 alphanumerics (CNPJ root), 25 digits. */
const body43 = fc.tuple(
  digits(6),
  fc.array(alnum, { minLength: 12, maxLength: 12 }).map((a) => a.join('')),
  digits(25),
)
  .map(([a, b, c]) => a + b + c);

Deno.test('check digit: the MOC worked example', () => {
  assert.equal(accessKeyCheckDigit('5206043300991100250655012000000780026730161'), '5');
  assert.ok(isValidAccessKey('52060433009911002506550120000007800267301615'));
});

Deno.test('check digit: a real authorised key from the corpus', () => {
  // nfephp-org/sped-da cancelada_55_new.xml, authorised by SEFAZ-SP
  assert.ok(isValidAccessKey('35210258716523000119550000000573661346317847'));
  assert.ok(!isValidAccessKey('35210258716523000119550000000573661346317846'));
});

Deno.test('property: check digit agrees with an independent implementation', () => {
  fc.assert(fc.property(body43, (b) => accessKeyCheckDigit(b) === referenceDv(b)), { numRuns: 500 });
});

Deno.test('property: body + its digit is valid, any other digit is not', () => {
  fc.assert(
    fc.property(body43, digit, (b, d) => {
      const dv = accessKeyCheckDigit(b);
      assert.ok(/^[0-9]$/.test(dv));
      assert.ok(isValidAccessKey(b + dv));
      assert.equal(isValidAccessKey(b + d), d === dv);
    }),
    { numRuns: 500 },
  );
});

Deno.test('property: changing one digit changes the weighted sum mod 11 (detected unless both remainders are 0/1)', () => {
  fc.assert(
    fc.property(
      digits(43),
      fc.integer({ min: 0, max: 42 }),
      fc.integer({ min: 1, max: 9 }),
      (b, pos, delta) => {
        const changed = b.slice(0, pos) + String((Number(b[pos]) + delta) % 10) + b.slice(pos + 1);
        const a = accessKeyCheckDigit(b);
        const c = accessKeyCheckDigit(changed);
        // DV 0 stands for remainders 0 and 1, the only case where a substitution can go unnoticed
        if (a !== '0' || c !== '0') assert.notEqual(a, c);
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test('property: buildAccessKey / splitAccessKey round-trip', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('35', '41', '53', '13'),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 1, max: 12 }),
      fc.array(alnum, { minLength: 12, maxLength: 12 }).map((a) => a.join('')),
      digits(2),
      fc.constantFrom(55, 65),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 1, max: 999_999_999 }),
      fc.integer({ min: 1, max: 9 }),
      digits(8),
      (cUF, yy, mm, root, dv, mod, serie, nNF, tpEmis, cNF) => {
        const aamm = String(yy).padStart(2, '0') + String(mm).padStart(2, '0');
        const key = buildAccessKey({ cUF, aamm, cnpjOrCpf: root + dv, mod, serie, nNF, tpEmis, cNF });
        assert.equal(key.length, 44);
        assert.ok(isValidAccessKey(key));
        const p = splitAccessKey(key);
        assert.deepEqual(
          [p.cUF, p.aamm, p.cnpj, p.mod, p.serie, p.nNF, p.tpEmis, p.cNF],
          [
            cUF,
            aamm,
            root + dv,
            String(mod),
            String(serie).padStart(3, '0'),
            String(nNF).padStart(9, '0'),
            String(tpEmis),
            cNF,
          ],
        );
        assert.deepEqual(
          checkAccessKey(key, {
            cUF,
            dhEmi: `20${aamm.slice(0, 2)}-${aamm.slice(2)}-15T10:00:00-03:00`,
            cnpj: root + dv,
            mod: String(mod),
            serie: String(serie),
            nNF: String(nNF),
            tpEmis: String(tpEmis),
            cNF,
            cDV: key[43],
          }),
          [],
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test('CPF issuer is left-padded to 14 positions', () => {
  const key = buildAccessKey({
    cUF: 35,
    aamm: '2611',
    cnpjOrCpf: '12345678909',
    mod: 55,
    serie: 1,
    nNF: 1,
    cNF: '12345678',
  });
  assert.equal(splitAccessKey(key).cnpj, '00012345678909');
  assert.deepEqual(checkAccessKey(key, { cpf: '12345678909' }), []);
});

Deno.test('checkAccessKey reports format, check digit and each disagreeing field', () => {
  assert.deepEqual(checkAccessKey('123', {}).map((w) => w.code), ['KEY_FORMAT']);
  assert.deepEqual(checkAccessKey('35210258716523000119550000000573661346317846', {}).map((w) => w.code), [
    'KEY_CHECK_DIGIT',
  ]);
  const w = checkAccessKey('35210258716523000119550000000573661346317847', {
    cUF: '41',
    dhEmi: '2021-03-04T13:31:00-03:00',
    cnpj: '58716523000119',
    mod: '65',
    serie: '0',
    nNF: '57366',
    tpEmis: '1',
    cNF: '34631784',
    cDV: '7',
  });
  assert.deepEqual(w.map((x) => x.code), ['KEY_MISMATCH', 'KEY_MISMATCH', 'KEY_MISMATCH']);
  assert.match(w[0].message, /cUF/);
  assert.match(w[1].message, /AAMM/);
  assert.match(w[2].message, /mod/);
});

Deno.test('CNPJ check digits, numeric and alphanumeric (IN RFB 2.229/2024 example)', () => {
  assert.equal(cnpjCheckDigits('587165230001'), '19');
  assert.ok(isValidCnpj('58716523000119'));
  assert.equal(cnpjCheckDigits('12ABC34501DE'), '35');
  assert.ok(isValidCnpj('12ABC34501DE35'));
  assert.ok(!isValidCnpj('12ABC34501DE36'));
  assert.equal(cpfCheckDigits('123456789'), '09');
  assert.ok(isValidCpf('12345678909'));
  assert.ok(!isValidCpf('11111111111'));
});

Deno.test('property: alphanumeric keys validate with ASCII-48 weights', () => {
  fc.assert(
    fc.property(fc.array(alnum, { minLength: 12, maxLength: 12 }).map((a) => a.join('')), (root) => {
      const cnpj = root + cnpjCheckDigits(root);
      assert.ok(isValidCnpj(cnpj));
      const key = buildAccessKey({
        cUF: 35,
        aamm: '2607',
        cnpjOrCpf: cnpj,
        mod: 55,
        serie: 1,
        nNF: 10,
        cNF: '00000001',
      });
      assert.ok(isValidAccessKey(key));
    }),
    { numRuns: 200 },
  );
});

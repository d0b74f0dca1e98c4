import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  centsToString,
  divRound,
  formatScaled,
  isDecimalString,
  mulScaled,
  parseScaled,
  sumMoney,
  toCents,
} from './decimal.ts';

Deno.test('decimal strings: parse, round half away from zero, format', () => {
  assert.equal(toCents('0'), 0n);
  assert.equal(toCents('100'), 10000n);
  assert.equal(toCents('12.5'), 1250n);
  assert.equal(toCents('0.105'), 11n);
  assert.equal(toCents('-0.105'), -11n);
  assert.equal(centsToString(5n), '0.05');
  assert.equal(centsToString(-1234n), '-12.34');
  assert.equal(formatScaled(parseScaled('18', 4), 4, 2), '18.00');
  assert.equal(mulScaled(parseScaled('3', 4), 4, parseScaled('10.333', 10), 10, 2), 3100n);
  assert.equal(divRound(5n, 2n), 3n);
  assert.equal(divRound(-5n, 2n), -3n);
  assert.equal(sumMoney(['0.10', '0.20', undefined, '1']), '1.30'); // 0.1 + 0.2 in floats is not 0.3
  assert.ok(
    isDecimalString('12.34') && !isDecimalString('12,34') && !isDecimalString('1e3') && !isDecimalString(''),
  );
  assert.throws(() => parseScaled('1,5', 2), RangeError);
});

Deno.test('property: cents survive string round-trips and sums are exact', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (c) => toCents(centsToString(c)) === c),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 13n }), { maxLength: 50 }), (cs) => {
      const total = cs.reduce((a, b) => a + b, 0n);
      return sumMoney(cs.map(centsToString)) === centsToString(total);
    }),
    { numRuns: 200 },
  );
});

import assert from 'node:assert/strict';
import { denoFailures, denoSummary, pgTapSummary, runnerSummary } from './summaries.ts';
import { changedSql } from './test-stack.ts';

Deno.test('runner summaries: a step that reports no test fails; skipped counts are kept', () => {
  assert.deepEqual(denoSummary('ok | 12 passed (3 steps) | 0 failed | 2 ignored (1s)\n', 0), {
    passed: 12,
    failed: 0,
    skipped: 2,
  });
  assert.deepEqual(denoSummary('FAILED | 10 passed | 2 failed (1s)\n', 1), {
    passed: 10,
    failed: 2,
    skipped: 0,
  });
  assert.equal(denoSummary('ok | 0 passed | 0 failed (0ms)\n', 0).failed, 1, 'zero deno tests');
  assert.equal(denoSummary('error: Module not found\n', 1).failed, 1, 'no summary');
  assert.equal(denoSummary('ok | 3 passed | 0 failed (1s)\n', 1).failed, 1, 'non-zero exit');

  // node:test with the browser describe skipped: "1 skipped", not a pass; a fully empty run fails.
  assert.deepEqual(
    runnerSummary('ℹ tests 1\nℹ suites 0\nℹ pass 0\nℹ fail 0\nℹ cancelled 0\nℹ skipped 1\nℹ todo 0\n', 0),
    {
      passed: 0,
      failed: 0,
      skipped: 1,
    },
  );
  assert.equal(runnerSummary('ℹ tests 0\nℹ suites 1\nℹ pass 0\nℹ fail 0\nℹ skipped 0\n', 0).failed, 1);
  assert.deepEqual(
    runnerSummary(' Test Files  3 passed (3)\n      Tests  1 failed | 12 passed | 1 skipped (14)\n', 1),
    {
      passed: 12,
      failed: 1,
      skipped: 1,
    },
  );
  assert.deepEqual(runnerSummary('      Tests  12 passed (12)\n', 0), { passed: 12, failed: 0, skipped: 0 });

  const tap = pgTapSummary('1..4\nok 1 - a\nok 2 - b # SKIP no cron\nnot ok 3 - c\n', 0);
  assert.deepEqual([tap.passed, tap.failed, tap.skipped], [1, 2, 1], 'a short plan counts as a failure');
  assert.equal(pgTapSummary('', 0).failed, 1, 'no plan');
});

Deno.test('deno test: the failed tests it lists under FAILURES are named in the counts', () => {
  // The tail of a real `deno test` report (2.9), colours already stripped by exec().
  const report = [
    'group ... inner fails => ./a_test.ts:3:43',
    'error: Error: x',
    '',
    ' FAILURES ',
    '',
    'one fails => ./a_test.ts:1:6',
    'group ... inner fails => ./a_test.ts:3:43',
    '',
    'FAILED | 1 passed | 2 failed (1 step) (11ms)',
    '',
    'error: Test failed',
  ].join('\n');
  assert.deepEqual(denoFailures(report), [
    'one fails => ./a_test.ts:1:6',
    'group ... inner fails => ./a_test.ts:3:43',
  ]);
  assert.deepEqual(denoSummary(report, 1).failures, [
    'one fails => ./a_test.ts:1:6',
    'group ... inner fails => ./a_test.ts:3:43',
  ]);
  assert.deepEqual(denoFailures('ok | 3 passed | 0 failed (1s)\n'), []);
});

Deno.test('fresh database: an applied SQL file whose checksum changed is detected', () => {
  assert.equal(changedSql(null, { 'a.sql': '1' }), null, 'nothing recorded');
  assert.deepEqual(changedSql({ 'a.sql': '1', 'b.sql': '2' }, { 'a.sql': '1', 'b.sql': '3', 'c.sql': '4' }), [
    'b.sql',
  ]);
  assert.deepEqual(changedSql({ 'a.sql': '1' }, {}), ['a.sql'], 'a removed file');
  assert.deepEqual(
    changedSql({ 'a.sql': '1' }, { 'a.sql': '1', 'new.sql': '9' }),
    [],
    'a new file is applied by up',
  );
});

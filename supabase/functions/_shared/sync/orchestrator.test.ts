// How a night is split across invocations (pure rules; the claiming itself is tested on the stack).
import assert from 'node:assert/strict';
import { parallelInvocations, type RunSummary, shouldContinue } from './orchestrator.ts';

Deno.test('a small night is one invocation; a big one is split up to the cap', () => {
  assert.equal(parallelInvocations(0, 8, 16), 1);
  assert.equal(parallelInvocations(8, 8, 16), 1);
  assert.equal(parallelInvocations(9, 8, 16), 2);
  assert.equal(parallelInvocations(100, 8, 16), 13);
  assert.equal(parallelInvocations(10_000, 8, 16), 16);
});

Deno.test('only a run that made progress, on no given ids, hands the rest on', () => {
  const base: RunSummary = { run_id: 'r', processed: 3, succeeded: 3, failed: 0, remaining: 5, duration_ms: 1, results: [] };
  assert.equal(shouldContinue(base, { source: 'cron' }), true);
  assert.equal(shouldContinue({ ...base, remaining: 0 }, { source: 'cron' }), false);
  assert.equal(shouldContinue({ ...base, processed: 0 }, { source: 'cron' }), false, 'what remains is leased elsewhere');
  assert.equal(shouldContinue(base, { source: 'ops', connectionIds: ['x'] }), false);
});

// retryOnSessionEnd: which database failures are sent again, and how often (no database: errors by code).
import assert from 'node:assert/strict';
import { dropOrphanSessionEnd, retryOnSessionEnd } from './client.ts';

const failure = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

/** `work` fails with `codes` in turn, then answers 'ok'. */
function scripted(codes: string[]) {
  const calls = { n: 0 };
  const work = () => {
    const code = codes[calls.n++];
    return code ? Promise.reject(failure(code)) : Promise.resolve('ok');
  };
  return { calls, work };
}

const CASES: Array<{ name: string; codes: string[]; attempts: number; ok: boolean; calls: number }> = [
  { name: 'answers at once', codes: [], attempts: 3, ok: true, calls: 1 },
  { name: 'a restart ended the session (57P01): sent again', codes: ['57P01'], attempts: 3, ok: true, calls: 2 },
  { name: 'each stale pooled connection once, then a fresh one', codes: ['57P01', '57P01'], attempts: 3, ok: true, calls: 3 },
  { name: 'the server still starting (57P03): sent again', codes: ['57P03'], attempts: 3, ok: true, calls: 2 },
  { name: 'crash shutdown (57P02): sent again', codes: ['57P02'], attempts: 3, ok: true, calls: 2 },
  { name: 'bounded: the last failure is thrown', codes: ['57P01', '57P01', '57P01'], attempts: 3, ok: false, calls: 3 },
  // The connection dropped with the statement in flight: it may have committed, so it is not sent twice.
  { name: 'a lost connection is not retried', codes: ['CONNECTION_CLOSED'], attempts: 3, ok: false, calls: 1 },
  { name: 'a statement error is not retried', codes: ['23505'], attempts: 3, ok: false, calls: 1 },
];

for (const c of CASES) {
  Deno.test(`retryOnSessionEnd: ${c.name}`, async () => {
    const { calls, work } = scripted(c.codes);
    if (c.ok) assert.equal(await retryOnSessionEnd(work, c.attempts), 'ok');
    else await assert.rejects(retryOnSessionEnd(work, c.attempts), (e: Error & { code: string }) => e.code === c.codes.at(-1));
    assert.equal(calls.n, c.calls);
  });
}

// The driver's orphan: a session-ended rejection nobody awaits must not end the process (before: this test module
// failed with "Uncaught (in promise) ... terminating connection"); any other unhandled rejection still does.
Deno.test('a session that ended under a statement nobody awaited does not end the process', async () => {
  Promise.reject(Object.assign(failure('57P01'), { message: 'terminating connection due to administrator command' }));
  await new Promise((r) => setTimeout(r, 50)); // the rejection is reported as unhandled before the test ends
  const event = (reason: unknown) =>
    new PromiseRejectionEvent('unhandledrejection', { promise: Promise.resolve(), reason, cancelable: true });
  const other = event(failure('23505'));
  dropOrphanSessionEnd(other);
  assert.equal(other.defaultPrevented, false, 'any other failure still ends the process');
  const ended = event(failure('57P01'));
  dropOrphanSessionEnd(ended);
  assert.equal(ended.defaultPrevented, true);
});

// Hosted, a function's isolate that dies (an uncaught exception, a driver crash: docs/local-vs-hosted.md,
// "Known gaps") takes only the requests it was serving; the next request boots a new isolate. The local stack's
// one functions process does the same: it is supervised and started again, so one crash does not take every
// later call down with it.
import assert from 'node:assert/strict';
import { stackTest, waitFor } from '../helpers.ts';

const health = async (apiUrl: string) => {
  const r = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
  return (await r.json()) as { pid: number; ppid: number };
};

stackTest('a functions process that dies is started again, as the hosted runtime boots a new isolate', async (env) => {
  const before = await health(env.API_URL);
  Deno.kill(before.pid, 'SIGKILL'); // what an uncaught exception does to it
  const after = await waitFor(async () => {
    const h = await health(env.API_URL).catch(() => null);
    return h && h.pid !== before.pid ? h : null;
  }, 30_000, 200);
  assert.equal(after.ppid, before.ppid, 'the same supervisor started it');
  const r = await fetch(`${env.FUNCTIONS_URL}/erp-auto-sync`, { method: 'POST', body: '{}' });
  await r.body?.cancel();
  assert.equal(r.status, 401, 'and it serves the functions again (no key: refused, as always)');
});

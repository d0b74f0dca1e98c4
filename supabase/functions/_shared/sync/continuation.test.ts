// A continuation carries the function's own secret, whatever headers the caller presented (issue 13.7).
import assert from 'node:assert/strict';
import { continueRun } from './continuation.ts';

Deno.test('a continuation sends ERP_AUTO_SYNC_SECRET, not a header the caller presented', async () => {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fakeFetch = ((url: string, init: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(new Response('{}', { status: 202 }));
  }) as unknown as typeof fetch;
  const ok = await continueRun({ baseUrl: 'http://api.local', secret: 'the-functions-own-secret', fetch: fakeFetch }, 'run-1', 3);
  assert.equal(ok, true);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'http://api.local/functions/v1/erp-auto-sync');
  const headers = new Headers(calls[0].init.headers);
  assert.equal(headers.get('authorization'), 'Bearer the-functions-own-secret');
  assert.equal(headers.get('apikey'), null);
  assert.deepEqual(JSON.parse(String(calls[0].init.body)), { source: 'cron', continuation_of: 'run-1', concurrency: 3 });
});

Deno.test('without a configured secret no continuation is attempted', async () => {
  let called = false;
  const fakeFetch = (() => {
    called = true;
    return Promise.resolve(new Response(null));
  }) as unknown as typeof fetch;
  assert.equal(await continueRun({ baseUrl: 'http://api.local', secret: undefined, fetch: fakeFetch }, 'run-1'), false);
  assert.equal(called, false);
});

Deno.test('a continuation refused at admission (202, accepted: false) is reported as not started', async () => {
  const answer = (body: unknown) => (() => Promise.resolve(Response.json(body, { status: 202 }))) as unknown as typeof fetch;
  const env = { baseUrl: 'http://api.local', secret: 's' };
  assert.equal(await continueRun({ ...env, fetch: answer({ run_id: null, accepted: false }) }, 'run-1'), false);
  assert.equal(await continueRun({ ...env, fetch: answer({ run_id: 'run-2', accepted: true }) }, 'run-1'), true);
});

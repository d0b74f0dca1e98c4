import assert from 'node:assert/strict';
import { onceUntilFailure } from './once.ts';

Deno.test('onceUntilFailure: one load shared while it holds, a new one after a failure', async () => {
  let calls = 0;
  const answers = [() => Promise.reject(new Error('transient')), () => Promise.resolve('b')];
  const get = onceUntilFailure(() => answers[calls++]());
  await assert.rejects(get(), /transient/);
  assert.equal(await get(), 'b', 'the failure is not kept');
  assert.equal(await get(), 'b');
  assert.equal(calls, 2, 'the good value is loaded once');
});

Deno.test('onceUntilFailure: concurrent first callers share one load', async () => {
  let calls = 0;
  const get = onceUntilFailure(() => Promise.resolve(++calls));
  assert.deepEqual(await Promise.all([get(), get(), get()]), [1, 1, 1]);
});

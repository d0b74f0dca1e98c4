// Issue #13 item 10 (request side): a body without content-length is read under the cap, never whole. And the
// error answers of the database's own failures.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { errorResponse, MAX_BODY_BYTES, parseJsonBody } from './respond.ts';

Deno.test('a chunked 100 MB request body is refused at the cap (BODY_TOO_LARGE), not read whole', async () => {
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= 100 * 1024 * 1024) return c.close();
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
  const req = new Request('http://localhost/erp-sync', { method: 'POST', body });
  assert.equal(req.headers.get('content-length'), null);
  await assert.rejects(parseJsonBody(req, z.object({})), (e) => e instanceof AppError && e.code === 'BODY_TOO_LARGE');
  assert.ok(sent <= MAX_BODY_BYTES + 2 * chunk.byteLength, `read ${sent} bytes`);
});

Deno.test('a small chunked body is read and validated as before', async () => {
  const req = new Request('http://localhost/erp-sync', {
    method: 'POST',
    body: new Blob(['{"connection_id":"x"}']).stream(),
  });
  assert.deepEqual(await parseJsonBody(req, z.object({ connection_id: z.string() })), { connection_id: 'x' });
});

Deno.test('a database that dropped the session answers 503 DATABASE_UNAVAILABLE with Retry-After, not 500', async () => {
  for (const code of ['57P01', '57P03', 'CONNECTION_CLOSED', 'ECONNREFUSED']) {
    const res = errorResponse(Object.assign(new Error('terminating connection due to administrator command'), { code }));
    assert.equal(res.status, 503, code);
    assert.equal(res.headers.get('Retry-After'), '5', code);
    const body = await res.json();
    assert.equal(body.error.code, 'DATABASE_UNAVAILABLE', code);
    assert.match(body.error.message, /Tente novamente/);
  }
  const other = errorResponse(Object.assign(new Error('duplicate key'), { code: '23505' }));
  assert.equal(other.status, 500, 'any other database error stays internal');
  assert.equal((await other.json()).error.message, 'Internal error');
});

// net.http_post / net.http_get from SQL reach a local HTTP endpoint after commit; responses, errors and
// timeouts are recorded in net._http_response as pg_net records them.
import assert from 'node:assert/strict';
import { sqlFor, stackTest, waitFor } from '../helpers.ts';

function startServer() {
  const hits: Array<{ method: string; path: string; body: string; headers: Headers }> = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    hits.push({ method: req.method, path: url.pathname + url.search, body: await req.text(), headers: req.headers });
    if (url.pathname === '/slow') await new Promise((r) => setTimeout(r, 1500));
    if (url.pathname === '/fail') return new Response('boom', { status: 503 });
    return Response.json({ ok: true, path: url.pathname });
  });
  return { hits, server, base: `http://127.0.0.1:${server.addr.port}` };
}

async function response(sql: ReturnType<typeof sqlFor>, id: number) {
  return await waitFor(async () => {
    const rows = await sql`select status_code, content_type, content, timed_out, error_msg, headers
                           from net._http_response where id = ${id}`;
    return rows[0];
  });
}

stackTest('pg_net: http_post sends JSON after commit and stores the response', async (env) => {
  const { hits, server, base } = startServer();
  const sql = sqlFor(env);
  try {
    let id = 0;
    await sql.begin(async (tx) => {
      const [r] = await tx`select net.http_post(${base + '/hook'}, '{"hello":"world"}'::jsonb,
        headers := '{"Content-Type":"application/json","X-Test":"1"}'::jsonb, timeout_milliseconds := 5000) as id`;
      id = Number(r.id);
      // A condition, not a sleep: a request committed after ours (a higher id, from another session) is
      // delivered — the worker has drained the queue past our id — while ours, not yet committed, stays.
      const [{ id: sentinel }] = await sql`select net.http_get(${base + '/sentinel'}) as id`;
      await response(sql, Number(sentinel));
      assert.deepEqual(hits.map((h) => h.path), ['/sentinel'], 'no request before commit');
    });
    const row = await response(sql, id);
    assert.equal(row.status_code, 200);
    assert.equal(row.timed_out, false);
    assert.equal(row.error_msg, null);
    assert.deepEqual(JSON.parse(row.content), { ok: true, path: '/hook' });
    assert.deepEqual(hits.map((h) => h.path), ['/sentinel', '/hook']);
    assert.equal(hits[1].method, 'POST');
    assert.deepEqual(JSON.parse(hits[1].body), { hello: 'world' });
    assert.equal(hits[1].headers.get('x-test'), '1');
  } finally {
    await sql.end();
    await server.shutdown();
  }
});

stackTest('pg_net: a rolled-back request is never sent', async (env) => {
  const { hits, server, base } = startServer();
  const sql = sqlFor(env);
  try {
    await sql.begin(async (tx) => {
      await tx`select net.http_post(${base + '/rolled-back'})`;
      throw new Error('rollback');
    }).catch(() => {});
    const [{ id }] = await sql`select net.http_get(${base + '/after'}) as id`;
    await response(sql, Number(id));
    assert.deepEqual(hits.map((h) => h.path), ['/after']);
  } finally {
    await sql.end();
    await server.shutdown();
  }
});

stackTest('pg_net: http_get with params, 5xx stored as a normal row, timeout and connection errors', async (env) => {
  const { server, base } = startServer();
  const sql = sqlFor(env);
  try {
    const [{ id: getId }] = await sql`select net.http_get(${base + '/q'}, params := '{"a":"1 2"}'::jsonb) as id`;
    const got = await response(sql, Number(getId));
    assert.equal(got.status_code, 200);
    assert.equal(JSON.parse(got.content).path, '/q');

    const [{ id: failId }] = await sql`select net.http_post(${base + '/fail'}) as id`;
    const failed = await response(sql, Number(failId));
    assert.equal(failed.status_code, 503);
    assert.equal(failed.content, 'boom');
    assert.equal(failed.timed_out, false);

    const [{ id: slowId }] = await sql`select net.http_post(${base + '/slow'}, timeout_milliseconds := 200) as id`;
    const slow = await response(sql, Number(slowId));
    assert.equal(slow.timed_out, true);
    assert.equal(slow.status_code, null);
    assert.match(slow.error_msg, /^Timeout of 200 ms reached/);

    const [{ id: downId }] = await sql`select net.http_get('http://127.0.0.1:1/nothing-here', timeout_milliseconds := 2000) as id`;
    const down = await response(sql, Number(downId));
    assert.equal(down.status_code, null);
    assert.ok(down.error_msg, 'a transport error is recorded');
  } finally {
    await sql.end();
    await server.shutdown();
  }
});

stackTest('pg_net: signatures and defaults match pg_net (timeout 5000 ms, JSON content type enforced)', async (env) => {
  const sql = sqlFor(env);
  try {
    const [{ def }] = await sql`select pg_get_function_arguments('net.http_post(text,jsonb,jsonb,jsonb,integer)'::regprocedure) as def`;
    assert.match(def, /timeout_milliseconds integer DEFAULT 5000/);
    assert.match(def, /headers jsonb DEFAULT '\{"Content-Type": "application\/json"\}'::jsonb/);
    await assert.rejects(
      sql`select net.http_post('http://127.0.0.1:1', headers := '{"Content-Type":"text/plain"}'::jsonb)`,
      /Content-Type header must be "application\/json"/,
    );
  } finally {
    await sql.end();
  }
});

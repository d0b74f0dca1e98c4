import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { FakeClock } from './clock.ts';
import { parseRetryAfter } from './classify.ts';
import { HttpClient, type HttpClientOptions } from './client.ts';
import { RateLimiter } from './limiter.ts';

type Handler = (req: Request) => Response | Promise<Response>;

function setup(handler: Handler, extra: Partial<HttpClientOptions> = {}) {
  const clock = new FakeClock();
  const limiter = new RateLimiter({ clock });
  const calls: Request[] = [];
  const fetchFn = ((input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    calls.push(req);
    return Promise.resolve(handler(req));
  }) as typeof fetch;
  const client = new HttpClient({
    provider: 'test',
    baseUrl: 'https://api.example.com/Api/v3',
    authUrl: 'https://auth.example.com/realm',
    fetch: fetchFn,
    clock,
    limiter,
    random: () => 0.5,
    ...extra,
  });
  return { client, clock, limiter, calls };
}

async function rejects(p: Promise<unknown>, check: (e: AppError) => void) {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError, got ${e}`);
    check(e);
    return;
  }
  assert.fail('expected rejection');
}

Deno.test('parseRetryAfter: seconds and HTTP date', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now), 5000);
  assert.equal(parseRetryAfter('garbage', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

Deno.test('joins base path and query, arrays as repeated keys', async () => {
  const { client, calls } = setup(() => Response.json({ data: [] }));
  await client.getJson('/produtos', { pagina: 2, 'idsProdutos[]': [1, 2], skip: undefined });
  const u = new URL(calls[0].url);
  assert.equal(u.pathname, '/Api/v3/produtos');
  assert.equal(u.search, '?pagina=2&idsProdutos%5B%5D=1&idsProdutos%5B%5D=2');
});

Deno.test('429 with Retry-After (seconds) is honoured, then succeeds', async () => {
  let n = 0;
  const { client, clock } = setup(
    () =>
      ++n === 1
        ? new Response('{}', { status: 429, headers: { 'retry-after': '7' } })
        : Response.json({ ok: 1 }),
    { limits: [{ key: 'test:acc', policy: { windows: [{ limit: 3, intervalMs: 1000 }] } }] },
  );
  const t0 = clock.now();
  const res = await client.request({ path: '/x' });
  assert.equal(res.status, 200);
  assert.equal(n, 2);
  assert.ok(clock.now() - t0 >= 7000, 'waited at least Retry-After');
});

Deno.test('429 with HTTP-date Retry-After beyond the max is thrown with retryAfterMs', async () => {
  const { client, clock, limiter } = setup(
    () =>
      new Response('{}', {
        status: 429,
        headers: { 'retry-after': new Date(clock.now() + 3_600_000).toUTCString() },
      }),
    { limits: [{ key: 'test:acc', policy: {} }] },
  );
  await rejects(client.request({ path: '/x' }), (e) => {
    assert.equal(e.kind, 'rate_limited');
    assert.ok(e.retryAfterMs! >= 3_599_000);
  });
  assert.ok(limiter.blockedUntil('test:acc') > clock.now());
});

Deno.test('5xx retried with bounded attempts then transient', async () => {
  let n = 0;
  const { client } = setup(() => {
    n++;
    return new Response('oops', { status: 503 });
  }, { retry: { maxAttempts: 3 } });
  await rejects(client.request({ path: '/x' }), (e) => {
    assert.equal(e.kind, 'transient');
    assert.equal(e.code, 'HTTP_503');
  });
  assert.equal(n, 3);
});

Deno.test('non-idempotent POST is not retried', async () => {
  let n = 0;
  const { client } = setup(() => {
    n++;
    return new Response('oops', { status: 500 });
  });
  await rejects(
    client.request({ method: 'POST', path: '/x', json: {} }),
    (e) => assert.equal(e.kind, 'transient'),
  );
  assert.equal(n, 1);
});

Deno.test('401 → auth, 404 → data, not retried', async () => {
  const { client, calls } = setup((req) => new Response('', { status: req.url.endsWith('/a') ? 401 : 404 }));
  await rejects(client.request({ path: '/a' }), (e) => assert.equal(e.kind, 'auth'));
  await rejects(client.request({ path: '/b' }), (e) => assert.equal(e.kind, 'data'));
  assert.equal(calls.length, 2);
});

Deno.test('onUnauthorized refresh retries once', async () => {
  let token = 'old-token-123';
  const { client } = setup(
    (req) =>
      req.headers.get('authorization') === 'Bearer new-token-456'
        ? Response.json({ ok: 1 })
        : new Response('', { status: 401 }),
    {
      auth: {
        apply: ({ headers }) => {
          headers.set('authorization', `Bearer ${token}`);
          return Promise.resolve();
        },
        onUnauthorized: () => {
          token = 'new-token-456';
          return Promise.resolve(true);
        },
      },
    },
  );
  const res = await client.request({ path: '/x' });
  assert.equal(res.status, 200);
});

Deno.test('provider inspector: HTTP 200 body signals rate limit, then ok', async () => {
  let n = 0;
  const { client, clock } = setup(
    () =>
      Response.json(
        ++n === 1 ? { retorno: { status: 'Erro', codigo_erro: '6' } } : { retorno: { status: 'OK' } },
      ),
    {
      inspect: (r) => {
        const body = r.json() as { retorno?: { status?: string; codigo_erro?: string } } | undefined;
        if (body?.retorno?.status === 'Erro' && body.retorno.codigo_erro === '6') {
          return { signal: 'rate_limited', code: 'API_BLOCKED', retryAfterMs: 30_000 };
        }
        return undefined;
      },
    },
  );
  const t0 = clock.now();
  const res = await client.request({ path: '/x' });
  assert.equal(res.status, 200);
  assert.ok(clock.now() - t0 >= 30_000);
});

Deno.test('inspector ok overrides HTTP 500', async () => {
  const { client } = setup(() => Response.json({ faultcode: 'SOAP-ENV:Client-5113' }, { status: 500 }), {
    inspect: (r) => ((r.json() as any)?.faultcode?.endsWith('5113') ? { signal: 'ok' } : undefined),
  });
  assert.equal((await client.request({ path: '/x' })).status, 500);
});

Deno.test('refuses other origins, allows authUrl origin', async () => {
  const { client, calls } = setup(() => Response.json({}));
  await rejects(
    client.request({ url: 'https://evil.example.net/steal' }),
    (e) => assert.equal(e.kind, 'config'),
  );
  await client.request({ url: 'https://auth.example.com/other' });
  await client.request({ base: 'auth', path: '/token', method: 'POST', form: { a: 'b' } });
  assert.equal(new URL(calls[1].url).pathname, '/realm/token');
  assert.equal(calls.length, 2);
  assert.throws(() => new HttpClient({ provider: 'x', baseUrl: 'ftp://nope' }), AppError);
});

Deno.test('timeout → transient TIMEOUT, message without query-string token', async () => {
  const { client } = setup(
    (req) =>
      new Promise<Response>((_, reject) =>
        req.signal.addEventListener('abort', () => reject(req.signal.reason))
      ),
    { timeoutMs: 5, retry: { maxAttempts: 2 } },
  );
  await rejects(client.request({ path: '/x', query: { token: 'super-secret-token-value' } }), (e) => {
    assert.equal(e.code, 'TIMEOUT');
    assert.ok(!e.message.includes('super-secret'));
  });
});

Deno.test('network error message does not leak the URL', async () => {
  const { client } = setup(() => {
    throw new TypeError('error sending request for url (https://api.example.com/x?token=abcdef123456)');
  }, { retry: { maxAttempts: 1 } });
  await rejects(client.request({ path: '/x', query: { token: 'abcdef123456' } }), (e) => {
    assert.equal(e.code, 'NETWORK');
    assert.ok(!e.message.includes('abcdef123456'));
  });
});

Deno.test('caller abort is not retried', async () => {
  const ac = new AbortController();
  let n = 0;
  const { client } = setup((req) => {
    n++;
    return new Promise<Response>((_, reject) => {
      req.signal.addEventListener('abort', () => reject(req.signal.reason));
      ac.abort();
    });
  }, { signal: ac.signal });
  await rejects(client.request({ path: '/x' }), (e) => assert.equal(e.code, 'ABORTED'));
  assert.equal(n, 1);
});

Deno.test('limiter: multiple windows spread requests over virtual time', async () => {
  const clock = new FakeClock(0);
  const limiter = new RateLimiter({ clock, maxWaitMs: 3_600_000 });
  const spec = {
    key: 'ca:1',
    policy: { windows: [{ limit: 10, intervalMs: 1000 }, { limit: 20, intervalMs: 60_000 }] },
  };
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    const lease = await limiter.acquire([spec]);
    times.push(clock.now());
    lease.release();
  }
  assert.equal(times[9], 0, 'burst of 10 at once');
  assert.ok(times[10] >= 1000, '11th waits for the per-second window');
  assert.ok(times[20] >= 60_000, '21st waits for the per-minute window');
  for (const [limit, interval] of [[10, 1000], [20, 60_000]]) {
    for (const t of times) {
      const inWindow = times.filter((x) => x > t - interval && x <= t).length;
      assert.ok(inWindow <= limit, `at most ${limit} per ${interval} ms`);
    }
  }
});

Deno.test('limiter: a full window frees a slot an interval after the oldest answer, not the oldest send', async () => {
  // Three requests leave at 0 and are answered at 300: the server may have counted all three at 299, so a
  // fourth sent at 1000 could be its fourth in one second. Counting from the answers it leaves at 1300.
  const clock = new FakeClock(0);
  const limiter = new RateLimiter({ clock });
  const spec = { key: 'bling:1', policy: { windows: [{ limit: 3, intervalMs: 1000 }] } };
  const leases = [await limiter.acquire([spec]), await limiter.acquire([spec]), await limiter.acquire([spec])];
  assert.equal(clock.now(), 0);
  clock.advance(300);
  for (const l of leases) l.release();
  (await limiter.acquire([spec])).release();
  assert.equal(clock.now(), 1300);
});

Deno.test('limiter: a window full of unanswered requests waits for an answer', async () => {
  const clock = new FakeClock(0);
  const limiter = new RateLimiter({ clock });
  const spec = { key: 'bling:1', policy: { windows: [{ limit: 2, intervalMs: 1000 }] } };
  const first = await limiter.acquire([spec]);
  const second = await limiter.acquire([spec]);
  let third: number | null = null;
  const waiting = limiter.acquire([spec]).then((l) => {
    third = clock.now();
    l.release();
  });
  await clock.sleep(5000); // the first two are still in flight five seconds later
  assert.equal(third, null);
  first.release(4000); // answered at 4000 (its head arrived then; the body was read until now)
  await waiting;
  assert.equal(third, 5000, 'its slot left the window at 5000');
  second.release();
});

Deno.test('client: however the network delays requests, the server never counts more than the window allows', async () => {
  // Requests reach the server 0–400 ms after they leave and are answered 0–400 ms later; the server counts
  // arrivals in a sliding second (as Bling does). Three workers share one account (Bling's detail fetches).
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const arrivals: number[] = [];
  const server: { clock?: FakeClock } = {}; // the client's own clock, once setup made it
  const { client, clock } = setup(() => Response.json({}), {
    limits: [{ key: 'bling:1', policy: { windows: [{ limit: 3, intervalMs: 1000 }] } }],
    fetch: (async () => {
      await server.clock!.sleep(Math.floor(random() * 400));
      arrivals.push(server.clock!.now());
      await server.clock!.sleep(Math.floor(random() * 400));
      return Response.json({});
    }) as typeof fetch,
  });
  server.clock = clock;
  await Promise.all(Array.from({ length: 3 }, async () => {
    for (let i = 0; i < 20; i++) await client.request({ path: '/x' });
  }));
  assert.equal(arrivals.length, 60);
  const worst = Math.max(...arrivals.map((t) => arrivals.filter((x) => x > t - 1000 && x <= t).length));
  assert.equal(worst, 3);
});

Deno.test('limiter: concurrency cap per key', async () => {
  const clock = new FakeClock(0);
  const limiter = new RateLimiter({ clock });
  const spec = { key: 'omie:1:ListarNF', policy: { maxConcurrent: 4 } };
  let peak = 0;
  await Promise.all(Array.from({ length: 12 }, async () => {
    const lease = await limiter.acquire([spec]);
    peak = Math.max(peak, limiter.active(spec.key));
    await new Promise((r) => setTimeout(r, 1));
    lease.release();
  }));
  assert.equal(peak, 4);
  assert.equal(limiter.active(spec.key), 0);
});

Deno.test('limiter: daily cap exhausted → rate_limited instead of a long sleep', async () => {
  const clock = new FakeClock(0);
  const limiter = new RateLimiter({ clock });
  const spec = { key: 'bling:1', policy: { windows: [{ limit: 2, intervalMs: 86_400_000 }] } };
  (await limiter.acquire([spec])).release();
  (await limiter.acquire([spec])).release();
  await rejects(limiter.acquire([spec]), (e) => {
    assert.equal(e.kind, 'rate_limited');
    assert.ok(e.retryAfterMs! > 60_000);
  });
});

Deno.test('caller abort while waiting for the limiter → AppError ABORTED', async () => {
  const ac = new AbortController();
  const { client } = setup(() => Response.json({}), {
    signal: ac.signal,
    limits: [{ key: 'test:slow', policy: { windows: [{ limit: 1, intervalMs: 10_000 }] } }],
  });
  await client.request({ path: '/x' });
  const p = client.request({ path: '/x' });
  ac.abort();
  await rejects(p, (e) => assert.equal(e.code, 'ABORTED'));
});

// --- issue #13 item 10: bounded reads ----------------------------------------------------------------------

/** A body of `total` bytes made on demand (never held in memory); counts what the reader pulled. */
/** gzip of `total` bytes of spaces (a gzip bomb: ~1000:1). */
async function gzipOf(total: number): Promise<Uint8Array> {
  const gz = endless(total).stream.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

function endless(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
  return { stream, sent: () => sent };
}

Deno.test('a 100 MB answer is one data error RESPONSE_TOO_LARGE, read no further than the cap', async () => {
  const body = endless(100 * 1024 * 1024);
  const { client, calls } = setup(() => new Response(body.stream, { headers: { 'content-type': 'application/json' } }), {
    maxResponseBytes: 1024 * 1024,
  });
  await rejects(client.getJson('/nfe'), (e) => {
    assert.equal(e.kind, 'data');
    assert.equal(e.code, 'RESPONSE_TOO_LARGE');
  });
  assert.equal(calls.length, 1, 'not retried');
  assert.ok(body.sent() <= 1024 * 1024 + 2 * 64 * 1024, `read ${body.sent()} bytes`);
});

Deno.test('a declared Content-Length over the cap fails before reading', async () => {
  const body = endless(10 * 1024 * 1024);
  const { client } = setup(() => new Response(body.stream, { headers: { 'content-length': String(10 * 1024 * 1024) } }), {
    maxResponseBytes: 1024 * 1024,
  });
  await rejects(client.request({ path: '/x' }), (e) => assert.equal(e.code, 'RESPONSE_TOO_LARGE'));
  assert.ok(body.sent() <= 2 * 64 * 1024, `read ${body.sent()} bytes`);
});

Deno.test('a gzip bomb (Content-Encoding: gzip over real HTTP) stops at the cap after inflation', async () => {
  // 64 MiB of zeros compress to ~64 KiB: fetch inflates transparently, the cap counts inflated bytes.
  const gz = await gzipOf(64 * 1024 * 1024);
  assert.ok(gz.byteLength < 1024 * 1024);
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, () =>
    new Response(gz as BodyInit, { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } }));
  try {
    const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const client = new HttpClient({ provider: 'test', baseUrl: base, maxResponseBytes: 4 * 1024 * 1024, retry: { maxAttempts: 1 } });
    await rejects(client.getJson('/bomb'), (e) => assert.equal(e.code, 'RESPONSE_TOO_LARGE'));
    const ok = new HttpClient({ provider: 'test', baseUrl: base, maxResponseBytes: 128 * 1024 * 1024, retry: { maxAttempts: 1 } });
    assert.equal((await ok.request({ path: '/bomb' })).text.length, 64 * 1024 * 1024, 'under the cap it is read whole');
  } finally {
    await server.shutdown();
  }
});

Deno.test('gunzipCapped: inflation stops at the cap', async () => {
  const { gunzipCapped, BodyTooLarge } = await import('./body.ts');
  const gz = await gzipOf(32 * 1024 * 1024);
  await assert.rejects(gunzipCapped(gz, 1024 * 1024), BodyTooLarge);
  assert.equal((await gunzipCapped(await gzipOf(64 * 1024), 64 * 1024)).byteLength, 64 * 1024, 'up to the cap it inflates');
});

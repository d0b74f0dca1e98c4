/** The kit's HTTP client factory: the ERP's data becomes the HttpClient's options and the OAuth wiring. */
import assert from 'node:assert/strict';
import { FakeClock, type LimitSpec, RateLimiter } from '../../http/mod.ts';
import type { AdapterContext } from '../contract.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import { createErpHttp, createErpOAuthHttp, type ErpOAuthSpec } from './http.ts';

class SpyLimiter extends RateLimiter {
  readonly keys: string[] = [];
  override acquire(specs: LimitSpec[], opts?: { signal?: AbortSignal; maxWaitMs?: number }) {
    this.keys.push(...specs.map((s) => s.key));
    return super.acquire(specs, opts);
  }
}

interface Seen {
  url: string;
  headers: Headers;
  body: string;
}

function recordingFetch(seen: Seen[], answer: (url: string) => Response): typeof fetch {
  return (input, init) => {
    const req = new Request(input, init);
    return req.text().then((body) => {
      seen.push({ url: req.url, headers: req.headers, body });
      return answer(req.url);
    });
  };
}

function ctxWith(overrides: Partial<AdapterContext>): AdapterContext {
  return {
    connectionId: 'conn-1',
    accountKey: 'acct-9',
    baseUrl: 'https://api.erp.example/v1',
    credentials: new MemoryCredentialStore(),
    ...overrides,
  };
}

Deno.test('erp http: limits keyed <erp>:<accountKey>, the ERP headers and inspector, deps.retry over the ERP default', async () => {
  const seen: Seen[] = [];
  const clock = new FakeClock();
  const limiter = new SpyLimiter({ clock });
  let inspectedAt: number | undefined;
  const { http } = createErpHttp(
    ctxWith({ fetch: recordingFetch(seen, () => new Response('{"fault":"busy"}', { status: 200 })) }),
    { clock, limiter, retry: { maxAttempts: 1 } },
    {
      provider: 'acme',
      erp: 'acme_v2',
      limits: { windows: [{ limit: 5, intervalMs: 1_000 }] },
      headers: { accept: 'application/json' },
      retry: { maxAttempts: 5 },
      inspect: (now) => () => {
        inspectedAt = now();
        return { signal: 'transient', code: 'ACME_BUSY' };
      },
    },
  );
  await assert.rejects(http.request({ path: '/things' }), (e: { code?: string }) => e.code === 'ACME_BUSY');
  assert.equal(seen.length, 1, "deps.retry's single attempt wins over the ERP's default of 5");
  assert.equal(seen[0].url, 'https://api.erp.example/v1/things');
  assert.equal(seen[0].headers.get('accept'), 'application/json');
  assert.deepEqual(limiter.keys, ['acme_v2:acct-9']);
  assert.equal(inspectedAt, clock.now(), 'the inspector reads the adapter clock');
});

Deno.test('erp http: without limits no account key is taken; the auth URL is not an allowed origin', async () => {
  const seen: Seen[] = [];
  const limiter = new SpyLimiter();
  const { http } = createErpHttp(
    ctxWith({ authUrl: 'https://auth.erp.example', fetch: recordingFetch(seen, () => new Response('{}')) }),
    { limiter },
    { provider: 'acme', erp: 'acme', inspect: () => () => undefined },
  );
  await http.request({ path: '/x' });
  assert.deepEqual(limiter.keys, []);
  assert.equal(http.isAllowed('https://auth.erp.example/token'), false);
});

const OAUTH_SPEC: ErpOAuthSpec = {
  provider: 'acme',
  erp: 'acme',
  inspect: () => () => undefined,
  defaultAuthUrl: 'https://auth.erp.example/realm',
  tokenPath: '/token',
  clientAuth: 'body',
};

function expiredTokens() {
  return new MemoryCredentialStore({
    access_token: 'old-access',
    refresh_token: 'old-refresh',
    expires_at: '2020-01-01T00:00:00Z',
  });
}

function oauthFetch(seen: Seen[]): typeof fetch {
  return recordingFetch(
    seen,
    (url) =>
      url.endsWith('/token')
        ? Response.json({ access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 3600 })
        : Response.json({ ok: true }),
  );
}

Deno.test('erp oauth http: refreshes on the default auth URL with the ERP client auth, then sends the Bearer token', async () => {
  const seen: Seen[] = [];
  const store = expiredTokens();
  const { http, tokens } = createErpOAuthHttp(
    ctxWith({
      credentials: store,
      fetch: oauthFetch(seen),
      oauthClient: { clientId: 'id', clientSecret: 's3' },
    }),
    { clock: new FakeClock(), oauthInflight: new Map() },
    OAUTH_SPEC,
  );
  await http.request({ path: '/things' });
  assert.deepEqual(seen.map((s) => s.url), [
    'https://auth.erp.example/realm/token',
    'https://api.erp.example/v1/things',
  ]);
  const form = new URLSearchParams(seen[0].body);
  assert.equal(form.get('client_id'), 'id', "'body' client auth puts the client in the form");
  assert.equal(seen[0].headers.get('authorization'), null, 'no Bearer (nor Basic) on the token request');
  assert.equal(seen[1].headers.get('authorization'), 'Bearer new-access');
  assert.equal((await store.load()).refresh_token, 'new-refresh', 'the rotated pair is persisted');
  assert.equal(tokens.refreshCalls, 1);
});

Deno.test("erp oauth http: the connection's auth URL wins over the ERP default; Basic client auth", async () => {
  const seen: Seen[] = [];
  const { http } = createErpOAuthHttp(
    ctxWith({
      authUrl: 'https://other-auth.example',
      credentials: expiredTokens(),
      fetch: oauthFetch(seen),
      oauthClient: { clientId: 'id', clientSecret: 's3' },
    }),
    { clock: new FakeClock(), oauthInflight: new Map() },
    { ...OAUTH_SPEC, clientAuth: 'basic' },
  );
  await http.request({ path: '/things' });
  assert.equal(seen[0].url, 'https://other-auth.example/token');
  assert.equal(seen[0].headers.get('authorization'), `Basic ${btoa('id:s3')}`);
  assert.equal(http.isAllowed('https://auth.erp.example/realm/token'), false);
});

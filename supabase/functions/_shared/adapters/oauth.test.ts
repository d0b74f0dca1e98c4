import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { FakeClock, HttpClient, RateLimiter } from '../http/mod.ts';
import { OAuthTokenManager, readOAuthCredentials } from './oauth.ts';
import { MemoryCredentialStore } from './testing/memory-store.ts';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

interface TokenCall {
  auth: string | null;
  form: URLSearchParams;
}

function setup(opts: {
  expiresInMs?: number;
  respond?: (call: TokenCall, n: number) => Response;
  clientAuth?: 'basic' | 'body';
  events?: string[];
} = {}) {
  const clock = new FakeClock(T0);
  const calls: TokenCall[] = [];
  const events = opts.events ?? [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const u = new URL(req.url);
    if (u.pathname.endsWith('/oauth/token')) {
      const call = { auth: req.headers.get('authorization'), form: new URLSearchParams(await req.text()) };
      calls.push(call);
      events.push('token');
      const n = calls.length;
      return opts.respond?.(call, n) ??
        Response.json({
          access_token: `access-${n}-xxxxxx`,
          refresh_token: `refresh-${n}-xxxxxx`,
          expires_in: 21600,
        });
    }
    events.push(`api:${req.headers.get('authorization')}`);
    return Response.json({ ok: true });
  }) as typeof fetch;
  const store = new MemoryCredentialStore({
    access_token: 'access-0-xxxxxx',
    refresh_token: 'refresh-0-xxxxxx',
    expires_at: new Date(T0 + (opts.expiresInMs ?? 3_600_000)).toISOString(),
    extra: 'kept',
  });
  const origSave = store.save.bind(store);
  store.save = (c) => {
    events.push('save');
    return origSave(c);
  };
  const http = new HttpClient({
    provider: 'test',
    baseUrl: 'https://api.example.com/v3',
    authUrl: 'https://auth.example.com',
    fetch: fetchFn,
    clock,
    limiter: new RateLimiter({ clock }),
  });
  const make = (inflight = new Map<string, Promise<unknown>>()) =>
    new OAuthTokenManager({
      provider: 'test',
      connectionId: 'c1',
      http,
      tokenPath: '/oauth/token',
      client: { clientId: 'client-id', clientSecret: 'client-secret-value' },
      clientAuth: opts.clientAuth,
      store,
      clock,
      inflight,
    });
  return { clock, calls, store, http, make, events, fetchFn };
}

Deno.test('oauth: a fresh stored token is used without calling the token endpoint', async () => {
  const { make, calls } = setup();
  assert.equal(await make().getAccessToken(), 'access-0-xxxxxx');
  assert.equal(calls.length, 0);
});

Deno.test('oauth: refresh ahead of expiry with Basic client auth; pair persisted before use', async () => {
  const events: string[] = [];
  const { make, calls, store, fetchFn, events: ev } = setup({ expiresInMs: 60_000, events });
  const m = make();
  const token = await m.getAccessToken();
  assert.equal(token, 'access-1-xxxxxx');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].auth, `Basic ${btoa('client-id:client-secret-value')}`);
  assert.equal(calls[0].form.get('grant_type'), 'refresh_token');
  assert.equal(calls[0].form.get('refresh_token'), 'refresh-0-xxxxxx');
  assert.equal(calls[0].form.get('client_secret'), null, 'client secret never in the body with Basic');
  const saved = readOAuthCredentials(store.current)!;
  assert.equal(saved.refreshToken, 'refresh-1-xxxxxx');
  assert.equal(saved.expiresAt, T0 + 21_600_000);
  assert.equal(store.current.extra, 'kept', 'unrelated credential fields survive');
  // Use through the AuthProvider: the save happened before any API call carried the new token.
  const withAuth = new HttpClient({
    provider: 'test',
    baseUrl: 'https://api.example.com/v3',
    fetch: fetchFn,
    auth: m.authProvider(),
  });
  await withAuth.request({ path: '/nfe' });
  assert.deepEqual(ev, ['token', 'save', 'api:Bearer access-1-xxxxxx']);
});

Deno.test('oauth: body client auth (Keycloak style)', async () => {
  const { make, calls } = setup({ expiresInMs: 0, clientAuth: 'body' });
  await make().getAccessToken();
  assert.equal(calls[0].auth, null);
  assert.equal(calls[0].form.get('client_id'), 'client-id');
  assert.equal(calls[0].form.get('client_secret'), 'client-secret-value');
});

Deno.test('oauth: concurrent callers in one process share one refresh', async () => {
  const { make, calls, store } = setup({ expiresInMs: 0 });
  const m = make();
  const tokens = await Promise.all(Array.from({ length: 5 }, () => m.getAccessToken()));
  assert.deepEqual(new Set(tokens), new Set(['access-1-xxxxxx']));
  assert.equal(calls.length, 1);
  assert.equal(store.saves, 1);
});

Deno.test('oauth: another process refreshed first → its tokens are used (re-load inside the lock)', async () => {
  const { make, calls } = setup({ expiresInMs: 0 });
  const a = make(new Map());
  const b = make(new Map());
  const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
  assert.equal(ta, tb);
  assert.equal(calls.length, 1);
  // After a 401 with the token someone else already replaced, no second refresh either.
  assert.equal(await b.forceRefresh('access-0-xxxxxx'), 'access-1-xxxxxx');
  assert.equal(calls.length, 1);
  // A 401 on the current token does refresh.
  assert.equal(await b.forceRefresh('access-1-xxxxxx'), 'access-2-xxxxxx');
  assert.equal(calls.length, 2);
});

Deno.test('oauth: non-rotating answer keeps the old refresh token; refresh_expires_in recorded', async () => {
  const { make, store } = setup({
    expiresInMs: 0,
    respond: () =>
      Response.json({ access_token: 'access-nr-xxxxxx', expires_in: '14400', refresh_expires_in: 86400 }),
  });
  await make().getAccessToken();
  const saved = readOAuthCredentials(store.current)!;
  assert.equal(saved.refreshToken, 'refresh-0-xxxxxx');
  assert.equal(saved.refreshExpiresAt, T0 + 86_400_000);
});

Deno.test('oauth: invalid_grant → auth; invalid_client → config; messages carry no secrets', async () => {
  for (
    const [body, kind, code] of [
      [
        { error: 'invalid_grant', error_description: 'refresh token refresh-0-xxxxxx revoked' },
        'auth',
        'OAUTH_INVALID_GRANT',
      ],
      [
        { error: { type: 'invalid_grant', message: 'The refresh token is invalid' } },
        'auth',
        'OAUTH_INVALID_GRANT',
      ],
      [
        { error: 'invalid_client', error_description: 'The client credentials are invalid' },
        'config',
        'OAUTH_INVALID_CLIENT',
      ],
      [{ error: 'access_denied' }, 'auth', 'OAUTH_REFRESH_REJECTED'],
    ] as const
  ) {
    const { make, store } = setup({ expiresInMs: 0, respond: () => Response.json(body, { status: 400 }) });
    try {
      await make().getAccessToken();
      assert.fail('expected failure');
    } catch (e) {
      assert.ok(e instanceof AppError);
      assert.equal(e.kind, kind);
      assert.equal(e.code, code);
      for (const s of ['refresh-0-xxxxxx', 'access-0-xxxxxx', 'client-secret-value']) {
        assert.ok(!e.message.includes(s));
      }
    }
    assert.equal(store.saves, 0, 'nothing saved on failure');
  }
});

Deno.test('oauth: 5xx on the token endpoint is transient and not retried (the token may have rotated)', async () => {
  const { make, calls } = setup({ expiresInMs: 0, respond: () => new Response('down', { status: 503 }) });
  await assert.rejects(
    () => make().getAccessToken(),
    (e: unknown) => e instanceof AppError && e.kind === 'transient',
  );
  assert.equal(calls.length, 1);
});

Deno.test('oauth: when the new pair cannot be persisted, the new token is not used', async () => {
  const { make, store, events } = setup({ expiresInMs: 0 });
  const err = new Error('vault down');
  let fails = 3;
  const save = store.save.bind(store);
  store.save = (c) => (fails-- > 0 ? Promise.reject(err) : save(c));
  await assert.rejects(() => make().getAccessToken(), (e: unknown) => e === err);
  assert.ok(!events.some((e) => e.startsWith('api:')));
});

Deno.test('oauth: missing credentials → auth error', async () => {
  const { make, store } = setup();
  await store.save({});
  await assert.rejects(
    () => make().getAccessToken(),
    (e: unknown) => e instanceof AppError && e.code === 'OAUTH_NO_CREDENTIALS',
  );
});

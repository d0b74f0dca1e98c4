import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { ERP_TYPES } from './contract.ts';
import { createAdapter, DEFAULT_BASE_URLS, TINY_V3_URLS } from './registry.ts';
import { MemoryCredentialStore } from './testing/memory-store.ts';

Deno.test('registry: every ERP type builds its adapter; unknown types are a config error', () => {
  for (const erp of ERP_TYPES) {
    const a = createAdapter(erp, {
      connectionId: `c-${erp}`,
      accountKey: `a-${erp}`,
      ...DEFAULT_BASE_URLS[erp],
      credentials: new MemoryCredentialStore({}),
      oauthClient: { clientId: 'id', clientSecret: 'secret' },
    });
    assert.equal(a.erp, erp);
    assert.equal(typeof a.nfe, 'function');
    assert.equal(typeof a.profile, 'function');
  }
  assert.throws(
    () =>
      createAdapter('sap' as never, {
        connectionId: 'x',
        accountKey: 'x',
        baseUrl: 'https://x',
        credentials: new MemoryCredentialStore(),
      }),
    (e: unknown) => e instanceof AppError && e.kind === 'config',
  );
  assert.throws(
    () =>
      createAdapter('bling', {
        connectionId: 'x',
        accountKey: 'x',
        baseUrl: 'not a url',
        credentials: new MemoryCredentialStore(),
      }),
    (e: unknown) => e instanceof AppError && e.kind === 'config',
  );
});

Deno.test('registry: a Tiny connection picks its API by api_version; other values are a config error', async () => {
  const ctx = (urls: { baseUrl: string; authUrl?: string }) => ({
    connectionId: 'c-tiny',
    accountKey: 'a-tiny',
    ...urls,
    credentials: new MemoryCredentialStore({}),
    oauthClient: { clientId: 'id', clientSecret: 'secret' },
  });
  // Each adapter calls only its own API: profile() with empty credentials fails before any request, naming
  // what it lacks — v2 its static token, v3 its OAuth pair.
  const v2 = createAdapter('tiny', ctx(DEFAULT_BASE_URLS.tiny), undefined, null);
  const v2b = createAdapter('tiny', ctx(DEFAULT_BASE_URLS.tiny), undefined, 'v2');
  const v3 = createAdapter('tiny', ctx(TINY_V3_URLS), undefined, 'v3');
  for (const a of [v2, v2b, v3]) assert.equal(a.erp, 'tiny');
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e instanceof AppError ? e.code : String(e);
    }
    return 'resolved';
  };
  assert.equal(await codeOf(v3.profile()), 'OAUTH_NO_CREDENTIALS', 'v3 uses the OAuth pair');
  assert.equal(await codeOf(v2.profile()), 'TINY_TOKEN_MISSING', 'v2 uses the static token');
  assert.equal(await codeOf(v2b.profile()), 'TINY_TOKEN_MISSING');
  for (const [erp, version] of [['tiny', 'v4'], ['bling', 'v3'], ['omie', 'v2']] as const) {
    assert.throws(
      () => createAdapter(erp, ctx(DEFAULT_BASE_URLS[erp]), undefined, version),
      (e: unknown) => e instanceof AppError && e.kind === 'config' && e.code === 'UNKNOWN_API_VERSION',
      `${erp} ${version}`,
    );
  }
});

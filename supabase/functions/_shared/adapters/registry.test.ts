import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { ERP_TYPES } from './contract.ts';
import { createAdapter, DEFAULT_BASE_URLS } from './registry.ts';
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

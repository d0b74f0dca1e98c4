/**
 * The Conta Azul adapter against the Conta Azul simulator, in-process, on one FakeClock: ≤15-day NF-e windows,
 * resume, NCM from detail calls within 10/s, token refresh with rotation persisted before use, concurrent
 * refreshes, revoked grant → auth, 429 storms, malformed detail → one failed record, DRE lines, profile.
 */
import assert from 'node:assert/strict';
import { caUuid, createContaAzulSimulator } from '../../../../../dev/simulators/conta_azul/index.ts';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import type { AdapterContext, Checkpoint, Page } from '../contract.ts';
import { AppError } from '../../errors.ts';
import { type ContaAzulAdapterOptions, createContaAzulAdapter } from './index.ts';

const WINDOW = { from: '2025-11-01', to: '2026-01-14' };

function setup(provision = {}) {
  const clock = new FakeClock('2026-01-15T12:00:00Z');
  const sim = createContaAzulSimulator({ seed: 11, clock });
  const acc = sim.admin.provision({
    accountId: 'ca-t1',
    nfeCount: 60,
    productCount: 23,
    financialCount: 50,
    from: WINDOW.from,
    to: WINDOW.to,
    ...provision,
  });
  const store = new MemoryCredentialStore(acc.credentials);
  const requests: Request[] = [];
  const fetchFn = ((input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    requests.push(req);
    return sim.handler(req);
  }) as typeof fetch;
  const limiter = new RateLimiter({ clock });
  const ctx: AdapterContext = {
    connectionId: 'conn-ca-1',
    accountKey: 'ca-t1',
    baseUrl: 'http://ca.sim',
    authUrl: 'http://ca.sim',
    credentials: store,
    oauthClient: acc.oauthClient,
    fetch: fetchFn,
  };
  const opts: ContaAzulAdapterOptions = { clock, limiter, random: () => 0.5, oauthInflight: new Map() };
  return {
    clock,
    sim,
    acc,
    store,
    ctx,
    requests,
    make: (o: ContaAzulAdapterOptions = {}) => createContaAzulAdapter(ctx, { ...opts, ...o }),
  };
}

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

Deno.test('conta azul adapter: NF-e in ≤15-day windows, XML per key, to the end', async () => {
  const t = setup();
  const pages = await all(t.make({ pageSizes: { nfe: 5 } }).nfe(WINDOW, null));
  const docs = pages.flatMap((p) => p.records);
  assert.equal(pages.flatMap((p) => p.failed).length, 0);
  assert.ok(docs.length > 0);
  assert.ok(
    docs.every((d) => d.origin === 'issued' && d.accessKey === d.externalId && /<infNFe/.test(d.xml)),
  );
  assert.equal(new Set(docs.map((d) => d.externalId)).size, docs.length);
  const lists = t.requests.filter((r) => new URL(r.url).pathname === '/v1/notas-fiscais').map((r) =>
    new URL(r.url)
  );
  for (const u of lists) {
    const days =
      (Date.parse(u.searchParams.get('data_final')!) - Date.parse(u.searchParams.get('data_inicial')!)) /
        86_400_000 + 1;
    assert.ok(days <= 15, `window of ${days} days`);
  }
  assert.equal(pages.at(-1)!.checkpoint.phase, 'done');
  assert.equal(t.sim.admin.stats().rateLimited, 0, 'the limiter kept us under 10/s');
});

Deno.test('conta azul adapter: resume mid-window continues without repeats', async () => {
  const t = setup();
  const full = (await all(t.make({ pageSizes: { nfe: 4 } }).nfe(WINDOW, null))).flatMap((p) => p.records);
  const seen: string[] = [];
  let cp: Checkpoint | null = null;
  for await (const p of t.make({ pageSizes: { nfe: 4 } }).nfe(WINDOW, null)) {
    seen.push(...p.records.map((r) => r.externalId));
    cp = p.checkpoint;
    if (seen.length >= 6) break;
  }
  const rest = (await all(t.make({ pageSizes: { nfe: 4 } }).nfe(WINDOW, cp))).flatMap((p) => p.records);
  assert.deepEqual([...seen, ...rest.map((r) => r.externalId)], full.map((r) => r.externalId));
});

Deno.test('conta azul adapter: products get NCM from the detail call; malformed detail fails alone', async () => {
  const t = setup();
  const pages = await all(t.make({ pageSizes: { products: 10 } }).products(null));
  const prods = pages.flatMap((p) => p.records);
  assert.equal(prods.length, 23);
  assert.equal(pages.length, 3);
  assert.ok(prods.every((p) => p.ncm !== null && /^\d{8}$/.test(p.ncm)));
  const details = t.requests.filter((r) => /^\/v1\/produtos\/[0-9a-f-]{36}$/.test(new URL(r.url).pathname));
  assert.equal(details.length, 23);
  const victim = t.sim.admin.data!('ca-t1').products[4];
  t.sim.admin.setKnobs({ malformedIds: [String(victim.id)] });
  const again = await all(t.make({ pageSizes: { products: 10 } }).products(null));
  assert.equal(again.flatMap((p) => p.records).length, 22);
  const failed = again.flatMap((p) => p.failed);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].externalId, caUuid(11, 'produto', victim.id));
  assert.equal(failed[0].error.kind, 'data');
});

Deno.test('conta azul adapter: expired access token → refresh with rotation, persisted before use', async () => {
  const t = setup();
  const before = t.store.current;
  t.clock.advance(3600_000 + 1); // the 1 h access token is gone
  const p = await t.make().profile();
  assert.equal(p.cnpj, t.acc.company.cnpj);
  assert.equal(t.store.saves, 1);
  const after = t.store.current;
  assert.notEqual(after.refresh_token, before.refresh_token, 'refresh token rotated');
  assert.notEqual(after.access_token, before.access_token);
  const apiCall = t.requests.find((r) => r.url.endsWith('/v1/pessoas/conta-conectada'))!;
  assert.equal(apiCall.headers.get('authorization'), `Bearer ${after.access_token}`);
  const tokenCall = t.requests.find((r) => r.url.endsWith('/oauth2/token'))!;
  assert.match(tokenCall.headers.get('authorization')!, /^Basic /);
  // the old refresh token is dead now
  const old = await t.sim.handler(
    new Request('http://ca.sim/oauth2/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${t.acc.oauthClient!.clientId}:${t.acc.oauthClient!.clientSecret}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(before.refresh_token) }),
    }),
  );
  assert.equal(old.status, 400);
  assert.equal((await old.json()).error_subtype, 'invalid_refresh_token');
});

Deno.test('conta azul adapter: two processes refreshing at once → one refresh, nobody loses the grant', async () => {
  const t = setup();
  t.sim.admin.expireTokens('ca-t1');
  // Two "processes": separate in-process single-flight maps, one shared store (Vault) with its lock.
  const a = t.make({ oauthInflight: new Map() });
  const b = t.make({ oauthInflight: new Map() });
  const [pa, pb] = await Promise.all([a.profile(), b.profile()]);
  assert.equal(pa.cnpj, pb.cnpj);
  assert.equal(t.requests.filter((r) => r.url.endsWith('/oauth2/token')).length, 1);
  assert.equal(t.store.saves, 1);
});

Deno.test('conta azul adapter: revoked grant → auth error; 429 storm retried', async () => {
  const t = setup();
  t.sim.admin.setKnobs({ rateLimitRate: 0.25, retryAfterSeconds: 1 });
  const prods = (await all(t.make({ pageSizes: { products: 10 } }).products(null))).flatMap((p) => p.records);
  assert.equal(prods.length, 23);
  assert.ok(t.sim.admin.stats().rateLimited > 0);
  t.sim.admin.setKnobs({ rateLimitRate: 0 });
  t.sim.admin.revoke('ca-t1');
  await assert.rejects(t.make().profile(), (e: unknown) => e instanceof AppError && e.kind === 'auth');
  const s = JSON.stringify(t.store.current);
  assert.ok(s.includes('refresh_token'), 'stored credentials kept for the user to reconnect');
});

Deno.test('conta azul adapter: financials by competence with entrada_dre / tree / fallback', async () => {
  const t = setup();
  const pages = await all(t.make({ pageSizes: { financials: 15 } }).financials(WINDOW, null));
  const entries = pages.flatMap((p) => p.records);
  assert.equal(pages.flatMap((p) => p.failed).length, 0);
  assert.ok(entries.length > 0);
  assert.ok(entries.every((e) => e.date >= WINDOW.from && e.date <= WINDOW.to));
  assert.ok(entries.some((e) => e.kind === 'payable') && entries.some((e) => e.kind === 'receivable'));
  assert.ok(entries.some((e) => e.dreRule.startsWith('conta_azul:entrada_dre=')));
  for (const e of entries) {
    if (e.categoryName === 'Vendas de mercadorias') assert.equal(e.dreLine, 'receita_bruta');
    if (e.categoryName === 'Fretes sobre compras') {
      assert.equal(e.dreRule, 'conta_azul:categorias-dre=custos operacionais');
    }
    if (e.categoryName === 'IRPJ') assert.equal(e.dreLine, 'impostos_sobre_lucro');
  }
  const search = t.requests.find((r) => r.url.includes('/contas-a-receber/buscar'))!;
  const u = new URL(search.url);
  assert.equal(u.searchParams.get('data_competencia_de'), WINDOW.from);
  assert.ok(u.searchParams.get('data_vencimento_de')! < WINDOW.from);
});

Deno.test('conta azul adapter: profile declares regime/CRT/CNAE unavailable', async () => {
  const t = setup();
  const p = await t.make().profile();
  assert.equal(p.cnpj, t.acc.company.cnpj);
  assert.equal(p.legalName, t.acc.company.legalName);
  assert.equal(p.taxRegime, 'unknown');
  assert.deepEqual(p.unavailable, ['taxRegime', 'crt', 'cnae', 'uf', 'city']);
});

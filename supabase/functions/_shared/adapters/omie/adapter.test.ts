/**
 * The Omie adapter against the Omie simulator, in-process (the simulator's handler is the adapter's fetch),
 * on one FakeClock: paging to the end, resume, the 5113 end-of-data fault, redundant-call waits, 429 storms,
 * revoked keys, malformed records, the DRE mapping and the profile.
 */
import assert from 'node:assert/strict';
import { createOmieSimulator } from '../../../../../dev/simulators/omie/index.ts';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import type { AdapterContext, Checkpoint, Page } from '../contract.ts';
import { AppError } from '../../errors.ts';
import { createOmieAdapter, type OmieAdapterOptions } from './index.ts';

const WINDOW = { from: '2025-10-01', to: '2026-01-14' };

function setup(simOpts: Parameters<typeof createOmieSimulator>[0] = {}, provision = {}) {
  const clock = new FakeClock('2026-01-15T12:00:00Z');
  const sim = createOmieSimulator({ seed: 7, clock, ...simOpts });
  const acc = sim.admin.provision({
    accountId: 'omie-t1',
    nfeCount: 40,
    productCount: 45,
    financialCount: 60,
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
    connectionId: 'conn-omie-1',
    accountKey: 'omie-t1',
    baseUrl: 'http://omie.sim/api/v1',
    credentials: store,
    fetch: fetchFn,
  };
  const opts: OmieAdapterOptions = { clock, limiter, random: () => 0.5 };
  return {
    clock,
    sim,
    acc,
    store,
    ctx,
    opts,
    requests,
    make: (o: OmieAdapterOptions = {}) => createOmieAdapter(ctx, { ...opts, ...o }),
  };
}

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

Deno.test('omie adapter: NF-e issued + received to the end, every call POST with trailing slash', async () => {
  const t = setup();
  const pages = await all(t.make({ pageSizes: { nfe: 7, received: 5 } }).nfe(WINDOW, null));
  const docs = pages.flatMap((p) => p.records);
  assert.equal(pages.flatMap((p) => p.failed).length, 0);
  assert.ok(docs.some((d) => d.origin === 'issued') && docs.some((d) => d.origin === 'received'));
  assert.equal(new Set(docs.map((d) => d.accessKey)).size, docs.length, 'no duplicates');
  for (const d of docs) {
    assert.match(d.accessKey!, /^\d{44}$/);
    assert.match(d.xml, /<infNFe/);
  }
  assert.deepEqual(pages.at(-1)!.checkpoint, { ...WINDOW, phase: 'done' });
  for (const r of t.requests) {
    assert.equal(r.method, 'POST');
    assert.match(new URL(r.url).pathname, /^\/api\/v1\/[a-z]+\/[a-z]+\/$/);
  }
});

Deno.test('omie adapter: hundreds of per-note XML calls stay under 240/min per method', async () => {
  const t = setup({}, { nfeCount: 600 });
  const docs = (await all(t.make().nfe(WINDOW, null))).flatMap((p) => p.records);
  const obter = t.requests.filter((r) => new URL(r.url).pathname === '/api/v1/produtos/dfedocs/').length;
  assert.ok(obter > 240, `${obter} ObterNfe calls`);
  assert.ok(docs.length > obter);
  assert.equal(t.sim.admin.stats().rateLimited, 0);
});

Deno.test('omie adapter: resume from a checkpoint yields the remaining pages only', async () => {
  const t = setup();
  const full = (await all(t.make({ pageSizes: { nfe: 5, received: 5 } }).nfe(WINDOW, null))).flatMap((p) =>
    p.records
  );
  let cp: Checkpoint | null = null;
  const first: string[] = [];
  for await (const p of t.make({ pageSizes: { nfe: 5, received: 5 } }).nfe(WINDOW, null)) {
    first.push(...p.records.map((r) => r.externalId));
    cp = p.checkpoint;
    if (first.length >= 5) break;
  }
  const rest = (await all(t.make({ pageSizes: { nfe: 5, received: 5 } }).nfe(WINDOW, cp))).flatMap((p) =>
    p.records
  );
  assert.deepEqual([...first, ...rest.map((r) => r.externalId)], full.map((r) => r.externalId));
  // a checkpoint of another window is ignored (starts over)
  const other = await all(
    t.make({ pageSizes: { nfe: 5 } }).nfe({ from: '2025-12-01', to: '2026-01-14' }, cp),
  );
  assert.ok(other.length > 0);
});

Deno.test('omie adapter: products with NCM from the list; malformed record fails alone', async () => {
  const t = setup();
  t.sim.admin.setKnobs({ malformedIds: [] });
  const pages1 = await all(t.make({ pageSizes: { products: 20 } }).products(null));
  const prods = pages1.flatMap((p) => p.records);
  assert.equal(prods.length, 45);
  assert.equal(pages1.length, 3);
  assert.ok(prods.every((p) => p.ncm === null || /^\d{8}$/.test(p.ncm)));
  assert.ok(prods.some((p) => p.ncm === '22030000' || p.ncm === '30049099'), 'monophasic NCMs present');
  const victim = prods[3].externalId;
  t.sim.admin.setKnobs({ malformedIds: [victim] });
  t.clock.advance(61_000); // past the redundant-call window for the same pages
  const pages2 = await all(t.make({ pageSizes: { products: 20 } }).products(null));
  assert.equal(pages2.flatMap((p) => p.records).length, 44);
  const failed = pages2.flatMap((p) => p.failed);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].externalId, victim);
  assert.equal(failed[0].error.kind, 'data');
});

Deno.test('omie adapter: the same call within 60 s waits out the redundant-call fault', async () => {
  const t = setup();
  await all(t.make({ pageSizes: { products: 50 } }).products(null));
  const t0 = t.clock.now();
  const again = await all(t.make({ pageSizes: { products: 50 } }).products(null));
  assert.equal(again.flatMap((p) => p.records).length, 45);
  assert.ok(t.clock.now() - t0 >= 59_000, 'waited for the redundant block to pass');
  assert.ok(t.sim.admin.log().some((e) => e.status === 500 && e.injected === 'rate_limit'));
});

Deno.test('omie adapter: 429 storm is retried; revoked keys are an auth error', async () => {
  const t = setup();
  t.sim.admin.setKnobs({ rateLimitRate: 0.3, retryAfterSeconds: 2 });
  const prods = (await all(t.make({ pageSizes: { products: 10 } }).products(null))).flatMap((p) => p.records);
  assert.equal(prods.length, 45);
  assert.ok(t.sim.admin.stats().rateLimited > 0);
  t.sim.admin.setKnobs({ rateLimitRate: 0 });
  t.sim.admin.revoke('omie-t1');
  await assert.rejects(
    t.make().profile(),
    (e: unknown) => e instanceof AppError && e.kind === 'auth' && e.code === 'OMIE_INVALID_KEY',
  );
  // the message never carries the keys
  try {
    await t.make().profile();
  } catch (e) {
    const s = JSON.stringify((e as AppError).toJSON()) + String((e as Error).message);
    assert.ok(
      !s.includes(String(t.acc.credentials.app_secret)) && !s.includes(String(t.acc.credentials.app_key)),
    );
  }
});

Deno.test('omie adapter: financials with DRE lines from codigo_dre, split apportionments, both sides', async () => {
  const t = setup();
  const pages = await all(t.make({ pageSizes: { financials: 25 } }).financials(WINDOW, null));
  const entries = pages.flatMap((p) => p.records);
  assert.equal(pages.flatMap((p) => p.failed).length, 0);
  assert.ok(entries.some((e) => e.kind === 'receivable') && entries.some((e) => e.kind === 'payable'));
  assert.ok(entries.every((e) => /^\d+\.\d{2}$/.test(e.amount)));
  assert.ok(entries.some((e) => e.dreRule.startsWith('omie:codigo_dre=')));
  assert.ok(entries.some((e) => e.externalId.includes(':')), 'an apportioned title was split');
  const sales = entries.filter((e) => e.categoryName === 'Vendas de mercadorias');
  assert.ok(sales.length > 0 && sales.every((e) => e.dreLine === 'receita_bruta'));
  assert.ok(
    entries.filter((e) => e.categoryName === 'Juros pagos').every((e) =>
      e.dreLine === 'resultado_financeiro'
    ),
  );
  assert.deepEqual(pages.at(-1)!.checkpoint, { ...WINDOW, phase: 'done' });
});

Deno.test('omie adapter: profile from ListarEmpresas', async () => {
  const t = setup({}, { crt: 1, uf: 'PR' });
  const p = await t.make().profile();
  assert.equal(p.cnpj, t.acc.company.cnpj);
  assert.equal(p.legalName, t.acc.company.legalName);
  assert.equal(p.taxRegime, 'simples_nacional');
  assert.equal(p.uf, 'PR');
  assert.equal(p.city, 'CURITIBA');
  assert.match(p.cnae!, /^\d{7}$/);
  assert.deepEqual(p.unavailable, ['crt']);
});

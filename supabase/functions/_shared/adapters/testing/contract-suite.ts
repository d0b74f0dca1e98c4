/**
 * The ONE contract suite every adapter runs against its simulator (issue 4, Tests):
 *   paging to the end · resume from a checkpoint · token refresh with rotation · two concurrent refreshes (one
 *   wins, nothing lost) · 429 with Retry-After · revoked grant → auth error · malformed payload → data error for
 *   that record only · requests only to the configured origin.
 *
 * Usage (adapters/<erp>/contract.test.ts):
 *   runContractSuite({ erp: 'bling', factory: createBlingAdapter, simulator: createBlingSimulator,
 *                      apiPath: '/Api/v3', oauth: true });
 *
 * Each test starts its own simulator on 127.0.0.1:0 with a FakeClock shared by the simulator and the adapter
 * (virtual time: token expiry, Retry-After and rate limits cost no real time), provisions fresh accounts, and
 * shuts the server down at the end. No test talks to the internet.
 */
import assert from 'node:assert/strict';
import { AppError } from '../../errors.ts';
import { FakeClock } from '../../http/clock.ts';
import type { AdapterDeps } from '../../http/client.ts';
import { RateLimiter } from '../../http/limiter.ts';
import type {
  AdapterContext,
  Checkpoint,
  CredentialStore,
  DateWindow,
  ErpAdapter,
  ErpType,
  FailedRecord,
  Page,
} from '../contract.ts';
import { MemoryCredentialStore } from './memory-store.ts';
import type {
  ProvisionedAccount,
  ProvisionInput,
  Simulator,
  SimulatorOptions,
} from '../../../../../dev/simulators/common/types.ts';
import type { AccountData } from '../../../../../dev/simulators/common/dataset.ts';

export interface ContractHarness {
  erp: ErpType;
  factory: (ctx: AdapterContext, deps?: AdapterDeps) => ErpAdapter;
  simulator: (opts?: SimulatorOptions) => Simulator;
  /** API base path on the simulator origin (e.g. '/Api/v3', '/api2'). */
  apiPath: string;
  /** Auth base path when the token endpoint differs from apiPath (authUrl = origin + authPath). */
  authPath?: string;
  /** OAuth ERPs run the refresh/rotation tests; static-key ERPs skip them. */
  oauth: boolean;
  /** Names the suite's tests when one ERP has several APIs (default: erp). */
  label?: string;
  /** How long the ERP's refresh token lives (Tiny v3: one day); the suite's idle gaps stay inside it. */
  refreshTokenTtlMs?: number;
  /** Provisioning used by the paging tests (counts chosen so every entity spans more than one page). */
  bigAccount?: Partial<ProvisionInput>;
  /** External id the adapter gives to a simulator record (default String(id)); used to check failures. */
  externalId?: (entity: 'nfe' | 'products' | 'financials', simId: number, data: AccountData) => string;
  /** NF-e the adapter must return for a window (default: authorised notes issued in the window). */
  expectedNfe?: (data: AccountData, window: DateWindow) => string[];
  /** Financial titles (sim ids) the adapter must return (default: issued in the window). */
  expectedFinancials?: (data: AccountData, window: DateWindow) => number[];
  /** Products (sim ids) the adapter must return (default: all). */
  expectedProducts?: (data: AccountData) => number[];
}

export interface Rig {
  sim: Simulator;
  clock: FakeClock;
  origin: string;
  /** Every URL the adapters fetched. */
  fetched: string[];
  /** Hook run after every fetch (tests flip knobs with it). */
  afterFetch: ((url: string, status: number) => void) | null;
  adapter(
    acc: ProvisionedAccount,
    opts?: { store?: CredentialStore; inflight?: Map<string, Promise<unknown>>; limiter?: RateLimiter },
  ): {
    adapter: ErpAdapter;
    store: CredentialStore;
  };
  close(): Promise<void>;
}

export function startRig(h: ContractHarness, simOpts: SimulatorOptions = {}): Promise<Rig> {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 15, 0, 0));
  const sim = h.simulator({ seed: 7, clock, ...simOpts });
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, sim.handler);
  const origin = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  const sharedLimiter = new RateLimiter({ clock, maxWaitMs: 24 * 3_600_000 });
  let inFlight = 0;
  clock.setBusyCheck(() => inFlight > 0);
  const rig: Rig = {
    sim,
    clock,
    origin,
    fetched: [],
    afterFetch: null,
    adapter(acc, opts = {}) {
      const store = opts.store ?? new MemoryCredentialStore(acc.credentials);
      const fetchFn: typeof fetch = async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        rig.fetched.push(url);
        inFlight++;
        try {
          // Buffer the body so "in flight" covers the whole exchange (virtual time waits for it).
          const res = await fetch(input, init);
          const body = await res.arrayBuffer();
          rig.afterFetch?.(url, res.status);
          return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
        } finally {
          inFlight--;
        }
      };
      const ctx: AdapterContext = {
        connectionId: `conn-${acc.accountId}`,
        accountKey: acc.accountId,
        baseUrl: origin + h.apiPath,
        authUrl: h.authPath !== undefined ? origin + h.authPath : undefined,
        credentials: store,
        oauthClient: acc.oauthClient,
        fetch: fetchFn,
      };
      const deps: AdapterDeps = {
        clock,
        limiter: opts.limiter ?? sharedLimiter,
        random: () => 0.5,
        oauthInflight: opts.inflight ?? new Map(),
        retry: { maxRetryAfterMs: 120_000 },
      };
      return { adapter: h.factory(ctx, deps), store };
    },
    async close() {
      await server.shutdown();
    },
  };
  return Promise.resolve(rig);
}

async function collect<T>(it: AsyncIterable<Page<T>>, maxPages = 1000) {
  const pages: Page<T>[] = [];
  for await (const p of it) {
    pages.push(p);
    if (pages.length >= maxPages) break;
  }
  return {
    pages,
    records: pages.flatMap((p) => p.records),
    failed: pages.flatMap((p) => p.failed),
  };
}

/** A cancellation / correction event document rather than a note. */
export function isEvent(xml: string): boolean {
  return /^(\uFEFF)?\s*(<\?xml[^>]*>\s*)?<(procEventoNFe|evento|envEvento)\b/.test(xml);
}

function windowOf(data: AccountData): DateWindow {
  const dates = [...data.notes.map((n) => n.issuedDate), ...data.titles.map((t) => t.issueDate)].sort();
  return { from: dates[0], to: dates[dates.length - 1] };
}

/** The keys of a set of entries by content: `kind date` → total cents (a title split by category adds up). */
function byKindAndDate(entries: Array<{ kind: string; date: string; amount: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const k = `${e.kind} ${e.date}`;
    out[k] = (out[k] ?? 0) + Math.round(Number(e.amount) * 100);
  }
  return out;
}

/**
 * Exactly the financial titles `simIds` (a sim id twice = a title split in two entries): the same number of
 * entries, and per kind and issue date the same total — by content, whatever external-id format the ERP uses.
 */
function assertExactFinancials(
  records: Array<{ kind: string; date: string; amount: string }>,
  simIds: number[],
  data: AccountData,
): void {
  const titles = [...new Set(simIds)].map((id) => data.titles.find((t) => t.id === id)!);
  assert.equal(records.length, simIds.length, 'as many financial entries as the window holds');
  assert.deepEqual(
    byKindAndDate(records),
    byKindAndDate(titles.map((t) => ({ kind: t.kind, date: t.issueDate, amount: t.amount }))),
    'exactly the financial titles of the window (kind, issue date, amount)',
  );
}

/** A window inside the account's range whose both ends fall on days with notes and titles (edges inclusive). */
function innerWindowOf(data: AccountData): DateWindow {
  const noteDays = new Set(data.notes.map((n) => n.issuedDate));
  const both = [...new Set(data.titles.map((t) => t.issueDate))].filter((d) => noteDays.has(d)).sort();
  assert.ok(both.length >= 3, 'the account has days with both notes and titles');
  return { from: both[Math.floor(both.length / 4)], to: both[Math.floor((both.length * 3) / 4)] };
}

async function rejectsWith(p: Promise<unknown>, kind: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError, got ${e}`);
    assert.equal(e.kind, kind, `expected kind ${kind}, got ${e.kind} (${e.code}: ${e.message})`);
    return e;
  }
  assert.fail(`expected an AppError of kind ${kind}`);
}

function assertNoSecrets(e: AppError | FailedRecord['error'], secrets: unknown[]): void {
  const text = `${e.message} ${JSON.stringify(e.toJSON())}`;
  for (const s of secrets) {
    if (typeof s === 'string' && s.length >= 6) assert.ok(!text.includes(s), 'error leaks a credential');
  }
}

export function runContractSuite(h: ContractHarness): void {
  const name = (t: string) => `[contract ${h.label ?? h.erp}] ${t}`;
  const big: Partial<ProvisionInput> = {
    nfeCount: 260, // more than one page per listing phase for every ERP (Tiny: 100 per page and direction)
    productCount: 130,
    financialCount: 240,
    ...h.bigAccount,
  };
  const extId = h.externalId ?? ((_e, id) => String(id));
  const expectedNfe = h.expectedNfe ??
    ((d, w) =>
      d.notes.filter((n) => n.authorised && n.issuedDate >= w.from && n.issuedDate <= w.to).map((n) =>
        n.accessKey
      ));
  const expectedFin = h.expectedFinancials ??
    ((d, w) => d.titles.filter((t) => t.issueDate >= w.from && t.issueDate <= w.to).map((t) => t.id));
  const expectedProducts = h.expectedProducts ?? ((d) => d.products.map((p) => p.id));

  Deno.test(name('paging to the end: every entity, every page, nothing twice'), async () => {
    const rig = await startRig(h);
    try {
      const acc = rig.sim.admin.provision({ accountId: 'paging', ...big });
      const data = rig.sim.admin.data!(acc.accountId);
      const w = windowOf(data);
      const { adapter } = rig.adapter(acc);

      const nfe = await collect(adapter.nfe(w, null));
      assert.ok(nfe.pages.length > 1, 'NF-e spans several pages');
      assert.equal(nfe.failed.length, 0);
      const ids = nfe.records.map((r) => r.externalId);
      assert.equal(new Set(ids).size, ids.length, 'no NF-e document twice');
      const notes = nfe.records.filter((r) => !isEvent(r.xml));
      const keys = notes.map((r) => r.accessKey ?? r.xml.match(/Id="NFe(\d{44})"/)?.[1]);
      assert.equal(new Set(keys).size, keys.length, 'no NF-e twice');
      assert.deepEqual(new Set(keys), new Set(expectedNfe(data, w)), 'exactly the NF-e of the window');
      for (const r of nfe.records) assert.match(r.xml.slice(0, 300), /<(\?xml|nfeProc|NFe|procEventoNFe)/);

      const products = await collect(adapter.products(null));
      assert.ok(products.pages.length > 1, 'products span several pages');
      assert.equal(products.failed.length, 0);
      const pids = products.records.map((p) => p.externalId);
      assert.deepEqual(
        new Set(pids),
        new Set(expectedProducts(data).map((id) => extId('products', id, data))),
      );
      for (const p of products.records) {
        assert.ok(p.ncm === null || /^\d{8}$/.test(p.ncm), `NCM normalised: ${p.ncm}`);
        assert.ok(p.price === null || /^\d+\.\d{2}$/.test(p.price), `price as decimal string: ${p.price}`);
      }
      assert.ok(
        products.records.filter((p) => p.ncm).length >= products.records.length * 0.9,
        'NCM from detail calls',
      );

      const fin = await collect(adapter.financials(w, null));
      assert.ok(fin.pages.length > 1, 'financials span several pages');
      assert.equal(fin.failed.length, 0);
      const fids = fin.records.map((f) => f.externalId);
      assert.equal(new Set(fids).size, fids.length, 'no financial entry twice');
      assertExactFinancials(fin.records, expectedFin(data, w), data);
      for (const f of fin.records) {
        assert.match(f.amount, /^\d+\.\d{2}$/);
        assert.match(f.date, /^\d{4}-\d{2}-\d{2}$/);
      }
      assert.ok(fin.records.some((f) => f.dreLine === 'receita_bruta'), 'some revenue mapped');

      const profile = await adapter.profile();
      assert.equal(profile.cnpj, acc.company.cnpj);
      for (const f of profile.unavailable) {
        const v = (profile as unknown as Record<string, unknown>)[f] ?? null;
        assert.equal(v, f === 'taxRegime' ? 'unknown' : null, `${f} is unavailable, so it is not invented`);
      }

      for (const u of rig.fetched) {
        assert.ok(u.startsWith(rig.origin), `request outside the configured origin: ${u}`);
      }
      assert.equal(
        rig.sim.admin.stats().rateLimited,
        0,
        'the adapter limiter kept under the simulator limits',
      );
    } finally {
      await rig.close();
    }
  });

  Deno.test(name('a window inside the range: exactly its NF-e and financial entries, both edges included'), async () => {
    const rig = await startRig(h);
    try {
      const acc = rig.sim.admin.provision({ accountId: 'window', ...big });
      const data = rig.sim.admin.data!(acc.accountId);
      const w = innerWindowOf(data);
      const { adapter } = rig.adapter(acc);
      const nfe = await collect(adapter.nfe(w, null));
      assert.equal(nfe.failed.length, 0);
      const keys = nfe.records.filter((r) => !isEvent(r.xml))
        .map((r) => r.accessKey ?? r.xml.match(/Id="NFe(\d{44})"/)?.[1]);
      assert.equal(new Set(keys).size, keys.length, 'no NF-e twice');
      const want = expectedNfe(data, w);
      assert.ok(want.length > 0, 'the window holds NF-e');
      assert.deepEqual(new Set(keys), new Set(want), `exactly the NF-e of ${w.from}..${w.to}`);
      const fin = await collect(adapter.financials(w, null));
      assert.equal(fin.failed.length, 0);
      assertExactFinancials(fin.records, expectedFin(data, w), data);
    } finally {
      await rig.close();
    }
  });

  Deno.test(name('resume from a checkpoint: no record lost'), async () => {
    const rig = await startRig(h);
    try {
      const acc = rig.sim.admin.provision({ accountId: 'resume', ...big });
      const data = rig.sim.admin.data!(acc.accountId);
      const w = windowOf(data);
      const full = await collect(rig.adapter(acc).adapter.financials(w, null));
      const first = await collect(rig.adapter(acc).adapter.financials(w, null), 1);
      const cp: Checkpoint = first.pages[0].checkpoint;
      // A new adapter (a later invocation) resumes from the saved checkpoint.
      const rest = await collect(rig.adapter(acc).adapter.financials(w, cp));
      const resumed = [...first.records, ...rest.records].map((r) => r.externalId);
      assert.deepEqual(new Set(resumed), new Set(full.records.map((r) => r.externalId)));
      assert.equal(resumed.length, full.records.length, 'nothing twice after resume');

      const nfeFirst = await collect(rig.adapter(acc).adapter.nfe(w, null), 1);
      const nfeRest = await collect(rig.adapter(acc).adapter.nfe(w, nfeFirst.pages[0].checkpoint));
      const nfeAll = await collect(rig.adapter(acc).adapter.nfe(w, null));
      const resumedIds = [...nfeFirst.records, ...nfeRest.records].map((r) => r.externalId);
      assert.deepEqual(new Set(resumedIds), new Set(nfeAll.records.map((r) => r.externalId)));
      assert.equal(resumedIds.length, nfeAll.records.length);
    } finally {
      await rig.close();
    }
  });

  Deno.test({
    name: name('token refresh ahead of expiry, with rotation, persisted before use'),
    ignore: !h.oauth,
    async fn() {
      const rig = await startRig(h);
      try {
        const acc = rig.sim.admin.provision({
          accountId: 'refresh',
          nfeCount: 2,
          productCount: 2,
          financialCount: 2,
        });
        const store = new MemoryCredentialStore(acc.credentials);
        const { adapter } = rig.adapter(acc, { store });
        await adapter.profile();
        assert.equal(rig.sim.admin.stats().tokenCalls, 0, 'fresh token used as is');
        const expiresAt = Date.parse(String(acc.credentials.expires_at));
        rig.clock.set(expiresAt - 60_000); // inside the refresh skew
        await adapter.profile();
        assert.equal(rig.sim.admin.stats().tokenCalls, 1, 'refreshed once');
        assert.equal(store.saves, 1, 'new pair persisted');
        const saved = store.history[0];
        assert.notEqual(saved.refresh_token, acc.credentials.refresh_token, 'refresh token rotated');
        assert.notEqual(saved.access_token, acc.credentials.access_token);
        assert.ok(Date.parse(String(saved.expires_at)) > rig.clock.now());
        // The old refresh token is dead (rotation): an adapter still holding it gets an auth error.
        const stale = rig.adapter(acc, {
          store: new MemoryCredentialStore({ ...acc.credentials, expires_at: new Date(0).toISOString() }),
        });
        const e = await rejectsWith(stale.adapter.profile(), 'auth');
        assertNoSecrets(e, [
          acc.credentials.refresh_token,
          saved.refresh_token,
          acc.oauthClient?.clientSecret,
        ]);
        // After the access token really expires the adapter refreshes again with the rotated token.
        rig.clock.advance(Math.min(7 * 86_400_000, (h.refreshTokenTtlMs ?? Infinity) - 3_600_000));
        await adapter.profile();
        assert.equal(store.saves, 2);
      } finally {
        await rig.close();
      }
    },
  });

  Deno.test({
    name: name('two concurrent refreshes: one wins, the other uses its tokens, nothing lost'),
    ignore: !h.oauth,
    async fn() {
      const rig = await startRig(h);
      try {
        const acc = rig.sim.admin.provision({
          accountId: 'race',
          nfeCount: 2,
          productCount: 2,
          financialCount: 2,
        });
        const store = new MemoryCredentialStore({
          ...acc.credentials,
          expires_at: new Date(rig.clock.now() - 1000).toISOString(),
        });
        // Two "processes": separate in-process single-flight maps, one shared credential store (Vault).
        const a = rig.adapter(acc, { store, inflight: new Map() }).adapter;
        const b = rig.adapter(acc, { store, inflight: new Map() }).adapter;
        const [pa, pb] = await Promise.all([a.profile(), b.profile()]);
        assert.equal(pa.cnpj, pb.cnpj);
        assert.equal(rig.sim.admin.stats().tokenCalls, 1, 'exactly one refresh reached the token endpoint');
        assert.equal(store.saves, 1);
        // Nothing lost: the stored refresh token still works later.
        rig.clock.advance(7 * 3_600_000);
        const c = rig.adapter(acc, { store, inflight: new Map() }).adapter;
        await c.profile();
        assert.equal(rig.sim.admin.stats().tokenCalls, 2);
        assert.equal(store.saves, 2);
      } finally {
        await rig.close();
      }
    },
  });

  Deno.test(
    name('429 / rate-limit signal with Retry-After is honoured, then the call succeeds'),
    async () => {
      const rig = await startRig(h);
      try {
        const acc = rig.sim.admin.provision({
          accountId: 'storm',
          nfeCount: 2,
          productCount: 2,
          financialCount: 2,
        });
        const { adapter } = rig.adapter(acc);
        await adapter.profile(); // warm up (token use, limiter state)
        rig.sim.admin.setKnobs({ rateLimitRate: 1, retryAfterSeconds: 7 });
        let calls = 0;
        rig.afterFetch = () => {
          if (++calls >= 2) rig.sim.admin.setKnobs({ rateLimitRate: 0 });
        };
        const t0 = rig.clock.now();
        const p = await adapter.profile();
        assert.equal(p.cnpj, acc.company.cnpj);
        assert.ok(
          rig.sim.admin.log().some((e) => e.injected === 'storm'),
          'the simulator answered with its rate-limit signal',
        );
        assert.ok(
          rig.clock.now() - t0 >= 7000,
          `waited at least Retry-After (waited ${rig.clock.now() - t0} ms)`,
        );
      } finally {
        await rig.close();
      }
    },
  );

  Deno.test(name('revoked grant → auth error without credentials in the message'), async () => {
    const rig = await startRig(h);
    try {
      const acc = rig.sim.admin.provision({
        accountId: 'revoked',
        nfeCount: 2,
        productCount: 2,
        financialCount: 2,
      });
      const { adapter } = rig.adapter(acc);
      await adapter.profile();
      rig.sim.admin.revoke(acc.accountId);
      const e = await rejectsWith(adapter.profile(), 'auth');
      if (h.oauth) assert.equal(e.code, 'OAUTH_INVALID_GRANT', 'the failed refresh says the grant is gone');
      assertNoSecrets(e, [...Object.values(acc.credentials), acc.oauthClient?.clientSecret]);
      const e2 = await rejectsWith(collect(adapter.products(null)), 'auth');
      assertNoSecrets(e2, Object.values(acc.credentials));
    } finally {
      await rig.close();
    }
  });

  Deno.test(name('malformed payload → data error for that record only'), async () => {
    const rig = await startRig(h);
    try {
      const acc = rig.sim.admin.provision({
        accountId: 'malformed',
        nfeCount: 12,
        productCount: 12,
        financialCount: 12,
      });
      const data = rig.sim.admin.data!(acc.accountId);
      const w = windowOf(data);
      const product = data.products[3];
      const note = data.notes.filter((n) => expectedNfe(data, w).includes(n.accessKey))[1];
      rig.sim.admin.setKnobs({ malformedIds: [String(product.id), String(note.id)] });
      const { adapter } = rig.adapter(acc);

      const products = await collect(adapter.products(null));
      assert.equal(products.failed.length, 1, 'one product failed');
      assert.equal(products.failed[0].error.kind, 'data');
      assert.equal(products.failed[0].externalId, extId('products', product.id, data));
      assert.equal(products.records.length, expectedProducts(data).length - 1, 'the others synced');

      const nfe = await collect(adapter.nfe(w, null));
      assert.equal(nfe.failed.length, 1, 'one NF-e failed');
      assert.equal(nfe.failed[0].error.kind, 'data');
      assert.equal(nfe.failed[0].externalId, extId('nfe', note.id, data));
      assert.equal(nfe.records.filter((r) => !isEvent(r.xml)).length, expectedNfe(data, w).length - 1);
    } finally {
      await rig.close();
    }
  });
}

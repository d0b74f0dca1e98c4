/**
 * The Bling adapter against real-sourced shapes: a cancelled NF-e (situação 2 in the OpenAPI document's `GET /nfe`
 * enum) lands cancelled, and a window over one year is split into ranges Bling accepts
 * (https://developer.bling.com.br/limites); the simulator refuses what Bling refuses.
 */
import assert from 'node:assert/strict';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import type { AdapterContext, Page } from '../contract.ts';
import { blingDateRanges, createBlingAdapter } from './index.ts';
import { createBlingSimulator } from '../../../../../dev/simulators/bling/index.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

/** An adapter whose fetch answers from `route(url)`; every requested URL is kept. */
function adapterWith(route: (u: URL) => Response) {
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const urls: URL[] = [];
  const fetchFn = ((input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(new Request(input, init).url);
    urls.push(u);
    return Promise.resolve(route(u));
  }) as typeof fetch;
  const ctx: AdapterContext = {
    connectionId: 'conn-bling-gt',
    accountKey: 'bling-gt',
    baseUrl: 'http://bling.test/Api/v3',
    credentials: new MemoryCredentialStore({
      access_token: 'at-1',
      refresh_token: 'rt-1',
      expires_at: '2026-02-01T18:00:00Z',
    }),
    fetch: fetchFn,
  };
  return {
    adapter: createBlingAdapter(ctx, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 }),
    urls,
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

Deno.test('bling ground truth: an NF-e listed with situação 2 (Cancelada) is handed over as cancelled', async () => {
  const list = fixture('nfe-list.json');
  const cancelled = { ...list.data[0], situacao: 2 };
  const { adapter } = adapterWith((u) => {
    if (u.pathname.endsWith('/nfe')) {
      return json({
        data: u.searchParams.get('tipo') === '1' && u.searchParams.get('pagina') === '1' ? [cancelled] : [],
      });
    }
    if (u.pathname.includes('/nfe/documento/')) return json(fixture('nfe-documento.json'));
    return json({ error: { type: 'RESOURCE_NOT_FOUND', message: 'x', description: 'x' } }, 404);
  });
  const docs = (await all(adapter.nfe({ from: '2026-01-01', to: '2026-01-31' }, null))).flatMap((p) =>
    p.records
  );
  assert.equal(docs.length, 1);
  assert.deepEqual(docs[0].erpCancelled, { source: 'Bling situação 2 (Cancelada)' });
});

Deno.test('bling ground truth: date ranges never span more than one year', () => {
  assert.deepEqual(blingDateRanges('2025-01-15', '2026-02-14'), [
    { from: '2025-01-15', to: '2026-01-14' },
    { from: '2026-01-15', to: '2026-02-14' },
  ]);
  assert.deepEqual(blingDateRanges('2026-01-01', '2026-01-31'), [{ from: '2026-01-01', to: '2026-01-31' }]);
  assert.deepEqual(blingDateRanges('2024-02-29', '2025-03-01'), [
    { from: '2024-02-29', to: '2025-02-28' },
    { from: '2025-03-01', to: '2025-03-01' },
  ]);
});

Deno.test('bling ground truth: a 13-month first financial sync and NF-e window are split; the simulator accepts every request', async () => {
  const clock = new FakeClock('2026-02-15T12:00:00Z');
  const sim = createBlingSimulator({ seed: 3, clock });
  const acc = sim.admin.provision({
    accountId: 'bling-gt',
    nfeCount: 10,
    productCount: 3,
    financialCount: 20,
    from: '2025-01-15',
    to: '2026-02-14',
  });
  const statuses: number[] = [];
  const ranges: string[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const u = new URL(req.url);
    for (const [a, b] of [['dataInicial', 'dataFinal'], ['dataEmissaoInicial', 'dataEmissaoFinal']]) {
      if (u.searchParams.get(a)) {
        ranges.push(`${u.searchParams.get(a)!.slice(0, 10)}..${u.searchParams.get(b)!.slice(0, 10)}`);
      }
    }
    const res = await sim.handler(req);
    statuses.push(res.status);
    return res;
  }) as typeof fetch;
  const ctx: AdapterContext = {
    connectionId: 'conn-bling-gt',
    accountKey: 'bling-gt',
    baseUrl: 'http://bling.sim/Api/v3',
    credentials: new MemoryCredentialStore(acc.credentials),
    fetch: fetchFn,
  };
  const adapter = createBlingAdapter(ctx, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 });
  const window = { from: '2025-01-15', to: '2026-02-14' };
  const fin = await all(adapter.financials(window, null));
  const nfe = await all(adapter.nfe(window, null));
  assert.ok(!statuses.includes(400), `a request was refused: ${statuses.join(',')}`);
  assert.ok(
    ranges.includes('2025-01-15..2026-01-14') && ranges.includes('2026-01-15..2026-02-14'),
    ranges.join(' '),
  );
  assert.equal(fin.flatMap((p) => p.records).length > 0, true);
  assert.equal(nfe.at(-1)!.checkpoint.phase, 'done');
});

Deno.test('bling ground truth: the simulator refuses a date filter over one year on every date-filtered listing', async () => {
  const clock = new FakeClock('2026-02-15T12:00:00Z');
  const sim = createBlingSimulator({ seed: 3, clock });
  const acc = sim.admin.provision({
    accountId: 'bling-gt2',
    nfeCount: 2,
    productCount: 1,
    financialCount: 2,
  });
  const token = String(acc.credentials.access_token);
  const queries = [
    '/nfe?dataEmissaoInicial=2025-01-01%2000:00:00&dataEmissaoFinal=2026-01-01%2023:59:59',
    '/contas/receber?tipoFiltroData=E&dataInicial=2025-01-01&dataFinal=2026-01-01',
    '/contas/pagar?dataEmissaoInicial=2025-01-01&dataEmissaoFinal=2026-01-01',
    '/contas/pagar?dataVencimentoInicial=2025-01-01&dataVencimentoFinal=2026-01-01',
    '/produtos?dataAlteracaoInicial=2025-01-01%2000:00:00&dataAlteracaoFinal=2026-01-01%2000:00:00',
  ];
  for (const q of queries) {
    clock.advance(1_000); // Bling's 3 req/s
    const res = await sim.handler(
      new Request(`http://bling.sim/Api/v3${q}`, { headers: { authorization: `Bearer ${token}` } }),
    );
    assert.equal(res.status, 400, q);
    const body = await res.json();
    assert.equal(body.error.type, 'VALIDATION_ERROR', q);
  }
  // exactly one year minus a day is accepted
  clock.advance(1_000);
  const ok = await sim.handler(
    new Request(
      'http://bling.sim/Api/v3/contas/receber?tipoFiltroData=E&dataInicial=2025-01-01&dataFinal=2025-12-31',
      {
        headers: { authorization: `Bearer ${token}` },
      },
    ),
  );
  assert.equal(ok.status, 200);
});

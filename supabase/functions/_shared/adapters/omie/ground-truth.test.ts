/**
 * The Omie adapter against real-sourced shapes (fixtures/*.json, each naming its public source): the paging
 * variants of ListarRecebimentos / ListarDocumentos, the empty-result faults, the bad-key fault, the
 * redundant-call refusal with a stated time, and an HTML-escaped `cXmlNfe`.
 */
import assert from 'node:assert/strict';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { AppError } from '../../errors.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import type { AdapterContext, Page } from '../contract.ts';
import { createOmieAdapter } from './index.ts';
import { OMIE_REDUNDANT_MIN_WAIT_MS, omieInspector, waitUntilStatedTime } from './client.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
const faults = fixture('faults');
const WINDOW = { from: '2026-01-01', to: '2026-01-31' };

type Answer = { status: number; body?: unknown; text?: string };
/** An adapter whose fetch answers each `call` from `routes` (a function of the request param). */
function adapterWith(routes: Record<string, (param: Record<string, unknown>) => Answer>, clock: FakeClock) {
  const calls: Array<{ call: string; at: number; param: Record<string, unknown> }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = await req.json();
    const param = body.param?.[0] ?? {};
    calls.push({ call: body.call, at: clock.now(), param });
    const route = routes[body.call];
    const a: Answer = route ? route(param) : { status: 500, body: faults.server.body };
    return a.text !== undefined
      ? new Response(a.text, { status: a.status })
      : new Response(JSON.stringify(a.body), {
        status: a.status,
        headers: { 'content-type': 'application/json' },
      });
  }) as typeof fetch;
  const ctx: AdapterContext = {
    connectionId: 'conn-omie-gt',
    accountKey: 'omie-gt',
    baseUrl: 'http://omie.test/api/v1',
    credentials: new MemoryCredentialStore({ app_key: '1234567890', app_secret: 'abcdef0123456789' }),
    fetch: fetchFn,
  };
  const adapter = createOmieAdapter(ctx, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 });
  return { adapter, calls };
}

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

const emptyIssued = () => faults.endOfData;

Deno.test('omie ground truth: ListarRecebimentos pages with nTotalPaginas; ListarDocumentos with nRegPorPagina', async () => {
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const { adapter } = adapterWith({
    ListarNF: emptyIssued,
    ListarRecebimentos: () => ({ status: 200, body: fixture('listar-recebimentos').response }),
    ListarDocumentos: () => ({ status: 200, body: fixture('listar-documentos').response }),
  }, clock);
  const pages = await all(adapter.nfe(WINDOW, null));
  assert.deepEqual(pages.flatMap((p) => p.failed), []);
  const docs = pages.flatMap((p) => p.records);
  assert.deepEqual(docs.map((d) => [d.externalId, d.origin]), [['receb:4200001', 'received']]);
  assert.equal(pages.at(-1)!.checkpoint.phase, 'done');
});

Deno.test('omie ground truth: every real total-pages variant pages to the end', async () => {
  const base = fixture('listar-recebimentos').response;
  const { nTotalPaginas: _p, nTotalRegistros: _r, ...rest } = base;
  const variants: Record<string, Record<string, number>> = {
    nTotalPaginas: { nTotalPaginas: 2, nTotalRegistros: 2 },
    nTotPaginas: { nTotPaginas: 2, nTotRegistros: 2 },
    total_de_paginas: { total_de_paginas: 2, total_de_registros: 2 },
    'nTotRegistros only': { nRegPorPagina: 1, nTotRegistros: 2 },
  };
  for (const [name, paging] of Object.entries(variants)) {
    const clock = new FakeClock('2026-02-01T12:00:00Z');
    const { adapter, calls } = adapterWith({
      ListarNF: emptyIssued,
      ListarRecebimentos: (param) => ({ status: 200, body: { ...rest, ...paging, nPagina: param.nPagina } }),
      ListarDocumentos: () => ({ status: 200, body: fixture('listar-documentos').response }),
    }, clock);
    const pages = await all(adapter.nfe(WINDOW, null));
    assert.equal(pages.flatMap((p) => p.failed).length, 0, name);
    assert.deepEqual(
      calls.filter((c) => c.call === 'ListarRecebimentos').map((c) => c.param.nPagina),
      [1, 2],
      name,
    );
  }
});

Deno.test('omie ground truth: Client-101 "Nenhum ... encontrado" and Client-5113 are empty results', async () => {
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const { adapter } = adapterWith({
    ListarNF: () => faults.emptyResult,
    ListarRecebimentos: () => faults.endOfData,
    ListarProdutos: () => faults.emptyResult,
  }, clock);
  assert.deepEqual((await all(adapter.nfe(WINDOW, null))).flatMap((p) => p.records), []);
  assert.deepEqual((await all(adapter.products(null))).flatMap((p) => p.records), []);
});

Deno.test('omie ground truth: a bad key (SOAP-ENV:Server, access-key message) is an auth error', async () => {
  for (const f of [faults.invalidKey, faults.invalidKeyWith200]) {
    const clock = new FakeClock('2026-02-01T12:00:00Z');
    const { adapter } = adapterWith({ ListarEmpresas: () => f }, clock);
    await assert.rejects(
      adapter.profile(),
      (e: unknown) => e instanceof AppError && e.kind === 'auth' && e.code === 'OMIE_INVALID_KEY',
    );
  }
});

Deno.test('omie ground truth: Client-1100 waits until the stated time (at least 60 s), never a quick retry', async () => {
  // 19:04:08 in Brasília is 22:04:08 UTC; now is 22:02:00 UTC → 128 s.
  const nowMs = Date.parse('2026-02-01T22:02:00Z');
  assert.equal(waitUntilStatedTime(faults.redundant.body.faultstring, nowMs), 128_000);
  const sig = (f: Answer, at: number) =>
    omieInspector({
      status: f.status,
      headers: new Headers(),
      text: JSON.stringify(f.body),
      json: () => f.body,
      facts: { provider: 'omie', method: 'POST', path: '/x/' },
    }, at);
  assert.deepEqual(sig(faults.redundant, nowMs), {
    signal: 'rate_limited',
    code: 'OMIE_REDUNDANT',
    detail: `SOAP-ENV:Client-1100: ${faults.redundant.body.faultstring}`,
    retryAfterMs: 128_000,
  });
  // a stated time only seconds away (or our clock a little ahead) still waits Omie's 60 s
  const justBefore = Date.parse('2026-02-01T22:04:00Z');
  assert.equal(
    (sig(faults.redundant, justBefore) as { retryAfterMs: number }).retryAfterMs,
    OMIE_REDUNDANT_MIN_WAIT_MS,
  );
  const justAfter = Date.parse('2026-02-01T22:04:30Z');
  assert.equal(
    (sig(faults.redundant, justAfter) as { retryAfterMs: number }).retryAfterMs,
    OMIE_REDUNDANT_MIN_WAIT_MS,
  );

  // Through the adapter: the refused call is not repeated before the wait (in-process or by the engine).
  const clock = new FakeClock('2026-02-01T22:04:00Z');
  let n = 0;
  const { adapter, calls } = adapterWith({
    ListarProdutos: () => (n++ === 0 ? faults.redundant : faults.endOfData),
  }, clock);
  try {
    await all(adapter.products(null));
  } catch (e) {
    assert.ok(e instanceof AppError && e.kind === 'rate_limited' && e.retryAfterMs! >= 60_000);
  }
  const at = calls.filter((c) => c.call === 'ListarProdutos').map((c) => c.at);
  for (let i = 1; i < at.length; i++) {
    assert.ok(at[i] - at[i - 1] >= 60_000, `retry after ${at[i] - at[i - 1]} ms`);
  }
});

Deno.test('omie ground truth: other faults keep their kinds', () => {
  const sig = (f: Answer) =>
    omieInspector({
      status: f.status,
      headers: new Headers(),
      text: f.text ?? JSON.stringify(f.body),
      json: () => f.body,
      facts: { provider: 'omie', method: 'POST', path: '/x/' },
    });
  assert.deepEqual(sig(faults.endOfData), { signal: 'ok' });
  assert.deepEqual(sig(faults.emptyResult), { signal: 'ok' });
  assert.equal((sig(faults.misuse) as { retryAfterMs: number }).retryAfterMs, 1_678_000);
  assert.equal(sig(faults.server)?.signal, 'transient');
  assert.equal(sig(faults.notFound)?.signal, 'data');
  assert.equal(sig(faults.tooMany)?.signal, 'rate_limited');
});

Deno.test('omie ground truth: an HTML-escaped cXmlNfe is decoded and accepted', async () => {
  const nf = fixture('listar-nf').response;
  const obter = fixture('obter-nfe').response;
  const escaped = {
    ...obter,
    cXmlNfe: obter.cXmlNfe.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(
      /"/g,
      '&quot;',
    ),
  };
  for (const body of [obter, escaped]) {
    const clock = new FakeClock('2026-02-01T12:00:00Z');
    const { adapter } = adapterWith({
      ListarNF: () => ({ status: 200, body: { ...nf, nfCadastro: nf.nfCadastro.slice(0, 1) } }),
      ObterNfe: () => ({ status: 200, body }),
      ListarRecebimentos: () => faults.endOfData,
    }, clock);
    const pages = await all(adapter.nfe(WINDOW, null));
    assert.deepEqual(pages.flatMap((p) => p.failed), []);
    const [doc] = pages.flatMap((p) => p.records);
    assert.equal(doc.xml, obter.cXmlNfe.trim());
  }
});

Deno.test('omie ground truth: a note cancelled in Omie after it was issued lands cancelled even without the event', async () => {
  const nf = fixture('listar-nf').response;
  const first = nf.nfCadastro[0];
  const cancelled = { ...first, ide: { ...first.ide, dCan: '16/01/2026' } };
  const docs = fixture('listar-documentos').response;
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const { adapter } = adapterWith({
    ListarNF: () => ({ status: 200, body: { ...nf, nfCadastro: [cancelled] } }),
    ObterNfe: () => ({ status: 200, body: fixture('obter-nfe').response }),
    ListarRecebimentos: () => ({ status: 200, body: fixture('listar-recebimentos').response }),
    ListarDocumentos: () => ({
      status: 200,
      body: { ...docs, documentosEncontrados: [{ ...docs.documentosEncontrados[0], cStatus: '10' }] },
    }),
  }, clock);
  const pages = await all(adapter.nfe(WINDOW, null));
  assert.deepEqual(pages.flatMap((p) => p.failed), []);
  assert.deepEqual(pages.flatMap((p) => p.records).map((d) => [d.origin, d.erpCancelled?.source]), [
    ['issued', 'Omie ide.dCan'],
    ['received', 'Omie cStatus 10 (cancelado)'],
  ]);
});

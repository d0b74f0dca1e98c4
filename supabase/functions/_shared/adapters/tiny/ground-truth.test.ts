/**
 * Tiny's processing codes (fixtures/erros-processamento.json, from Tiny's error-code table): 5 and 8 are account
 * problems (auth, with a pt-BR message saying what to do), 35 and 99 are transient (retried), 21 splits the
 * date window until every part answers.
 */
import assert from 'node:assert/strict';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { AppError } from '../../errors.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import type { AdapterContext, Page } from '../contract.ts';
import { authFailureMessage, logErrorMessage } from '../../sync/messages.ts';
import { createTinyAdapter, midDay, nextCursor } from './index.ts';
import { tinySignal } from './client.ts';
import { createTinySimulator } from '../../../../../dev/simulators/tiny/index.ts';

const fixture = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const errs = fixture('erros-processamento.json');
const pesquisa = fixture('contas-receber-pesquisa.json');
const WINDOW = { from: '2026-01-01', to: '2026-01-31' };

async function all<T>(it: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

const fromBr = (d: string) => d.split('/').reverse().join('-');
const empty = {
  retorno: {
    status_processamento: '2',
    status: 'Erro',
    codigo_erro: '20',
    erros: [{ erro: 'A Consulta não retornou registros' }],
  },
};

function adapterWith(answer: (service: string, form: URLSearchParams) => unknown) {
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const calls: Array<{ service: string; form: URLSearchParams }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const service = new URL(req.url).pathname.split('/').pop()!.replace(/\.php$/, '');
    const form = new URLSearchParams(await req.text());
    calls.push({ service, form });
    return new Response(JSON.stringify(answer(service, form)), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const ctx: AdapterContext = {
    connectionId: 'conn-tiny-gt',
    accountKey: 'tiny-gt',
    baseUrl: 'http://tiny.test/api2',
    credentials: new MemoryCredentialStore({ token: 'tok-12345678' }),
    fetch: fetchFn,
  };
  return {
    adapter: createTinyAdapter(ctx, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 }),
    calls,
  };
}

const sig = (name: string) => {
  const r = errs[name].retorno;
  return tinySignal(r.codigo_erro, r.erros[0].erro);
};

Deno.test('tiny ground truth: codes 5 and 8 are account errors with a message saying what to do', async () => {
  assert.deepEqual([sig('apiNoAccess')?.signal, (sig('apiNoAccess') as { code: string }).code], [
    'auth',
    'TINY_API_NO_ACCESS',
  ]);
  assert.deepEqual([sig('companyBlocked')?.signal, (sig('companyBlocked') as { code: string }).code], [
    'auth',
    'TINY_ACCOUNT_BLOCKED',
  ]);
  const noAccess = authFailureMessage('tiny', 'TINY_API_NO_ACCESS');
  assert.match(noAccess, /API está bloqueada ou sem acesso/);
  assert.match(noAccess, /Sincronizar agora/);
  assert.match(authFailureMessage('tiny', 'TINY_ACCOUNT_BLOCKED'), /empresa está bloqueada/);
  assert.match(
    logErrorMessage('tiny', 'auth', 'TINY_ACCOUNT_BLOCKED'),
    /empresa está bloqueada.*\[TINY_ACCOUNT_BLOCKED\]/,
  );
  // through the adapter: one call, no 60 s retry loop
  const { adapter, calls } = adapterWith(() => errs.apiNoAccess);
  await assert.rejects(
    all(adapter.financials(WINDOW, null)),
    (e: unknown) => e instanceof AppError && e.kind === 'auth' && e.code === 'TINY_API_NO_ACCESS',
  );
  assert.equal(calls.length, 1);
});

Deno.test('tiny ground truth: codes 35 and 99 are transient and retried', async () => {
  assert.equal(sig('unexpected')?.signal, 'transient');
  assert.equal(sig('maintenance')?.signal, 'transient');
  let n = 0;
  const { adapter } = adapterWith((service) => {
    if (service === 'contas.receber.pesquisa') return n++ === 0 ? errs.maintenance : empty;
    if (service === 'contas.pagar.pesquisa') return n++ === 2 ? errs.unexpected : empty;
    return empty;
  });
  const pages = await all(adapter.financials(WINDOW, null));
  assert.equal(pages.at(-1)!.checkpoint.phase, 'done');
  assert.equal(n, 4);
});

Deno.test('tiny ground truth: code 21 (too many records) halves the window until each part answers', async () => {
  assert.equal(midDay('2026-01-01', '2026-01-31'), '2026-01-16');
  assert.deepEqual(nextCursor(WINDOW, { subFrom: '2026-01-01', subTo: '2026-01-16', page: 1 }, 1), {
    subFrom: '2026-01-17',
    subTo: '2026-01-31',
    page: 1,
  });
  const { adapter, calls } = adapterWith((service, form) => {
    if (service !== 'contas.receber.pesquisa' && service !== 'contas.pagar.pesquisa') {
      return { retorno: { status_processamento: '3', status: 'OK', conta: { id: '1' } } };
    }
    const from = fromBr(form.get('data_ini_emissao')!);
    const to = fromBr(form.get('data_fim_emissao')!);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    if (days > 10) return errs.tooManyRecords;
    return service === 'contas.receber.pesquisa'
      ? { retorno: { ...pesquisa.retorno, numero_paginas: '1' } }
      : empty;
  });
  const pages = await all(adapter.financials(WINDOW, null));
  const asked = calls.filter((c) => c.service === 'contas.receber.pesquisa').map((c) =>
    `${fromBr(c.form.get('data_ini_emissao')!)}..${fromBr(c.form.get('data_fim_emissao')!)}`
  );
  // every day of the window is read exactly once by an accepted (≤ 10-day) request
  const accepted = asked.filter((r) => {
    const [a, b] = r.split('..');
    return (Date.parse(b) - Date.parse(a)) / 86_400_000 + 1 <= 10;
  });
  const days = accepted.flatMap((r) => {
    const [a, b] = r.split('..');
    const out: string[] = [];
    for (let t = Date.parse(a); t <= Date.parse(b); t += 86_400_000) {
      out.push(new Date(t).toISOString().slice(0, 10));
    }
    return out;
  });
  assert.equal(days.length, 31, asked.join(' '));
  assert.equal(new Set(days).size, 31);
  assert.equal(pages.at(-1)!.checkpoint.phase, 'done');
  assert.ok(pages.some((p) => p.records.length > 0 || p.failed.length > 0));
});

Deno.test('tiny ground truth: a note with situação 3 (cancelada) and no cancellation XML lands cancelled', async () => {
  const list = fixture('notas-pesquisa.json');
  const note = { ...list.retorno.notas_fiscais[0].nota_fiscal, situacao: '3' };
  const xmlAnswer = Deno.readTextFileSync(new URL('./fixtures/nota-obter-xml.xml', import.meta.url))
    .replace(/<xml_cancelamento>[\s\S]*<\/xml_cancelamento>/, '');
  const clock = new FakeClock('2026-02-01T12:00:00Z');
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const service = new URL(req.url).pathname.split('/').pop()!.replace(/\.php$/, '');
    const form = new URLSearchParams(await req.text());
    if (service === 'nota.fiscal.obter.xml') return new Response(xmlAnswer, { status: 200 });
    const body = form.get('tipoNota') === 'S'
      ? { retorno: { ...list.retorno, numero_paginas: '1', notas_fiscais: [{ nota_fiscal: note }] } }
      : empty;
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const adapter = createTinyAdapter({
    connectionId: 'conn-tiny-gt',
    accountKey: 'tiny-gt',
    baseUrl: 'http://tiny.test/api2',
    credentials: new MemoryCredentialStore({ token: 'tok-12345678' }),
    fetch: fetchFn,
  }, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 });
  const docs = (await all(adapter.nfe(WINDOW, null))).flatMap((p) => p.records);
  assert.deepEqual(docs.map((d) => [d.externalId, d.erpCancelled?.source]), [
    [note.id, 'Tiny situação 3 (Cancelada)'],
  ]);
});

Deno.test('tiny ground truth: against the simulator refusing wide queries (codigo_erro 21), a full sync reads everything', async () => {
  const clock = new FakeClock('2026-01-15T12:00:00Z');
  const sim = createTinySimulator({ seed: 5, clock, knobs: { maxRecordsPerQuery: 4, enforceLimits: false } });
  const window = { from: '2025-11-01', to: '2026-01-14' };
  const acc = sim.admin.provision({
    accountId: 'tiny-21',
    nfeCount: 20,
    productCount: 2,
    financialCount: 24,
    ...window,
  });
  const data = sim.admin.data!('tiny-21');
  let listCalls = 0;
  const adapter = createTinyAdapter({
    connectionId: 'conn-tiny-21',
    accountKey: 'tiny-21',
    baseUrl: 'http://tiny.sim/api2',
    credentials: new MemoryCredentialStore(acc.credentials),
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      const req = new Request(input, init);
      if (/contas\.(receber|pagar)\.pesquisa/.test(req.url)) listCalls++;
      return sim.handler(req);
    }) as typeof fetch,
  }, {
    clock,
    limiter: new RateLimiter({ clock }),
    random: () => 0.5,
  });
  const fin = (await all(adapter.financials(window, null))).flatMap((p) => p.records);
  const expected = data.titles.filter((t) => t.issueDate >= window.from && t.issueDate <= window.to);
  assert.equal(new Set(fin.map((e) => e.externalId)).size, expected.length);
  assert.ok(listCalls > 4, `the window was split (${listCalls} list calls for two phases)`);
});

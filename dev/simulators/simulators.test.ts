/**
 * Simulator behaviour (Bling, Tiny, shared machinery) checked at the HTTP level, plus a round trip of their
 * NF-e XML through the adapters and the NF-e parser. Servers bind 127.0.0.1:0 and are closed at the end.
 */
import assert from 'node:assert/strict';
import { FakeClock } from '../../supabase/functions/_shared/http/clock.ts';
import { RateLimiter } from '../../supabase/functions/_shared/http/limiter.ts';
import { parseNfeDocument } from '../../supabase/functions/_shared/nfe/mod.ts';
import { createBlingAdapter } from '../../supabase/functions/_shared/adapters/bling/index.ts';
import { createTinyAdapter } from '../../supabase/functions/_shared/adapters/tiny/index.ts';
import { MemoryCredentialStore } from '../../supabase/functions/_shared/adapters/testing/memory-store.ts';
import type { ErpAdapter, NfeDocument } from '../../supabase/functions/_shared/adapters/contract.ts';
import { createBlingSimulator } from './bling/index.ts';
import { createTinySimulator } from './tiny/index.ts';
import { startSimulators } from './serve.ts';
import type { Simulator } from './common/types.ts';

function serve(sim: Simulator) {
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, sim.handler);
  return Promise.resolve({
    origin: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    close: () => server.shutdown(),
  });
}

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

Deno.test('simulators: same seed → same data and same credentials', () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20));
  const a = createBlingSimulator({ seed: 9, clock }).admin;
  const b = createBlingSimulator({ seed: 9, clock }).admin;
  const pa = a.provision({ accountId: 'x', nfeCount: 5 });
  const pb = b.provision({ accountId: 'x', nfeCount: 5 });
  assert.deepEqual(pa, pb);
  assert.deepEqual(a.data!('x').notes.map((n) => n.xml), b.data!('x').notes.map((n) => n.xml));
  const c = createBlingSimulator({ seed: 10, clock }).admin.provision({ accountId: 'x', nfeCount: 5 });
  assert.notEqual(c.company.cnpj, pa.company.cnpj);
  assert.deepEqual(a.provision({ accountId: 'x' }), pa, 'provisioning is idempotent per account');
});

Deno.test('bling simulator: OAuth code flow, Basic-only token endpoint, rotation, code reuse revokes', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 12));
  const sim = createBlingSimulator({ seed: 1, clock });
  const { origin, close } = await serve(sim);
  try {
    const auth = await fetch(
      `${origin}/Api/v3/oauth/authorize?response_type=code&client_id=bling-client-id&state=s1&sim_account=acc1&redirect_uri=${
        encodeURIComponent('http://127.0.0.1:9/cb')
      }`,
      { redirect: 'manual' },
    );
    await auth.body?.cancel();
    assert.equal(auth.status, 302);
    const loc = new URL(auth.headers.get('location')!);
    assert.equal(loc.searchParams.get('state'), 's1');
    const code = loc.searchParams.get('code')!;

    const inBody = await fetch(`${origin}/Api/v3/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: form({
        grant_type: 'authorization_code',
        code,
        client_id: 'bling-client-id',
        client_secret: 'bling-client-secret',
      }),
    });
    assert.equal(inBody.status, 401);
    assert.equal((await inBody.json()).error, 'invalid_client');

    const tokenReq = (body: Record<string, string>) =>
      fetch(`${origin}/Api/v3/oauth/token`, {
        method: 'POST',
        headers: { ...FORM, authorization: basic('bling-client-id', 'bling-client-secret') },
        body: form(body),
      });
    const t1 = await (await tokenReq({ grant_type: 'authorization_code', code })).json();
    assert.equal(t1.expires_in, 21600);
    assert.ok(t1.access_token && t1.refresh_token);

    const t2 = await (await tokenReq({ grant_type: 'refresh_token', refresh_token: t1.refresh_token }))
      .json();
    assert.notEqual(t2.refresh_token, t1.refresh_token, 'rotated');
    const reuse = await tokenReq({ grant_type: 'refresh_token', refresh_token: t1.refresh_token });
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, 'invalid_grant');

    const me = await fetch(`${origin}/Api/v3/empresas/me/dados-basicos`, {
      headers: { authorization: `Bearer ${t2.access_token}` },
    });
    assert.match(
      (await me.json()).data.cnpj,
      /^\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}$/,
      'CNPJ formatted as Bling does',
    );

    clock.advance(21_600_000);
    const expired = await fetch(`${origin}/Api/v3/nfe`, {
      headers: { authorization: `Bearer ${t2.access_token}` },
    });
    assert.equal(expired.status, 401);
    assert.match((await expired.json()).error.description, /expired/);

    // Reusing an authorization code revokes the user's authorization.
    const again = await tokenReq({ grant_type: 'authorization_code', code });
    assert.equal(again.status, 400);
    await again.body?.cancel();
    const dead = await tokenReq({ grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    assert.equal((await dead.json()).error, 'invalid_grant');
  } finally {
    await close();
  }
});

Deno.test('bling simulator: 3 req/s → 429 body, 1-year window → 400, pages without totals, XML link + documento', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 12));
  const sim = createBlingSimulator({ seed: 2, clock });
  const { origin, close } = await serve(sim);
  try {
    const acc = sim.admin.provision({ accountId: 'b', nfeCount: 5 });
    const h = { authorization: `Bearer ${acc.credentials.access_token}` };
    const statuses: number[] = [];
    let body429: { error: { type: string; limit: number; period: string } } | undefined;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${origin}/Api/v3/nfe?limite=2`, { headers: h });
      statuses.push(r.status);
      if (r.status === 429) body429 = await r.json();
      else {
        const j = await r.json();
        assert.deepEqual(Object.keys(j), ['data'], 'no totals, no next link');
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.deepEqual([body429!.error.type, body429!.error.limit, body429!.error.period], [
      'TOO_MANY_REQUESTS',
      3,
      'second',
    ]);
    clock.advance(1000);
    const wide = await fetch(
      `${origin}/Api/v3/nfe?dataEmissaoInicial=2024-01-01&dataEmissaoFinal=2025-06-01`,
      { headers: h },
    );
    assert.equal(wide.status, 400);
    assert.equal((await wide.json()).error.type, 'VALIDATION_ERROR');

    const note = sim.admin.data!('b').notes.find((n) => n.authorised)!;
    const detail = await (await fetch(`${origin}/Api/v3/nfe/${note.id}`, { headers: h })).json();
    const link = new URL(detail.data.xml);
    assert.equal(link.pathname, '/relatorios/nfe.xml.php');
    const viaLink = await fetch(link); // signature param, no bearer
    assert.equal(await viaLink.text(), note.xml);
    clock.advance(1000);
    const forged = await fetch(
      `${origin}/relatorios/nfe.xml.php?chaveAcesso=${note.accessKey}&signature=bad`,
    );
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const produtos = await (await fetch(`${origin}/Api/v3/produtos?limite=1`, { headers: h })).json();
    assert.equal(produtos.data[0].tributacao, undefined, 'no NCM in the product list');
  } finally {
    await close();
  }
});

Deno.test('tiny simulator: HTTP 200 envelopes, codigo 2/20/23/6, XML endpoint ignores formato=json', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 20, 12));
  const sim = createTinySimulator({ seed: 3, clock });
  const { origin, close } = await serve(sim);
  try {
    const acc = sim.admin.provision({ accountId: 't', nfeCount: 3, planLimitPerMinute: 30 });
    const call = async (service: string, params: Record<string, string>) => {
      const r = await fetch(`${origin}/api2/${service}.php`, {
        method: 'POST',
        headers: FORM,
        body: form({ formato: 'json', ...params }),
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-limit-api'), r.headers.get('x-limit-api') ?? null);
      return r;
    };
    const token = String(acc.credentials.token);
    assert.equal((await (await call('info', { token: 'nope' })).json()).retorno.codigo_erro, '2');
    const empty = await (await call('notas.fiscais.pesquisa', {
      token,
      dataInicial: '01/01/2020',
      dataFinal: '02/01/2020',
    })).json();
    assert.equal(empty.retorno.codigo_erro, '20');
    const page9 = await (await call('produtos.pesquisa', { token, pesquisa: '', pagina: '9' })).json();
    assert.equal(page9.retorno.codigo_erro, '23');
    const list = await (await call('produtos.pesquisa', { token, pesquisa: '' })).json();
    assert.equal(typeof list.retorno.produtos[0].produto.id, 'string', 'numbers as strings, items wrapped');
    const note = sim.admin.data!('t').notes.find((n) => n.authorised)!;
    const xml = await (await call('nota.fiscal.obter.xml', { token, id: String(note.id) })).text();
    assert.ok(xml.startsWith('<?xml') && xml.includes('<xml_nfe><nfeProc'), 'XML even with formato=json');
    let blocked = false;
    for (let i = 0; i < 30 && !blocked; i++) {
      const r = await (await call('info', { token })).json();
      blocked = r.retorno.codigo_erro === '6';
    }
    assert.ok(blocked, 'the plan limit (30/min) answers codigo_erro 6 with HTTP 200');
    sim.admin.revoke('t');
    assert.equal((await (await call('info', { token })).json()).retorno.codigo_erro, '2');
  } finally {
    await close();
  }
});

async function allDocs(adapter: ErpAdapter, from: string, to: string): Promise<NfeDocument[]> {
  const out: NfeDocument[] = [];
  for await (const p of adapter.nfe({ from, to }, null)) out.push(...p.records);
  return out;
}

Deno.test('simulator NF-e XML round-trips through the adapters and the NF-e parser (cancellations included)', async () => {
  for (const erp of ['bling', 'tiny'] as const) {
    const clock = new FakeClock(Date.UTC(2026, 10, 20, 12));
    const sim = erp === 'bling'
      ? createBlingSimulator({ seed: 7, clock })
      : createTinySimulator({ seed: 7, clock });
    const { origin, close } = await serve(sim);
    try {
      const acc = sim.admin.provision({ accountId: 'rt', nfeCount: 60 });
      const data = sim.admin.data!('rt');
      const adapter = (erp === 'bling' ? createBlingAdapter : createTinyAdapter)({
        connectionId: 'c',
        accountKey: `rt-${erp}`,
        baseUrl: origin + (erp === 'bling' ? '/Api/v3' : '/api2'),
        credentials: new MemoryCredentialStore(acc.credentials),
        oauthClient: acc.oauthClient,
      }, { clock, limiter: new RateLimiter({ clock, maxWaitMs: 3_600_000 }) });
      const from = data.notes[0].issuedDate;
      const to = data.notes[data.notes.length - 1].issuedDate;
      const docs = await allDocs(adapter, from, to);
      const cancelledKeys = new Set<string>();
      const parsedKeys = new Set<string>();
      for (const d of docs) {
        const parsed = parseNfeDocument(d.xml);
        for (const n of parsed.notes) {
          parsedKeys.add(n.accessKey);
          if (n.cancelled) cancelledKeys.add(n.accessKey);
        }
        for (const ev of parsed.events) if (ev.cancels) cancelledKeys.add(ev.accessKey);
      }
      const expected = data.notes.filter((n) => n.authorised);
      assert.ok(expected.some((n) => n.cancelled), 'the seed yields cancelled notes');
      assert.deepEqual(
        parsedKeys,
        new Set(expected.map((n) => n.accessKey)),
        `${erp}: every authorised note parses`,
      );
      assert.deepEqual(
        cancelledKeys,
        new Set(expected.filter((n) => n.cancelled).map((n) => n.accessKey)),
        `${erp}: cancellations survive the trip`,
      );
    } finally {
      await close();
    }
  }
});

Deno.test('serve.ts: startSimulators on ephemeral ports with provisioned accounts and admin API', async () => {
  const sims = await startSimulators({
    only: ['bling', 'tiny'],
    ports: { bling: 0, tiny: 0 },
    accounts: 2,
    knobs: { latencyMs: 0 },
  });
  try {
    for (const r of sims.list) {
      assert.equal(r.accounts.length, 2);
      const health = await (await fetch(`${r.origin}/__admin/health`)).json();
      assert.equal(health.erp, r.erp);
      const knobs = await (await fetch(`${r.origin}/__admin/knobs`, {
        method: 'POST',
        body: JSON.stringify({ failureRate: 0.5 }),
      })).json();
      assert.equal(knobs.failureRate, 0.5);
      const created = await fetch(`${r.origin}/__admin/accounts`, {
        method: 'POST',
        body: JSON.stringify({ accountId: 'extra', cnpj: '11222333000181' }),
      });
      assert.equal(created.status, 201);
      assert.equal((await created.json()).company.cnpj, '11222333000181');
      const revoked = await fetch(`${r.origin}/__admin/revoke`, {
        method: 'POST',
        body: JSON.stringify({ accountId: 'nope' }),
      });
      assert.equal(revoked.status, 404);
      await revoked.body?.cancel();
    }
    assert.ok(sims.get('bling')!.baseUrl.endsWith('/Api/v3'));
  } finally {
    await sims.close();
  }
});

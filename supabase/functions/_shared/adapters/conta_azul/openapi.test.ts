/**
 * Contract test against Conta Azul's published OpenAPI documents (financial, inventory, invoice; portal
 * https://developers.contaazul.com, public copies in clark-neitzel/cahardt@cf92b2bf4d9112210f338bdf27e9863eecf0c307
 * docs/*.json — see docs/erp-sources.md), copied unchanged into ./openapi/ (its README names the source).
 *
 * Every request the Conta Azul adapter makes during full syncs is a documented operation with valid query
 * parameters, and every JSON answer the simulator sends for it validates against the documented response. The
 * person API (`/v1/pessoas/conta-conectada`) and the OAuth token endpoint are not in these documents.
 */
import assert from 'node:assert/strict';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import { type Json, OpenApiChecker } from '../testing/openapi.ts';
import type { AdapterContext, Page } from '../contract.ts';
import { createContaAzulAdapter } from './index.ts';
import { createContaAzulSimulator } from '../../../../../dev/simulators/conta_azul/index.ts';

const DIR = new URL('./openapi/', import.meta.url);
const DOCUMENTS = ['financial-apis-openapi.json', 'open-api-inventory.json', 'open-api-invoice.json'];
/**
 * The documents declare `format: date-time` with zoned examples, while the live API sends São Paulo local time
 * without a zone (`"data_criacao": "2025-06-28T07:48:30.223062"`, captured in an open-source client): both accepted.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Real answers the documents do not foresee, accepted as variants: an internal entry comes with
 * `"cliente": { "id": null, "nome": null }` (captured; docs/erp-sources.md).
 */
function withCapturedVariants(doc: Json): Json {
  const negociador = doc.components?.schemas?.NegociadorContaAPagarOuReceber;
  if (negociador?.properties) {
    for (const p of ['id', 'nome']) if (negociador.properties[p]) negociador.properties[p].nullable = true;
  }
  return doc;
}

function load(): OpenApiChecker[] | null {
  try {
    return DOCUMENTS.map((f) =>
      new OpenApiChecker(withCapturedVariants(JSON.parse(Deno.readTextFileSync(new URL(f, DIR)))), {
        formats: { 'date-time': DATE_TIME },
      })
    );
  } catch {
    return null;
  }
}
const checkers = load();
if (!checkers) console.log(`[conta azul openapi] ${DIR.pathname} not found: contract test skipped`);

/** Paths the adapter calls that these documents do not describe (person API). */
const NOT_IN_DOCUMENTS = new Set(['/v1/pessoas/conta-conectada']);

async function drain<T>(it: AsyncIterable<Page<T>>): Promise<number> {
  let n = 0;
  for await (const p of it) n += p.records.length;
  return n;
}

Deno.test({
  name: 'conta azul OpenAPI: every request of full syncs is documented; every simulator answer validates',
  ignore: !checkers,
  fn: async () => {
    const clock = new FakeClock('2026-01-15T12:00:00Z');
    const sim = createContaAzulSimulator({ seed: 11, clock });
    const window = { from: '2025-11-01', to: '2026-01-14' };
    const acc = sim.admin.provision({
      accountId: 'ca-openapi',
      nfeCount: 30,
      productCount: 12,
      financialCount: 30,
      ...window,
    });
    const exchanges: Array<{ method: string; url: URL; status: number; body: string; type: string }> = [];
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const req = new Request(input, init);
      const res = await sim.handler(req);
      exchanges.push({
        method: req.method,
        url: new URL(req.url),
        status: res.status,
        body: await res.clone().text(),
        type: res.headers.get('content-type') ?? '',
      });
      return res;
    }) as typeof fetch;
    const ctx: AdapterContext = {
      connectionId: 'conn-ca-openapi',
      accountKey: 'ca-openapi',
      baseUrl: 'http://ca.sim',
      authUrl: 'http://ca.sim',
      credentials: new MemoryCredentialStore(acc.credentials),
      oauthClient: acc.oauthClient,
      fetch: fetchFn,
    };
    const adapter = createContaAzulAdapter(ctx, {
      clock,
      limiter: new RateLimiter({ clock }),
      random: () => 0.5,
      oauthInflight: new Map(),
    });
    assert.ok((await drain(adapter.nfe(window, null))) > 0);
    assert.ok((await drain(adapter.products(null))) > 0);
    assert.ok((await drain(adapter.financials(window, null))) > 0);
    await adapter.profile();

    const problems: string[] = [];
    const uncovered = new Set<string>();
    let checked = 0;
    for (const x of exchanges) {
      if (!x.url.pathname.startsWith('/v1/')) continue; // OAuth endpoints
      const checker = checkers!.find((c) => c.findOperation(x.method, x.url.pathname));
      if (!checker) {
        uncovered.add(x.url.pathname);
        continue;
      }
      checked++;
      problems.push(...checker.requestProblems(x.method, x.url));
      if (x.type.includes('json')) {
        problems.push(...checker.responseProblems(x.method, x.url, x.status, JSON.parse(x.body) as Json));
      }
    }
    assert.deepEqual(problems, []);
    assert.deepEqual([...uncovered].filter((p) => !NOT_IN_DOCUMENTS.has(p)), []);
    assert.ok(checked > 20, `${checked} requests checked`);
  },
});

Deno.test({
  name: 'conta azul OpenAPI: the recorded fixtures validate against their operations',
  ignore: !checkers,
  fn: () => {
    const fixture = (name: string) =>
      JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));
    const u = (path: string) => new URL(`https://api-v2.contaazul.com${path}`);
    const produtos = fixture('produtos');
    const cases: Array<[string, string, Json]> = [
      ['categorias', '/v1/categorias', fixture('categorias').response],
      ['categorias-dre', '/v1/financeiro/categorias-dre', fixture('categorias-dre').response],
      [
        'contas-a-receber',
        '/v1/financeiro/eventos-financeiros/contas-a-receber/buscar',
        fixture('contas-a-receber').response,
      ],
      [
        'contas-a-receber-status',
        '/v1/financeiro/eventos-financeiros/contas-a-receber/buscar',
        fixture('contas-a-receber-status').response,
      ],
      [
        'contas-a-pagar',
        '/v1/financeiro/eventos-financeiros/contas-a-pagar/buscar',
        fixture('contas-a-pagar').response,
      ],
      ['notas-fiscais', '/v1/notas-fiscais', fixture('notas-fiscais').response],
      ['produtos list', '/v1/produtos', produtos.list.response ?? produtos.list],
    ];
    const problems: string[] = [];
    for (const [name, path, body] of cases) {
      const checker = checkers!.find((c) => c.findOperation('GET', path));
      if (!checker) problems.push(`${name}: ${path} not documented`);
      else problems.push(...checker.responseProblems('GET', u(path), 200, body).map((p) => `${name}: ${p}`));
    }
    assert.deepEqual(problems, []);
  },
});

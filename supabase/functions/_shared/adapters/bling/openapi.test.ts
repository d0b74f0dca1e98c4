/**
 * Contract test against Bling's published OpenAPI 3.0 document (./openapi/, source in its README):
 *   - every request the Bling adapter makes during full syncs (path, method, query parameters and their types,
 *     enums and formats) is an operation of the document;
 *   - every answer the Bling simulator sends for them validates against the operation's response schema (errors
 *     against the document's `Error` object);
 *   - every raw-response zod schema of the adapter accepts the examples the document gives for its operation.
 *
 * Where the document disagrees with itself, the test accepts both readings and says so here:
 *   - `dataEmissaoInicial/Final` of GET /nfe are declared `format: date` but exemplified (and accepted by Bling) as
 *     `YYYY-MM-DD HH:MM:SS`: a value is valid when it matches the schema or has the shape of the example;
 *   - `ErrorResponse` lists `error.type`, `message`, `description` as required on the envelope itself, where its
 *     examples (and every Bling answer) carry them inside `error`: error bodies are checked as `{ error: Error }`;
 *   - Bling names its date-time format `datetime` (`YYYY-MM-DD HH:MM:SS`, per its examples);
 *   - some schemas require properties they do not declare (`NotasFiscaisDadosGetDTO`: `data`, `valor`), require
 *     write-only ones in answers (`contato.contribuinte`), or give integer fields string enums
 *     (`dimensoes.unidadeMedida`): the checker's `repairs` accept both readings.
 */
import assert from 'node:assert/strict';
import { sample } from 'openapi-sampler';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import { type Json, OpenApiChecker } from '../testing/openapi.ts';
import type { AdapterContext, Page } from '../contract.ts';
import { createBlingAdapter } from './index.ts';
import { createBlingSimulator } from '../../../../../dev/simulators/bling/index.ts';
import {
  BlingCategorySchema,
  BlingCompanySchema,
  BlingDocumentoSchema,
  BlingNfeDetailSchema,
  BlingNfeListItemSchema,
  BlingProductDetailSchema,
  BlingProductListItemSchema,
  BlingTitleDetailSchema,
  BlingTitleListItemSchema,
} from './schemas.ts';
import type { z } from 'zod';

const spec: Json = JSON.parse(
  Deno.readTextFileSync(new URL('./openapi/bling-openapi-v3.json', import.meta.url)),
);
const API_PREFIX = '/Api/v3';
const checker = new OpenApiChecker(spec, {
  prefix: API_PREFIX,
  formats: { datetime: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/ },
  exampleShapes: true,
  repairs: true,
});
/** Bling's error envelope `{ error: Error }` (see the header: ErrorResponse's own `required` is inconsistent). */
const ERROR_ENVELOPE = {
  type: 'object',
  required: ['error'],
  properties: { error: { $ref: checker.pointer('components', 'schemas', 'Error') } },
};
const requestProblems = (method: string, url: URL) => checker.requestProblems(method, url);
function responseProblems(method: string, url: URL, status: number, body: Json): string[] {
  const found = checker.findOperation(method, checker.apiPath(url.pathname));
  if (!found) return [];
  if (status >= 400) return checker.validate(`${found.template} ${status}`, ERROR_ENVELOPE, body);
  return checker.responseProblems(method, url, status, body);
}
const findOperation = (method: string, path: string) => checker.findOperation(method, path);
const deref = (node: Json) => checker.deref(node);

async function drain<T>(it: AsyncIterable<Page<T>>): Promise<number> {
  let n = 0;
  for await (const p of it) n += p.records.length;
  return n;
}

Deno.test('bling OpenAPI: every request of full syncs is a documented operation; every simulator answer validates', async () => {
  const clock = new FakeClock('2026-02-15T12:00:00Z');
  const sim = createBlingSimulator({ seed: 11, clock });
  const acc = sim.admin.provision({
    accountId: 'bling-openapi',
    nfeCount: 30,
    productCount: 12,
    financialCount: 30,
    from: '2025-01-10',
    to: '2026-02-14',
  });
  const exchanges: Array<{ method: string; url: URL; status: number; body: string; type: string }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const res = await sim.handler(req);
    const body = await res.clone().text();
    exchanges.push({
      method: req.method,
      url: new URL(req.url),
      status: res.status,
      body,
      type: res.headers.get('content-type') ?? '',
    });
    return res;
  }) as typeof fetch;
  const ctx: AdapterContext = {
    connectionId: 'conn-bling-openapi',
    accountKey: 'bling-openapi',
    baseUrl: `http://bling.sim${API_PREFIX}`,
    credentials: new MemoryCredentialStore(acc.credentials),
    oauthClient: acc.oauthClient,
    fetch: fetchFn,
  };
  const adapter = createBlingAdapter(ctx, { clock, limiter: new RateLimiter({ clock }), random: () => 0.5 });
  const window = { from: '2025-01-10', to: '2026-02-14' };
  assert.ok((await drain(adapter.nfe(window, null))) > 0);
  assert.ok((await drain(adapter.products(null))) > 0);
  assert.ok((await drain(adapter.financials(window, null))) > 0);
  await adapter.profile();
  // an access token past its expiry: the refresh goes to the document's token URL
  sim.admin.expireTokens('bling-openapi');
  clock.advance(7 * 3_600_000);
  await adapter.profile();

  const tokenUrl = new URL(spec.components.securitySchemes.OAuth2.flows.authorizationCode.tokenUrl);
  const problems: string[] = [];
  let api = 0;
  let xmlLinks = 0;
  let tokenCalls = 0;
  for (const x of exchanges) {
    if (x.url.pathname === tokenUrl.pathname) {
      tokenCalls++;
      assert.equal(x.method, 'POST');
      continue;
    }
    if (!x.url.pathname.startsWith(`${API_PREFIX}/`)) {
      // the XML link of an NF-e detail (`xml`, readOnly string in NotasFiscaisDadosGetDTO), fetched as given
      assert.ok(x.type.includes('xml'), `${x.url.pathname} is neither an API call nor an XML link`);
      xmlLinks++;
      continue;
    }
    api++;
    problems.push(...requestProblems(x.method, x.url));
    if (x.type.includes('json')) {
      problems.push(...responseProblems(x.method, x.url, x.status, JSON.parse(x.body)));
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(api > 50, `${api} API calls checked`);
  assert.ok(tokenCalls >= 1, 'the token refresh was exercised');
  const paths = new Set(
    exchanges.map((x) => findOperation(x.method, x.url.pathname.slice(API_PREFIX.length))?.template),
  );
  for (
    const t of [
      '/nfe',
      '/nfe/documento/{chaveAcesso}',
      '/produtos',
      '/produtos/{idProduto}',
      '/categorias/receitas-despesas',
      '/contas/receber',
      '/contas/receber/{idContaReceber}',
      '/contas/pagar',
      '/contas/pagar/{idContaPagar}',
      '/empresas/me/dados-basicos',
    ]
  ) assert.ok(paths.has(t), `${t} exercised`);
  void xmlLinks;
});

Deno.test('bling OpenAPI: the simulator error answers (400 over one year, 404, 429) validate as Error', async () => {
  const clock = new FakeClock('2026-02-15T12:00:00Z');
  const sim = createBlingSimulator({ seed: 11, clock });
  const acc = sim.admin.provision({
    accountId: 'bling-openapi-err',
    nfeCount: 1,
    productCount: 1,
    financialCount: 1,
  });
  const auth = { authorization: `Bearer ${acc.credentials.access_token}` };
  const problems: string[] = [];
  const seen: number[] = [];
  for (
    const q of [
      '/contas/receber?tipoFiltroData=E&dataInicial=2024-01-01&dataFinal=2025-06-01',
      '/produtos/999999999',
      '/nfe?pagina=1',
      '/nfe?pagina=1',
      '/nfe?pagina=1',
      '/nfe?pagina=1',
    ]
  ) {
    const url = new URL(`http://bling.sim${API_PREFIX}${q}`);
    const res = await sim.handler(new Request(url, { headers: auth }));
    seen.push(res.status);
    problems.push(...responseProblems('GET', url, res.status, await res.json()));
  }
  assert.deepEqual(problems, []);
  assert.ok(seen.includes(400) && seen.includes(404) && seen.includes(429), seen.join(','));
});

/** The example the document gives for an operation's answer (built from its schema's examples). */
function documentedExample(template: string, status = '200'): Json {
  const schema = deref(spec.paths[template].get.responses[status]).content['application/json'].schema;
  return sample(schema, { skipReadOnly: false, skipNonRequired: false, quiet: true }, spec);
}

Deno.test('bling OpenAPI: the adapter schemas accept the document examples', () => {
  const cases: Array<[string, z.ZodType, (body: Json) => Json]> = [
    ['/nfe', BlingNfeListItemSchema, (b) => b.data[0]],
    ['/nfe/{idNotaFiscal}', BlingNfeDetailSchema, (b) => b.data],
    ['/nfe/documento/{chaveAcesso}', BlingDocumentoSchema, (b) => b],
    ['/produtos', BlingProductListItemSchema, (b) => b.data[0]],
    ['/produtos/{idProduto}', BlingProductDetailSchema, (b) => b.data],
    ['/categorias/receitas-despesas', BlingCategorySchema, (b) => b.data[0]],
    ['/contas/receber', BlingTitleListItemSchema, (b) => b.data[0]],
    ['/contas/receber/{idContaReceber}', BlingTitleDetailSchema, (b) => b.data],
    ['/contas/pagar', BlingTitleListItemSchema, (b) => b.data[0]],
    ['/contas/pagar/{idContaPagar}', BlingTitleDetailSchema, (b) => b.data],
    ['/empresas/me/dados-basicos', BlingCompanySchema, (b) => b.data],
  ];
  const problems: string[] = [];
  for (const [template, schema, pick] of cases) {
    const example = pick(documentedExample(template));
    assert.ok(
      example && typeof example === 'object' && Object.keys(example).length > 0,
      `${template} example`,
    );
    const r = schema.safeParse(example);
    if (!r.success) problems.push(`${template}: ${JSON.stringify(r.error.issues.slice(0, 3))}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test('bling OpenAPI: the request check refuses what the document does not allow', () => {
  const u = (q: string) => new URL(`http://bling.sim${API_PREFIX}${q}`);
  assert.deepEqual(
    requestProblems('GET', u('/nfe?pagina=1&tipo=1&dataEmissaoInicial=2026-01-01%2000:00:00')),
    [],
  );
  assert.equal(requestProblems('GET', u('/nfe?pagina=0')).length, 1); // minimum 1
  assert.equal(requestProblems('GET', u('/nfe?tipo=2')).length, 1); // enum "0" | "1"
  assert.equal(requestProblems('GET', u('/nfe?dataEmissaoInicial=01/01/2026')).length, 1); // neither date nor example shape
  assert.equal(requestProblems('GET', u('/nfe?naoExiste=1')).length, 1);
  assert.equal(requestProblems('GET', u('/nfe/documento/123')).length, 1); // formato is required
  assert.equal(requestProblems('GET', u('/notas')).length, 1);
  assert.equal(requestProblems('DELETE', u('/empresas/me/dados-basicos')).length, 1);
  // and the response check refuses bodies the document does not describe
  assert.ok(responseProblems('GET', u('/nfe'), 200, { data: [{ id: 'x', situacao: 99 }] }).length > 0);
  assert.ok(responseProblems('GET', u('/nfe'), 200, { data: 'x' }).length > 0);
  assert.ok(responseProblems('GET', u('/nfe'), 404, { message: 'not found' }).length > 0);
  assert.ok(responseProblems('GET', u('/nfe'), 201, { data: [] }).length > 0);
});

Deno.test('bling OpenAPI: every recorded fixture validates against its operation', () => {
  const fixture = (name: string) =>
    JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
  const u = (path: string) => new URL(`http://bling.test${API_PREFIX}${path}`);
  const cases: Array<[string, string, number]> = [
    ['nfe-list.json', '/nfe', 200],
    ['nfe-detail.json', '/nfe/1', 200],
    ['nfe-documento.json', '/nfe/documento/1', 200],
    ['produtos-list.json', '/produtos', 200],
    ['produto-detail.json', '/produtos/1', 200],
    ['categorias.json', '/categorias/receitas-despesas', 200],
    ['contas-receber-list.json', '/contas/receber', 200],
    ['conta-receber-detail.json', '/contas/receber/1', 200],
    ['conta-pagar-detail.json', '/contas/pagar/1', 200],
    ['empresa.json', '/empresas/me/dados-basicos', 200],
    ['error-404.json', '/produtos/1', 404],
    ['error-validation.json', '/nfe', 400],
    ['error-429-second.json', '/nfe', 429],
    ['error-429-day.json', '/nfe', 429],
  ];
  const problems = cases.flatMap(([name, path, status]) =>
    responseProblems('GET', u(path), status, fixture(name)).map((p) => `${name}: ${p}`)
  );
  assert.deepEqual(problems, []);
});

Deno.test('bling OpenAPI: the simulator NF-e and product details the sync may skip validate too', async () => {
  const clock = new FakeClock('2026-02-15T12:00:00Z');
  const sim = createBlingSimulator({ seed: 11, clock });
  const acc = sim.admin.provision({
    accountId: 'bling-openapi-det',
    nfeCount: 3,
    productCount: 2,
    financialCount: 2,
  });
  const get = async (path: string) => {
    clock.advance(1_000); // 3 req/s
    const url = new URL(`http://bling.sim${API_PREFIX}${path}`);
    const res = await sim.handler(
      new Request(url, { headers: { authorization: `Bearer ${acc.credentials.access_token}` } }),
    );
    return { url, status: res.status, body: await res.json() };
  };
  const list = await get('/nfe?pagina=1&tipo=1');
  const problems: string[] = responseProblems('GET', list.url, list.status, list.body);
  assert.ok(list.body.data.length > 0);
  for (const n of list.body.data) {
    const d = await get(`/nfe/${n.id}`);
    problems.push(...responseProblems('GET', d.url, d.status, d.body));
  }
  assert.deepEqual(problems, []);
});

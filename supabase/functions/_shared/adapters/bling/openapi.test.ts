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
 *   - Bling names its date-time format `datetime` (`YYYY-MM-DD HH:MM:SS`, per its examples).
 */
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { sample } from 'openapi-sampler';
import { FakeClock, RateLimiter } from '../../http/mod.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
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

// deno-lint-ignore no-explicit-any
type Json = any;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const spec: Json = JSON.parse(
  Deno.readTextFileSync(new URL('./openapi/bling-openapi-v3.json', import.meta.url)),
);
const API_PREFIX = '/Api/v3';
const SPEC_ID = 'bling-openapi-v3.json';

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    ...(coerce ? { coerceTypes: 'array' as const } : {}),
  });
  addFormats(ajv);
  ajv.addFormat('datetime', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  ajv.addSchema(spec, SPEC_ID);
  return ajv;
}
const queryAjv = makeAjv(true);
const bodyAjv = makeAjv(false);

const pointer = (...parts: string[]) =>
  `${SPEC_ID}#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** Resolves a local `$ref` of the document. */
function deref(node: Json): Json {
  let n = node;
  while (n && typeof n.$ref === 'string') {
    n = n.$ref.slice(2).split('/').reduce(
      (o: Json, k: string) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')],
      spec,
    );
  }
  return n;
}

interface Operation {
  template: string;
  method: string;
  op: Json;
}

/** The document's operation for a concrete path (templates like /nfe/{idNotaFiscal}; literal segments win). */
function findOperation(method: string, path: string): Operation | null {
  const candidates: Array<{ template: string; literal: number }> = [];
  for (const template of Object.keys(spec.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) candidates.push({ template, literal: template.replace(/\{[^}]+\}/g, '').length });
  }
  candidates.sort((a, b) => b.literal - a.literal);
  for (const c of candidates) {
    const op = spec.paths[c.template][method.toLowerCase()];
    if (op) return { template: c.template, method: method.toLowerCase(), op };
  }
  return null;
}

/** Digits → 9, letters → a: the shape of a value, to compare with the document's example. */
const shape = (v: string) => v.replace(/\d/g, '9').replace(/[a-z]/gi, 'a');

const validators = new Map<string, ValidateFunction>();
function compiled(ajv: Ajv, key: string, schema: Json): ValidateFunction {
  const k = `${ajv === queryAjv ? 'q' : 'b'}:${key}`;
  let v = validators.get(k);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(k, v);
  }
  return v;
}

/** Problems of one request against the document (empty when it is an operation with valid parameters). */
function requestProblems(method: string, url: URL): string[] {
  const path = url.pathname.slice(API_PREFIX.length);
  const found = findOperation(method, path);
  if (!found) return [`${method} ${path}: no such operation`];
  const params = new Map<string, Json>();
  for (const p of [...(spec.paths[found.template].parameters ?? []), ...(found.op.parameters ?? [])]) {
    const d = deref(p);
    params.set(`${d.in}:${d.name}`, d);
  }
  const problems: string[] = [];
  const names = new Set(url.searchParams.keys());
  for (const name of names) {
    const p = params.get(`query:${name}`);
    if (!p) {
      problems.push(`${found.template}: query parameter ${name} is not in the document`);
      continue;
    }
    const values = url.searchParams.getAll(name);
    const value = p.schema?.type === 'array' ? values : values[0];
    const v = compiled(queryAjv, `${found.template} ${name}`, {
      type: 'object',
      properties: { v: p.schema ?? {} },
    });
    const ok = v({ v: value }) ||
      (typeof value === 'string' && p.schema?.example !== undefined &&
        shape(value) === shape(String(p.schema.example)));
    if (!ok) problems.push(`${found.template}: ${name}=${values.join(',')} ${queryAjv.errorsText(v.errors)}`);
  }
  for (const [key, p] of params) {
    if (p.required && key.startsWith('query:') && !names.has(p.name)) {
      problems.push(`${found.template}: required query parameter ${p.name} missing`);
    }
  }
  return problems;
}

/** Problems of one JSON answer against the operation's response schema for its status. */
function responseProblems(method: string, url: URL, status: number, body: Json): string[] {
  const path = url.pathname.slice(API_PREFIX.length);
  const found = findOperation(method, path);
  if (!found) return [];
  if (status >= 400) {
    const v = compiled(bodyAjv, 'error-envelope', {
      type: 'object',
      required: ['error'],
      properties: { error: { $ref: pointer('components', 'schemas', 'Error') } },
    });
    return v(body) ? [] : [`${found.template} ${status}: ${bodyAjv.errorsText(v.errors)}`];
  }
  const response = deref(found.op.responses?.[String(status)]);
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) return [`${found.template}: status ${status} is not documented`];
  const v = compiled(bodyAjv, `${found.template} ${found.method} ${status}`, {
    $ref: pointer(
      'paths',
      found.template,
      found.method,
      'responses',
      String(status),
      'content',
      'application/json',
      'schema',
    ),
  });
  return v(body) ? [] : [`${found.template} ${status}: ${bodyAjv.errorsText(v.errors)}`];
}

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

// Tiny API v3 specifics beyond the shared contract suite: the one-day refresh token, client credentials in the
// token request body (Keycloak), ErrorDTO answers, and the mappers on payloads shaped like the OpenAPI models
// (linkiez/TinyERPv3-SDK@6d3c167fe243954e4674a3e713e08921c9d49820, src/models/…; docs/tiny-v3.md).
import assert from 'node:assert/strict';
import { AppError } from '../../errors.ts';
import { createTinyV3Simulator, TINY_V3_API_PATH, TINY_V3_AUTH_PATH } from '../../../../../dev/simulators/tiny_v3/index.ts';
import { startRig } from '../testing/contract-suite.ts';
import { MemoryCredentialStore } from '../testing/memory-store.ts';
import { createTinyV3Adapter } from './index.ts';
import { mapTinyV3Company, mapTinyV3Product, mapTinyV3Title, money } from './mappers.ts';
import { TinyV3AccountInfoSchema, TinyV3ProductSchema, TinyV3TitleSchema } from './schemas.ts';
import { tinyV3Inspector } from './client.ts';

const harness = {
  erp: 'tiny' as const,
  factory: createTinyV3Adapter,
  simulator: createTinyV3Simulator,
  apiPath: TINY_V3_API_PATH,
  authPath: TINY_V3_AUTH_PATH,
  oauth: true,
};

async function authError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError && e.kind === 'auth', `expected an auth error, got ${e}`);
    return e;
  }
  assert.fail('expected an auth error');
}

Deno.test('tiny v3: a refresh token unused for more than a day is refused → auth error asking to reconnect', async () => {
  const rig = await startRig(harness);
  try {
    const acc = rig.sim.admin.provision({ accountId: 'idle', nfeCount: 1, productCount: 1, financialCount: 1 });
    const { adapter } = rig.adapter(acc);
    await adapter.profile();
    rig.clock.advance(86_400_000 + 60_000); // the access token (4 h) and the refresh token (1 day) are both gone
    const e = await authError(adapter.profile());
    assert.equal(e.code, 'OAUTH_INVALID_GRANT');
    assert.ok(!e.message.includes(String(acc.credentials.refresh_token)));
  } finally {
    await rig.close();
  }
});

Deno.test('tiny v3: the token request carries the client credentials in the form body', async () => {
  const rig = await startRig(harness);
  try {
    const acc = rig.sim.admin.provision({ accountId: 'body-auth', nfeCount: 1, productCount: 1, financialCount: 1 });
    const store = new MemoryCredentialStore({ ...acc.credentials, expires_at: new Date(0).toISOString() });
    await rig.adapter(acc, { store }).adapter.profile();
    assert.equal(rig.sim.admin.stats().tokenCalls, 1);
    // Wrong client secret → invalid_client: a configuration problem, not the user's grant.
    const bad = rig.adapter({ ...acc, oauthClient: { clientId: acc.oauthClient!.clientId, clientSecret: 'wrong' } }, {
      store: new MemoryCredentialStore({ ...acc.credentials, expires_at: new Date(0).toISOString() }),
    });
    await assert.rejects(bad.adapter.profile(), (e: unknown) => e instanceof AppError && e.kind === 'config');
  } finally {
    await rig.close();
  }
});

Deno.test('tiny v3: ErrorDTO on 400 is a data error naming Tiny\'s message and field', () => {
  const body = { mensagem: 'Parâmetros inválidos', detalhes: [{ campo: 'limit', mensagem: 'deve ser até 100' }] };
  const signal = tinyV3Inspector({
    status: 400,
    headers: new Headers(),
    json: () => body,
    text: JSON.stringify(body),
  } as never);
  assert.equal(signal?.signal, 'data');
  assert.match(signal?.detail ?? '', /Parâmetros inválidos; limit: deve ser até 100/);
  assert.equal(tinyV3Inspector({ status: 401, headers: new Headers(), json: () => undefined, text: '' } as never), undefined);
});

Deno.test('tiny v3 mappers: product, titles and company as the OpenAPI models shape them', () => {
  // ObterProdutoModelResponse (ProdutoResponseModel + ncm, unidade, precos: PrecoProdutoResponseModel)
  const product = TinyV3ProductSchema.parse({
    id: 337_112_394,
    sku: 'CAM-001',
    descricao: ' Camiseta básica ',
    tipo: 'S',
    situacao: 'A',
    unidade: 'UN',
    ncm: '6109.10.00',
    gtin: '7891234567895',
    precos: { preco: 49.9, precoPromocional: null, precoCusto: 20.1, precoCustoMedio: 20.1 },
  });
  assert.deepEqual(mapTinyV3Product(product), {
    externalId: '337112394',
    code: 'CAM-001',
    name: 'Camiseta básica',
    ncm: '61091000',
    cest: null,
    unit: 'UN',
    price: '49.90',
    active: true,
  });
  // ObterContaReceberResponseModel / ObterContaPagarModelResponse
  const title = TinyV3TitleSchema.parse({
    id: 9001,
    situacao: 'aberto',
    data: '2026-10-01',
    dataVencimento: '2026-10-31',
    dataCompetencia: '2026-10-01',
    valor: 1234.5,
    saldo: 1234.5,
    categoria: { id: 77, descricao: 'Vendas de mercadorias' },
    historico: 'Pedido 123',
  });
  const open = mapTinyV3Title('receivable', title, '2026-11-20');
  assert.equal(open.status, 'overdue', 'aberto past its due date');
  assert.equal(open.amount, '1234.50');
  assert.equal(open.date, '2026-10-01');
  assert.equal(open.categoryId, '77');
  assert.equal(open.dreLine, 'receita_bruta');
  for (const [situacao, status] of [['pago', 'paid'], ['parcial', 'partial'], ['cancelada', 'cancelled'], ['prevista', 'open']]) {
    assert.equal(mapTinyV3Title('payable', { ...title, situacao, dataVencimento: '2026-12-31' }, '2026-11-20').status, status);
  }
  assert.throws(() => TinyV3TitleSchema.parse({ ...title, valor: undefined }), 'a title without valor is malformed');
  // ObterInfoContaModelResponse with EnderecoModel; regimeTributario 1..4
  const info = TinyV3AccountInfoSchema.parse({
    razaoSocial: 'Loja Exemplo Ltda',
    cpfCnpj: '12.345.678/0001-95',
    fantasia: 'Loja Exemplo',
    enderecoEmpresa: { municipio: 'Curitiba', uf: 'pr' },
    regimeTributario: 4,
  });
  const profile = mapTinyV3Company(info);
  assert.equal(profile.cnpj, '12345678000195');
  assert.equal(profile.taxRegime, 'mei');
  assert.equal(profile.crt, 4);
  assert.equal(profile.uf, 'PR');
  assert.deepEqual(profile.unavailable, ['cnae']);
  assert.equal(mapTinyV3Company({ ...info, regimeTributario: 3 }).taxRegime, 'unknown', 'Regime Normal: presumido or real');
});

Deno.test('tiny v3 money: JSON numbers become 2-place decimal strings without float drift', () => {
  assert.equal(money(0.1 + 0.2), '0.30');
  assert.equal(money(1.005), '1.01');
  assert.equal(money(10), '10.00');
  assert.equal(money(-2.5), '-2.50');
  assert.equal(money(null), null);
  assert.equal(money(Number.NaN), null);
});

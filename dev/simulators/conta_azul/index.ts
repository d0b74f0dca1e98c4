/**
 * Conta Azul simulator (new API), on Conta Azul's developer pages (https://developers.contaazul.com/auth,
 * /requestingcode, /renewingaccesstoken) and OpenAPI documents (financial, inventory, invoice; copies in
 * clark-neitzel/cahardt@cf92b2bf4d9112210f338bdf27e9863eecf0c307 docs/; docs/erp-sources.md): Cognito-like OAuth2 at
 * `/oauth2/authorize` and
 * `/oauth2/token` (Basic client auth, 3-min codes, 1-h access tokens, rotating refresh tokens: a reused or
 * revoked one answers 400 `{"error":"invalid_grant","error_subtype":"invalid_refresh_token"|"access_revoked"}`),
 * `DELETE /oauth/connections/{id}`, Bearer auth on `/v1/...`, 10 req/s and 600 req/min per connected
 * account (sliding windows) → 429, per-module envelopes (`{itens, paginacao}` for notas fiscais,
 * `{items, totalItems}` for produtos, `{itens_totais, itens}` for financeiro/categorias), required filters
 * (400) and the 15-day NF-e window, the XML as the body of `/v1/notas-fiscais/{chave_acesso}`, NCM only in the
 * product detail, categories with `entrada_dre`, the categorias-dre tree and `/v1/pessoas/conta-conectada`.
 *
 * The XML comes as `application/xml` and payables share the receivables' status vocabulary, as the OpenAPI
 * documents say. Simulator choices where no source says: the NF-e list item fields beyond `chave_acesso` (id,
 * numero_nota, status, data_emissao, valor, cliente), a Retry-After header on 429s, 401 body
 * `{"message":"Unauthorized"}`,
 * conta-conectada without an address. API and auth share the simulator's origin (set baseUrl and authUrl to it).
 */
import { corrupt, json, SimCore, text } from '../common/core.ts';
import type { AccountData, SimCategory, SimNote, SimProduct, SimTitle } from '../common/dataset.ts';
import { hex, rngFor } from '../common/prng.ts';
import { OAuthServer } from '../common/tokens.ts';
import type { ProvisionedAccount, ProvisionInput, Simulator, SimulatorOptions } from '../common/types.ts';
import { daysBetween, formatCnpj } from '../common/util.ts';

const ACCESS_TTL = 3600;
const REFRESH_TTL = 5 * 365 * 86_400;
const CODE_TTL = 180;
const SECOND_LIMIT = { limit: 10, intervalMs: 1000, period: 'second' };
const MINUTE_LIMIT = { limit: 600, intervalMs: 60_000, period: 'minute' };
const MAX_NFE_WINDOW_DAYS = 15;

type Out = { res: Response; injected?: string };

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `fiscal.origem` (enum OrigemDoProduto of the inventory OpenAPI), indexed by the NF-e origin code 0–8. */
const ORIGEM = [
  'NACIONAL',
  'ESTRANGEIRA_IMPORTACAO_DIRETA',
  'ESTRANGEIRA_ADQUIRIDA_INTERNAMENTE',
  'NACIONAL_IMPORTACAO_SUPERIOR_40',
  'NACIONAL_PRODUCAO_CONFORMIDADE',
  'NACIONAL_IMPORTACAO_INFERIOR_40',
  'ESTRANGEIRA_IMPORTACAO_DIRETA_CAMEX',
  'ESTRANGEIRA_ADQUIRIDA_INTERNAMENTE_CAMEX',
  'NACIONAL_MERCDORIA_BEM_IMPORTACAO_SUPERIOR_70',
];

/** `entrada_dre` per category name (values from the official enum); null = not mapped (the adapter falls back). */
const ENTRADA_DRE: Record<string, string | null> = {
  'Vendas de mercadorias': 'RECEITA_VENDA_PRODUTOS_SERVICOS',
  'Prestação de serviços': 'RECEITA_VENDA_PRODUTOS_SERVICOS',
  'Receitas financeiras': 'RECEITAS_RENDIMENTOS_FINANCEIROS',
  'Outras receitas': 'OUTRAS_RECEITAS_NAO_OPERACIONAIS',
  'Compra de mercadorias para revenda': 'CUSTO_VENDAS_PRODUTOS',
  'Fretes sobre compras': null, // linked through the categorias-dre tree instead
  'DAS - Simples Nacional': 'IMPOSTOS_SOBRE_VENDAS',
  'ICMS a recolher': 'IMPOSTOS_SOBRE_VENDAS',
  'PIS/COFINS a recolher': 'IMPOSTOS_SOBRE_VENDAS',
  'Devoluções de vendas': 'DEVOLUCOES_DE_VENDAS',
  'Salários e encargos': 'DESPESAS_ADMINISTRATIVAS',
  'Aluguel': 'DESPESAS_ADMINISTRATIVAS',
  'Energia elétrica': 'DESPESAS_ADMINISTRATIVAS',
  'Contabilidade': 'DESPESAS_ADMINISTRATIVAS',
  'Internet e telefone': 'DESPESAS_ADMINISTRATIVAS',
  'Marketing e publicidade': 'DESPESAS_COMERCIAIS',
  'Comissões de vendedores': 'COMISSOES_SOBRE_VENDAS',
  'Tarifas bancárias': 'DESPESSAS_FINANCEIRAS',
  'Juros pagos': 'DESPESSAS_FINANCEIRAS',
  'IRPJ': null, // linked through the categorias-dre tree
  'CSLL': null,
};

/** Deterministic UUID-looking id the simulator gives an ERP-neutral numeric id (exported for test harnesses). */
export function caUuid(seed: number, kind: string, id: number): string {
  const h = hex(rngFor(seed, 'ca-uuid', kind, id), 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function pageParams(u: URL, dflt: number, max: number): { pagina: number; tamanho: number } | null {
  const p = u.searchParams.get('pagina');
  const t = u.searchParams.get('tamanho_pagina');
  const pagina = p === null || p === '' ? 1 : Number(p);
  const tamanho = t === null || t === '' ? dflt : Number(t);
  if (!Number.isInteger(pagina) || pagina < 1 || !Number.isInteger(tamanho) || tamanho < 1 || tamanho > max) {
    return null;
  }
  return { pagina, tamanho };
}

function slice<T>(items: T[], pagina: number, size: number): T[] {
  return items.slice((pagina - 1) * size, pagina * size);
}

/**
 * The search endpoints' `status` is an English enum and `status_traduzido` its Portuguese name (a captured answer:
 * `"status": "ACQUITTED", "status_traduzido": "RECEBIDO"`; PENDING ↔ EM_ABERTO; docs/erp-sources.md). The English
 * names of the partial and lost statuses are the simulator's choice (no public capture found).
 */
function titleStatus(t: SimTitle, today: string): { status: string; status_traduzido: string } {
  switch (t.status) {
    case 'paid':
      return { status: 'ACQUITTED', status_traduzido: 'RECEBIDO' };
    case 'partial':
      return { status: 'PARTIAL', status_traduzido: 'RECEBIDO_PARCIAL' };
    case 'cancelled':
      return { status: 'LOST', status_traduzido: 'PERDIDO' };
    default:
      return t.dueDate < today
        ? { status: 'OVERDUE', status_traduzido: 'ATRASADO' }
        : { status: 'PENDING', status_traduzido: 'EM_ABERTO' };
  }
}

export function createContaAzulSimulator(opts: SimulatorOptions = {}): Simulator {
  const core = new SimCore('conta_azul', opts);
  const client = opts.oauthClient ??
    { clientId: 'conta_azul-client-id', clientSecret: 'conta_azul-client-secret' };
  const oauth = new OAuthServer({
    clock: core.clock,
    seed: core.seed,
    prefix: 'ca',
    accessTtlSeconds: () => core.knobs.accessTtlSeconds ?? ACCESS_TTL,
    refreshTtlSeconds: REFRESH_TTL,
    rotate: true,
    codeTtlSeconds: CODE_TTL,
  });

  function provision(input: ProvisionInput = {}): ProvisionedAccount {
    const { record } = core.provisionRecord(input);
    const pair = oauth.current(record.accountId);
    const expiresAt = oauth.latestExpiry(record.accountId) ?? core.clock.now() + pair.expires_in * 1000;
    const c = record.company;
    return {
      accountId: record.accountId,
      erp: 'conta_azul',
      company: {
        cnpj: c.cnpj,
        legalName: c.legalName,
        tradeName: c.tradeName,
        crt: c.crt,
        uf: c.uf,
        city: c.city,
      },
      credentials: {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: new Date(expiresAt).toISOString(),
      },
      oauthClient: client,
      counts: {
        nfe: record.input.nfeCount,
        products: record.input.productCount,
        financials: record.input.financialCount,
      },
    };
  }
  for (let i = 1; i <= (opts.accounts ?? 0); i++) provision({ accountId: `conta_azul-${i}` });

  const revoke = (accountId: string) => oauth.revoke(accountId);

  // --- OAuth ------------------------------------------------------------------------------------------------

  function basicClient(req: Request): boolean {
    const m = /^Basic\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
    if (!m) return false;
    try {
      const [id, secret] = atob(m[1]).split(':');
      return id === client.clientId && secret === client.clientSecret;
    } catch {
      return false;
    }
  }

  async function tokenEndpoint(req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    if (!basicClient(req)) {
      return json({ error: 'invalid_client', error_description: 'Client authentication failed' }, 401);
    }
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token' && grant !== 'authorization_code') {
      return json({ error: 'unsupported_grant_type', error_description: 'grant_type not supported' }, 400);
    }
    const result = grant === 'refresh_token'
      ? oauth.refresh(form.get('refresh_token'))
      : oauth.exchangeCode(form.get('code'));
    if (!result.ok) {
      const subtype = grant === 'authorization_code'
        ? 'invalid_code'
        : /revoked/.test(result.description)
        ? 'access_revoked'
        : 'invalid_refresh_token';
      return json(
        { error: 'invalid_grant', error_subtype: subtype, error_description: result.description },
        400,
      );
    }
    const p = result.pair;
    return json({
      access_token: p.access_token,
      refresh_token: p.refresh_token,
      id_token: `ca_id_${p.access_token.slice(-16)}`,
      expires_in: p.expires_in,
      token_type: 'Bearer',
    });
  }

  function authorize(u: URL): Response {
    if (
      u.searchParams.get('client_id') !== client.clientId || u.searchParams.get('response_type') !== 'code'
    ) {
      return text('invalid_request', 400);
    }
    const redirect = u.searchParams.get('redirect_uri');
    if (!redirect) return text('redirect_uri required', 400);
    // The user logs in (MFA) and picks the company; here: `sim_account` or a fresh account.
    const acc = provision({ accountId: u.searchParams.get('sim_account') ?? undefined });
    const code = oauth.issueCode(acc.accountId);
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    const state = u.searchParams.get('state');
    if (state !== null) to.searchParams.set('state', state);
    return new Response(null, { status: 302, headers: { location: to.href } });
  }

  // --- rendering ----------------------------------------------------------------------------------------------

  const today = () => new Date(core.clock.now() - 3 * 3_600_000).toISOString().slice(0, 10);

  function notaItem(n: SimNote) {
    return {
      id: caUuid(core.seed, 'nota', n.id),
      chave_acesso: n.accessKey,
      numero_nota: n.number,
      serie: n.series,
      status: 'EMITIDA',
      data_emissao: n.issuedDate,
      valor: Number(n.total),
      cliente: { nome: n.counterparty.name, documento: n.counterparty.doc },
    };
  }

  function produtoResumo(p: SimProduct, cats: SimCategory[]) {
    return {
      id: caUuid(core.seed, 'produto', p.id),
      nome: p.name,
      codigo_sku: p.code,
      codigo_ean: p.gtin ?? '',
      status: p.active ? 'ATIVO' : 'INATIVO',
      categoria: cats.length ? { id: 1, descricao: 'Geral', uuid: caUuid(core.seed, 'pcat', 1) } : null,
      ultima_atualizacao: p.updatedAt.replace(' ', 'T'),
    };
  }

  function produtoDetalhe(p: SimProduct) {
    const ncm = p.ncm.replace(/\D/g, '');
    return {
      id: caUuid(core.seed, 'produto', p.id),
      id_legado: p.id % 100_000_000,
      nome: p.name,
      codigo_sku: p.code,
      codigo_ean: p.gtin ?? '',
      status: p.active ? 'ATIVO' : 'INATIVO',
      formato: 'SIMPLES',
      estoque: {
        quantidade_total: 0,
        quantidade_reservada: 0,
        valor_venda: Number(p.price),
        custo_medio: Number(p.cost),
        minimumStock: 0,
      },
      fiscal: {
        origem: ORIGEM[Number(p.origin)] ?? 'NACIONAL',
        tipo_produto: 'MERCADORIA_PARA_REVENDA',
        ncm: { id: Number(ncm), codigo: ncm, descricao: '' },
        cest: p.cest ? { id: Number(p.cest), codigo: p.cest, descricao: '' } : null,
        unidade_medida: { id: 1, descricao: p.unit },
      },
      pesos_dimensoes: { peso_liquido: 0, peso_bruto: 0 },
      url_imagem: null,
    };
  }

  function categoria(c: SimCategory) {
    return {
      id: caUuid(core.seed, 'categoria', c.id),
      versao: 1,
      nome: c.name,
      categoria_pai: c.parentId === null ? null : caUuid(core.seed, 'categoria', c.parentId),
      tipo: c.kind === 'receita' ? 'RECEITA' : 'DESPESA',
      // a string when mapped; absent otherwise (the inventory OpenAPI declares it a non-nullable string)
      ...(c.parentId !== null && ENTRADA_DRE[c.name] ? { entrada_dre: ENTRADA_DRE[c.name] } : {}),
      considera_custo_dre: c.name === 'Fretes sobre compras' ||
        c.name === 'Compra de mercadorias para revenda',
    };
  }

  function dreTree(cats: SimCategory[]) {
    const ref = (name: string) => {
      const c = cats.find((x) => x.name === name);
      return c
        ? [{
          id: caUuid(core.seed, 'categoria', c.id),
          codigo: String(c.id % 1000),
          nome: c.name,
          ativo: true,
        }]
        : [];
    };
    const item = (
      codigo: string,
      descricao: string,
      posicao: number,
      categorias: unknown[],
      subitens: unknown[] = [],
    ) => ({
      id: caUuid(core.seed, 'dre', posicao),
      codigo,
      descricao,
      posicao,
      indica_totalizador: false,
      representa_soma_custo_medio: false,
      subitens,
      categorias_financeiras: categorias,
    });
    return [
      item('01', 'Receita Operacional Bruta', 1, [
        ...ref('Vendas de mercadorias'),
        ...ref('Prestação de serviços'),
      ]),
      item('02', '(-) Deduções da Receita Bruta', 2, [
        ...ref('DAS - Simples Nacional'),
        ...ref('Devoluções de vendas'),
      ]),
      item('04', 'Custos Operacionais', 4, [], [
        item('04.01', 'Mercadorias e fretes', 41, [
          ...ref('Compra de mercadorias para revenda'),
          ...ref('Fretes sobre compras'),
        ]),
      ]),
      item('09', 'Impostos sobre o lucro (IRPJ/CSLL)', 9, [...ref('IRPJ'), ...ref('CSLL')]),
    ];
  }

  function evento(t: SimTitle, cats: SimCategory[], now: string) {
    const cat = cats.find((c) => c.id === t.categoryId);
    const status = titleStatus(t, now);
    const total = Number(t.amount);
    const naoPago = Number(t.balance);
    return {
      id: caUuid(core.seed, 'parcela', t.id),
      descricao: t.description,
      data_vencimento: t.dueDate,
      ...status,
      total,
      nao_pago: naoPago,
      pago: Math.round((total - naoPago) * 100) / 100,
      data_criacao: `${t.issueDate}T09:00:00`,
      data_alteracao: `${t.paidDate ?? t.issueDate}T18:00:00`,
      data_competencia: t.competence,
      categorias: cat ? [{ id: caUuid(core.seed, 'categoria', cat.id), nome: cat.name }] : [],
      centros_custo: [],
      ...(t.kind === 'receivable'
        ? { cliente: { nome: t.counterparty.name } }
        : { fornecedor: { nome: t.counterparty.name } }),
    };
  }

  // --- API routes ---------------------------------------------------------------------------------------------

  const badFilter = (message: string): Out => ({ res: json({ error: message }, 400) });
  const badFinanceiro = (code: string, message: string): Out => ({ res: json({ code, message }, 400) });
  const notFound = (): Out => ({ res: json({ error: 'Recurso não encontrado' }, 404) });

  async function api(req: Request, u: URL, accountId: string): Promise<Out> {
    const path = u.pathname;
    const d: AccountData = core.data(accountId);
    if (req.method !== 'GET') return { res: json({ error: 'Method Not Allowed' }, 405) };

    if (path === '/v1/notas-fiscais') {
      const de = u.searchParams.get('data_inicial');
      const ate = u.searchParams.get('data_final');
      if (!de || !ate || !DATE_RE.test(de) || !DATE_RE.test(ate)) {
        return badFilter('data_inicial e data_final são obrigatórios no formato YYYY-MM-DD');
      }
      if (daysBetween(de, ate) < 0) return badFilter('data_inicial deve ser anterior a data_final');
      if (daysBetween(de, ate) + 1 > MAX_NFE_WINDOW_DAYS) {
        return badFilter('O intervalo entre data_inicial e data_final não pode exceder 15 dias');
      }
      const pg = pageParams(u, 10, 100);
      if (!pg) return badFilter('pagina/tamanho_pagina inválidos');
      await core.latency(true);
      const notes = d.notes.filter((n) =>
        n.companyRole === 'issuer' && n.tpNF === 1 && n.model === 55 && n.authorised && !n.cancelled &&
        n.issuedDate >= de && n.issuedDate <= ate
      );
      const total = notes.length;
      return {
        res: json({
          itens: slice(notes, pg.pagina, pg.tamanho).map(notaItem),
          paginacao: {
            pagina_atual: pg.pagina,
            tamanho_pagina: pg.tamanho,
            total_itens: total,
            total_paginas: Math.ceil(total / pg.tamanho),
          },
        }),
      };
    }

    let m = /^\/v1\/notas-fiscais\/([0-9A-Z]{44})$/.exec(path);
    if (m) {
      await core.latency(false);
      const n = d.notes.find((x) => x.accessKey === m![1] && x.companyRole === 'issuer' && x.authorised);
      if (!n) return notFound();
      if (core.shouldMalform(n.id)) {
        return { res: text(corrupt(n.xml), 200, 'application/xml; charset=utf-8'), injected: 'malformed' };
      }
      return { res: text(n.xml, 200, 'application/xml; charset=utf-8') };
    }

    if (path === '/v1/produtos') {
      const pg = pageParams(u, 10, 100);
      if (!pg) return badFilter('pagina/tamanho_pagina inválidos');
      await core.latency(true);
      return {
        res: json({
          items: slice(d.products, pg.pagina, pg.tamanho).map((p) => produtoResumo(p, d.categories)),
          totalItems: d.products.length,
        }),
      };
    }

    m = /^\/v1\/produtos\/([0-9a-f-]{36})$/.exec(path);
    if (m) {
      await core.latency(false);
      const p = d.products.find((x) => caUuid(core.seed, 'produto', x.id) === m![1]);
      if (!p) return notFound();
      const body = JSON.stringify(produtoDetalhe(p));
      if (core.shouldMalform(p.id)) {
        return { res: text(corrupt(body), 200, 'application/json; charset=utf-8'), injected: 'malformed' };
      }
      return { res: text(body, 200, 'application/json; charset=utf-8') };
    }

    if (path === '/v1/categorias') {
      const required = ['pagina', 'tamanho_pagina', 'permite_apenas_filhos'];
      const missing = required.filter((k) => !u.searchParams.get(k));
      if (missing.length) {
        return badFinanceiro('PARAMETRO_OBRIGATORIO', `Parâmetros obrigatórios: ${missing.join(', ')}`);
      }
      const pg = pageParams(u, 10, 500);
      if (!pg) return badFinanceiro('PARAMETRO_INVALIDO', 'pagina/tamanho_pagina inválidos');
      await core.latency(true);
      let cats = d.categories;
      const tipo = u.searchParams.get('tipo');
      if (tipo) cats = cats.filter((c) => (c.kind === 'receita' ? 'RECEITA' : 'DESPESA') === tipo);
      if (u.searchParams.get('apenas_filhos') === 'true') cats = cats.filter((c) => c.parentId !== null);
      return {
        res: json({ itens_totais: cats.length, itens: slice(cats, pg.pagina, pg.tamanho).map(categoria) }),
      };
    }

    if (path === '/v1/financeiro/categorias-dre') {
      await core.latency(false);
      return { res: json({ itens: dreTree(d.categories) }) };
    }

    m = /^\/v1\/financeiro\/eventos-financeiros\/(contas-a-receber|contas-a-pagar)\/buscar$/.exec(path);
    if (m) {
      const kind = m[1] === 'contas-a-receber' ? 'receivable' : 'payable';
      const vDe = u.searchParams.get('data_vencimento_de');
      const vAte = u.searchParams.get('data_vencimento_ate');
      if (!vDe || !vAte || !DATE_RE.test(vDe) || !DATE_RE.test(vAte)) {
        return badFinanceiro(
          'FILTRO_OBRIGATORIO',
          'data_vencimento_de e data_vencimento_ate são obrigatórios',
        );
      }
      const cDe = u.searchParams.get('data_competencia_de');
      const cAte = u.searchParams.get('data_competencia_ate');
      const pg = pageParams(u, 10, 1000);
      if (!pg) return badFinanceiro('PARAMETRO_INVALIDO', 'pagina/tamanho_pagina inválidos');
      await core.latency(true);
      const now = today();
      const titles = d.titles.filter((t) =>
        t.kind === kind && t.dueDate >= vDe && t.dueDate <= vAte &&
        (!cDe || t.competence >= cDe) && (!cAte || t.competence <= cAte)
      );
      const items = slice(titles, pg.pagina, pg.tamanho).map((t) => {
        const e = evento(t, d.categories, now) as Record<string, unknown>;
        if (core.shouldMalform(t.id)) delete e.total;
        return e;
      });
      const sum = titles.reduce((s, t) => s + Math.round(Number(t.amount) * 100), 0) / 100;
      return { res: json({ itens_totais: titles.length, itens: items, totais: { total: sum } }) };
    }

    if (path === '/v1/pessoas/conta-conectada') {
      await core.latency(false);
      const c = d.company;
      return {
        res: json({
          documento: formatCnpj(c.cnpj),
          razao_social: c.legalName,
          nome_fantasia: c.tradeName,
          email: c.email,
          data_fundacao: '2015-03-10',
        }),
      };
    }

    return notFound();
  }

  async function handler(req: Request): Promise<Response> {
    const admin = await core.handleAdmin(req, adminApi);
    if (admin) return admin;
    const u = new URL(req.url);
    const path = u.pathname;
    try {
      if (path === '/oauth2/token' && req.method === 'POST') {
        const res = await tokenEndpoint(req);
        core.logRequest(req, res.status, null, undefined, true);
        return res;
      }
      if ((path === '/oauth2/authorize' || path === '/login') && req.method === 'GET') return authorize(u);
      const del = /^\/oauth\/connections\/([^/]+)$/.exec(path);
      if (del && req.method === 'DELETE') {
        const check = oauth.checkAccess(
          /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? null,
        );
        if (!check.ok) return json({ message: 'Unauthorized' }, 401);
        revoke(check.accountId);
        core.logRequest(req, 204, check.accountId);
        return new Response(null, { status: 204 });
      }
      if (!path.startsWith('/v1/')) return json({ error: 'Recurso não encontrado' }, 404);

      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? null;
      const check = oauth.checkAccess(bearer);
      if (!check.ok) {
        core.logRequest(req, 401, null);
        return json({ message: 'Unauthorized' }, 401);
      }
      const accountId = check.accountId;
      if (core.shouldStorm()) {
        core.logRequest(req, 429, accountId, 'storm');
        return json({ message: 'Too Many Requests' }, 429, {
          'retry-after': String(core.knobs.retryAfterSeconds),
        });
      }
      if (core.knobs.enforceLimits) {
        const hit = core.limiter.hit(`ca:${accountId}`, [SECOND_LIMIT, MINUTE_LIMIT]);
        if (!hit.ok) {
          core.logRequest(req, 429, accountId, 'rate_limit');
          return json({ message: 'Too Many Requests' }, 429, {
            'retry-after': String(Math.max(1, Math.ceil(hit.retryAfterMs / 1000))),
          });
        }
      }
      if (core.shouldFail()) {
        core.logRequest(req, 500, accountId, 'failure');
        return json({ message: 'Internal Server Error' }, 500);
      }
      const { res, injected } = await api(req, u, accountId);
      core.logRequest(req, res.status, accountId, injected);
      return res;
    } catch (e) {
      core.logRequest(req, 500, null, 'exception');
      return json({ message: 'Internal Server Error', error: e instanceof Error ? e.name : 'error' }, 500);
    }
  }

  const adminApi = core.admin({
    provision,
    isRevoked: (id) => oauth.isRevoked(id),
    revoke,
    expireTokens: (accountId) => oauth.expire(accountId),
  });

  return { erp: 'conta_azul', handler, admin: adminApi };
}

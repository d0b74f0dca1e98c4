/**
 * Tiny ERP (Olist ERP) API v3 simulator — the REST + OAuth2 API next to v2 (dev/simulators/tiny). Every shape
 * below rests on a public source, listed in docs/tiny-v3.md:
 *
 *  [OAS]  The v3 OpenAPI 3.0 document "Tiny API v3" (servers: https://api.tiny.com.br/public-api/v3), as
 *         published in the generated client linkiez/TinyERPv3-SDK, src/swagger.json and src/models/**
 *         @6d3c167fe243954e4674a3e713e08921c9d49820.
 *  [AUTH] The same document's description: Keycloak realm `tiny` at
 *         https://accounts.tiny.com.br/realms/tiny/protocol/openid-connect/{auth,token}; token requests are
 *         form posts with client_id/client_secret in the body; access token 4 h, refresh token 1 day.
 *  [KC]   Keycloak's token response (keycloak/keycloak core/src/main/java/org/keycloak/representations/
 *         AccessTokenResponse.java@54700803e2ccb4dc89a0c597a1491aedfa391d13): access_token, expires_in,
 *         refresh_expires_in, refresh_token, token_type, not-before-policy, session_state, scope.
 *  [RFC]  Token endpoint errors per RFC 6749 §5.2 (https://www.rfc-editor.org/rfc/rfc6749#section-5.2):
 *         400 `invalid_grant` for an expired, reused or revoked refresh token, 401 `invalid_client`.
 *
 * Routes (API under /public-api/v3, auth under /realms/tiny — set baseUrl and authUrl to them):
 *   GET /info [OAS ObterInfoContaModelResponse]
 *   GET /notas?tipo&dataInicial&dataFinal&limit&offset [OAS listarNotasFiscaisAction: dates filter the CREATION
 *       date, `{itens: ListagemNotaFiscalModelResponse[], paginacao: {limit, offset, total}}`]
 *   GET /notas/{idNota}/xml [OAS ObterXmlNotaFiscalModelResponse {xmlNfe, xmlCancelamento}]
 *   GET /produtos?limit&offset, GET /produtos/{id} [OAS ListagemProdutosResponseModel, ObterProdutoModelResponse]
 *   GET /contas-receber|/contas-pagar?dataInicialEmissao&dataFinalEmissao&limit&offset and /{id}
 *       [OAS Listagem/ObterContaReceber…, Listagem/ObterContaPagar…]
 *   errors: ErrorDTO `{mensagem, detalhes[{campo, mensagem}]}` on 400 [OAS]; 401/404/503 without a body
 *       [OAS declares them without content].
 *
 * Not in any public source (documented as assumptions in docs/tiny-v3.md): the per-minute limit and its
 * answer (HTTP 429 with `Retry-After`), the creation date of a note (= its emission date here), the 400
 * message for a note without an authorised XML, and the 401 body of an invalid token (none is sent).
 */
import { corrupt, json, SimCore } from '../common/core.ts';
import type { AccountData, SimNote, SimProduct, SimTitle } from '../common/dataset.ts';
import { OAuthServer } from '../common/tokens.ts';
import type { ProvisionedAccount, ProvisionInput, Simulator, SimulatorOptions } from '../common/types.ts';
import { formatCnpj } from '../common/util.ts';

export const TINY_V3_API_PATH = '/public-api/v3';
export const TINY_V3_AUTH_PATH = '/realms/tiny';
const TOKEN_PATH = `${TINY_V3_AUTH_PATH}/protocol/openid-connect/token`;

const ACCESS_TTL = 4 * 3600; // [AUTH] 4 hours
const REFRESH_TTL = 86_400; // [AUTH] 1 day
const DEFAULT_LIMIT = 100; // [OAS] limit default 100
const MAX_LIMIT = 100;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

type Out = { res: Response; injected?: string };

/** [OAS] BaseNotaFiscalModel.situacao: 1 Pendente, 3 Cancelada, 6 Autorizada, 8 Registrada (entries). */
function situacao(n: SimNote): number {
  if (n.cancelled) return 3;
  if (!n.authorised) return 1;
  return n.companyRole === 'issuer' ? 6 : 8;
}

/** [OAS] tipo: E Entrada, S Saida. */
function tipo(n: SimNote): 'E' | 'S' {
  return n.companyRole === 'issuer' && n.tpNF === 1 ? 'S' : 'E';
}

/** [OAS] situação of a title: aberto, cancelada, pago, parcial, prevista. */
function tituloSituacao(t: SimTitle): string {
  return { open: 'aberto', paid: 'pago', partial: 'parcial', cancelled: 'cancelada' }[t.status];
}

const num = (s: string) => Number(s);

function errorDto(status: number, mensagem: string, campo?: string): Response {
  return json({ mensagem, detalhes: campo ? [{ campo, mensagem }] : [] }, status);
}

function paging(u: URL): { limit: number; offset: number } | null {
  const l = u.searchParams.get('limit');
  const o = u.searchParams.get('offset');
  const limit = l === null || l === '' ? DEFAULT_LIMIT : Number(l);
  const offset = o === null || o === '' ? 0 : Number(o);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || !Number.isInteger(offset) || offset < 0) {
    return null;
  }
  return { limit, offset };
}

function listed<T>(items: T[], p: { limit: number; offset: number }, render: (t: T) => unknown) {
  return json({
    itens: items.slice(p.offset, p.offset + p.limit).map(render),
    paginacao: { limit: p.limit, offset: p.offset, total: items.length },
  });
}

export interface TinyV3SimulatorOptions extends SimulatorOptions {
  /** Requests per minute per account before HTTP 429 (plan limit; see the module comment). Default 60. */
  perMinute?: number;
}

export function createTinyV3Simulator(opts: TinyV3SimulatorOptions = {}): Simulator {
  const core = new SimCore('tiny', opts);
  const client = opts.oauthClient ?? { clientId: 'tiny-client-id', clientSecret: 'tiny-client-secret' };
  const oauth = new OAuthServer({
    clock: core.clock,
    seed: core.seed,
    prefix: 'tinyv3',
    accessTtlSeconds: () => core.knobs.accessTtlSeconds ?? ACCESS_TTL,
    refreshTtlSeconds: REFRESH_TTL,
    rotate: true, // Keycloak issues a new refresh token on every refresh; the old one is then refused
    scope: 'openid email offline_access',
  });

  function provision(input: ProvisionInput = {}): ProvisionedAccount {
    const { record } = core.provisionRecord(input);
    const pair = oauth.current(record.accountId);
    const now = core.clock.now();
    const expiresAt = oauth.latestExpiry(record.accountId) ?? now + pair.expires_in * 1000;
    const c = record.company;
    return {
      accountId: record.accountId,
      erp: 'tiny',
      company: { cnpj: c.cnpj, legalName: c.legalName, tradeName: c.tradeName, crt: c.crt, uf: c.uf, city: c.city },
      credentials: {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        expires_at: new Date(expiresAt).toISOString(),
        refresh_expires_at: new Date(now + pair.refresh_expires_in * 1000).toISOString(),
      },
      oauthClient: client,
      counts: {
        nfe: record.input.nfeCount,
        products: record.input.productCount,
        financials: record.input.financialCount,
      },
    };
  }
  for (let i = 1; i <= (opts.accounts ?? 0); i++) provision({ accountId: `tiny_v3-${i}` });

  // --- token endpoint [AUTH] [KC] [RFC] ------------------------------------------------------------------------

  async function tokenEndpoint(req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) {
      return json({ error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' }, 401);
    }
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token' && grant !== 'authorization_code') {
      return json({ error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' }, 400);
    }
    const result = grant === 'refresh_token' ? oauth.refresh(form.get('refresh_token')) : oauth.exchangeCode(form.get('code'));
    if (!result.ok) return json({ error: 'invalid_grant', error_description: result.description }, 400);
    const p = result.pair;
    return json({
      access_token: p.access_token,
      expires_in: p.expires_in,
      refresh_expires_in: p.refresh_expires_in,
      refresh_token: p.refresh_token,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: `sim-${p.access_token.slice(-12)}`,
      scope: p.scope ?? 'openid email offline_access',
    });
  }

  // --- rendering [OAS] -----------------------------------------------------------------------------------------

  function notaItem(n: SimNote) {
    return {
      id: n.id,
      situacao: situacao(n),
      tipo: tipo(n),
      numero: String(n.number).padStart(6, '0'),
      serie: String(n.series),
      chaveAcesso: n.accessKey,
      dataEmissao: n.issuedDate,
      cliente: { nome: n.counterparty.name, cpfCnpj: n.counterparty.doc },
      valor: num(n.total),
      valorFrete: num(n.freight),
    };
  }

  function produtoResumo(p: SimProduct) {
    return {
      id: p.id,
      sku: p.code,
      descricao: p.name,
      tipo: 'S',
      situacao: p.active ? 'A' : 'I',
      dataCriacao: p.createdAt,
      dataAlteracao: p.updatedAt,
      unidade: p.unit,
      gtin: p.gtin ?? '',
      precos: { preco: num(p.price), precoPromocional: 0, precoCusto: num(p.cost), precoCustoMedio: num(p.cost) },
    };
  }

  function produtoDetalhe(p: SimProduct) {
    return {
      ...produtoResumo(p),
      descricaoComplementar: null,
      unidadePorCaixa: null,
      ncm: p.ncm,
      origem: Number(p.origin),
      garantia: null,
      observacoes: null,
      tributacao: { gtinEmbalagem: null, valorIPIFixo: 0, classeIPI: null },
    };
  }

  function tituloResumo(t: SimTitle) {
    return {
      id: t.id,
      situacao: tituloSituacao(t),
      data: t.issueDate,
      dataVencimento: t.dueDate,
      historico: t.description,
      valor: num(t.amount),
      numeroDocumento: t.docNumber,
      cliente: { nome: t.counterparty.name, cpfCnpj: t.counterparty.doc },
    };
  }

  function tituloDetalhe(t: SimTitle, d: AccountData) {
    const cat = d.categories.find((c) => c.id === t.categoryId);
    const base = {
      id: t.id,
      situacao: tituloSituacao(t),
      data: t.issueDate,
      dataVencimento: t.dueDate,
      dataCompetencia: t.competence,
      dataLiquidacao: t.paidDate,
      numeroDocumento: t.docNumber,
      valor: num(t.amount),
      saldo: num(t.balance),
      valorPago: Math.round((num(t.amount) - num(t.balance)) * 100) / 100,
      categoria: cat ? { id: cat.id, descricao: cat.name } : undefined,
      historico: t.description,
    };
    // [OAS] receivables name the counterparty `cliente`, payables `contato`.
    return t.kind === 'receivable'
      ? { ...base, cliente: { nome: t.counterparty.name, cpfCnpj: t.counterparty.doc } }
      : { ...base, contato: { nome: t.counterparty.name, cpfCnpj: t.counterparty.doc } };
  }

  // --- API routes ------------------------------------------------------------------------------------------------

  async function api(req: Request, u: URL, accountId: string): Promise<Out> {
    if (req.method !== 'GET') return { res: errorDto(400, 'Método não suportado por este simulador') };
    const path = u.pathname.slice(TINY_V3_API_PATH.length);
    const d = core.data(accountId);

    if (path === '/info') {
      await core.latency(false);
      const c = d.company;
      return {
        res: json({
          razaoSocial: c.legalName,
          cpfCnpj: formatCnpj(c.cnpj),
          fantasia: c.tradeName,
          enderecoEmpresa: {
            endereco: c.street,
            numero: c.streetNumber,
            complemento: null,
            bairro: c.district,
            municipio: c.city,
            cep: c.cep,
            uf: c.uf,
            pais: 'Brasil',
          },
          fone: c.phone,
          email: c.email,
          inscricaoEstadual: c.ie,
          regimeTributario: c.crt,
        }),
      };
    }

    if (path === '/notas') {
      const p = paging(u);
      if (!p) return { res: errorDto(400, 'Parâmetros de paginação inválidos', 'limit') };
      const de = u.searchParams.get('dataInicial');
      const ate = u.searchParams.get('dataFinal');
      for (const [campo, v] of [['dataInicial', de], ['dataFinal', ate]] as const) {
        if (v !== null && !DATE_RE.test(v)) return { res: errorDto(400, 'Data inválida', campo) };
      }
      const t = u.searchParams.get('tipo');
      await core.latency(true);
      const notes = d.notes.filter((n) =>
        (!t || tipo(n) === t) && (!de || n.issuedDate >= de) && (!ate || n.issuedDate <= ate)
      );
      return { res: listed(notes, p, notaItem) };
    }

    let m = /^\/notas\/(\d+)\/xml$/.exec(path);
    if (m) {
      await core.latency(false);
      const n = d.notes.find((x) => String(x.id) === m![1]);
      if (!n) return { res: new Response(null, { status: 404 }) };
      if (!n.authorised) return { res: errorDto(400, 'A nota fiscal não possui XML autorizado') };
      const body = JSON.stringify({
        xmlNfe: n.xmlWithoutCancellation,
        ...(n.cancellationXml ? { xmlCancelamento: n.cancellationXml } : {}),
      });
      if (core.shouldMalform(n.id)) {
        return { res: new Response(corrupt(body), { headers: { 'content-type': 'application/json' } }), injected: 'malformed' };
      }
      return { res: new Response(body, { headers: { 'content-type': 'application/json' } }) };
    }

    if (path === '/produtos') {
      const p = paging(u);
      if (!p) return { res: errorDto(400, 'Parâmetros de paginação inválidos', 'limit') };
      await core.latency(true);
      return { res: listed(d.products, p, produtoResumo) };
    }

    m = /^\/produtos\/(\d+)$/.exec(path);
    if (m) {
      await core.latency(false);
      const prod = d.products.find((x) => String(x.id) === m![1]);
      if (!prod) return { res: new Response(null, { status: 404 }) };
      const body = JSON.stringify(produtoDetalhe(prod));
      if (core.shouldMalform(prod.id)) {
        return { res: new Response(corrupt(body), { headers: { 'content-type': 'application/json' } }), injected: 'malformed' };
      }
      return { res: new Response(body, { headers: { 'content-type': 'application/json' } }) };
    }

    m = /^\/(contas-receber|contas-pagar)(?:\/(\d+))?$/.exec(path);
    if (m) {
      const kind = m[1] === 'contas-receber' ? 'receivable' : 'payable';
      if (m[2]) {
        await core.latency(false);
        const t = d.titles.find((x) => x.kind === kind && String(x.id) === m![2]);
        if (!t) return { res: new Response(null, { status: 404 }) };
        const detail = tituloDetalhe(t, d) as Record<string, unknown>;
        if (core.shouldMalform(t.id)) delete detail.valor;
        return { res: json(detail) };
      }
      const p = paging(u);
      if (!p) return { res: errorDto(400, 'Parâmetros de paginação inválidos', 'limit') };
      const de = u.searchParams.get('dataInicialEmissao');
      const ate = u.searchParams.get('dataFinalEmissao');
      for (const [campo, v] of [['dataInicialEmissao', de], ['dataFinalEmissao', ate]] as const) {
        if (v !== null && !DATE_RE.test(v)) return { res: errorDto(400, 'Data inválida', campo) };
      }
      await core.latency(true);
      const titles = d.titles.filter((t) =>
        t.kind === kind && (!de || t.issueDate >= de) && (!ate || t.issueDate <= ate)
      );
      return { res: listed(titles, p, tituloResumo) };
    }

    return { res: new Response(null, { status: 404 }) };
  }

  async function handler(req: Request): Promise<Response> {
    const admin = await core.handleAdmin(req, adminApi);
    if (admin) return admin;
    const u = new URL(req.url);
    try {
      if (u.pathname === TOKEN_PATH && req.method === 'POST') {
        const res = await tokenEndpoint(req);
        core.logRequest(req, res.status, null, undefined, true);
        return res;
      }
      if (!u.pathname.startsWith(`${TINY_V3_API_PATH}/`)) return new Response(null, { status: 404 });
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? null;
      const check = oauth.checkAccess(bearer);
      if (!check.ok) {
        core.logRequest(req, 401, null);
        return new Response(null, { status: 401 });
      }
      const accountId = check.accountId;
      if (core.shouldStorm()) {
        core.logRequest(req, 429, accountId, 'storm');
        return new Response(null, { status: 429, headers: { 'retry-after': String(core.knobs.retryAfterSeconds) } });
      }
      if (core.knobs.enforceLimits) {
        const hit = core.limiter.hit(`tinyv3:${accountId}`, [
          { limit: opts.perMinute ?? 60, intervalMs: 60_000, period: 'minute' },
        ]);
        if (!hit.ok) {
          core.logRequest(req, 429, accountId, 'rate_limit');
          return new Response(null, {
            status: 429,
            headers: { 'retry-after': String(Math.max(1, Math.ceil(hit.retryAfterMs / 1000))) },
          });
        }
      }
      if (core.shouldFail()) {
        core.logRequest(req, 503, accountId, 'failure');
        return new Response(null, { status: 503 });
      }
      const { res, injected } = await api(req, u, accountId);
      core.logRequest(req, res.status, accountId, injected);
      return res;
    } catch {
      core.logRequest(req, 500, null, 'exception');
      return new Response(null, { status: 500 });
    }
  }

  const adminApi = core.admin({
    provision,
    isRevoked: (id) => oauth.isRevoked(id),
    revoke: (accountId) => oauth.revoke(accountId),
    expireTokens: (accountId) => oauth.expire(accountId),
  });

  return { erp: 'tiny', handler, admin: adminApi };
}

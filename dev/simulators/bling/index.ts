/**
 * Bling API v3 simulator. Shapes follow Bling's published OpenAPI 3.0 document (copy and URL in
 * supabase/functions/_shared/adapters/bling/openapi/) and its developer pages (docs/erp-sources.md, Bling):
 * OAuth2 authorization code with Basic client auth on /Api/v3/oauth/token (6 h access, 30-day rotating refresh,
 * single-use 60 s codes, code reuse revokes; https://developer.bling.com.br/aplicativos), /oauth/revoke, Bearer
 * auth on the API, 3 req/s + 120,000/day per account with Bling's 429 body and a date filter over one year
 * refused with 400 on every date-filtered listing (https://developer.bling.com.br/limites), 100-record pages
 * without totals, Bling's `{"error":{type,message,description}}` envelope, NF-e detail whose `xml` is a URL
 * served by the simulator, /nfe/documento/{chave} with base64(gzip(xml)), products without NCM in the list and
 * `tributacao.ncm` in the detail, receivable/payable titles whose category and competence only come in the
 * detail, the category tree and /empresas/me/dados-basicos.
 *
 * Simulator choices where no source says: no Retry-After on the 3/s 429 (the storm knob adds one), token-endpoint
 * abuse modelled as 429 while >20 calls in 60 s, categories' `tipo` 1 despesa / 2 receita, entry notes listed as
 * `tipo` 0.
 */
import { corrupt, json, SimCore, text } from '../common/core.ts';
import type { AccountData, SimNote, SimTitle } from '../common/dataset.ts';
import { seedFor } from '../common/prng.ts';
import { OAuthServer } from '../common/tokens.ts';
import type { ProvisionedAccount, ProvisionInput, Simulator, SimulatorOptions } from '../common/types.ts';
import { formatCnpj, formatCpf, gzipBase64, intParam, isoDate, localDateTime, page } from '../common/util.ts';

const API = '/Api/v3';
const ACCESS_TTL = 21_600;
const REFRESH_TTL = 30 * 86_400;
const SECOND_LIMIT = { limit: 3, intervalMs: 1000, period: 'second' };
const DAY_LIMIT = { limit: 120_000, intervalMs: 86_400_000, period: 'day' };
const TOKEN_LIMIT = { limit: 20, intervalMs: 60_000, period: 'minute' };

function blingError(
  status: number,
  type: string,
  message: string,
  description = message,
  extra: Record<string, unknown> = {},
) {
  return json({ error: { type, message, description, ...extra } }, status);
}

const notFound = () =>
  blingError(404, 'RESOURCE_NOT_FOUND', 'Recurso não encontrado', 'O recurso requisitado não foi encontrado');

function noteSituacao(n: SimNote): number {
  if (n.cancelled) return 2;
  if (!n.authorised) return 1;
  return n.companyRole === 'issuer' ? 6 : 7; // emitida DANFE / registrada (entry notes)
}

/** A date filter that spans more than one year (`to` on or after the same date of the next year). */
function overOneYear(from: string | null, to: string | null): boolean {
  if (!from || !to) return false;
  const [y, m, d] = from.split('-').map(Number);
  return to >= new Date(Date.UTC(y + 1, m - 1, d)).toISOString().slice(0, 10);
}

/** Bling's answer to a date filter over one year (https://developer.bling.com.br/limites). */
const rangeTooWide = () =>
  blingError(
    400,
    'VALIDATION_ERROR',
    'O intervalo de datas não pode ser superior a 1 ano',
    'Filtro de data inválido',
  );

function titleSituacao(t: SimTitle): number {
  return { open: 1, paid: 2, partial: 3, cancelled: 5 }[t.status];
}

export function createBlingSimulator(opts: SimulatorOptions = {}): Simulator {
  const core = new SimCore('bling', opts);
  const client = opts.oauthClient ?? { clientId: 'bling-client-id', clientSecret: 'bling-client-secret' };
  const oauth = new OAuthServer({
    clock: core.clock,
    seed: core.seed,
    prefix: 'bling',
    accessTtlSeconds: () => core.knobs.accessTtlSeconds ?? ACCESS_TTL,
    refreshTtlSeconds: REFRESH_TTL,
    rotate: true,
    codeTtlSeconds: 60,
    scope: '98309 5990556 318257570',
  });

  function provision(input: ProvisionInput = {}): ProvisionedAccount {
    const { record } = core.provisionRecord(input);
    const pair = oauth.current(record.accountId);
    const expiresAt = oauth.latestExpiry(record.accountId) ?? core.clock.now() + pair.expires_in * 1000;
    const c = record.company;
    return {
      accountId: record.accountId,
      erp: 'bling',
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
        scope: pair.scope,
      },
      oauthClient: client,
      counts: {
        nfe: record.input.nfeCount,
        products: record.input.productCount,
        financials: record.input.financialCount,
      },
    };
  }

  for (let i = 1; i <= (opts.accounts ?? 0); i++) provision({ accountId: `bling-${i}` });

  function basicClient(req: Request): 'ok' | 'missing' | 'invalid' {
    const h = req.headers.get('authorization') ?? '';
    const m = /^Basic\s+(.+)$/i.exec(h);
    if (!m) return 'missing';
    try {
      const [id, secret] = atob(m[1]).split(':');
      return id === client.clientId && secret === client.clientSecret ? 'ok' : 'invalid';
    } catch {
      return 'invalid';
    }
  }

  async function tokenEndpoint(req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    const auth = basicClient(req);
    if (auth !== 'ok') {
      // Credentials in the body are refused: Bling requires Basic auth [U: exact error for this case].
      return json({ error: 'invalid_client', error_description: 'The client credentials are invalid' }, 401);
    }
    if (core.knobs.enforceLimits && !core.limiter.hit('token-endpoint', [TOKEN_LIMIT]).ok) {
      return blingError(
        429,
        'TOO_MANY_REQUESTS',
        'Limite de requisições atingido.',
        'Muitas requisições ao endpoint de token',
        {
          limit: 20,
          period: 'minute',
        },
      );
    }
    const grant = form.get('grant_type');
    const result = grant === 'refresh_token'
      ? oauth.refresh(form.get('refresh_token'))
      : grant === 'authorization_code'
      ? oauth.exchangeCode(form.get('code'))
      : null;
    if (!result) {
      return json({ error: 'unsupported_grant_type', error_description: 'grant_type not supported' }, 400);
    }
    if (!result.ok) return json({ error: result.error, error_description: result.description }, 400);
    return json(result.pair);
  }

  async function revokeEndpoint(req: Request): Promise<Response> {
    if (basicClient(req) !== 'ok') {
      return json({ error: 'invalid_client', error_description: 'The client credentials are invalid' }, 401);
    }
    const form = new URLSearchParams(await req.text());
    oauth.revokeToken(form.get('token') ?? '');
    return new Response(null, { status: 200 });
  }

  function authorize(u: URL): Response {
    if (u.searchParams.get('client_id') !== client.clientId) {
      return text('app inativo ou client_id inválido', 400);
    }
    const redirect = u.searchParams.get('redirect_uri') ??
      'http://127.0.0.1:5173/integrations/callback/bling';
    const state = u.searchParams.get('state') ?? '';
    const accountId = u.searchParams.get('sim_account') ?? undefined;
    const acc = provision({ accountId });
    const code = oauth.issueCode(acc.accountId);
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    to.searchParams.set('state', state);
    return new Response(null, { status: 302, headers: { location: to.href } });
  }

  // --- API resources ----------------------------------------------------------------------------------------

  function publicBase(req: Request): string {
    return core.publicUrl ?? new URL(req.url).origin;
  }

  function xmlSignature(accountId: string, key: string): string {
    return seedFor(core.seed, 'bling-xml-link', accountId, key).toString(16);
  }

  function nfeListItem(n: SimNote) {
    return {
      id: n.id,
      tipo: n.companyRole === 'issuer' ? n.tpNF : 0,
      situacao: noteSituacao(n),
      numero: String(n.number).padStart(6, '0'),
      dataEmissao: localDateTime(n.issuedAt),
      dataOperacao: localDateTime(n.issuedAt),
      chaveAcesso: n.accessKey,
      contato: {
        id: seedFor(core.seed, 'contato', n.counterparty.doc) % 1_000_000_000,
        nome: n.counterparty.name,
        tipoPessoa: n.counterparty.kind,
        numeroDocumento: n.counterparty.kind === 'J'
          ? formatCnpj(n.counterparty.doc)
          : formatCpf(n.counterparty.doc),
        ie: n.counterparty.ie ?? '',
        rg: '',
        contribuinte: n.counterparty.ie ? 1 : 9,
        telefone: '',
        email: '',
        endereco: {
          endereco: 'Rua das Palmeiras',
          numero: '100',
          complemento: '',
          bairro: 'Centro',
          cep: '01001-000',
          municipio: '',
          uf: n.counterparty.uf,
          pais: 'Brasil',
        },
      },
      naturezaOperacao: { id: 0 },
      loja: { id: 0, numero: '' },
    };
  }

  function nfeDetail(req: Request, accountId: string, d: AccountData, n: SimNote) {
    const sig = xmlSignature(accountId, n.accessKey);
    return {
      ...nfeListItem(n),
      serie: n.series, // integer in NotasFiscaisDadosGetDTO
      valorNota: Number(n.total),
      valorFrete: Number(n.freight),
      finalidade: n.finNFe,
      // `tipoNota` is present only for credit/debit notes (finalidade 5/6), which the simulator does not issue
      xml: `${publicBase(req)}/relatorios/nfe.xml.php?chaveAcesso=${n.accessKey}&signature=${sig}`,
      linkDanfe: `${publicBase(req)}/doc.view.php?id=${n.id}`,
      linkPDF: `${publicBase(req)}/doc.view.php?PDF=true&id=${n.id}`,
      optanteSimplesNacional: d.company.crt === 1 || d.company.crt === 2 || d.company.crt === 4,
      numeroPedidoLoja: '',
      itens: n.items.map((it) => ({
        codigo: it.code,
        descricao: it.description,
        unidade: it.unit,
        quantidade: Number(it.qty),
        valor: Number(it.unitPrice),
        valorTotal: Number(it.total),
        tipo: 'P',
        classificacaoFiscal: it.ncm,
        cest: it.cest ?? '',
        cfop: it.cfop,
        origem: 0,
        gtin: '',
      })),
      parcelas: [],
    };
  }

  function filterNotes(d: AccountData, u: URL): SimNote[] | Response {
    const from = isoDate(u.searchParams.get('dataEmissaoInicial'));
    const to = isoDate(u.searchParams.get('dataEmissaoFinal'));
    if (overOneYear(from, to)) return rangeTooWide();
    const tipo = u.searchParams.get('tipo');
    const situacao = u.searchParams.get('situacao');
    const chave = u.searchParams.get('chaveAcesso');
    return d.notes.filter((n) =>
      (!from || n.issuedDate >= from) && (!to || n.issuedDate <= to) &&
      (tipo === null || String(n.companyRole === 'issuer' ? n.tpNF : 0) === tipo) &&
      (situacao === null || String(noteSituacao(n)) === situacao) &&
      (chave === null || n.accessKey === chave)
    );
  }

  function titleList(t: SimTitle) {
    const base = {
      id: t.id,
      situacao: titleSituacao(t),
      vencimento: t.dueDate,
      valor: Number(t.amount),
    };
    if (t.kind === 'payable') {
      return {
        ...base,
        contato: { id: seedFor(core.seed, 'contato', t.counterparty.doc) % 1_000_000_000 },
        formaPagamento: { id: 1 },
      };
    }
    return {
      ...base,
      idTransacao: '',
      linkQRCodePix: '',
      linkBoleto: '',
      dataEmissao: t.issueDate,
      contato: {
        id: seedFor(core.seed, 'contato', t.counterparty.doc) % 1_000_000_000,
        nome: t.counterparty.name,
        numeroDocumento: t.counterparty.doc.length === 14
          ? formatCnpj(t.counterparty.doc)
          : formatCpf(t.counterparty.doc),
        tipo: t.counterparty.doc.length === 14 ? 'J' : 'F',
      },
      formaPagamento: { id: 1, codigoFiscal: 15 },
      contaContabil: { id: 1, descricao: 'Caixa' },
      origem: {
        id: 0,
        tipoOrigem: '',
        numero: '',
        dataEmissao: t.issueDate,
        valor: Number(t.amount),
        situacao: 0,
        url: '',
      },
    };
  }

  function titleDetail(t: SimTitle) {
    return {
      ...titleList(t),
      saldo: Number(t.balance),
      vencimentoOriginal: t.dueDate,
      dataEmissao: t.issueDate,
      numeroDocumento: t.docNumber,
      competencia: t.competence,
      historico: t.description,
      numeroBanco: '',
      portador: { id: 1 },
      categoria: { id: t.categoryId },
      vendedor: { id: 0 },
      borderos: t.paidDate ? [seedFor(core.seed, 'bordero', t.id) % 1_000_000] : [],
      ocorrencia: { tipo: 1 },
    };
  }

  function filterTitles(d: AccountData, u: URL, kind: 'receivable' | 'payable'): SimTitle[] | Response {
    let from: string | null;
    let to: string | null;
    let field: (t: SimTitle) => string | null;
    if (kind === 'receivable') {
      const tipo = u.searchParams.get('tipoFiltroData') ?? 'V';
      from = isoDate(u.searchParams.get('dataInicial'));
      to = isoDate(u.searchParams.get('dataFinal'));
      field = tipo === 'E' ? (t) => t.issueDate : tipo === 'R' ? (t) => t.paidDate : (t) => t.dueDate;
    } else {
      const e = [u.searchParams.get('dataEmissaoInicial'), u.searchParams.get('dataEmissaoFinal')];
      const v = [u.searchParams.get('dataVencimentoInicial'), u.searchParams.get('dataVencimentoFinal')];
      const p = [u.searchParams.get('dataPagamentoInicial'), u.searchParams.get('dataPagamentoFinal')];
      if (e[0] || e[1]) [from, to, field] = [isoDate(e[0]), isoDate(e[1]), (t) => t.issueDate];
      else if (p[0] || p[1]) [from, to, field] = [isoDate(p[0]), isoDate(p[1]), (t) => t.paidDate];
      else [from, to, field] = [isoDate(v[0]), isoDate(v[1]), (t) => t.dueDate];
    }
    if (overOneYear(from, to)) return rangeTooWide();
    const situacoes = [...u.searchParams.getAll('situacoes[]'), ...u.searchParams.getAll('situacao')].map(
      Number,
    );
    return d.titles.filter((t) => {
      if (t.kind !== kind) return false;
      const v = field(t);
      if ((from || to) && !v) return false;
      if (from && v! < from) return false;
      if (to && v! > to) return false;
      if (situacoes.length && !situacoes.includes(titleSituacao(t))) return false;
      return true;
    });
  }

  function productList(p: AccountData['products'][number]) {
    return {
      id: p.id,
      idProdutoPai: 0,
      nome: p.name,
      codigo: p.code,
      preco: Number(p.price),
      precoCusto: Number(p.cost),
      estoque: { saldoVirtualTotal: 10 },
      tipo: 'P',
      situacao: p.active ? 'A' : 'I',
      formato: 'S',
      descricaoCurta: '',
      imagemURL: '',
    };
  }

  function filterProducts(d: AccountData, u: URL) {
    const criterio = u.searchParams.get('criterio') ?? '1';
    const altFrom = u.searchParams.get('dataAlteracaoInicial');
    const altTo = u.searchParams.get('dataAlteracaoFinal');
    return d.products.filter((p) => {
      if (criterio === '2' && !p.active) return false;
      if (criterio === '3' && p.active) return false;
      if (criterio === '1' && !p.active) return false;
      if (altFrom && p.updatedAt < altFrom) return false;
      if (altTo && p.updatedAt > altTo) return false;
      return true;
    });
  }

  async function api(req: Request, u: URL, accountId: string): Promise<{ res: Response; injected?: string }> {
    const path = u.pathname.slice(API.length);
    const d = core.data(accountId);
    const isList = /^\/(nfe|produtos|contas\/(receber|pagar)|categorias\/receitas-despesas)$/.test(path);
    await core.latency(isList);
    if (req.method !== 'GET') return { res: blingError(405, 'METHOD_NOT_ALLOWED', 'Método não permitido') };
    const limite = Math.min(100, Math.max(1, intParam(u, 'limite', 100)));
    const pagina = intParam(u, 'pagina', 1);
    let m: RegExpExecArray | null;

    if (path === '/nfe') {
      const r = filterNotes(d, u);
      if (r instanceof Response) return { res: r };
      return { res: json({ data: page(r, pagina, limite).map(nfeListItem) }) };
    }
    if ((m = /^\/nfe\/(\d+)$/.exec(path))) {
      const n = d.notes.find((x) => String(x.id) === m![1]);
      if (!n) return { res: notFound() };
      const body = JSON.stringify({ data: nfeDetail(req, accountId, d, n) });
      if (core.shouldMalform(n.id)) {
        return { res: text(corrupt(body), 200, 'application/json'), injected: 'malformed' };
      }
      return { res: text(body, 200, 'application/json') };
    }
    if ((m = /^\/nfe\/documento\/(\w{44})$/.exec(path))) {
      const n = d.notes.find((x) => x.accessKey === m![1]);
      if (!n) return { res: notFound() };
      const formato = u.searchParams.get('formato') ?? 'xml';
      if (formato !== 'xml') {
        return { res: blingError(400, 'VALIDATION_ERROR', 'Formato não suportado pelo simulador') };
      }
      const malformed = core.shouldMalform(n.id);
      const xml = malformed ? corrupt(n.xml) : n.xml;
      return {
        res: json({ data: [{ nome: `${n.accessKey}-nfe.xml`, conteudo: await gzipBase64(xml) }] }),
        injected: malformed ? 'malformed' : undefined,
      };
    }
    if (path === '/produtos') {
      for (
        const [a, b] of [['dataInclusaoInicial', 'dataInclusaoFinal'], [
          'dataAlteracaoInicial',
          'dataAlteracaoFinal',
        ]]
      ) {
        if (overOneYear(isoDate(u.searchParams.get(a)), isoDate(u.searchParams.get(b)))) {
          return { res: rangeTooWide() };
        }
      }
      return { res: json({ data: page(filterProducts(d, u), pagina, limite).map(productList) }) };
    }
    if ((m = /^\/produtos\/(\d+)$/.exec(path))) {
      const p = d.products.find((x) => String(x.id) === m![1]);
      if (!p) return { res: notFound() };
      const body = JSON.stringify({
        data: {
          ...productList(p),
          gtin: p.gtin ?? '',
          gtinEmbalagem: '',
          unidade: p.unit,
          pesoLiquido: 0,
          pesoBruto: 0,
          volumes: 0,
          itensPorCaixa: 0,
          marca: '',
          categoria: { id: 0 },
          tributacao: {
            origem: Number(p.origin),
            nFCI: '',
            ncm: p.ncm,
            cest: p.cest ?? '',
            codigoListaServicos: '',
            spedTipoItem: '00',
            codigoItem: '',
            percentualTributos: 0,
          },
        },
      });
      if (core.shouldMalform(p.id)) {
        return { res: text(corrupt(body), 200, 'application/json'), injected: 'malformed' };
      }
      return { res: text(body, 200, 'application/json') };
    }
    if ((m = /^\/contas\/(receber|pagar)$/.exec(path))) {
      const kind = m[1] === 'receber' ? 'receivable' : 'payable';
      const titles = filterTitles(d, u, kind);
      if (titles instanceof Response) return { res: titles };
      return { res: json({ data: page(titles.map(titleList), pagina, limite) }) };
    }
    if ((m = /^\/contas\/(receber|pagar)\/(\d+)$/.exec(path))) {
      const kind = m[1] === 'receber' ? 'receivable' : 'payable';
      const t = d.titles.find((x) => x.kind === kind && String(x.id) === m![2]);
      if (!t) return { res: notFound() };
      const body = JSON.stringify({ data: titleDetail(t) });
      if (core.shouldMalform(t.id)) {
        return { res: text(corrupt(body), 200, 'application/json'), injected: 'malformed' };
      }
      return { res: text(body, 200, 'application/json') };
    }
    if (path === '/categorias/receitas-despesas') {
      const tipo = u.searchParams.get('tipo') ?? '0';
      const cats = d.categories.filter((c) =>
        tipo === '0' || tipo === '3' || (tipo === '1' && c.kind === 'despesa') ||
        (tipo === '2' && c.kind === 'receita')
      );
      return {
        res: json({
          data: page(cats, pagina, limite).map((c) => ({
            id: c.id,
            idCategoriaPai: c.parentId ?? 0,
            descricao: c.name,
            tipo: c.kind === 'despesa' ? 1 : 2,
          })),
        }),
      };
    }
    if (path === '/empresas/me/dados-basicos') {
      return {
        res: json({
          data: {
            id: seedFor(core.seed, 'empresa', accountId).toString(16).padStart(8, '0') + 'a1b2c3d4',
            nome: d.company.legalName,
            cnpj: formatCnpj(d.company.cnpj),
            email: d.company.email,
            dataContrato: '2023-03-01',
          },
        }),
      };
    }
    return { res: notFound() };
  }

  async function xmlLink(
    u: URL,
    req: Request,
  ): Promise<{ res: Response; accountId: string | null; injected?: string }> {
    const key = u.searchParams.get('chaveAcesso') ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? null;
    const check = oauth.checkAccess(bearer);
    // Find the account: by bearer, else by signature.
    let accountId: string | null = check.ok ? check.accountId : null;
    if (!accountId) {
      const sig = u.searchParams.get('signature');
      accountId = core.allRecords().find((r) => xmlSignature(r.accountId, key) === sig)?.accountId ?? null;
    }
    if (!accountId) return { res: text('Acesso negado', 403), accountId };
    await core.latency(false);
    const n = core.data(accountId).notes.find((x) => x.accessKey === key);
    if (!n) return { res: text('Nota não encontrada', 404), accountId };
    if (core.shouldMalform(n.id)) {
      return { res: text(corrupt(n.xml), 200, 'text/xml; charset=utf-8'), accountId, injected: 'malformed' };
    }
    return { res: text(n.xml, 200, 'text/xml; charset=utf-8'), accountId };
  }

  async function handler(req: Request): Promise<Response> {
    const admin = await core.handleAdmin(req, adminApi);
    if (admin) return admin;
    const u = new URL(req.url);
    const path = u.pathname;
    try {
      if (path === `${API}/oauth/token` && req.method === 'POST') {
        const res = await tokenEndpoint(req);
        core.logRequest(req, res.status, null, undefined, true);
        return res;
      }
      if (path === `${API}/oauth/revoke` && req.method === 'POST') return await revokeEndpoint(req);
      if (path === `${API}/oauth/authorize` && req.method === 'GET') return authorize(u);
      if (path === '/relatorios/nfe.xml.php') {
        const r = await xmlLink(u, req);
        core.logRequest(req, r.res.status, r.accountId, r.injected);
        return r.res;
      }
      if (!path.startsWith(`${API}/`)) return notFound();

      const h = req.headers.get('authorization');
      const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
      if (!m) {
        core.logRequest(req, 400, null);
        return blingError(400, 'invalid_request', 'Malformed auth header', 'Malformed auth header');
      }
      const check = oauth.checkAccess(m[1]);
      if (!check.ok) {
        core.logRequest(req, 401, null);
        return blingError(
          401,
          'invalid_token',
          'invalid_token',
          check.reason === 'expired'
            ? 'The access token provided has expired'
            : 'The access token provided is invalid',
        );
      }
      const accountId = check.accountId;
      if (core.shouldStorm()) {
        core.logRequest(req, 429, accountId, 'storm');
        const res = blingError(
          429,
          'TOO_MANY_REQUESTS',
          'Limite de requisições atingido.',
          'Limite de requisições por segundo atingido',
          { limit: 3, period: 'second' },
        );
        res.headers.set('retry-after', String(core.knobs.retryAfterSeconds));
        return res;
      }
      if (core.knobs.enforceLimits) {
        const hit = core.limiter.hit(accountId, [SECOND_LIMIT, DAY_LIMIT]);
        if (!hit.ok) {
          core.logRequest(req, 429, accountId, 'rate_limit');
          return blingError(
            429,
            'TOO_MANY_REQUESTS',
            'Limite de requisições atingido.',
            `Limite de requisições por ${hit.window.period === 'day' ? 'dia' : 'segundo'} atingido`,
            {
              limit: hit.window.limit,
              period: hit.window.period,
            },
          );
        }
      }
      if (core.shouldFail()) {
        core.logRequest(req, 500, accountId, 'failure');
        return blingError(500, 'SERVER_ERROR', 'Erro interno do servidor', 'Ocorreu um erro inesperado');
      }
      const { res, injected } = await api(req, u, accountId);
      core.logRequest(req, res.status, accountId, injected);
      return res;
    } catch (e) {
      core.logRequest(req, 500, null, 'exception');
      return blingError(
        500,
        'SERVER_ERROR',
        'Erro interno do servidor',
        e instanceof Error ? e.name : 'error',
      );
    }
  }

  const adminApi = core.admin({
    provision,
    isRevoked: (id) => oauth.isRevoked(id),
    revoke: (accountId) => oauth.revoke(accountId),
    expireTokens: (accountId) => oauth.expire(accountId),
  });

  return { erp: 'bling', handler, admin: adminApi };
}

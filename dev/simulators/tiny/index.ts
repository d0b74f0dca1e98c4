/**
 * Tiny ERP (Olist ERP) API v2 simulator, on Tiny's service pages (https://tiny.com.br/api-docs/api2-*, e.g.
 * api2-notas-fiscais-pesquisar; limits https://tiny.com.br/api-docs/api2-limites-api; docs/erp-sources.md):
 * `/api2/<service>.php` over GET query or
 * POST form, `token` + `formato=json`, HTTP 200 for everything with `{"retorno":{status, codigo_erro, erros}}`,
 * list items wrapped (`notas_fiscais[].nota_fiscal`, `produtos[].produto`, `contas[].conta`), numbers as strings,
 * dates `dd/mm/yyyy`, 100-record pages with `numero_paginas`, empty result as `codigo_erro` 20, per-account
 * plan limit per minute (`x-limit-api` header; 30/60/120) → `codigo_erro` 6 "API Bloqueada", concurrent calls
 * above a quarter of the plan → `codigo_erro` 11, invalid token → `codigo_erro` 2, a date-filtered query over the
 * `maxRecordsPerQuery` knob → `codigo_erro` 21, and
 * `nota.fiscal.obter.xml.php` answering XML even with formato=json (`<retorno>…<xml_nfe>` nfeProc
 * `</xml_nfe>[<xml_cancelamento>…]`).
 *
 * Error codes per Tiny's code table (reproduced in linkiez/TinyERPv2-SDK@d8b4221221729fdff67dc49407b9df82827511a5
 * src/types/CodigoErro.ts): page past the end → codigo_erro 23; note `situacao` codes per Tiny's "Situações das
 * Notas Fiscais" (3 cancelada, 7 emitida DANFE, 8 registrada, 1 pendente). Simulator choices where no source
 * says: title `competencia` as dd/mm/yyyy;
 * `regime_tributario` texts; the failure knob answers HTTP 503 (an infrastructure error, not a Tiny envelope).
 */
import { corrupt, json, SimCore, text } from '../common/core.ts';
import type { AccountData, SimNote, SimTitle } from '../common/dataset.ts';
import { StaticTokens } from '../common/tokens.ts';
import type { ProvisionedAccount, ProvisionInput, Simulator, SimulatorOptions } from '../common/types.ts';
import { formatCnpj, fromBr, toBr } from '../common/util.ts';

const PAGE_SIZE = 100;
const REGIME_TEXT: Record<number, string> = {
  1: 'Simples Nacional',
  2: 'Simples Nacional - excesso de sublimite de receita bruta',
  3: 'Regime Normal',
  4: 'MEI',
};

type Params = URLSearchParams;

function ok(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return json({ retorno: { status_processamento: '3', status: 'OK', ...body } }, 200, headers);
}

function err(codigo: string, msg: string, headers: Record<string, string> = {}) {
  return json(
    {
      retorno: {
        status_processamento: codigo === '20' ? '3' : '2',
        status: 'Erro',
        codigo_erro: codigo,
        erros: [{ erro: msg }],
      },
    },
    200,
    headers,
  );
}

function xmlErr(codigo: string, msg: string, headers: Record<string, string> = {}) {
  return text(
    `<?xml version="1.0" encoding="UTF-8"?><retorno><status_processamento>2</status_processamento><status>Erro</status><codigo_erro>${codigo}</codigo_erro><erros><erro>${msg}</erro></erros></retorno>`,
    200,
    'text/xml; charset=utf-8',
    headers,
  );
}

const money = (s: string) => s; // already a decimal string

function noteSituacao(n: SimNote): string {
  if (n.cancelled) return '3';
  if (!n.authorised) return '1';
  return n.companyRole === 'issuer' ? '7' : '8';
}

const SITUACAO_TEXT: Record<string, string> = {
  '1': 'Pendente',
  '3': 'Cancelada',
  '7': 'Emitida DANFE',
  '8': 'Registrada',
};

function tipoNota(n: SimNote): 'E' | 'S' {
  return n.companyRole === 'issuer' && n.tpNF === 1 ? 'S' : 'E';
}

function titleSituacao(t: SimTitle): string {
  return { open: 'aberto', paid: 'pago', partial: 'parcial', cancelled: 'cancelada' }[t.status];
}

function stripDecl(xml: string): string {
  return xml.replace(/^\uFEFF?\s*<\?xml[^>]*\?>\s*/, '');
}

export function createTinySimulator(opts: SimulatorOptions = {}): Simulator {
  const core = new SimCore('tiny', opts);
  const tokens = new StaticTokens(core.seed, 'tiny');
  const inFlight = new Map<string, number>();

  function provision(input: ProvisionInput = {}): ProvisionedAccount {
    const { record } = core.provisionRecord(input);
    const c = record.company;
    return {
      accountId: record.accountId,
      erp: 'tiny',
      company: {
        cnpj: c.cnpj,
        legalName: c.legalName,
        tradeName: c.tradeName,
        crt: c.crt,
        uf: c.uf,
        city: c.city,
      },
      credentials: { token: tokens.tokenFor(record.accountId) },
      counts: {
        nfe: record.input.nfeCount,
        products: record.input.productCount,
        financials: record.input.financialCount,
      },
    };
  }

  for (let i = 1; i <= (opts.accounts ?? 0); i++) provision({ accountId: `tiny-${i}` });

  function paged<T>(
    items: T[],
    p: Params,
    wrap: (t: T) => unknown,
    key: string,
    headers: Record<string, string>,
    dateFiltered = true,
  ): Response {
    if (items.length === 0) return err('20', 'A consulta não retornou registros', headers);
    const max = core.knobs.maxRecordsPerQuery;
    if (dateFiltered && max !== null && items.length > max) {
      return err('21', 'A Consulta retornou muitos registros', headers);
    }
    const pagina = Math.max(1, Number(p.get('pagina') ?? '1') || 1);
    const pages = Math.ceil(items.length / PAGE_SIZE);
    if (pagina > pages) return err('23', 'A página que você está tentando obter não existe', headers);
    const slice = items.slice((pagina - 1) * PAGE_SIZE, pagina * PAGE_SIZE);
    return ok({ pagina, numero_paginas: pages, [key]: slice.map(wrap) }, headers);
  }

  function noteSummary(n: SimNote) {
    return {
      nota_fiscal: {
        id: String(n.id),
        tipo: tipoNota(n),
        serie: String(n.series),
        numero: String(n.number).padStart(6, '0'),
        numero_ecommerce: '',
        data_emissao: toBr(n.issuedDate),
        nome: n.counterparty.name,
        cliente: { nome: n.counterparty.name, cpf_cnpj: n.counterparty.doc, uf: n.counterparty.uf },
        valor: money(n.total),
        valor_produtos: money(n.total),
        valor_frete: money(n.freight),
        situacao: noteSituacao(n),
        descricao_situacao: SITUACAO_TEXT[noteSituacao(n)],
        chave_acesso: n.authorised ? n.accessKey : '',
      },
    };
  }

  function productSummary(p: AccountData['products'][number]) {
    return {
      produto: {
        id: String(p.id),
        codigo: p.code,
        nome: p.name,
        preco: p.price,
        preco_promocional: '0.00',
        unidade: p.unit,
        gtin: p.gtin ?? '',
        tipoVariacao: 'N',
        localizacao: '',
        preco_custo: p.cost,
        preco_custo_medio: p.cost,
        situacao: p.active ? 'A' : 'I',
        data_criacao: `${toBr(p.createdAt.slice(0, 10))} ${p.createdAt.slice(11)}`,
      },
    };
  }

  function titleSummary(t: SimTitle) {
    return {
      conta: {
        id: String(t.id),
        nome_cliente: t.counterparty.name,
        historico: t.description,
        numero_banco: '',
        numero_doc: t.docNumber,
        serie_doc: '',
        data_vencimento: toBr(t.dueDate),
        data_emissao: toBr(t.issueDate),
        valor: t.amount,
        saldo: t.balance,
        situacao: titleSituacao(t),
      },
    };
  }

  function service(
    name: string,
    p: Params,
    accountId: string,
    headers: Record<string, string>,
  ): { res: Response; injected?: string } {
    const d = core.data(accountId);
    const id = p.get('id');
    switch (name) {
      case 'info': {
        const c = d.company;
        return {
          res: ok({
            conta: {
              razao_social: c.legalName,
              cnpj_cpf: formatCnpj(c.cnpj),
              fantasia: c.tradeName,
              endereco: c.street,
              numero: c.streetNumber,
              bairro: c.district,
              complemento: '',
              cidade: c.city,
              estado: c.uf,
              cep: `${c.cep.slice(0, 5)}-${c.cep.slice(5)}`,
              fone: c.phone,
              email: c.email,
              inscricao_estadual: c.ie,
              regime_tributario: REGIME_TEXT[c.crt],
            },
          }, headers),
        };
      }
      case 'notas.fiscais.pesquisa': {
        const from = fromBr(p.get('dataInicial'));
        const to = fromBr(p.get('dataFinal'));
        const tipo = p.get('tipoNota');
        const situacao = p.get('situacao');
        if (!from && !to && !tipo && !p.get('numero') && !situacao) {
          return { res: err('31', 'Informe ao menos um filtro para a pesquisa', headers) };
        }
        const notes = d.notes.filter((n) =>
          (!from || n.issuedDate >= from) && (!to || n.issuedDate <= to) && (!tipo || tipoNota(n) === tipo) &&
          (!situacao || noteSituacao(n) === situacao)
        );
        return { res: paged(notes, p, noteSummary, 'notas_fiscais', headers) };
      }
      case 'nota.fiscal.obter': {
        const n = d.notes.find((x) => String(x.id) === id);
        if (!n) return { res: err('32', 'Registro não encontrado', headers) };
        const s = noteSummary(n).nota_fiscal;
        return {
          res: ok({
            nota_fiscal: {
              ...s,
              tipo_nota: s.tipo,
              natureza_operacao: n.natOp,
              regime_tributario: String(d.company.crt),
              finalidade: String(n.finNFe),
              valor_nota: n.total,
              itens: n.items.map((it) => ({
                item: {
                  codigo: it.code,
                  descricao: it.description,
                  unidade: it.unit,
                  ncm: it.ncm,
                  quantidade: it.qty,
                  valor_unitario: it.unitPrice,
                  valor_total: it.total,
                  cfop: it.cfop,
                },
              })),
            },
          }, headers),
        };
      }
      case 'nota.fiscal.obter.xml': {
        const n = d.notes.find((x) => String(x.id) === id);
        if (!n) return { res: xmlErr('32', 'Registro não encontrado', headers) };
        if (!n.authorised) return { res: xmlErr('31', 'A nota fiscal não possui XML autorizado', headers) };
        const cancel = n.cancellationXml
          ? `<xml_cancelamento>${stripDecl(n.cancellationXml)}</xml_cancelamento>`
          : '';
        const body =
          `<?xml version="1.0" encoding="UTF-8"?><retorno><status_processamento>3</status_processamento><status>OK</status><xml_nfe>${
            stripDecl(n.xmlWithoutCancellation)
          }</xml_nfe>${cancel}</retorno>`;
        if (core.shouldMalform(n.id)) {
          return { res: text(corrupt(body), 200, 'text/xml; charset=utf-8', headers), injected: 'malformed' };
        }
        return { res: text(body, 200, 'text/xml; charset=utf-8', headers) };
      }
      case 'produtos.pesquisa': {
        const situacao = p.get('situacao');
        const q = (p.get('pesquisa') ?? '').toLowerCase();
        const items = d.products.filter((x) =>
          (!situacao || (situacao === 'A' ? x.active : situacao === 'I' ? !x.active : false)) &&
          (!q || x.name.toLowerCase().includes(q) || x.code.toLowerCase().includes(q))
        );
        return { res: paged(items, p, productSummary, 'produtos', headers, false) };
      }
      case 'produto.obter': {
        const x = d.products.find((y) => String(y.id) === id);
        if (!x) return { res: err('32', 'Registro não encontrado', headers) };
        const body = JSON.stringify({
          retorno: {
            status_processamento: '3',
            status: 'OK',
            produto: {
              ...productSummary(x).produto,
              ncm: x.ncm,
              origem: x.origin,
              gtin_embalagem: '',
              cest: x.cest ?? '',
              classe_ipi: '',
              valor_ipi_fixo: '',
              cod_lista_servicos: '',
              peso_liquido: '0.000',
              peso_bruto: '0.000',
              unidade_por_caixa: '1',
              categoria: '',
              marca: '',
            },
          },
        });
        if (core.shouldMalform(x.id)) {
          return { res: text(corrupt(body), 200, 'application/json', headers), injected: 'malformed' };
        }
        return { res: text(body, 200, 'application/json', headers) };
      }
      case 'contas.receber.pesquisa':
      case 'contas.pagar.pesquisa': {
        const kind = name.startsWith('contas.receber') ? 'receivable' : 'payable';
        const eFrom = fromBr(p.get('data_ini_emissao'));
        const eTo = fromBr(p.get('data_fim_emissao'));
        const vFrom = fromBr(p.get('data_ini_vencimento'));
        const vTo = fromBr(p.get('data_fim_vencimento'));
        const situacao = p.get('situacao');
        const items = d.titles.filter((t) =>
          t.kind === kind && (!eFrom || t.issueDate >= eFrom) && (!eTo || t.issueDate <= eTo) &&
          (!vFrom || t.dueDate >= vFrom) && (!vTo || t.dueDate <= vTo) &&
          (!situacao || titleSituacao(t) === situacao)
        );
        return { res: paged(items, p, titleSummary, 'contas', headers) };
      }
      case 'conta.receber.obter':
      case 'conta.pagar.obter': {
        const kind = name.startsWith('conta.receber') ? 'receivable' : 'payable';
        const t = d.titles.find((x) => x.kind === kind && String(x.id) === id);
        if (!t) return { res: err('32', 'Registro não encontrado', headers) };
        const cat = d.categories.find((c) => c.id === t.categoryId);
        const body = JSON.stringify({
          retorno: {
            status_processamento: '3',
            status: 'OK',
            conta: {
              id: String(t.id),
              [kind === 'receivable' ? 'cliente' : 'fornecedor']: {
                nome: t.counterparty.name,
                cpf_cnpj: t.counterparty.doc,
              },
              data: toBr(t.issueDate),
              vencimento: toBr(t.dueDate),
              valor: t.amount,
              saldo: t.balance,
              nro_documento: t.docNumber,
              competencia: toBr(t.competence),
              categoria: cat?.name ?? '',
              historico: t.description,
              forma_pagamento: 'boleto',
              portador: 'Banco do Brasil',
              situacao: titleSituacao(t),
            },
          },
        });
        if (core.shouldMalform(t.id)) {
          return { res: text(corrupt(body), 200, 'application/json', headers), injected: 'malformed' };
        }
        return { res: text(body, 200, 'application/json', headers) };
      }
      default:
        return { res: err('31', `Serviço ${name} não disponível no simulador`, headers) };
    }
  }

  async function handler(req: Request): Promise<Response> {
    const adminRes = await core.handleAdmin(req, adminApi);
    if (adminRes) return adminRes;
    const u = new URL(req.url);
    const m = /^\/api2\/([a-z.]+)\.php$/.exec(u.pathname);
    if (!m) return text('Not Found', 404);
    const name = m[1];
    const params = new URLSearchParams(u.search);
    if (req.method === 'POST') {
      const body = new URLSearchParams(await req.text());
      for (const [k, v] of body) params.set(k, v);
    }
    const isXml = name === 'nota.fiscal.obter.xml';
    const fail = isXml ? xmlErr : err;
    const accountId = tokens.accountOf(params.get('token'));
    if (!params.get('token')) {
      core.logRequest(req, 200, null, 'auth');
      return fail('1', 'Token não informado');
    }
    if (!accountId) {
      core.logRequest(req, 200, null, 'auth');
      return fail('2', 'Token inválido ou não encontrado');
    }
    const plan = core.record(accountId)?.planLimitPerMinute ?? 60;
    const headers = { 'x-limit-api': String(plan) };
    const current = inFlight.get(accountId) ?? 0;
    inFlight.set(accountId, current + 1);
    try {
      await core.latency(/pesquisa$/.test(name));
      if (core.shouldStorm()) {
        core.logRequest(req, 200, accountId, 'storm');
        return fail('6', 'API Bloqueada - Excedido o número de acessos a API', headers);
      }
      if (core.knobs.enforceLimits) {
        if (current + 1 > Math.max(1, Math.floor(plan / 4))) {
          core.logRequest(req, 200, accountId, 'rate_limit');
          return fail('11', 'API Bloqueada - Excedido o número de acessos simultâneos a API', headers);
        }
        const hit = core.limiter.hit(accountId, [{ limit: plan, intervalMs: 60_000, period: 'minute' }]);
        if (!hit.ok) {
          core.logRequest(req, 200, accountId, 'rate_limit');
          return fail('6', 'API Bloqueada - Excedido o número de acessos a API', headers);
        }
      }
      if (core.shouldFail()) {
        core.logRequest(req, 503, accountId, 'failure');
        return text(
          '<html><body>503 Service Temporarily Unavailable</body></html>',
          503,
          'text/html',
          headers,
        );
      }
      const { res, injected } = service(name, params, accountId, headers);
      core.logRequest(req, res.status, accountId, injected);
      return res;
    } catch (e) {
      core.logRequest(req, 500, accountId, 'exception');
      return text(`<html><body>500 ${e instanceof Error ? e.name : 'error'}</body></html>`, 500, 'text/html');
    } finally {
      inFlight.set(accountId, (inFlight.get(accountId) ?? 1) - 1);
    }
  }

  const adminApi = core.admin({
    provision,
    isRevoked: (id) => tokens.isRevoked(id),
    revoke: (accountId) => tokens.revoke(accountId),
    expireTokens: () => {}, // static tokens do not expire
  });

  return { erp: 'tiny', handler, admin: adminApi };
}

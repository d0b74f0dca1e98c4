/**
 * Omie API simulator. Every shape rests on a public source (docs/erp-sources.md, Omie): every service is
 * `POST /api/v1/{module}/{service}/` (trailing slash required: 301 without it; GET shows a doc page), JSON body
 * `{call, app_key, app_secret, param:[{...}]}`, `{"faultstring","faultcode"}` envelopes with HTTP 500
 * (https://ajuda.omie.com.br/pt-BR/articles/5412721-caracteristicas-e-recomendacoes). Paging fields per service
 * as the client generated from Omie's service definitions names them
 * (pauloracunha/omie-lib@b7c0b4eb4a5dbea31a14cabd000e6c140279d05d): `total_de_paginas` (snake_case services),
 * `nTotalPaginas`/`nTotalRegistros` (ListarRecebimentos), `nRegPorPagina`/`nTotRegistros` and no page count
 * (ListarDocumentos). Faults as captured in OmieSharp/OmieSharp@c00c24d897ba4163ea067bfeefcfabe3ffa6ed59
 * (src/OmieSharp/OmieSharpClient.cs): an empty or past-the-end page is `SOAP-ENV:Client-5113`, the same request
 * repeated within 60 s is `SOAP-ENV:Client-1100` "... você pode tentar novamente às HH:MM:SS"; a wrong or revoked
 * key is `SOAP-ENV:Server` "A chave de acesso não está preenchida ou não é válida." (as open-source clients
 * quote it from live answers); https://ajuda.omie.com.br/pt-BR/articles/8001888-tratando-os-erros-de-api gives 240 req/min and
 * 4 in flight per app_key + method, "429: Too many Requests", redundant requests freed every 60 s);
 * `MISUSE_API_PROCESS` "API bloqueada por consumo indevido. Tente novamente em N segundos." after repeated
 * violations. `cXmlNfe` comes plain for odd note ids and HTML-escaped for even ones: clients see both.
 *
 * Services: produtos/nfconsultar ListarNF · produtos/dfedocs ObterNfe · produtos/recebimentonfe
 * ListarRecebimentos · contador/xml ListarDocumentos · geral/produtos ListarProdutos · geral/categorias
 * ListarCategorias · geral/dre ListarCadastroDRE · financas/contareceber ListarContasReceber ·
 * financas/contapagar ListarContasPagar · geral/empresas ListarEmpresas.
 *
 * Simulator choices where no source says: the text rendering of `regime_tributario` ("Simples Nacional",
 * "Lucro Presumido", ...), a Retry-After header on storm 429s (knob), the 4-in-flight excess answered like the
 * per-minute limit, MISUSE after 10 repeats that ignore the announced time within 10 min (blocks 30 min).
 * The `/api/v1` prefix is optional so a bare origin also works as baseUrl.
 */
import { corrupt, json, SimCore, text } from '../common/core.ts';
import type { AccountData, SimCategory, SimNote, SimProduct, SimTitle } from '../common/dataset.ts';
import { StaticTokens } from '../common/tokens.ts';
import type { ProvisionedAccount, ProvisionInput, Simulator, SimulatorOptions } from '../common/types.ts';
import { formatCnpj, formatCpf, fromBr, toBr } from '../common/util.ts';

export interface OmieSimulatorOptions extends SimulatorOptions {
  /** The redundant-call window (Omie: 60 s). */
  redundantWindowSeconds?: number;
  /** Max records per page the simulator honours (Omie recommends ≤ 500). */
  maxPageSize?: number;
}

const METHOD_LIMIT = { limit: 240, intervalMs: 60_000, period: 'minute' };
const MAX_IN_FLIGHT = 4;
const MISUSE_THRESHOLD = 10;
const MISUSE_WINDOW_MS = 10 * 60_000;
const MISUSE_BLOCK_MS = 30 * 60_000;

type Param = Record<string, unknown>;
interface Ctx {
  accountId: string;
  data: AccountData;
  param: Param;
  today: string;
}
/** A handler returns the JSON body, or a fault, or `end` (no records for the page). */
type Out =
  | { body: unknown; list?: boolean; malformed?: boolean }
  | { fault: { faultstring: string; faultcode: string }; status?: number };

function fault(faultstring: string, faultcode: string, status = 500): Response {
  return json({ faultstring, faultcode }, status);
}

/** The XML text HTML-escaped once, as Omie sends `cXmlNfe` to some clients. */
const escapeXml = (x: string) =>
  x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const noRecords = (page: number): Out => ({
  fault: {
    faultstring: `ERROR: Não existem registros para a página [${page}]!`,
    faultcode: 'SOAP-ENV:Client-5113',
  },
});

function num(v: unknown, d: number): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : d;
}
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const money = (s: string): number => Number(s);

/** dd/mm/aaaa bounds on an ISO date (absent bound = open). */
function inRange(iso: string, de: unknown, ate: unknown): boolean {
  const a = fromBr(str(de) || null);
  const b = fromBr(str(ate) || null);
  return (!a || iso >= a) && (!b || iso <= b);
}

/** Page slice + Omie's snake_case or Hungarian paging; `null` = no records for that page. */
function paginate<T>(items: T[], page: number, size: number) {
  const total = items.length;
  const pages = Math.max(1, Math.ceil(total / size));
  if (total === 0 || page < 1 || page > pages) return null;
  const slice = items.slice((page - 1) * size, page * size);
  return { slice, total, pages };
}

// --- rendering of the ERP-neutral dataset in Omie's shapes ---------------------------------------------------

const dotNcm = (n: string) => {
  const d = n.replace(/\D/g, '');
  return d.length === 8 ? `${d.slice(0, 4)}.${d.slice(4, 6)}.${d.slice(6)}` : n;
};
const dotCest = (c: string | null) => {
  const d = (c ?? '').replace(/\D/g, '');
  return d.length === 7 ? `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5)}` : '';
};
const docFmt = (d: string) => (d.length === 14 ? formatCnpj(d) : d.length === 11 ? formatCpf(d) : d);
const hms = (iso: string) => iso.slice(11, 19);

/** The simulated customer DRE structure (ListarCadastroDRE). */
const DRE_LINES = [
  ['1', 'Receita Operacional Bruta', 1, '+', 'S'],
  ['1.01', 'Receita Bruta de Vendas e Serviços', 2, '+', 'N'],
  ['2', '(-) Deduções da Receita Bruta', 1, '-', 'S'],
  ['2.01', 'Impostos sobre Vendas', 2, '-', 'N'],
  ['2.02', 'Devoluções e Abatimentos', 2, '-', 'N'],
  ['3', '(-) Custos Operacionais', 1, '-', 'S'],
  ['3.01', 'Custo das Mercadorias Vendidas', 2, '-', 'N'],
  ['4', '(-) Despesas Operacionais', 1, '-', 'S'],
  ['4.01', 'Despesas Administrativas', 2, '-', 'N'],
  ['4.02', 'Despesas com Vendas', 2, '-', 'N'],
  ['5', 'Resultado Financeiro', 1, '+', 'S'],
  ['5.01', 'Receitas Financeiras', 2, '+', 'N'],
  ['5.02', 'Despesas Financeiras', 2, '-', 'N'],
  ['6', 'Outras Receitas e Despesas', 1, '+', 'S'],
  ['6.01', 'Outras Receitas', 2, '+', 'N'],
  ['7', 'IRPJ e CSLL', 1, '-', 'S'],
  ['7.01', 'Provisão para IRPJ e CSLL', 2, '-', 'N'],
] as const;

/** Category name → the customer's DRE line (codigo_dre); '' = not linked (the adapter's fallback applies). */
const DRE_OF: Record<string, string> = {
  'Vendas de mercadorias': '1.01',
  'Prestação de serviços': '1.01',
  'Receitas financeiras': '5.01',
  'Outras receitas': '6.01',
  'Compra de mercadorias para revenda': '3.01',
  'Fretes sobre compras': '3.01',
  'DAS - Simples Nacional': '2.01',
  'ICMS a recolher': '2.01',
  'PIS/COFINS a recolher': '2.01',
  'Devoluções de vendas': '2.02',
  'Salários e encargos': '4.01',
  'Aluguel': '4.01',
  'Energia elétrica': '4.01',
  'Contabilidade': '4.01',
  'Internet e telefone': '4.01',
  'Marketing e publicidade': '4.02',
  'Comissões de vendedores': '4.02',
  'Tarifas bancárias': '5.02',
  'Juros pagos': '5.02',
  'IRPJ': '7.01',
  'CSLL': '',
};

/** Omie category codes: receita roots 1.01.., despesa roots 2.01.., children <root>.01.. */
function categoryCodes(cats: SimCategory[]): Map<number, string> {
  const codes = new Map<number, string>();
  const counters = { receita: 0, despesa: 0 };
  for (const c of cats.filter((x) => x.parentId === null)) {
    const n = ++counters[c.kind];
    codes.set(c.id, `${c.kind === 'receita' ? '1' : '2'}.${String(n).padStart(2, '0')}`);
    let k = 0;
    for (const child of cats.filter((x) => x.parentId === c.id)) {
      codes.set(child.id, `${codes.get(c.id)}.${String(++k).padStart(2, '0')}`);
    }
  }
  return codes;
}

function renderCategoria(c: SimCategory, codes: Map<number, string>, parent: SimCategory | undefined) {
  const codigo = codes.get(c.id)!;
  const dre = c.parentId === null ? '' : (DRE_OF[c.name] ?? '');
  const line = DRE_LINES.find((l) => l[0] === dre);
  // Half of the linked categories also carry dadosDRE; the others only codigo_dre (both occur).
  const withDados = line && c.id % 2 === 0;
  return {
    codigo,
    descricao: c.name,
    descricao_padrao: c.name,
    tipo_categoria: c.kind === 'receita' ? 'R' : 'D',
    conta_inativa: 'N',
    definida_pelo_usuario: 'N',
    id_conta_contabil: 0,
    tag_conta_contabil: '',
    conta_despesa: c.kind === 'despesa' ? 'S' : 'N',
    conta_receita: c.kind === 'receita' ? 'S' : 'N',
    nao_exibir: 'N',
    natureza: '',
    totalizadora: c.parentId === null ? 'S' : 'N',
    transferencia: 'N',
    codigo_dre: dre,
    categoria_superior: parent ? codes.get(parent.id)! : '',
    ...(withDados
      ? {
        dadosDRE: {
          codigoDRE: line[0],
          descricaoDRE: line[1],
          naoExibirDRE: 'N',
          nivelDRE: line[2],
          sinalDRE: line[3],
          totalizaDRE: line[4],
        },
      }
      : {}),
  };
}

function renderNf(n: SimNote) {
  return {
    ide: {
      mod: String(n.model),
      serie: String(n.series),
      nNF: String(n.number),
      dEmi: toBr(n.issuedDate),
      hEmi: hms(n.issuedAt),
      dSaiEnt: toBr(n.issuedDate),
      hSaiEnt: hms(n.issuedAt),
      tpNF: String(n.tpNF),
      tpAmb: '1',
      finNFe: String(n.finNFe),
      dReg: toBr(n.issuedDate),
      dCan: n.cancelled ? toBr(n.issuedDate) : '',
      dInut: '',
      cDeneg: 'N',
      indPag: '0',
    },
    nfEmitInt: { nCodEmp: 0 },
    nfDestInt: {
      nCodCli: n.id % 1_000_000_000,
      cCodCliInt: '',
      cRazao: n.counterparty.name,
      cnpj_cpf: docFmt(n.counterparty.doc),
    },
    det: n.items.map((it, i) => ({
      prod: {
        cProd: it.code,
        cEAN: 'SEM GTIN',
        xProd: it.description,
        NCM: it.ncm.replace(/\D/g, ''),
        CFOP: it.cfop,
        uCom: it.unit,
        qCom: Number(it.qty),
        vUnCom: Number(it.unitPrice),
        vProd: Number(it.total),
        vDesc: 0,
        vFrete: 0,
      },
      nfProdInt: { nCodProd: 0, cCodProdInt: '', nCodItem: i + 1, cCodItemInt: '' },
    })),
    total: { ICMSTot: { vNF: money(n.total), vFrete: money(n.freight) } },
    compl: {
      nIdNF: n.id,
      nIdPedido: 0,
      cCodCateg: '',
      cChaveNFe: n.accessKey,
      nIdReceb: 0,
      nIdTransp: 0,
      cModFrete: '9',
    },
    titulos: [],
  };
}

function renderRecebimento(n: SimNote) {
  return {
    cabec: {
      nIdReceb: n.id,
      nIdFornecedor: n.id % 1_000_000_000,
      cRazaoSocial: n.counterparty.name,
      cCNPJ_CPF: docFmt(n.counterparty.doc),
      cChaveNfe: n.accessKey,
      cNumeroNFe: String(n.number),
      cSerieNFe: String(n.series),
      dEmissaoNFe: toBr(n.issuedDate),
      nValorNFe: money(n.total),
      cEtapa: '50',
    },
    itensRecebimento: [],
    totais: { vTotalNFe: money(n.total) },
    parcelas: [],
    categorias: [],
  };
}

function renderDocumento(n: SimNote, xml: string) {
  return {
    nNumero: String(n.number),
    cSerie: String(n.series),
    nChave: n.accessKey,
    dEmissao: toBr(n.issuedDate),
    hEmissao: hms(n.issuedAt),
    nValor: money(n.total),
    cXml: xml,
    nIdNF: n.companyRole === 'issuer' ? n.id : 0,
    nIdCupom: 0,
    nIdCT: 0,
    nIdPedido: 0,
    nIdOS: 0,
    nIdReceb: n.companyRole === 'recipient' ? n.id : 0,
    cStatus: n.cancelled ? '10' : '00',
  };
}

function renderProduto(p: SimProduct) {
  return {
    codigo_produto: p.id,
    codigo_produto_integracao: '',
    codigo: p.code,
    descricao: p.name,
    unidade: p.unit,
    ncm: dotNcm(p.ncm),
    ean: p.gtin ?? '',
    valor_unitario: money(p.price),
    codigo_familia: 0,
    descricao_familia: '',
    tipoItem: '00',
    inativo: p.active ? 'N' : 'S',
    cest: dotCest(p.cest),
    origem_imposto: p.origin,
    quantidade_estoque: 0,
    info: {
      dInc: toBr(p.createdAt.slice(0, 10)),
      hInc: p.createdAt.slice(11, 19),
      dAlt: toBr(p.updatedAt.slice(0, 10)),
      hAlt: p.updatedAt.slice(11, 19),
      cImpAPI: 'N',
    },
    bloqueado: 'N',
    importado_api: 'N',
  };
}

function titleStatus(t: SimTitle, today: string): string {
  switch (t.status) {
    case 'paid':
      return t.kind === 'receivable' ? 'RECEBIDO' : 'PAGO';
    case 'partial':
      return 'PAGTO_PARCIAL';
    case 'cancelled':
      return 'CANCELADO';
    default:
      return t.dueDate < today ? 'ATRASADO' : t.dueDate === today ? 'VENCEHOJE' : 'A VENCER';
  }
}

/** Titles the simulator apportions over two categories (the adapter yields one entry per category). */
export const omieApportioned = (t: SimTitle): boolean => t.id % 7 === 0;

function renderConta(t: SimTitle, codes: Map<number, string>, cats: SimCategory[], today: string) {
  const cat = codes.get(t.categoryId) ?? '';
  const valor = money(t.amount);
  // Every 7th title is apportioned over two categories of the same side (the split the adapter must keep exact).
  let categorias = [{ codigo_categoria: cat, percentual: 100, valor }];
  if (omieApportioned(t)) {
    const kind = cats.find((c) => c.id === t.categoryId)?.kind;
    const other = cats.find((c) => c.kind === kind && c.parentId !== null && c.id !== t.categoryId);
    if (other) {
      const a = Math.round(valor * 60) / 100;
      categorias = [
        { codigo_categoria: cat, percentual: 60, valor: a },
        {
          codigo_categoria: codes.get(other.id)!,
          percentual: 40,
          valor: Math.round((valor - a) * 100) / 100,
        },
      ];
    }
  }
  return {
    codigo_lancamento_omie: t.id,
    codigo_lancamento_integracao: '',
    codigo_cliente_fornecedor: t.id % 1_000_000_000,
    data_vencimento: toBr(t.dueDate),
    data_previsao: toBr(t.dueDate),
    data_emissao: toBr(t.issueDate),
    data_registro: toBr(t.issueDate),
    valor_documento: valor,
    codigo_categoria: cat,
    categorias,
    id_conta_corrente: 0,
    numero_documento: t.docNumber,
    numero_parcela: '001/001',
    numero_documento_fiscal: '',
    chave_nfe: '',
    status_titulo: titleStatus(t, today),
    observacao: t.description,
  };
}

function regime(crt: number, cnpj: string): string {
  if (crt === 4) return 'MEI';
  if (crt === 1 || crt === 2) return 'Simples Nacional';
  return Number(cnpj.slice(-3, -2)) % 2 === 0 ? 'Lucro Presumido' : 'Lucro Real';
}

// --- the simulator ------------------------------------------------------------------------------------------

export function createOmieSimulator(opts: OmieSimulatorOptions = {}): Simulator {
  const core = new SimCore('omie', opts);
  const keys = new StaticTokens(core.seed, 'omie-app-key', 7);
  const secrets = new StaticTokens(core.seed, 'omie-app-secret', 16);
  const redundantMs = (opts.redundantWindowSeconds ?? 60) * 1000;
  const maxPage = opts.maxPageSize ?? 500;
  const lastCall = new Map<string, number>(); // `${key}|${call}|${params}` → time of the call that got data
  const violations = new Map<string, number[]>();
  const warned = new Map<string, number>(); // signature → end of the wait announced by a redundant fault
  const blockedUntil = new Map<string, number>();
  const inFlight = new Map<string, number>();

  const keyIndex = new Map<string, string>(); // app_key (decimal, like Omie's) → accountId
  const appKeyOf = (accountId: string) => {
    const k = String(BigInt(`0x${keys.tokenFor(accountId)}`));
    keyIndex.set(k, accountId);
    return k;
  };

  function provision(input: ProvisionInput = {}): ProvisionedAccount {
    const { record } = core.provisionRecord(input);
    const c = record.company;
    return {
      accountId: record.accountId,
      erp: 'omie',
      company: {
        cnpj: c.cnpj,
        legalName: c.legalName,
        tradeName: c.tradeName,
        crt: c.crt,
        uf: c.uf,
        city: c.city,
      },
      credentials: { app_key: appKeyOf(record.accountId), app_secret: secrets.tokenFor(record.accountId) },
      counts: {
        nfe: record.input.nfeCount,
        products: record.input.productCount,
        financials: record.input.financialCount,
      },
    };
  }
  for (let i = 1; i <= (opts.accounts ?? 0); i++) provision({ accountId: `omie-${i}` });

  function accountOf(appKey: unknown, appSecret: unknown): string | null {
    const accountId = keyIndex.get(str(appKey));
    if (!accountId || keys.isRevoked(accountId) || appKeyOf(accountId) !== str(appKey)) return null;
    return secrets.tokenFor(accountId) === str(appSecret) ? accountId : null;
  }

  function revoke(accountId: string) {
    keys.revoke(accountId);
    secrets.revoke(accountId);
  }

  // --- methods ----------------------------------------------------------------------------------------------

  const size = (v: unknown, d: number) => Math.min(maxPage, Math.max(1, num(v, d)));

  const methods: Record<string, Record<string, (c: Ctx) => Out>> = {
    'produtos/nfconsultar': {
      ListarNF: ({ data, param }) => {
        const pagina = num(param.pagina, 1);
        const notes = data.notes.filter((n) =>
          n.companyRole === 'issuer' && n.authorised && n.model === 55 &&
          inRange(n.issuedDate, param.dEmiInicial, param.dEmiFinal) &&
          (param.tpNF === undefined || str(param.tpNF) === String(n.tpNF))
        );
        const p = paginate(notes, pagina, size(param.registros_por_pagina, 50));
        if (!p) return noRecords(pagina);
        return {
          list: true,
          body: {
            pagina,
            total_de_paginas: p.pages,
            registros: p.slice.length,
            total_de_registros: p.total,
            // Malformed notes are served by ObterNfe (the record-level response), not in the list.
            nfCadastro: p.slice.map(renderNf),
          },
        };
      },
    },
    'produtos/dfedocs': {
      ObterNfe: ({ data, param }) => {
        const id = num(param.nIdNfe, -1);
        const n = data.notes.find((x) => x.id === id && x.companyRole === 'issuer');
        if (!n) {
          return {
            fault: {
              faultstring: 'ERROR: Nota Fiscal não cadastrada para o Código informado!',
              faultcode: 'SOAP-ENV:Client-105',
            },
          };
        }
        const bad = core.shouldMalform(n.id);
        return {
          malformed: bad && n.id % 2 === 1, // half broken JSON, half broken XML inside good JSON
          body: {
            cNumNfe: String(n.number),
            nChaveNfe: n.accessKey,
            dDataEmisNfe: toBr(n.issuedDate),
            cXmlNfe: bad ? corrupt(n.xml) : n.id % 2 === 0 ? escapeXml(n.xml) : n.xml,
            cPdf: '',
            cLinkPortal: '',
            cCodStatus: '0',
            cDesStatus: 'Consulta realizada com sucesso!',
          },
        };
      },
    },
    'produtos/recebimentonfe': {
      ListarRecebimentos: ({ data, param }) => {
        const pagina = num(param.nPagina, 1);
        const notes = data.notes.filter((n) =>
          n.companyRole === 'recipient' && n.authorised && n.model === 55 &&
          inRange(n.issuedDate, param.dtEmissaoDe, param.dtEmissaoAte)
        );
        const p = paginate(notes, pagina, size(param.nRegistrosPorPagina, 20));
        if (!p) return noRecords(pagina);
        return {
          list: true,
          body: {
            nPagina: pagina,
            nTotalPaginas: p.pages,
            nRegistros: p.slice.length,
            nTotalRegistros: p.total,
            recebimentos: p.slice.map(renderRecebimento),
          },
        };
      },
    },
    'contador/xml': {
      ListarDocumentos: ({ data, param }) => {
        const pagina = num(param.nPagina, 1);
        const modelo = str(param.cModelo) || '55';
        const operacao = str(param.cOperacao) || '1';
        const notes = data.notes.filter((n) =>
          n.authorised && String(n.model) === modelo &&
          (operacao === '0' ? n.companyRole === 'recipient' : n.companyRole === 'issuer') &&
          inRange(n.issuedDate, param.dEmiInicial, param.dEmiFinal) &&
          (param.nIdReceb === undefined || num(param.nIdReceb, -1) === n.id) &&
          (param.nIdNF === undefined || num(param.nIdNF, -1) === n.id) &&
          (param.nChave === undefined || str(param.nChave) === n.accessKey)
        );
        const perPage = size(param.nRegPorPagina, 50);
        const p = paginate(notes, pagina, perPage);
        if (!p) return noRecords(pagina);
        let malformed = false;
        const docs = p.slice.map((n) => {
          const bad = core.shouldMalform(n.id);
          if (bad && n.id % 2 === 1) malformed = true;
          return renderDocumento(n, bad ? corrupt(n.xml) : n.xml);
        });
        return {
          list: true,
          malformed,
          body: {
            nPagina: pagina,
            nRegPorPagina: perPage,
            nRegistros: p.slice.length,
            nTotRegistros: p.total,
            documentosEncontrados: docs,
          },
        };
      },
    },
    'geral/produtos': {
      ListarProdutos: ({ data, param }) => {
        const pagina = num(param.pagina, 1);
        const p = paginate(data.products, pagina, size(param.registros_por_pagina, 50));
        if (!p) return noRecords(pagina);
        return {
          list: true,
          body: {
            pagina,
            total_de_paginas: p.pages,
            registros: p.slice.length,
            total_de_registros: p.total,
            produto_servico_cadastro: p.slice.map((x) => {
              const r = renderProduto(x) as Record<string, unknown>;
              if (core.shouldMalform(x.id)) delete r.descricao;
              return r;
            }),
          },
        };
      },
    },
    'geral/categorias': {
      ListarCategorias: ({ data, param }) => {
        const pagina = num(param.pagina, 1);
        const codes = categoryCodes(data.categories);
        const p = paginate(data.categories, pagina, size(param.registros_por_pagina, 50));
        if (!p) return noRecords(pagina);
        return {
          list: true,
          body: {
            pagina,
            total_de_paginas: p.pages,
            registros: p.slice.length,
            total_de_registros: p.total,
            categoria_cadastro: p.slice.map((c) =>
              renderCategoria(c, codes, data.categories.find((x) => x.id === c.parentId))
            ),
          },
        };
      },
    },
    'geral/dre': {
      ListarCadastroDRE: () => ({
        body: {
          totalRegistros: DRE_LINES.length,
          dreLista: DRE_LINES.map(([codigoDRE, descricaoDRE, nivelDRE, sinalDRE, totalizaDRE]) => ({
            codigoDRE,
            descricaoDRE,
            naoExibirDRE: 'N',
            nivelDRE,
            sinalDRE,
            totalizaDRE,
          })),
        },
      }),
    },
    'financas/contareceber': { ListarContasReceber: (c) => listContas(c, 'receivable') },
    'financas/contapagar': { ListarContasPagar: (c) => listContas(c, 'payable') },
    'geral/empresas': {
      ListarEmpresas: ({ data, param }) => {
        const pagina = num(param.pagina, 1);
        if (pagina !== 1) return noRecords(pagina);
        const c = data.company;
        return {
          body: {
            pagina: 1,
            total_de_paginas: 1,
            registros: 1,
            total_de_registros: 1,
            empresas_cadastro: [{
              codigo_empresa: Number(c.cnpj.slice(0, 8)) || 1,
              codigo_empresa_integracao: '',
              cnpj: formatCnpj(c.cnpj),
              razao_social: c.legalName,
              nome_fantasia: c.tradeName,
              endereco: c.street,
              endereco_numero: c.streetNumber,
              complemento: '',
              bairro: c.district,
              cidade: `${c.city.toUpperCase()} (${c.uf})`,
              estado: c.uf,
              cep: `${c.cep.slice(0, 5)}-${c.cep.slice(5)}`,
              telefone1_ddd: '11',
              telefone1_numero: c.phone.replace(/^\(\d+\)\s*/, ''),
              email: c.email,
              cnae: `${c.cnae.slice(0, 4)}-${c.cnae.slice(4, 5)}/${c.cnae.slice(5)}`,
              cnae_municipal: '',
              inscricao_estadual: c.ie,
              inscricao_municipal: '',
              regime_tributario: regime(c.crt, c.cnpj),
              optante_simples_nacional: c.crt === 3 ? 'N' : 'S',
              regapu: '',
              estab: 'U',
              inativa: 'N',
              gera_nfe: 'S',
              gera_nfse: 'N',
            }],
          },
        };
      },
    },
  };

  function listContas({ data, param, today }: Ctx, kind: SimTitle['kind']): Out {
    const pagina = num(param.pagina, 1);
    const codes = categoryCodes(data.categories);
    const titles = data.titles.filter((t) =>
      t.kind === kind && inRange(t.issueDate, param.filtrar_por_emissao_de, param.filtrar_por_emissao_ate)
    );
    const p = paginate(titles, pagina, size(param.registros_por_pagina, 50));
    if (!p) return noRecords(pagina);
    const items = p.slice.map((t) => {
      const r = renderConta(t, codes, data.categories, today) as Record<string, unknown>;
      if (core.shouldMalform(t.id)) r.valor_documento = 'N/D';
      return r;
    });
    return {
      list: true,
      body: {
        pagina,
        total_de_paginas: p.pages,
        registros: p.slice.length,
        total_de_registros: p.total,
        [kind === 'receivable' ? 'conta_receber_cadastro' : 'conta_pagar_cadastro']: items,
      },
    };
  }

  // --- limits -----------------------------------------------------------------------------------------------

  function misuse(appKey: string, now: number): Response | null {
    const until = blockedUntil.get(appKey) ?? 0;
    if (until > now) {
      const s = Math.ceil((until - now) / 1000);
      return fault(
        `ERROR: API bloqueada por consumo indevido. Tente novamente em ${s} segundos.`,
        'MISUSE_API_PROCESS',
      );
    }
    return null;
  }

  /**
   * Same method + same params within the window after a call that returned data → "consumo redundante".
   * Repeating it again before the announced wait is over counts as misuse; MISUSE_THRESHOLD of those within
   * MISUSE_WINDOW_MS block the key (MISUSE_API_PROCESS). A client that waits until the stated time is never
   * blocked.
   */
  function redundant(appKey: string, sig: string, now: number): Response | null {
    const at = lastCall.get(sig);
    if (at === undefined || now - at >= redundantMs) return null;
    const until = at + redundantMs;
    if ((warned.get(sig) ?? 0) > now) {
      const v = (violations.get(appKey) ?? []).filter((t) => t > now - MISUSE_WINDOW_MS);
      v.push(now);
      violations.set(appKey, v);
      if (v.length >= MISUSE_THRESHOLD) {
        blockedUntil.set(appKey, now + MISUSE_BLOCK_MS);
        violations.set(appKey, []);
      }
    }
    warned.set(sig, until);
    // Omie states the time in Brasília (UTC-3), rounded up to the second.
    const hhmmss = new Date(Math.ceil((until - 3 * 3_600_000) / 1000) * 1000).toISOString().slice(11, 19);
    return fault(
      `ERROR: Esta requisição já foi processada ou está sendo processada e você pode tentar novamente às ${hhmmss}. (1)`,
      'SOAP-ENV:Client-1100',
    );
  }

  const tooMany = () =>
    text('429: Too many Requests', 429, 'text/plain; charset=utf-8', {
      'retry-after': String(core.knobs.retryAfterSeconds),
    });

  // --- HTTP -------------------------------------------------------------------------------------------------

  async function api(
    req: Request,
    service: string,
  ): Promise<{ res: Response; accountId: string | null; injected?: string }> {
    const raw = await req.text();
    let body: { call?: unknown; app_key?: unknown; app_secret?: unknown; param?: unknown };
    try {
      body = JSON.parse(raw);
      if (!body || typeof body !== 'object') throw new SyntaxError('not an object');
    } catch {
      return {
        res: fault('ERROR: Invalid JSON Object (JSON request with SyntaxError)', 'SOAP-ENV:Client-8'),
        accountId: null,
      };
    }
    const accountId = accountOf(body.app_key, body.app_secret);
    if (!accountId) {
      return {
        res: fault('A chave de acesso não está preenchida ou não é válida.', 'SOAP-ENV:Server'),
        accountId: null,
      };
    }
    const appKey = str(body.app_key);
    const call = str(body.call);
    const handlerFn = methods[service]?.[call];
    if (!handlerFn) {
      return {
        res: fault(`ERROR: Method '${call}' not implemented in service '${service}'.`, 'SOAP-ENV:Client-1'),
        accountId,
      };
    }
    const param = Array.isArray(body.param) && body.param[0] && typeof body.param[0] === 'object'
      ? body.param[0] as Param
      : {};
    const now = core.clock.now();
    const blocked = misuse(appKey, now);
    if (blocked) return { res: blocked, accountId, injected: 'rate_limit' };
    if (core.shouldStorm()) return { res: tooMany(), accountId, injected: 'storm' };
    const methodKey = `${appKey}|${call}`;
    if (core.knobs.enforceLimits) {
      if (
        !core.limiter.hit(methodKey, [METHOD_LIMIT]).ok || (inFlight.get(methodKey) ?? 0) >= MAX_IN_FLIGHT
      ) {
        return { res: tooMany(), accountId, injected: 'rate_limit' };
      }
    }
    const sig = `${methodKey}|${JSON.stringify(param)}`;
    const dup = redundant(appKey, sig, now);
    if (dup) return { res: dup, accountId, injected: 'rate_limit' };
    if (core.shouldFail()) {
      return {
        res: fault('ERROR: Erro interno do servidor. Tente novamente.', 'SOAP-ENV:Server'),
        accountId,
        injected: 'failure',
      };
    }
    inFlight.set(methodKey, (inFlight.get(methodKey) ?? 0) + 1);
    try {
      const today = new Date(core.clock.now() - 3 * 3_600_000).toISOString().slice(0, 10);
      const out = handlerFn({ accountId, data: core.data(accountId), param, today });
      await core.latency('list' in out && !!out.list);
      if ('fault' in out) {
        return { res: fault(out.fault.faultstring, out.fault.faultcode, out.status ?? 500), accountId };
      }
      lastCall.set(sig, now);
      const textBody = JSON.stringify(out.body);
      if (out.malformed) {
        return {
          res: text(corrupt(textBody), 200, 'application/json; charset=utf-8'),
          accountId,
          injected: 'malformed',
        };
      }
      return { res: json(out.body), accountId };
    } finally {
      inFlight.set(methodKey, (inFlight.get(methodKey) ?? 1) - 1);
    }
  }

  async function handler(req: Request): Promise<Response> {
    const admin = await core.handleAdmin(req, adminApi);
    if (admin) return admin;
    const u = new URL(req.url);
    const path = u.pathname.replace(/^\/api\/v1(?=\/)/, '');
    const m = /^\/([a-z]+)\/([a-z]+)(\/?)$/.exec(path);
    if (!m) {
      core.logRequest(req, 404, null);
      return text('Not Found', 404);
    }
    const service = `${m[1]}/${m[2]}`;
    if (!m[3]) {
      // Without the trailing slash Omie redirects (and most clients then turn the POST into a GET).
      const to = new URL(req.url);
      to.pathname = `${u.pathname}/`;
      core.logRequest(req, 301, null);
      return new Response(null, { status: 301, headers: { location: to.href } });
    }
    if (req.method !== 'POST') {
      core.logRequest(req, 200, null);
      return text(
        `<html><body><h1>Omie API - ${service}</h1><p>Use POST com JSON: {"call","app_key","app_secret","param":[{}]}</p></body></html>`,
        200,
        'text/html; charset=utf-8',
      );
    }
    try {
      const r = await api(req, service);
      core.logRequest(req, r.res.status, r.accountId, r.injected);
      return r.res;
    } catch (e) {
      core.logRequest(req, 500, null, 'exception');
      return fault(`ERROR: ${e instanceof Error ? e.name : 'error'}`, 'SOAP-ENV:Server');
    }
  }

  const adminApi = core.admin({
    provision,
    isRevoked: (id) => keys.isRevoked(id),
    revoke,
    expireTokens: () => {}, // Omie keys do not expire: nothing to expire.
  });

  return { erp: 'omie', handler, admin: adminApi };
}

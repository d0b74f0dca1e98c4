/**
 * ERP-neutral account data, generated deterministically from (seed, accountId): the company, its NF-e (built by
 * dev/fixtures/nfe-builder.ts: valid keys, exact totals, entrada/saída, ICMS00/10/20/60, CSOSN 101/102/500,
 * PIS/COFINS 01/04/06, cancellations), products with real-format NCMs (monophasic ones included), a category
 * tree and receivable/payable titles. Each ERP simulator renders this in its own API shape.
 */
import {
  appendCancellationToNfeProc,
  CATALOG,
  type Crt,
  generateNotes,
  randomCnpj,
} from '../../fixtures/nfe-builder.ts';
import { chance, pick, randInt, type Rng, rngFor, seedFor } from './prng.ts';

export interface SimCompany {
  cnpj: string;
  legalName: string;
  tradeName: string;
  crt: Crt;
  uf: string;
  city: string;
  ie: string;
  cnae: string;
  email: string;
  phone: string;
  cep: string;
  street: string;
  streetNumber: string;
  district: string;
}

export interface SimNoteItem {
  code: string;
  description: string;
  /** As the builder spec has it, dotted ('3004.90.99'). */
  ncm: string;
  cest: string | null;
  cfop: string;
  unit: string;
  qty: string;
  unitPrice: string;
  total: string;
}

export interface SimNote {
  /** ERP-internal numeric id (stable per account). */
  id: number;
  accessKey: string;
  model: 55 | 65;
  series: number;
  number: number;
  /** ISO with offset (dhEmi). */
  issuedAt: string;
  /** 'YYYY-MM-DD' local to the issuer. */
  issuedDate: string;
  tpNF: 0 | 1;
  companyRole: 'issuer' | 'recipient';
  authorised: boolean;
  cancelled: boolean;
  natOp: string;
  finNFe: number;
  counterparty: { name: string; doc: string; kind: 'J' | 'F'; uf: string; ie: string | null };
  total: string;
  freight: string;
  items: SimNoteItem[];
  /** The XML served for the note: nfeProc (cancellation appended inside when `cancelled`), or bare NFe. */
  xml: string;
  /** The original nfeProc without the appended cancellation (ERPs that serve the event separately). */
  xmlWithoutCancellation: string;
  /** Cancellation event (procEventoNFe) when the note was cancelled. */
  cancellationXml: string | null;
}

export interface SimProduct {
  id: number;
  code: string;
  name: string;
  /** Dotted for some products, digits-only for others (ERPs differ; adapters normalise). */
  ncm: string;
  cest: string | null;
  unit: string;
  price: string;
  cost: string;
  gtin: string | null;
  active: boolean;
  origin: string;
  createdAt: string; // 'YYYY-MM-DD HH:MM:SS'
  updatedAt: string;
}

export interface SimCategory {
  id: number;
  parentId: number | null;
  name: string;
  kind: 'receita' | 'despesa';
}

export interface SimTitle {
  id: number;
  kind: 'receivable' | 'payable';
  categoryId: number;
  issueDate: string; // YYYY-MM-DD
  dueDate: string;
  competence: string; // YYYY-MM-DD
  paidDate: string | null;
  amount: string;
  balance: string;
  status: 'open' | 'paid' | 'partial' | 'cancelled';
  counterparty: { name: string; doc: string };
  description: string;
  docNumber: string;
}

export interface AccountData {
  accountId: string;
  company: SimCompany;
  notes: SimNote[];
  products: SimProduct[];
  categories: SimCategory[];
  titles: SimTitle[];
}

export interface DatasetInput {
  accountId: string;
  seed: number;
  cnpj?: string;
  legalName?: string;
  tradeName?: string;
  crt?: Crt;
  uf?: string;
  nfeCount: number;
  productCount: number;
  financialCount: number;
  from: string;
  to: string;
}

const CAPITALS: Record<string, { city: string; cep: string }> = {
  SP: { city: 'Sao Paulo', cep: '01310100' },
  MG: { city: 'Belo Horizonte', cep: '30130010' },
  PR: { city: 'Curitiba', cep: '80010000' },
  RS: { city: 'Porto Alegre', cep: '90010000' },
  SC: { city: 'Florianopolis', cep: '88010000' },
  RJ: { city: 'Rio de Janeiro', cep: '20040002' },
  GO: { city: 'Goiania', cep: '74003010' },
  BA: { city: 'Salvador', cep: '40020000' },
  PE: { city: 'Recife', cep: '50010000' },
  ES: { city: 'Vitoria', cep: '29010000' },
};
const UFS = ['SP', 'SP', 'SP', 'MG', 'MG', 'PR', 'RS', 'SC', 'RJ', 'GO', 'BA', 'PE', 'ES'];
const CNAES = [
  '4771701',
  '4731800',
  '4530703',
  '4639701',
  '4751201',
  '4744099',
  '4789099',
  '4618499',
  '4712100',
];
const NAME_A = ['Comercial', 'Distribuidora', 'Farmacia', 'Auto Pecas', 'Materiais', 'Mercado', 'Casa'];
const NAME_B = [
  'Horizonte',
  'Boa Esperanca',
  'Sao Bento',
  'Vale Verde',
  'Primavera',
  'Bandeirantes',
  'Atlantico',
];
const PEOPLE = ['Maria Souza', 'Jose Lima', 'Ana Ribeiro', 'Carlos Mendes', 'Paula Rocha', 'Bruno Castro'];
const FIRMS = ['Alfa Suprimentos Ltda', 'Beta Logistica ME', 'Gama Servicos S.A.', 'Delta Imoveis Ltda'];

/** The category tree every simulator exposes (names as a Brazilian SMB's chart of accounts has them). */
const CATEGORY_TREE: Array<{ name: string; kind: 'receita' | 'despesa'; children: string[] }> = [
  {
    name: 'Receitas operacionais',
    kind: 'receita',
    children: ['Vendas de mercadorias', 'Prestação de serviços', 'Receitas financeiras', 'Outras receitas'],
  },
  {
    name: 'Custos',
    kind: 'despesa',
    children: ['Compra de mercadorias para revenda', 'Fretes sobre compras'],
  },
  {
    name: 'Deduções da receita',
    kind: 'despesa',
    children: ['DAS - Simples Nacional', 'ICMS a recolher', 'PIS/COFINS a recolher', 'Devoluções de vendas'],
  },
  {
    name: 'Despesas administrativas',
    kind: 'despesa',
    children: ['Salários e encargos', 'Aluguel', 'Energia elétrica', 'Contabilidade', 'Internet e telefone'],
  },
  {
    name: 'Despesas comerciais',
    kind: 'despesa',
    children: ['Marketing e publicidade', 'Comissões de vendedores'],
  },
  { name: 'Despesas financeiras', kind: 'despesa', children: ['Tarifas bancárias', 'Juros pagos'] },
  { name: 'Impostos sobre o lucro', kind: 'despesa', children: ['IRPJ', 'CSLL'] },
  { name: 'Diversos', kind: 'despesa', children: [] },
];

function digits(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(r() * 10));
  return s;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function daysBetween(a: string, b: string): number {
  return Math.max(0, Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000));
}

function cents(n: number): string {
  const c = Math.round(n);
  return `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
}

/** 'YYYY-MM-DD' window ending yesterday (Brasília) and `days` long, for the simulator clock's "now". */
export function defaultWindow(nowMs: number, days = 90): { from: string; to: string } {
  const local = new Date(nowMs - 3 * 3_600_000).toISOString().slice(0, 10);
  return { from: addDays(local, -days), to: addDays(local, -1) };
}

export function generateCompany(input: DatasetInput): SimCompany {
  const r = rngFor(input.seed, 'company', input.accountId);
  const crt: Crt = input.crt ?? (chance(r, 0.55) ? 1 : chance(r, 0.8) ? 3 : chance(r, 0.5) ? 4 : 2);
  const uf = input.uf ?? pick(r, UFS);
  const legal = input.legalName ??
    `${pick(r, NAME_A)} ${pick(r, NAME_B)} ${crt === 4 ? 'MEI' : crt === 3 ? 'S.A.' : 'Ltda'}`;
  const cap = CAPITALS[uf] ?? { city: 'Capital', cep: '01001000' };
  return {
    cnpj: input.cnpj ?? randomCnpj(r),
    legalName: legal,
    tradeName: input.tradeName ?? legal.split(' ').slice(0, 2).join(' '),
    crt,
    uf,
    city: cap.city,
    ie: digits(r, 12),
    cnae: pick(r, CNAES),
    email: `contato@${legal.toLowerCase().replace(/[^a-z]+/g, '')}.com.br`,
    phone: `(11) 3${digits(r, 3)}-${digits(r, 4)}`,
    cep: cap.cep,
    street: 'Avenida Brasil',
    streetNumber: String(randInt(r, 10, 3000)),
    district: 'Centro',
  };
}

export function generateAccountData(input: DatasetInput): AccountData {
  const company = generateCompany(input);
  const notes = generateSimNotes(input, company);
  const products = generateProducts(input);
  const categories = generateCategories(input);
  const titles = generateTitles(input, categories);
  return { accountId: input.accountId, company, notes, products, categories, titles };
}

function generateSimNotes(input: DatasetInput, company: SimCompany): SimNote[] {
  if (input.nfeCount <= 0) return [];
  const generated = generateNotes({
    seed: seedFor(input.seed, 'notes', input.accountId),
    count: input.nfeCount,
    companyCnpj: company.cnpj,
    companyName: company.legalName,
    companyUf: company.uf,
    companyIe: company.ie,
    companyCrt: company.crt,
    from: input.from,
    to: input.to,
    nfceShare: 0,
    signature: false,
  });
  generated.sort((
    a,
    b,
  ) => (a.spec.issuedAt < b.spec.issuedAt ? -1 : a.spec.issuedAt > b.spec.issuedAt ? 1 : 0));
  const r = rngFor(input.seed, 'note-ids', input.accountId);
  let id = 15_000_000_000 + randInt(r, 0, 9_000_000) * 100;
  return generated.map((g) => {
    id += randInt(r, 1, 37);
    const other = g.companyRole === 'issuer' ? g.spec.recipient : g.spec.issuer;
    const sep = g.events.find((e) => e.tpEvento === '110111');
    const cancellationXml: string | null = sep?.xml ?? null;
    let xml = g.xml;
    const xmlWithoutCancellation = g.xml; // builder-embedded cancellations (NFePHP style) stay in it
    if (g.cancelled && sep) {
      // Serve the cancellation appended inside nfeProc too (ERPs that only hand over one document).
      const author = g.spec.issuer.cnpj !== undefined
        ? { cnpj: g.spec.issuer.cnpj }
        : { cpf: g.spec.issuer.cpf };
      xml = appendCancellationToNfeProc(g.xml, {
        accessKey: g.accessKey,
        ...author,
        at: sep.at,
        tpAmb: g.spec.tpAmb,
      });
    }
    return {
      id,
      accessKey: g.accessKey,
      model: g.spec.model,
      series: g.spec.series,
      number: g.spec.number,
      issuedAt: g.spec.issuedAt,
      issuedDate: g.spec.issuedAt.slice(0, 10),
      tpNF: g.spec.tpNF,
      companyRole: g.companyRole,
      authorised: g.spec.protocol !== undefined,
      cancelled: g.cancelled,
      natOp: g.spec.natOp,
      finNFe: g.spec.finNFe ?? 1,
      counterparty: {
        name: other?.name ?? 'Consumidor final',
        doc: other?.cnpj ?? other?.cpf ?? '',
        kind: other?.cpf ? 'F' : 'J',
        uf: other?.uf ?? company.uf,
        ie: other?.ie ?? null,
      },
      total: g.totals.vNF,
      freight: g.totals.vFrete,
      items: g.spec.items.map((it, i) => ({
        code: it.cProd,
        description: it.xProd,
        ncm: it.ncm,
        cest: it.cest ?? null,
        cfop: it.cfop,
        unit: it.unit,
        qty: it.qty,
        unitPrice: it.unitPrice,
        total: g.items[i].vProd,
      })),
      xml,
      xmlWithoutCancellation,
      cancellationXml,
    };
  });
}

function generateProducts(input: DatasetInput): SimProduct[] {
  const r = rngFor(input.seed, 'products', input.accountId);
  const out: SimProduct[] = [];
  let id = 16_000_000_000 + randInt(r, 0, 9_000_000) * 100;
  for (let i = 0; i < input.productCount; i++) {
    const idx = i % CATALOG.length;
    const variant = Math.floor(i / CATALOG.length);
    const c = CATALOG[idx];
    const baseCode = `${c.ncm.slice(0, 4).replace('.', '')}${String(idx).padStart(3, '0')}`;
    const price = c.price[0] + r() * (c.price[1] - c.price[0]);
    const created = addDays(input.from, -randInt(r, 30, 400));
    const updated = chance(r, 0.3)
      ? addDays(input.from, randInt(r, 0, daysBetween(input.from, input.to)))
      : created;
    id += randInt(r, 1, 50);
    out.push({
      id,
      code: variant === 0 ? baseCode : `${baseCode}-V${variant}`,
      name: variant === 0 ? c.xProd : `${c.xProd} V${variant}`,
      ncm: chance(r, 0.5) ? c.ncm : c.ncm.replace(/\./g, ''),
      cest: c.cest ?? null,
      unit: c.unit,
      price: cents(price * 100),
      cost: cents(price * 100 * (0.45 + r() * 0.3)),
      gtin: chance(r, 0.6) ? `789${digits(r, 9)}0` : null,
      active: !chance(r, 0.06),
      origin: '0',
      createdAt: `${created} ${String(randInt(r, 8, 18)).padStart(2, '0')}:${digits(r, 1)}0:00`,
      updatedAt: `${updated} 12:00:00`,
    });
  }
  return out;
}

function generateCategories(input: DatasetInput): SimCategory[] {
  const r = rngFor(input.seed, 'categories', input.accountId);
  let id = 14_000_000 + randInt(r, 0, 90_000) * 10;
  const out: SimCategory[] = [];
  for (const root of CATEGORY_TREE) {
    const rootId = (id += randInt(r, 1, 9));
    out.push({ id: rootId, parentId: null, name: root.name, kind: root.kind });
    for (const child of root.children) {
      out.push({ id: id += randInt(r, 1, 9), parentId: rootId, name: child, kind: root.kind });
    }
  }
  return out;
}

function generateTitles(input: DatasetInput, categories: SimCategory[]): SimTitle[] {
  const r = rngFor(input.seed, 'titles', input.accountId);
  const leaves = (kind: 'receita' | 'despesa') =>
    categories.filter((c) => c.kind === kind && !categories.some((x) => x.parentId === c.id));
  const rec = leaves('receita');
  const pay = leaves('despesa');
  const span = daysBetween(input.from, input.to);
  let id = 17_000_000_000 + randInt(r, 0, 9_000_000) * 100;
  const out: SimTitle[] = [];
  for (let i = 0; i < input.financialCount; i++) {
    const kind = chance(r, 0.55) ? 'receivable' : 'payable';
    // Sales dominate receivables; supplier purchases and payroll dominate payables.
    const cat = kind === 'receivable'
      ? (chance(r, 0.75) ? rec[0] : pick(r, rec))
      : (chance(r, 0.35) ? pay[0] : pick(r, pay));
    const issue = addDays(input.from, randInt(r, 0, span));
    const due = addDays(issue, randInt(r, 0, 45));
    const amountCents = kind === 'receivable' ? randInt(r, 5_000, 1_500_000) : randInt(r, 3_000, 900_000);
    const roll = r();
    const status: SimTitle['status'] = roll < 0.5
      ? 'paid'
      : roll < 0.82
      ? 'open'
      : roll < 0.95
      ? 'partial'
      : 'cancelled';
    const balanceCents = status === 'paid'
      ? 0
      : status === 'partial'
      ? Math.round(amountCents * (0.2 + r() * 0.6))
      : amountCents;
    id += randInt(r, 1, 40);
    const person = kind === 'receivable' ? chance(r, 0.4) : false;
    out.push({
      id,
      kind,
      categoryId: cat.id,
      issueDate: issue,
      dueDate: due,
      competence: issue,
      paidDate: status === 'paid' ? addDays(due, randInt(r, -3, 5)) : null,
      amount: cents(amountCents),
      balance: cents(balanceCents),
      status,
      counterparty: person
        ? { name: pick(r, PEOPLE), doc: digits(r, 11) }
        : { name: pick(r, FIRMS), doc: `${digits(r, 8)}0001${digits(r, 2)}` },
      description: `${cat.name} ${issue.slice(0, 7)}`,
      docNumber: String(randInt(r, 1000, 99999)),
    });
  }
  return out;
}

/**
 * The ground truth for "nothing lost, nothing wrong": what the ERP holds, taken from the simulator's own
 * dataset (dev/simulators/common/dataset.ts, rebuilt from the account's dataset input that the simulator hands
 * out on `POST /__admin/dataset`) — never a re-read through our adapters, windows, parser or Vault store, so a
 * paging, filter, mapper, parser or window bug shows up as a difference.
 *
 * Compared with the database on fields both sides name independently:
 *  - NF-e: the access keys of the authorised notes issued in the lookback window (notes within a day of the
 *    window's edge may be there or not), each note's status (cancelled or not) and its items in order
 *    (product code, quantity, total);
 *  - products: the SKU codes with their NCM (digits) and active flag;
 *  - financial entries: per kind and issue date, the sum of the titles' amounts (an ERP may split a title by
 *    category; the parts add up to the title) and the statuses.
 *
 * What an ERP does not serve, as a fact about that ERP: Conta Azul's API lists only the company's own authorised,
 * not cancelled sales NF-e (EMITIDA / CORRIGIDA_SUCESSO; no received notes — see
 * supabase/functions/_shared/adapters/conta_azul/index.ts and its contract test), so nothing else is part of its
 * truth.
 */
import type postgres from 'postgres';
import { type AccountData, type DatasetInput, generateAccountData } from '../../../dev/simulators/common/dataset.ts';
import type { ErpType } from '../../functions/_shared/adapters/contract.ts';
import { simAdmin } from '../../../dev/demo/provision.ts';
import type { TestStackEnv } from '../helpers.ts';

/** The OAuth apps the test stack's functions use (dev/stack/config.ts functionsEnv). */
const OAUTH_CLIENTS: Partial<Record<ErpType, { clientId: string; clientSecret: string }>> = {
  bling: { clientId: 'bling-client-id', clientSecret: 'bling-client-secret' },
  conta_azul: { clientId: 'conta_azul-client-id', clientSecret: 'conta_azul-client-secret' },
};

export function oauthClientSecrets(): string[] {
  return Object.values(OAUTH_CLIENTS).map((c) => c!.clientSecret);
}

export interface NoteFacts {
  cancelled: boolean;
  /** `code qty total` per item, in item order. */
  items: string[];
}

export interface Truth {
  /** Notes that must be stored. */
  notes: Map<string, NoteFacts>;
  /** Notes that may be stored (the required ones plus those at the window's edge). */
  allowedNotes: Map<string, NoteFacts>;
  /** code → `ncm active` */
  products: Map<string, string>;
  /** `kind date` → total cents */
  financials: Map<string, number>;
  /** `kind date` → statuses seen */
  financialStatuses: Map<string, Set<string>>;
}

export interface Stored {
  notes: Map<string, NoteFacts>;
  products: Map<string, string>;
  financials: Map<string, number>;
  financialStatuses: Map<string, Set<string>>;
}

export interface Entities {
  nfe: boolean;
  products: boolean;
  financials: boolean;
}

const num = (v: string | number | null) => (v === null ? 'null' : String(Number(v)));
const cents = (v: string | number) => Math.round(Number(v) * 100);
const digits = (s: string | null) => (s ?? '').replace(/\D/g, '');
/** The statuses a title's status may be stored as ('open' past its due date is 'overdue'). */
const STATUS: Record<string, string[]> = {
  open: ['open', 'overdue'],
  paid: ['paid'],
  partial: ['partial', 'overdue'],
  cancelled: ['cancelled'],
};

/** The account's data as the simulator holds it. */
export async function accountData(env: TestStackEnv, erp: ErpType, accountId: string): Promise<AccountData> {
  const { input } = (await simAdmin(env, erp, 'dataset', { accountId })) as { input: DatasetInput };
  return generateAccountData(input);
}

/** What a complete sync of `data` must store, for a sync at `now` with a lookback of `lookbackDays`. */
export function truthOf(erp: ErpType, data: AccountData, lookbackDays: number, now = new Date()): Truth {
  const day = 86_400_000;
  const oldest = now.getTime() - lookbackDays * day;
  const notes = new Map<string, NoteFacts>();
  const allowedNotes = new Map<string, NoteFacts>();
  for (const n of data.notes) {
    if (!n.authorised) continue;
    if (erp === 'conta_azul' && !(n.companyRole === 'issuer' && n.tpNF === 1 && n.model === 55 && !n.cancelled)) {
      continue;
    }
    const at = Date.parse(n.issuedAt);
    const facts: NoteFacts = {
      cancelled: n.cancelled,
      items: n.items.map((i) => `${i.code} ${num(i.qty)} ${num(i.total)}`),
    };
    if (at < oldest - day || at > now.getTime()) continue;
    allowedNotes.set(n.accessKey, facts);
    if (at >= oldest + day) notes.set(n.accessKey, facts);
  }
  const products = new Map(data.products.map((p) => [p.code, `${digits(p.ncm)} ${p.active}`]));
  const financials = new Map<string, number>();
  const financialStatuses = new Map<string, Set<string>>();
  for (const t of data.titles) {
    const key = `${t.kind} ${t.issueDate}`;
    financials.set(key, (financials.get(key) ?? 0) + cents(t.amount));
    const s = financialStatuses.get(key) ?? new Set<string>();
    for (const x of STATUS[t.status] ?? [t.status]) s.add(x);
    financialStatuses.set(key, s);
  }
  return { notes, allowedNotes, products, financials, financialStatuses };
}

/** Several connections' truths together (their company's notes are one set). */
export function mergeTruths(ts: Truth[]): Truth {
  const out: Truth = {
    notes: new Map(),
    allowedNotes: new Map(),
    products: new Map(),
    financials: new Map(),
    financialStatuses: new Map(),
  };
  for (const t of ts) {
    for (const [k, v] of t.notes) out.notes.set(k, v);
    for (const [k, v] of t.allowedNotes) out.allowedNotes.set(k, v);
  }
  return out;
}

export async function storedNotes(sql: postgres.Sql, companyId: string): Promise<Map<string, NoteFacts>> {
  const rows = await sql`
    select x.access_key, x.status,
           coalesce((select array_agg(coalesce(i.product_code, '') || ' ' || coalesce(i.quantity::float8::text, 'null')
                                      || ' ' || i.total_value::float8::text order by i.item_number)
                     from public.xml_import_items i where i.xml_import_id = x.id), '{}') as items
    from public.xml_imports x where x.company_id = ${companyId}`;
  return new Map(rows.map((r) => [
    r.access_key as string,
    { cancelled: r.status === 'cancelled', items: (r.items as string[]).map(normaliseItem) },
  ]));
}

function normaliseItem(s: string): string {
  const [code, qty, total] = s.split(' ');
  return `${code} ${qty === 'null' ? 'null' : num(qty)} ${num(total)}`;
}

export async function storedOf(sql: postgres.Sql, connectionId: string): Promise<Omit<Stored, 'notes'>> {
  const products = await sql`select code, ncm, active from public.company_products where connection_id = ${connectionId}`;
  const fin = await sql`select kind, entry_date::text as d, amount::text as amount, status
                        from public.company_financial_entries where connection_id = ${connectionId}`;
  const financials = new Map<string, number>();
  const financialStatuses = new Map<string, Set<string>>();
  for (const e of fin) {
    const key = `${e.kind} ${e.d}`;
    financials.set(key, (financials.get(key) ?? 0) + cents(e.amount as string));
    financialStatuses.set(key, (financialStatuses.get(key) ?? new Set()).add(e.status as string));
  }
  return {
    products: new Map(products.map((p) => [String(p.code), `${digits(p.ncm as string)} ${p.active}`])),
    financials,
    financialStatuses,
  };
}

const fmt = (what: string, xs: string[]) =>
  xs.length ? [`${what} ${xs.length} (${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', …' : ''})`] : [];
const tail = (k: string) => `…${k.slice(-8)}`;

/**
 * Differences between the truth and what is stored. `exact`: the stored data must be exactly the truth (a
 * connection whose last sync succeeded with nothing failed); otherwise whatever is stored must be true (nothing
 * foreign, nothing wrong) but may be incomplete.
 */
export function diffNotes(want: Truth, got: Map<string, NoteFacts>, exact: boolean): string[] {
  const out: string[] = [];
  if (exact) out.push(...fmt('missing NF-e', [...want.notes.keys()].filter((k) => !got.has(k)).map(tail)));
  out.push(...fmt('NF-e the ERP does not hold', [...got.keys()].filter((k) => !want.allowedNotes.has(k)).map(tail)));
  const wrong = [...got].filter(([k, g]) => {
    const w = want.allowedNotes.get(k);
    return w && (w.cancelled !== g.cancelled || w.items.join('|') !== g.items.join('|'));
  });
  out.push(
    ...fmt(
      'NF-e with wrong items or status',
      wrong.map(([k, g]) => {
        const w = want.allowedNotes.get(k)!;
        return w.cancelled !== g.cancelled
          ? `${tail(k)} cancelled ${g.cancelled}≠${w.cancelled}`
          : `${tail(k)} [${g.items.join('; ')}]≠[${w.items.join('; ')}]`;
      }),
    ),
  );
  return out;
}

export function diffOf(want: Truth, got: Omit<Stored, 'notes'>, exact: boolean, entities: Entities): string[] {
  const out: string[] = [];
  if (entities.products) {
    if (exact) out.push(...fmt('missing products', [...want.products.keys()].filter((k) => !got.products.has(k))));
    out.push(...fmt('products the ERP does not hold', [...got.products.keys()].filter((k) => !want.products.has(k))));
    out.push(
      ...fmt(
        'products with a wrong NCM/active flag',
        [...got.products].filter(([k, v]) => want.products.has(k) && want.products.get(k) !== v)
          .map(([k, v]) => `${k} ${v}≠${want.products.get(k)}`),
      ),
    );
  }
  if (entities.financials) {
    if (exact) {
      out.push(
        ...fmt('missing financial entries (kind, date)', [...want.financials.keys()].filter((k) => !got.financials.has(k))),
      );
    }
    out.push(
      ...fmt(
        'financial entries the ERP does not hold (kind, date)',
        [...got.financials.keys()].filter((k) => !want.financials.has(k)),
      ),
    );
    out.push(
      ...fmt(
        'financial amounts wrong (kind, date)',
        [...got.financials].filter(([k, v]) =>
          want.financials.has(k) && (exact ? v !== want.financials.get(k) : v > want.financials.get(k)!)
        ).map(([k, v]) => `${k} ${v / 100}≠${want.financials.get(k)! / 100}`),
      ),
    );
    out.push(
      ...fmt(
        'financial statuses wrong (kind, date)',
        [...got.financialStatuses].filter(([k, v]) =>
          want.financialStatuses.has(k) && [...v].some((s) => !want.financialStatuses.get(k)!.has(s))
        ).map(([k, v]) => `${k} ${[...v].join('/')}`),
      ),
    );
  }
  return out;
}

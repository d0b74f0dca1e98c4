/**
 * Test fixtures for the analyses' database tests on the TEST stack: a throwaway company (fresh UUID, inactive
 * connection so no sync ever picks it up, a finished sync log), notes and items inserted directly, and a
 * cleanup that deletes the company (everything else cascades).
 */
import type { Sql } from '../../db/client.ts';
import { sumMoney } from '../../nfe/decimal.ts';

export interface TestCompany {
  id: string;
  cnpj: string;
  connectionId: string;
  logId: string;
}

export interface CompanyOptions {
  cnpj?: string;
  /** null → no company_profile row at all. */
  regime?: string | null;
  crt?: number | null;
  cnae?: string | null;
}

let seq = 0;

function randomDigits(n: number): string {
  let s = '';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  for (const b of bytes) s += String(b % 10);
  return s;
}

export async function createCompany(sql: Sql, o: CompanyOptions = {}): Promise<TestCompany> {
  const id = crypto.randomUUID();
  const cnpj = o.cnpj ?? randomDigits(14);
  await sql`insert into public.companies (id, name, cnpj) values (${id}, ${
    'Empresa Teste Análises ' + ++seq
  }, ${cnpj})`;
  try {
    return await fill(sql, id, cnpj, o);
  } catch (e) {
    await deleteCompany(sql, id); // never leave a half-made company behind
    throw e;
  }
}

async function fill(sql: Sql, id: string, cnpj: string, o: CompanyOptions): Promise<TestCompany> {
  const [c] = await sql<{ id: string }[]>`
    insert into public.erp_connections (company_id, erp_type, name, status, sync_config, api_base_url, account_key)
    values (${id}, 'bling', 'teste análises', 'inactive', ${
    sql.json({ auto_sync: false })
  }, 'http://127.0.0.1:9', ${'analysis-test-' + id})
    returning id`;
  const [l] = await sql<{ id: string }[]>`
    insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, completed_at)
    values (${c.id}, ${id}, 'manual', 'success', now()) returning id`;
  if (o.regime !== null) {
    await sql`insert into public.company_profile (company_id, cnpj, tax_regime, crt, cnae)
      values (${id}, ${cnpj}, ${o.regime ?? 'unknown'}, ${o.crt ?? null}, ${o.cnae ?? null})`;
  }
  return { id, cnpj, connectionId: c.id, logId: l.id };
}

export async function deleteCompany(sql: Sql, id: string): Promise<void> {
  await sql`delete from public.companies where id = ${id}`;
}

export interface NoteFixture {
  issued_at_local: string;
  direction: 'entrada' | 'saida';
  operation?: 'entrada' | 'saida';
  status?: 'authorized' | 'cancelled' | 'unauthorized';
  environment?: number | null;
  issuer_doc: string;
  issuer_name?: string;
  issuer_crt?: number | null;
  total_icms?: string;
  total_pis?: string;
  total_cofins?: string;
}

export interface ItemFixture {
  product_code?: string | null;
  description?: string | null;
  ncm?: string | null;
  cfop?: string | null;
  unit?: string | null;
  quantity?: string | null;
  total_value: string;
  discount?: string;
  icms_group?: string | null;
  icms_cst?: string | null;
  icms_csosn?: string | null;
  icms_value?: string | null;
  icms_st_base?: string | null;
  icms_st_value?: string | null;
  icms_sn_credit?: string | null;
  pis_cst?: string | null;
  cofins_cst?: string | null;
}

/** Inserts a note with its items; returns the note id. */
export async function insertNote(
  sql: Sql,
  companyId: string,
  n: NoteFixture,
  items: ItemFixture[],
): Promise<string> {
  const key = randomDigits(44);
  const totalStr = sumMoney(items.map((i) => i.total_value));
  const [row] = await sql<{ id: string }[]>`
    insert into public.xml_imports
      (company_id, access_key, model, series, number, issued_at, issued_at_local, direction, operation, environment,
       issuer_doc, issuer_name, issuer_crt, total_products, total_invoice, total_icms, total_pis, total_cofins, status,
       raw_xml, source)
    values (${companyId}, ${key}, 55, 1, ${
    Number(key.slice(25, 34))
  }, ${n.issued_at_local}::timestamptz, ${n.issued_at_local},
      ${n.direction}, ${n.operation ?? 'saida'}, ${
    n.environment === undefined ? 1 : n.environment
  }, ${n.issuer_doc},
      ${n.issuer_name ?? 'Fornecedor Teste'}, ${
    n.issuer_crt === undefined ? 3 : n.issuer_crt
  }, ${totalStr}, ${totalStr},
      ${n.total_icms ?? '0'}, ${n.total_pis ?? '0'}, ${n.total_cofins ?? '0'}, ${n.status ?? 'authorized'},
      '<NFe/>', 'analysis-test')
    returning id`;
  if (items.length) {
    const rows = items.map((i, k) => ({
      xml_import_id: row.id,
      item_number: k + 1,
      company_id: companyId,
      product_code: i.product_code ?? `P${k + 1}`,
      description: i.description ?? `Produto ${k + 1}`,
      ncm: i.ncm === undefined ? '84713012' : i.ncm,
      cfop: i.cfop === undefined ? '5102' : i.cfop,
      unit: i.unit ?? 'UN',
      quantity: i.quantity ?? '1',
      total_value: i.total_value,
      discount: i.discount ?? '0',
      icms_group: i.icms_group ?? null,
      icms_cst: i.icms_cst ?? null,
      icms_csosn: i.icms_csosn ?? null,
      icms_value: i.icms_value ?? null,
      icms_st_base: i.icms_st_base ?? null,
      icms_st_value: i.icms_st_value ?? null,
      icms_sn_credit: i.icms_sn_credit ?? null,
      pis_cst: i.pis_cst === undefined ? '01' : i.pis_cst,
      cofins_cst: i.cofins_cst === undefined ? '01' : i.cofins_cst,
    }));
    await sql`insert into public.xml_import_items ${sql(rows)}`;
  }
  return row.id;
}

/** The buyer's entry of a received note as the ERP records it (item 0 = every item). */
export async function insertPurchaseEntry(
  sql: Sql,
  companyId: string,
  noteId: string,
  entryCfop: string,
  itemNumber = 0,
): Promise<void> {
  await sql`insert into public.company_purchase_entries (company_id, access_key, item_number, entry_cfop, source_erp)
    select ${companyId}, access_key, ${itemNumber}, ${entryCfop}, 'test' from public.xml_imports where id = ${noteId}`;
}

export async function insertDre(
  sql: Sql,
  companyId: string,
  rows: Array<{ period: string; line: string; amount: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into public.company_dre ${sql(rows.map((r) => ({ company_id: companyId, ...r })))}`;
}

export async function insertPayables(
  sql: Sql,
  c: TestCompany,
  rows: Array<{ entry_date: string; amount: string; category_name: string; status?: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into public.company_financial_entries ${
    sql(rows.map((r, i) => ({
      company_id: c.id,
      connection_id: c.connectionId,
      external_id: `pay-${i}-${crypto.randomUUID()}`,
      kind: 'payable',
      entry_date: r.entry_date,
      amount: r.amount,
      status: r.status ?? 'paid',
      category_name: r.category_name,
      dre_line: 'deducoes',
      dre_rule: 'test',
    })))
  }`;
}

export async function insertProducts(
  sql: Sql,
  c: TestCompany,
  rows: Array<{ code: string | null; ncm: string | null; active?: boolean }>,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`insert into public.company_products ${
    sql(rows.map((r, i) => ({
      company_id: c.id,
      connection_id: c.connectionId,
      external_id: `prod-${i}`,
      code: r.code,
      name: `Produto ${r.code}`,
      ncm: r.ncm,
      active: r.active ?? true,
    })))
  }`;
}

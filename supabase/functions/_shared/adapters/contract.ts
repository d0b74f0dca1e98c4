/**
 * The contract every ERP adapter implements (Nango-style: one folder per provider under adapters/<erp>/,
 * raw zod schemas for the provider payloads, pure mappers to the domain records below, recorded-fixture tests).
 *
 * Each entity is an async sequence of pages; after each page the engine persists the records, then saves the
 * page's checkpoint, so a run cut short resumes where it stopped. Checkpoints are small JSON objects owned by
 * each adapter (opaque to the engine).
 */
import type { AppError } from '../errors.ts';

export const ERP_TYPES = ['bling', 'omie', 'tiny', 'conta_azul'] as const;
export type ErpType = (typeof ERP_TYPES)[number];

export const ENTITIES = ['nfe', 'products', 'financials', 'profile'] as const;
export type Entity = (typeof ENTITIES)[number];

export type Checkpoint = Record<string, string | number | boolean | null>;

/** A record the adapter could not read; the engine counts it as failed and goes on. */
export interface FailedRecord {
  externalId?: string;
  error: AppError; // kind 'data' in practice
}

export interface Page<T> {
  records: T[];
  failed: FailedRecord[];
  /** Where to resume after this page (persisted by the engine after the page is stored). */
  checkpoint: Checkpoint;
}

export interface DateWindow {
  /** Inclusive, 'YYYY-MM-DD' in the ERP's calendar (Brasília). */
  from: string;
  to: string;
}

// --- domain records produced by the mappers ---------------------------------------------------------------

/** An NF-e as the ERP hands it over: the raw XML is parsed and imported by the NF-e module, not the adapter. */
export interface NfeDocument {
  externalId: string;
  accessKey?: string; // when the ERP lists it
  /** 'issued' = the company is the issuer (saída); 'received' = supplier notes (entrada). */
  origin: 'issued' | 'received';
  xml: string;
  /** The ERP lists the note as cancelled and its XML carries no cancellation event (stored cancelled). */
  erpCancelled?: { source: string };
}

export interface Product {
  externalId: string;
  code: string | null; // SKU / cProd
  name: string;
  ncm: string | null; // 8 digits, no dots; null when the ERP has none for it
  cest: string | null;
  unit: string | null;
  price: string | null; // decimal string, never a float
  active: boolean;
}

/** Lines of the DRE (Lei 6.404/76 art. 187), the target of every category mapping. */
export const DRE_LINES = [
  'receita_bruta',
  'deducoes', // returns, rebates, taxes on sales
  'custos', // CMV/CPV/CSP
  'despesas_operacionais', // selling, G&A
  'resultado_financeiro', // net financial (income positive, expense negative via kind)
  'outras_receitas_despesas',
  'impostos_sobre_lucro', // IR/CSLL
  'nao_classificado',
] as const;
export type DreLine = (typeof DRE_LINES)[number];

export interface FinancialEntry {
  externalId: string;
  kind: 'receivable' | 'payable';
  /** 'YYYY-MM-DD' competence (or due date when the ERP has no competence date). */
  date: string;
  amount: string; // decimal string, positive
  status: 'open' | 'paid' | 'cancelled' | 'overdue' | 'partial';
  categoryId: string | null;
  categoryName: string | null;
  dreLine: DreLine;
  /** How the DRE line was chosen, e.g. 'omie:codigo_dre=1.01' or 'mapping:name~/venda/'. */
  dreRule: string;
  description: string | null;
}

export type TaxRegime = 'simples_nacional' | 'mei' | 'lucro_presumido' | 'lucro_real' | 'unknown';

export interface CompanyProfile {
  cnpj: string | null;
  legalName: string | null;
  tradeName: string | null;
  taxRegime: TaxRegime;
  crt: 1 | 2 | 3 | 4 | null;
  cnae: string | null;
  uf: string | null;
  city: string | null;
  /** Fields this ERP does not provide (never invented). */
  unavailable: Array<'cnpj' | 'legalName' | 'tradeName' | 'taxRegime' | 'crt' | 'cnae' | 'uf' | 'city'>;
}

// --- the adapter ------------------------------------------------------------------------------------------

export interface Capabilities {
  nfeIssued: boolean;
  nfeReceived: boolean;
  products: boolean;
  financials: boolean;
  profile: boolean;
}

export interface ErpAdapter {
  readonly erp: ErpType;
  readonly capabilities: Capabilities;
  nfe(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<NfeDocument>>;
  products(checkpoint: Checkpoint | null): AsyncIterable<Page<Product>>;
  financials(window: DateWindow, checkpoint: Checkpoint | null): AsyncIterable<Page<FinancialEntry>>;
  profile(): Promise<CompanyProfile>;
}

// --- what an adapter is built from ------------------------------------------------------------------------

/** Credentials as stored (JSON) in the connection's Vault secret. Shape depends on the ERP. */
export type Credentials = Record<string, unknown>;

/**
 * Where credentials live. The production implementation is Vault-backed (erp_connections.credentials_secret_id);
 * tests use an in-memory one. `withRefreshLock` serialises refreshes of one connection across processes
 * (single-flight): inside it, `load()` re-reads the stored credentials so a refresh done by someone else is seen,
 * and `save()` must complete before the new access token is used.
 */
export interface CredentialStore {
  load(): Promise<Credentials>;
  save(credentials: Credentials): Promise<void>;
  withRefreshLock<T>(fn: () => Promise<T>): Promise<T>;
}

export interface AdapterContext {
  connectionId: string;
  /** The ERP account identity for rate limits shared by connections of one account. */
  accountKey: string;
  /** Configured API base URL (the real API in production, a simulator locally). Adapters call nothing else. */
  baseUrl: string;
  /** Token endpoint base URL where it differs from baseUrl (Bling/Conta Azul OAuth). */
  authUrl?: string;
  credentials: CredentialStore;
  /** OAuth client credentials for the app (from function secrets), where the ERP uses OAuth. */
  oauthClient?: { clientId: string; clientSecret: string };
  fetch?: typeof fetch;
  now?: () => Date;
  signal?: AbortSignal;
}

export type AdapterFactory = (ctx: AdapterContext) => ErpAdapter;

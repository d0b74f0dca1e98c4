/**
 * The shape every ERP simulator follows (Bling, Tiny, Omie, Conta Azul). Simulators are local dev tools (never
 * deployed): they answer the ERP's real paths, methods, auth/token endpoints, paging, limits and error
 * envelopes as the public sources in docs/erp-sources.md describe them, with data generated deterministically per account from a seed.
 *
 *   import { createBlingSimulator } from '../bling/index.ts';
 *   const sim = createBlingSimulator({ seed: 7, clock, publicUrl: 'http://127.0.0.1:24331' });
 *   Deno.serve({ port: 24331, hostname: '127.0.0.1' }, sim.handler);
 *   const acc = sim.admin.provision({ cnpj: '12345678000195', nfeCount: 40 });
 *   // acc.credentials → what goes in the connection's CredentialStore; acc.oauthClient → function secrets
 *
 * Factories: `createBlingSimulator`, `createTinySimulator` (dev/simulators/{bling,tiny}/index.ts),
 * `createOmieSimulator`, `createContaAzulSimulator` (dev/simulators/{omie,conta_azul}/index.ts), all of type
 * `SimulatorFactory`.
 *
 * Admin HTTP API (same on every simulator, served by `common/admin.ts` → `handleAdmin`), JSON in and out:
 *   GET    /__admin/health                      → { ok: true, erp }
 *   GET    /__admin/accounts                    → AccountSummary[]
 *   POST   /__admin/accounts   ProvisionInput   → ProvisionedAccount  (idempotent per accountId)
 *   POST   /__admin/revoke     { accountId }    → revokes the grant / keys (next call or refresh → auth error)
 *   POST   /__admin/expire     { accountId }    → expires the account's access tokens now (forces a refresh)
 *   GET    /__admin/knobs                       → Knobs
 *   POST   /__admin/knobs      Partial<Knobs>   → Knobs (merged)
 *   GET    /__admin/log?limit=N                 → RequestLogEntry[] (newest last)
 *   DELETE /__admin/log                         → clears the log
 *   GET    /__admin/stats                       → SimulatorStats
 */
import type { Clock } from '../../../supabase/functions/_shared/http/clock.ts';
import type { AccountData } from './dataset.ts';

export type SimErp = 'bling' | 'omie' | 'tiny' | 'conta_azul';

/** Fault and behaviour knobs. All default to "well behaved" except latency (0) and limits (enforced). */
export interface Knobs {
  /** Added to every response (real time). */
  latencyMs: number;
  /** Uniform random extra latency in [0, latencyJitterMs]. */
  latencyJitterMs: number;
  /** Extra delay on list (page) endpoints: "slow pages". */
  slowPageMs: number;
  /** Probability 0..1 that an API call fails with the ERP's own 5xx/transient shape. */
  failureRate: number;
  /** Probability 0..1 that an API call is answered with the ERP's rate-limit signal (a "429 storm"). */
  rateLimitRate: number;
  /** Retry-After (seconds) sent with storm 429s (where the ERP sends one). */
  retryAfterSeconds: number;
  /** Probability 0..1 that a record-level response (detail, XML) is malformed (broken JSON / XML). */
  malformedRate: number;
  /** External ids whose detail/XML response is always malformed (deterministic tests). */
  malformedIds: string[];
  /** Enforce the ERP's documented per-account rate limits (Bling 3/s, Tiny 30-120/min, ...). */
  enforceLimits: boolean;
  /** Override of access token TTL in seconds (null = the ERP's real TTL). */
  accessTtlSeconds: number | null;
  /**
   * A date-filtered listing matching more records than this is refused the way the ERP refuses too-wide queries
   * (Tiny `codigo_erro` 21 "A Consulta retornou muitos registros"); null = no such refusal.
   */
  maxRecordsPerQuery: number | null;
}

export const DEFAULT_KNOBS: Knobs = {
  maxRecordsPerQuery: null,
  latencyMs: 0,
  latencyJitterMs: 0,
  slowPageMs: 0,
  failureRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  malformedRate: 0,
  malformedIds: [],
  enforceLimits: true,
  accessTtlSeconds: null,
};

export interface SimulatorOptions {
  /** Master seed; each account's data derives from (seed, accountId). Default 42. */
  seed?: number;
  /** Time source for token expiry, rate limits and generated dates (tests share a FakeClock with the adapter). */
  clock?: Clock;
  knobs?: Partial<Knobs>;
  /** Accounts provisioned at start-up with ids `<erp>-1..N` (default 0). */
  accounts?: number;
  /** Defaults for provisioned accounts (counts, date range). */
  defaults?: Partial<ProvisionInput>;
  /** Public origin the simulator is reachable at (for links it returns, e.g. Bling's NF-e `xml` URL). */
  publicUrl?: string;
  /** OAuth app credentials the simulator accepts (OAuth ERPs). Defaults: `<erp>-client-id` / `<erp>-client-secret`. */
  oauthClient?: { clientId: string; clientSecret: string };
  /** Keep at most this many request-log entries (default 2000). */
  logLimit?: number;
}

export interface ProvisionInput {
  /** Stable id; same id + same seed = same data and same initial credentials. Default: next `<erp>-<n>`. */
  accountId?: string;
  /** 14 digits; default derived from the account seed (valid check digits). */
  cnpj?: string;
  legalName?: string;
  tradeName?: string;
  /** 1 Simples Nacional, 2 SN excesso, 3 Regime normal, 4 MEI. Default derived from the seed. */
  crt?: 1 | 2 | 3 | 4;
  uf?: string;
  nfeCount?: number;
  productCount?: number;
  financialCount?: number;
  /** Date range of generated documents, 'YYYY-MM-DD' inclusive. Default: the 90 days before the clock's today. */
  from?: string;
  to?: string;
  /** Per-account seed override. */
  seed?: number;
  /** Tiny: plan limit (req/min): 30, 60, 120 (default 60). */
  planLimitPerMinute?: number;
}

export interface ProvisionedAccount {
  accountId: string;
  erp: SimErp;
  company: {
    cnpj: string;
    legalName: string;
    tradeName: string;
    crt: 1 | 2 | 3 | 4;
    uf: string;
    city: string;
  };
  /**
   * Exactly what the adapter expects in its CredentialStore:
   *   OAuth ERPs (Bling, Conta Azul): { access_token, refresh_token, expires_at (ISO), scope? }
   *   Tiny v2: { token }      Omie: { app_key, app_secret }
   */
  credentials: Record<string, unknown>;
  /** OAuth app credentials (the function secrets), for OAuth ERPs. */
  oauthClient?: { clientId: string; clientSecret: string };
  counts: { nfe: number; products: number; financials: number };
}

export interface AccountSummary {
  accountId: string;
  cnpj: string;
  revoked: boolean;
  counts: { nfe: number; products: number; financials: number };
}

export interface RequestLogEntry {
  at: string; // ISO, simulator clock
  method: string;
  path: string; // no query string values that carry credentials
  status: number;
  accountId: string | null;
  /** What the simulator did on purpose: 'latency', 'failure', 'storm', 'malformed', 'rate_limit'... */
  injected?: string;
}

export interface SimulatorStats {
  requests: number;
  tokenCalls: number;
  rateLimited: number;
  injectedFailures: number;
  byAccount: Record<string, number>;
}

export interface SimulatorAdmin {
  provision(input?: ProvisionInput): ProvisionedAccount;
  accounts(): AccountSummary[];
  revoke(accountId: string): void;
  expireTokens(accountId: string): void;
  knobs(): Knobs;
  setKnobs(k: Partial<Knobs>): Knobs;
  log(limit?: number): RequestLogEntry[];
  clearLog(): void;
  stats(): SimulatorStats;
  /**
   * Optional: the ERP-neutral generated data of an account (common/dataset.ts), so the contract suite can
   * compute what a full sync must return. Simulators built on common/core.ts get it from `core.data()`.
   */
  data?(accountId: string): AccountData;
}

export interface Simulator {
  erp: SimErp;
  handler: (req: Request) => Promise<Response>;
  admin: SimulatorAdmin;
}

export type SimulatorFactory = (opts?: SimulatorOptions) => Simulator;

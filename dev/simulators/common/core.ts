/**
 * Shared machinery of every simulator: account registry (provisioning, deterministic data with an LRU cache),
 * knobs and fault injection, server-side rate limits, the request log and the admin HTTP API. Each ERP
 * simulator owns a SimCore and adds its own routes, envelopes and credentials on top.
 */
import { type Clock, systemClock } from '../../../supabase/functions/_shared/http/clock.ts';
import type { Crt } from '../../fixtures/nfe-builder.ts';
import {
  type AccountData,
  type DatasetInput,
  defaultWindow,
  generateAccountData,
  generateCompany,
  type SimCompany,
} from './dataset.ts';
import { RequestLog } from './log.ts';
import { mulberry32, type Rng, seedFor } from './prng.ts';
import { SimRateLimiter } from './ratelimit.ts';
import { StateFile } from './tokens.ts';
import {
  type AccountSummary,
  DEFAULT_KNOBS,
  type Knobs,
  type ProvisionInput,
  type SimErp,
  type SimulatorAdmin,
  type SimulatorOptions,
} from './types.ts';

export interface AccountRecord {
  accountId: string;
  input: DatasetInput;
  company: SimCompany;
  planLimitPerMinute: number;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

export function text(
  body: string,
  status = 200,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
) {
  return new Response(body, { status, headers: { 'content-type': contentType, ...headers } });
}

/** Breaks a JSON/XML body the way a truncated or corrupted response looks. */
export function corrupt(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2))) + '\u0000<<';
}

export class SimCore {
  readonly erp: SimErp;
  readonly seed: number;
  readonly clock: Clock;
  readonly log: RequestLog;
  readonly limiter: SimRateLimiter;
  readonly publicUrl: string | undefined;
  private knobState: Knobs;
  private readonly faultRng: Rng;
  private readonly records = new Map<string, AccountRecord>();
  private readonly cache = new Map<string, AccountData>();
  private readonly cacheSize: number;
  private readonly defaults: Partial<ProvisionInput>;
  private nextId = 1;

  constructor(erp: SimErp, opts: SimulatorOptions = {}) {
    this.erp = erp;
    this.seed = opts.seed ?? 42;
    this.clock = opts.clock ?? systemClock;
    this.log = new RequestLog(opts.logLimit ?? 2000);
    this.limiter = new SimRateLimiter(this.clock);
    this.publicUrl = opts.publicUrl?.replace(/\/+$/, '');
    this.knobState = { ...DEFAULT_KNOBS, ...opts.knobs };
    this.faultRng = mulberry32(seedFor(this.seed, erp, 'faults'));
    this.cacheSize = 64;
    this.defaults = opts.defaults ?? {};
    // The local stack keeps provisioned accounts across restarts (see persistSimulatorState in tokens.ts).
    const opened = StateFile.open<Array<{ input: DatasetInput; planLimitPerMinute: number }>>(
      `accounts-${erp}`,
      () => this.allRecords().map((r) => ({ input: r.input, planLimitPerMinute: r.planLimitPerMinute })),
    );
    if (opened) {
      this.accountsState = opened.file;
      for (const { input, planLimitPerMinute } of opened.saved ?? []) {
        this.records.set(input.accountId, {
          accountId: input.accountId,
          input,
          company: generateCompany(input),
          planLimitPerMinute,
        });
      }
    }
  }

  private accountsState: StateFile<unknown> | null = null;

  // --- knobs & faults ------------------------------------------------------------------------------------

  get knobs(): Knobs {
    return this.knobState;
  }

  setKnobs(k: Partial<Knobs>): Knobs {
    this.knobState = { ...this.knobState, ...k };
    return this.knobState;
  }

  /** Real-time latency (+ slow-page delay for list endpoints). */
  async latency(isList: boolean): Promise<void> {
    const k = this.knobState;
    const ms = k.latencyMs + (k.latencyJitterMs ? this.faultRng() * k.latencyJitterMs : 0) +
      (isList ? k.slowPageMs : 0);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  shouldFail(): boolean {
    return this.knobState.failureRate > 0 && this.faultRng() < this.knobState.failureRate;
  }

  shouldStorm(): boolean {
    return this.knobState.rateLimitRate > 0 && this.faultRng() < this.knobState.rateLimitRate;
  }

  shouldMalform(externalId: string | number): boolean {
    if (this.knobState.malformedIds.includes(String(externalId))) return true;
    return this.knobState.malformedRate > 0 && this.faultRng() < this.knobState.malformedRate;
  }

  // --- accounts ------------------------------------------------------------------------------------------

  /** Creates (or returns) the account record; credentials are the ERP simulator's business. */
  provisionRecord(input: ProvisionInput = {}): { record: AccountRecord; created: boolean } {
    const accountId = input.accountId ?? this.freshId();
    const existing = this.records.get(accountId);
    if (existing) return { record: existing, created: false };
    const merged = { ...this.defaults, ...input };
    const win = defaultWindow(this.clock.now());
    const ds: DatasetInput = {
      accountId,
      seed: merged.seed ?? seedFor(this.seed, this.erp, accountId),
      cnpj: merged.cnpj,
      legalName: merged.legalName,
      tradeName: merged.tradeName,
      crt: merged.crt as Crt | undefined,
      uf: merged.uf,
      nfeCount: merged.nfeCount ?? 30,
      productCount: merged.productCount ?? 40,
      financialCount: merged.financialCount ?? 50,
      from: merged.from ?? win.from,
      to: merged.to ?? win.to,
    };
    const record: AccountRecord = {
      accountId,
      input: ds,
      company: generateCompany(ds),
      planLimitPerMinute: merged.planLimitPerMinute ?? 60,
    };
    this.records.set(accountId, record);
    this.accountsState?.changed();
    return { record, created: true };
  }

  private freshId(): string {
    while (this.records.has(`${this.erp}-${this.nextId}`)) this.nextId++;
    return `${this.erp}-${this.nextId++}`;
  }

  record(accountId: string): AccountRecord | undefined {
    return this.records.get(accountId);
  }

  allRecords(): AccountRecord[] {
    return [...this.records.values()];
  }

  /** The account's generated data (deterministic; regenerated on cache miss). */
  data(accountId: string): AccountData {
    const hit = this.cache.get(accountId);
    if (hit) {
      this.cache.delete(accountId);
      this.cache.set(accountId, hit);
      return hit;
    }
    const rec = this.records.get(accountId);
    if (!rec) throw new Error(`unknown simulator account ${accountId}`);
    const d = generateAccountData(rec.input);
    this.cache.set(accountId, d);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return d;
  }

  summaries(isRevoked: (accountId: string) => boolean): AccountSummary[] {
    return this.allRecords().map((r) => ({
      accountId: r.accountId,
      cnpj: r.company.cnpj,
      revoked: isRevoked(r.accountId),
      counts: { nfe: r.input.nfeCount, products: r.input.productCount, financials: r.input.financialCount },
    }));
  }

  /**
   * The admin API every simulator exposes (common/types.ts SimulatorAdmin): the core's knobs, log, stats and data,
   * with the ERP's own provisioning and credential lifecycle plugged in.
   */
  admin(erp: Pick<SimulatorAdmin, 'provision' | 'revoke' | 'expireTokens'> & {
    isRevoked: (accountId: string) => boolean;
  }): SimulatorAdmin {
    return {
      provision: erp.provision,
      accounts: () => this.summaries(erp.isRevoked),
      revoke: erp.revoke,
      expireTokens: erp.expireTokens,
      knobs: () => this.knobs,
      setKnobs: (k) => this.setKnobs(k),
      log: (limit) => this.log.list(limit),
      clearLog: () => this.log.clear(),
      stats: () => structuredClone(this.log.stats),
      data: (accountId) => this.data(accountId),
    };
  }

  // --- request log -----------------------------------------------------------------------------------------

  logRequest(req: Request, status: number, accountId: string | null, injected?: string, token = false): void {
    const u = new URL(req.url);
    this.log.add({
      at: new Date(this.clock.now()).toISOString(),
      method: req.method,
      path: u.pathname,
      status,
      accountId,
      ...(injected ? { injected } : {}),
    }, { token });
  }

  // --- admin HTTP API --------------------------------------------------------------------------------------

  /** Serves /__admin/* for `admin`; returns null for any other path. */
  async handleAdmin(req: Request, admin: SimulatorAdmin): Promise<Response | null> {
    const u = new URL(req.url);
    if (!u.pathname.startsWith('/__admin/')) return null;
    const route = `${req.method} ${u.pathname.slice('/__admin'.length)}`;
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      try {
        const t = await req.text();
        body = t ? JSON.parse(t) : {};
      } catch {
        return json({ error: 'invalid JSON body' }, 400);
      }
    }
    const accountId = typeof body.accountId === 'string' ? body.accountId : undefined;
    const needAccount = () => {
      if (!accountId || !this.records.has(accountId)) return json({ error: 'unknown accountId' }, 404);
      return null;
    };
    switch (route) {
      case 'GET /health':
        return json({ ok: true, erp: this.erp });
      case 'GET /accounts':
        return json(admin.accounts());
      case 'POST /accounts':
        return json(admin.provision(body as ProvisionInput), 201);
      case 'POST /revoke':
        return needAccount() ?? (admin.revoke(accountId!), json({ ok: true }));
      case 'POST /expire':
        return needAccount() ?? (admin.expireTokens(accountId!), json({ ok: true }));
      case 'POST /dataset':
        // What the ERP holds for the account (the dataset's input; generateAccountData rebuilds it): the
        // chaos suite's ground truth, independent of the adapters.
        return needAccount() ?? json({ input: this.records.get(accountId!)!.input });
      case 'GET /knobs':
        return json(admin.knobs());
      case 'POST /knobs':
        return json(admin.setKnobs(body as Partial<Knobs>));
      case 'GET /log':
        return json(admin.log(Number(u.searchParams.get('limit')) || undefined));
      case 'DELETE /log':
        admin.clearLog();
        return json({ ok: true });
      case 'GET /stats':
        return json(admin.stats());
      default:
        return json({ error: `unknown admin route ${route}` }, 404);
    }
  }
}

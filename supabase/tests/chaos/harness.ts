/**
 * The chaos suite's harness. `chaosScenario(family, name, fn)` registers one scenario as a `stackTest`: the
 * scenario provisions its own companies/connections (fresh ids), injects its faults, drives "nights" and
 * calls `ctx.invariants(label)` at the points that matter; after it returns, the simulators' knobs go back to
 * their defaults and the invariants are checked once more ('final'). Every check and invariant is recorded; the
 * scenario fails when any of them is broken. With CHAOS_REPORT=<file> (set by `npm run test:chaos`) each
 * scenario appends one JSON line { family, scenario, outcome: 'held' | 'broken' | 'skipped', evidence } that
 * dev/chaos/run.ts turns into the table.
 *
 * Long scenarios (soak, real adapter timeouts) pass `{ long: true }` and only run with CHAOS_SOAK=1
 * (`npm run test:chaos -- --soak`); a scenario that cannot run here passes `{ cannotRun: reason }` (decided
 * when it is registered). Either way the scenario is registered with Deno's `ignore` — reported as ignored by
 * `deno test` and as skipped in the table, never as passed.
 *
 * Rules kept for the shared TEST stack: never reset/down it; rows created here are removed afterwards; knobs are
 * put back to DEFAULT_KNOBS in `finally`; PostgreSQL is only restarted for the test profile.
 */
import type postgres from 'postgres';
import { DEFAULT_KNOBS, type Knobs, type SimErp } from '../../../dev/simulators/common/types.ts';
import type { ErpType } from '../../functions/_shared/adapters/contract.ts';
import { sqlFor, stackTest, testStack, type TestStackEnv, waitFor } from '../helpers.ts';
import { Fixture, simAdmin } from '../sync/fixtures.ts';
import type { ConnectionSpec, Provisioned } from '../../../dev/demo/provision.ts';
import { checkInvariants, type InvariantOptions, type InvariantResult } from './invariants.ts';

export const SOAK = Deno.env.get('CHAOS_SOAK') === '1';
const REPORT_FILE = Deno.env.get('CHAOS_REPORT');
const FILTER = Deno.env.get('CHAOS_FILTER');
const DEBUG = Deno.env.get('CHAOS_DEBUG') === '1';
const ROOT = new URL('../../../', import.meta.url).pathname;

export { simAdmin, waitFor };

// --- scope: what a scenario created and touched ---------------------------------------------------------------

export interface ScopeConnection {
  connectionId: string;
  companyId: string;
  erp: ErpType;
  accountId: string;
  secretId: string | null;
  cnpj: string;
}

export class Scope {
  readonly startedAt = new Date();
  readonly connections = new Map<string, ScopeConnection>();
  /** Connections that must end synced or with an explained failure, and since when. */
  readonly due = new Map<string, Date>();
  readonly runIds = new Set<string>();
  readonly netRequestIds = new Set<string>();
  readonly responses: unknown[] = [];
  /** Every credential or token that must never show up in a log, a row, a response or process output. */
  readonly secrets = new Set<string>();
  readonly users = new Set<string>();
  /** company → member user ids */
  readonly members = new Map<string, string[]>();

  get connectionIds(): string[] {
    return [...this.connections.keys()];
  }
  get companyIds(): string[] {
    return [...new Set([...this.connections.values()].map((c) => c.companyId))];
  }

  addSecret(v: unknown) {
    if (typeof v === 'string' && v.length >= 8) this.secrets.add(v);
  }

  addCredentials(creds: Record<string, unknown> | null | undefined) {
    for (const [k, v] of Object.entries(creds ?? {})) {
      if (k === 'expires_at' || k === 'refresh_expires_at' || k === 'scope' || k === 'token_type') continue;
      this.addSecret(v);
    }
  }
}

export async function readCredentials(
  sql: postgres.Sql,
  secretId: string | null,
): Promise<Record<string, unknown> | null> {
  if (!secretId) return null;
  const [row] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${secretId}`;
  if (!row) return null;
  try {
    return JSON.parse(row.decrypted_secret as string);
  } catch {
    return null;
  }
}

// --- the fixture: provisioning and calls, recorded in the scope ------------------------------------------------

export class ChaosFixture extends Fixture {
  constructor(sql: postgres.Sql, env: TestStackEnv, readonly scope: Scope) {
    super(sql, env);
  }

  override async connection(
    spec: Omit<ConnectionSpec, 'accountId'> & { accountId?: string },
  ): Promise<Provisioned> {
    if (spec.erp === 'tiny' && !spec.accountId) {
      // Tiny's 120 req/min plan (the default is 60): the oracle re-reads every account right after its syncs.
      spec = { ...spec, accountId: `t-tiny-${crypto.randomUUID().slice(0, 8)}` };
      await simAdmin(this.env, 'tiny', 'accounts', {
        accountId: spec.accountId,
        nfeCount: spec.nfeCount ?? 6,
        productCount: spec.productCount ?? 5,
        financialCount: spec.financialCount ?? 6,
        crt: spec.crt,
        seed: spec.seed,
        planLimitPerMinute: 120,
      });
    }
    const p = await super.connection(spec);
    const [row] = await this
      .sql`select credentials_secret_id from public.erp_connections where id = ${p.connectionId}`;
    const secretId = (row?.credentials_secret_id as string | null) ?? null;
    this.scope.connections.set(p.connectionId, {
      connectionId: p.connectionId,
      companyId: p.companyId,
      erp: p.erp,
      accountId: p.accountId,
      secretId,
      cnpj: p.cnpj,
    });
    this.scope.addCredentials(await readCredentials(this.sql, secretId));
    if (spec.memberIds?.length) this.scope.members.set(p.companyId, [...spec.memberIds]);
    return p;
  }

  override async user(): Promise<string> {
    const id = await super.user();
    this.scope.users.add(id);
    return id;
  }

  async member(companyId: string, userId: string) {
    await this
      .sql`insert into public.company_members (company_id, user_id, role) values (${companyId}, ${userId}, 'owner')
                   on conflict do nothing`;
    this.scope.members.set(companyId, [...(this.scope.members.get(companyId) ?? []), userId]);
  }

  override async userJwt(
    userId: string,
    opts: { secret?: string; expiresIn?: string; aud?: string; role?: string } = {},
  ) {
    const jwt = await super.userJwt(userId, opts);
    this.scope.addSecret(jwt);
    return jwt;
  }

  override async autoSync(body: unknown, headers?: Record<string, string>) {
    const t0 = performance.now();
    const r = headers ? await super.autoSync(body, headers) : await super.autoSync(body);
    if (DEBUG) console.log(`    [erp-auto-sync] ${r.status} in ${Math.round(performance.now() - t0)} ms`);
    this.scope.responses.push(r.body);
    if (r.body?.run_id) this.scope.runIds.add(r.body.run_id);
    return r;
  }

  override async syncNow(connectionId: unknown, jwt: string | null) {
    const r = await super.syncNow(connectionId, jwt);
    this.scope.responses.push(r.body);
    return r;
  }

  /** Any call to a function, recorded for the secret scan. */
  async call(fn: string, init: RequestInit & { path?: string } = {}) {
    const res = await fetch(`${this.env.FUNCTIONS_URL}/${fn}${init.path ?? ''}`, init);
    const text = await res.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    this.scope.responses.push(body);
    return { status: res.status, body };
  }

  /** An ops run with a deadline: `status: 0` when no answer came in time. */
  async opsWithin(ids: string[], extra: Record<string, unknown>, timeoutMs: number) {
    const res = await fetch(`${this.env.FUNCTIONS_URL}/erp-auto-sync`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.env.ERP_AUTO_SYNC_SECRET}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ source: 'ops', connection_ids: ids, ...extra }),
      signal: AbortSignal.timeout(timeoutMs),
    }).then(
      async (r) => ({ status: r.status, body: await r.json().catch(() => null) }),
      (e) => ({ status: 0, body: String(e) as any }),
    );
    this.scope.responses.push(res.body);
    if (res.body?.run_id) this.scope.runIds.add(res.body.run_id);
    return res;
  }

  /** Whether the functions process can still reach its database (a dry run answers within 5 s). */
  async functionsHealthy(): Promise<boolean> {
    const status = await fetch(`${this.env.FUNCTIONS_URL}/erp-auto-sync`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.env.ERP_AUTO_SYNC_SECRET}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ source: 'ops', dry_run: true }),
      signal: AbortSignal.timeout(5_000),
    }).then(async (r) => (await r.body?.cancel(), r.status), () => 0);
    return status === 200;
  }

  /** An ops run over `ids` (waits for the answer). */
  async ops(ids: string[], extra: Record<string, unknown> = {}) {
    return await this.autoSync({ source: 'ops', connection_ids: ids, ...extra });
  }

  override async cleanup() {
    // Runs this scenario's syncs belonged to, answered or not (a killed invocation never returned its id).
    const ids = this.scope.connectionIds;
    if (ids.length) {
      for (
        const r of await this.sql`select distinct run_id from public.erp_sync_logs
                                      where connection_id = any(${ids}::uuid[]) and run_id is not null`
      ) {
        this.scope.runIds.add(r.run_id as string);
      }
    }
    await super.cleanup();
    const users = [...this.scope.users];
    if (users.length) await this.sql`delete from auth.users where id = any(${users}::uuid[])`;
    const runs = [...this.scope.runIds];
    if (runs.length) {
      await this.sql`delete from public.erp_sync_runs where parent_run_id = any(${runs}::uuid[])`;
      await this.sql`delete from public.erp_sync_runs where id = any(${runs}::uuid[])`;
    }
    const net = [...this.scope.netRequestIds];
    if (net.length) await this.sql`delete from net._http_response where id = any(${net}::bigint[])`;
  }
}

// --- stack operations ------------------------------------------------------------------------------------------

async function stackCmd(...args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${ROOT}dev/stack/stack.ts`, '--profile', 'test', ...args],
    stdout: 'null',
    stderr: 'piped',
  }).output();
  if (out.code !== 0) {
    throw new Error(`stack ${args.join(' ')} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Kills the functions process (whatever it is doing) and starts a new one. */
export async function restartFunctions(): Promise<void> {
  await stackCmd('restart', 'functions');
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * Why PostgreSQL cannot be restarted here, or null when it can: only the TEST stack's own cluster
 * (STACK_DIR/pgdata, on the test profile's port), with pg_ctl as the postgres user.
 */
export async function pgRestartRefusal(env: TestStackEnv): Promise<string | null> {
  if (env.STACK_PROFILE !== 'test') return `not the test stack (STACK_PROFILE=${env.STACK_PROFILE ?? '?'})`;
  if (!env.STACK_DIR) return 'STACK_DIR unknown (run through `stack status --env`)';
  const conf = await Deno.readTextFile(`${env.STACK_DIR}/pgdata/postgresql.conf`).catch(() => null);
  if (conf === null) return `cannot read ${env.STACK_DIR}/pgdata/postgresql.conf`;
  const port = new URL(env.DB_URL).port;
  const ports = [...conf.matchAll(/^\s*port\s*=\s*(\d+)/gm)].map((m) => m[1]);
  if (ports.at(-1) !== port) return `pgdata is not the cluster on port ${port}`;
  if (Deno.uid() !== 0) {
    const who = await new Deno.Command('id', { args: ['-un'], stdout: 'piped' }).output();
    if (new TextDecoder().decode(who.stdout).trim() !== 'postgres') {
      return 'needs root (runuser) or the postgres user';
    }
  }
  return null;
}

/** Restarts the test stack's PostgreSQL (fast shutdown: every session is cut) and waits until it answers. */
export async function restartPostgres(env: TestStackEnv): Promise<void> {
  const refusal = await pgRestartRefusal(env);
  if (refusal) throw new Error(`refusing to restart PostgreSQL: ${refusal}`);
  const dir = env.STACK_DIR;
  const cmd = [
    `${PG_BIN}/pg_ctl`,
    '-D',
    `${dir}/pgdata`,
    '-l',
    `${dir}/pgdata/server.log`,
    '-m',
    'fast',
    '-w',
    '-t',
    '60',
    'restart',
  ];
  const argv = Deno.uid() === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: 'piped', stderr: 'piped' })
    .output();
  if (out.code !== 0) {
    throw new Error(
      `pg_ctl restart failed: ${new TextDecoder().decode(out.stdout)}${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/**
 * Queues a POST to erp-auto-sync through pg_net, as the cron job does (URL and secret read from Vault inside
 * SQL, never in the statement text), with an explicit timeout. `secret` overrides the Vault secret (a stale one).
 */
export async function pgNetAutoSync(
  sql: postgres.Sql,
  scope: Scope,
  body: unknown,
  opts: { timeoutMs?: number; secret?: string } = {},
): Promise<string> {
  const [r] = await sql`
    select net.http_post(
      url := rtrim((select decrypted_secret from vault.decrypted_secrets where name = 'project_url'), '/')
             || '/functions/v1/erp-auto-sync',
      body := ${sql.json(body as never)}::jsonb,
      headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' ||
        coalesce(${opts.secret ?? null}::text,
                 (select decrypted_secret from vault.decrypted_secrets where name = 'erp_auto_sync_secret'))),
      timeout_milliseconds := ${opts.timeoutMs ?? 30_000}::int) as id`;
  const id = String(r.id);
  scope.netRequestIds.add(id);
  return id;
}

export async function pgNetResponse(sql: postgres.Sql, id: string, timeoutMs = 60_000) {
  return await waitFor(
    async () => {
      const [row] =
        await sql`select status_code, content, timed_out, error_msg from net._http_response where id = ${id}::bigint`;
      return row ?? null;
    },
    timeoutMs,
    100,
  );
}

// --- the scenario wrapper ----------------------------------------------------------------------------------

export interface Check {
  label: string;
  held: boolean;
  evidence: string;
}

export interface Ctx {
  env: TestStackEnv;
  sql: postgres.Sql;
  f: ChaosFixture;
  scope: Scope;
  /** A line of evidence for the report (what happened). */
  note(line: string): void;
  /** A scenario-specific expectation; recorded, never thrown mid-scenario. */
  check(label: string, held: boolean, evidence?: string): void;
  /** Sets knobs on a simulator; every knob touched goes back to DEFAULT_KNOBS at the end. */
  knobs(erp: SimErp, k: Partial<Knobs>): Promise<void>;
  resetKnobs(): Promise<void>;
  /** A new "night": the connections become due now and must end synced or explained. */
  night(ids: string[]): Promise<Date>;
  /** The connections must end synced or explained from now on (manual syncs). */
  expectSynced(ids: string[]): void;
  /** Runs every invariant and records the results under `label`. */
  invariants(label: string, opts?: InvariantOptions): Promise<InvariantResult[]>;
  onCleanup(fn: () => unknown | Promise<unknown>): void;
}

export interface ReportLine {
  family: string;
  scenario: string;
  outcome: 'held' | 'broken' | 'skipped';
  evidence: string[];
  seconds: number;
}

export async function writeReport(line: ReportLine): Promise<void> {
  if (!REPORT_FILE) return;
  await Deno.writeTextFile(REPORT_FILE, JSON.stringify(line) + '\n', { append: true });
}

/** The test stack's env when it answers (for registration-time decisions such as `cannotRun`). */
export const STACK: TestStackEnv | null = await testStack();

export function chaosScenario(
  family: string,
  name: string,
  fn: (ctx: Ctx) => Promise<void>,
  opts: { long?: boolean; cannotRun?: string | null; invariants?: InvariantOptions } = {},
): void {
  const title = `chaos · ${family} · ${name}`;
  const skipReason = opts.long && !SOAK ? 'long run: npm run test:chaos -- --soak' : opts.cannotRun ?? null;
  if (skipReason !== null) {
    console.warn(`ignored "${name}": ${skipReason}`);
    if (REPORT_FILE && (!FILTER || title.includes(FILTER))) {
      const line: ReportLine = {
        family,
        scenario: name,
        outcome: 'skipped',
        evidence: [skipReason],
        seconds: 0,
      };
      Deno.writeTextFileSync(REPORT_FILE, JSON.stringify(line) + '\n', { append: true });
    }
  }
  stackTest(title, async (env) => {
    const t0 = performance.now();
    // The stack is shared: if someone is restarting a service, wait for it (a deadline, not a timing assertion).
    for (const erp of ['bling', 'omie', 'tiny', 'conta_azul'] as const) {
      await waitFor(() => simAdmin(env, erp, 'health').then(() => true, () => false), 30_000, 250);
    }
    const sql = sqlFor(env, 4);
    const scope = new Scope();
    const f = new ChaosFixture(sql, env, scope);
    const checks: Check[] = [];
    const notes: string[] = [];
    const touched = new Map<SimErp, Set<keyof Knobs>>();
    const cleanups: Array<() => unknown | Promise<unknown>> = [];
    const staticSecrets = [env.ERP_AUTO_SYNC_SECRET, env.SERVICE_ROLE_KEY, env.JWT_SECRET];
    for (const s of staticSecrets) scope.addSecret(s);

    const resetKnobs = async () => {
      for (const [erp, keys] of touched) {
        const k: Partial<Knobs> = {};
        for (const key of keys) (k as Record<string, unknown>)[key] = DEFAULT_KNOBS[key];
        try {
          await simAdmin(env, erp, 'knobs', k);
          touched.delete(erp);
        } catch (e) {
          checks.push({ label: 'knobs restored', held: false, evidence: `${erp}: ${e}` });
        }
      }
    };
    const ctx: Ctx = {
      env,
      sql,
      f,
      scope,
      note: (line) => notes.push(line),
      check: (label, held, evidence = '') => checks.push({ label, held, evidence }),
      knobs: async (erp, k) => {
        const keys = touched.get(erp) ?? new Set();
        for (const key of Object.keys(k)) keys.add(key as keyof Knobs);
        touched.set(erp, keys);
        await simAdmin(env, erp, 'knobs', k);
      },
      resetKnobs,
      night: async (ids) => {
        const since = new Date(Date.now() - 1000);
        await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute'
                  where id = any(${ids}::uuid[])`;
        for (const id of ids) scope.due.set(id, since);
        return since;
      },
      expectSynced: (ids) => {
        const since = new Date(Date.now() - 1000);
        for (const id of ids) scope.due.set(id, since);
      },
      invariants: async (label, o) => {
        const results = await checkInvariants(sql, env, scope, { ...opts.invariants, ...o });
        for (const r of results) {
          checks.push({ label: `${label}: ${r.invariant}`, held: r.held, evidence: r.evidence });
        }
        return results;
      },
      onCleanup: (fn2) => cleanups.push(fn2),
    };

    let failure: unknown = null;
    try {
      await fn(ctx);
      await resetKnobs();
      await ctx.invariants('final');
    } catch (e) {
      failure = e;
      checks.push({
        label: 'scenario',
        held: false,
        evidence: e instanceof Error ? e.message.split('\n').slice(0, 6).join(' ') : String(e),
      });
    } finally {
      await resetKnobs();
      for (const c of cleanups.reverse()) {
        try {
          await c();
        } catch (e) {
          console.error('chaos cleanup:', e);
        }
      }
      try {
        await f.cleanup();
      } catch (e) {
        console.error('chaos cleanup:', e);
      }
      await sql.end({ timeout: 5 }).catch(() => {});
    }

    if (checks.length === 0) checks.push({ label: 'scenario', held: false, evidence: 'checked nothing' });
    const broken = checks.filter((c) => !c.held);
    const evidence = broken.length ? broken.map((c) => `✗ ${c.label}: ${c.evidence}`) : [
      ...notes,
      ...checks.filter((c) => c.evidence && /final: /.test(c.label)).map((c) => `${c.label}: ${c.evidence}`),
    ];
    await writeReport({
      family,
      scenario: name,
      outcome: broken.length ? 'broken' : 'held',
      evidence,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    });
    for (const c of checks) {
      console.log(`${c.held ? '  ok ' : '  ✗  '} ${c.label}${c.evidence ? ` — ${c.evidence}` : ''}`);
    }
    for (const n of notes) console.log(`  ·   ${n}`);
    if (broken.length) {
      const msg = broken.map((c) => `✗ ${c.label}: ${c.evidence}`).join('\n');
      throw new Error(`${broken.length} invariant(s)/check(s) broken in "${name}":\n${msg}`, {
        cause: failure ?? undefined,
      });
    }
  }, { ignore: skipReason !== null });
}

/**
 * A dead invocation cannot close its own erp_sync_runs row; the next invocation fails rows older than any
 * invocation can live. Fast-forwards the clock for this scenario's open run rows (started an hour earlier),
 * lets one more invocation sweep, and checks they were closed.
 */
export async function sweepAbandonedRuns(ctx: Ctx, ids: string[]): Promise<void> {
  const { sql, f } = ctx;
  const runs =
    (await sql`select distinct run_id from public.erp_sync_logs where connection_id = any(${ids}::uuid[]) and run_id is not null`)
      .map((r) => r.run_id as string);
  const open =
    (await sql`select id from public.erp_sync_runs where id = any(${runs}::uuid[]) and status = 'running'`)
      .map((r) => r.id as string);
  if (open.length === 0) return;
  await sql`update public.erp_sync_runs set started_at = started_at - interval '1 hour' where id = any(${open}::uuid[])`;
  await f.ops(ids);
  const still = await sql`select id, status from public.erp_sync_runs where id = any(${open}::uuid[])`;
  const closed = still.filter((r) => r.status !== 'running');
  ctx.check(
    'abandoned run rows are closed by the next invocation',
    closed.length === open.length,
    `${closed.length} of ${open.length} dead invocations' runs closed (${
      [...new Set(still.map((r) => r.status))].join(', ')
    })`,
  );
}

/** Waits until none of `ids` has a running log (a deadline, not a timing assertion). */
export async function settled(sql: postgres.Sql, ids: string[], timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => {
      const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs
                              where connection_id = any(${ids}::uuid[]) and status = 'running'`;
      return n === 0;
    },
    timeoutMs,
    200,
  );
}

/** The latest log of each connection (map connection → log row). */
export async function latestLogs(sql: postgres.Sql, ids: string[]) {
  const rows = await sql`select distinct on (connection_id) * from public.erp_sync_logs
                         where connection_id = any(${ids}::uuid[]) order by connection_id, started_at desc`;
  return new Map(rows.map((r) => [r.connection_id as string, r]));
}

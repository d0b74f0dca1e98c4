/**
 * The invariants every chaos scenario ends with, written once:
 *
 *  logs-closed          no erp_sync_logs row of the scenario's connections is left 'running' once the runs have
 *                       settled, and every erp_sync_runs row they used is closed (not 'running').
 *  synced-or-explained  every connection that was due ends with a closed log since it became due: 'success', or a
 *                       failure the user can read (log error_message + connection status_message); never stuck
 *                       due (next_sync_at moved on) and never left 'interrupted' with nobody finishing it.
 *  no-duplicates        never two syncs of one connection at once (no overlapping logs; an interrupted sync counts
 *                       until its last heartbeat, when it was last alive); one item per <det> of the stored XML;
 *                       company_dre equal to the sum of the stored financial entries. (One row per natural key
 *                       is the schema's unique constraints: a check that could not fail is not made.)
 *  no-lost-data         ground truth = the simulators' own datasets (oracle.ts), never a re-read through our
 *                       adapters: a connection whose last sync succeeded with nothing failed holds exactly what
 *                       the ERP holds (NF-e keys, items, statuses; product codes/NCM; financial sums); any other
 *                       holds only true data. Every ERP of the scenario has at least one connection checked, an
 *                       oracle error is a failure, and the evidence says how many connections per ERP.
 *  no-secret            no credential or token used in the run (access/refresh tokens, app keys, the cron secret,
 *                       the service key, the JWT secret, OAuth client secrets, user JWTs) appears in log rows, run
 *                       rows, connection rows, synced data, pg_net responses, cron run details, any HTTP response
 *                       the scenario received, or the stack's process output (functions, simulators, pgnet-worker,
 *                       PostgreSQL server log).
 *  isolation            every synced row belongs to its own connection's company and involves that company's CNPJ;
 *                       a member of one company, as `authenticated`, sees no row of any other company.
 */
import type postgres from 'postgres';
import pLimit from 'p-limit';
import type { TestStackEnv } from '../helpers.ts';
import type { Scope } from './harness.ts';
import {
  accountData,
  diffNotes,
  diffOf,
  mergeTruths,
  oauthClientSecrets,
  storedNotes,
  storedOf,
  type Truth,
  truthOf,
} from './oracle.ts';

export interface InvariantOptions {
  /** How long to wait for running logs to close (default 90 s). */
  settleMs?: number;
  /** Compare with the oracle (default true). */
  oracle?: boolean;
  /** At most this many connections go through the oracle (default: all). */
  oracleSample?: number;
  /** Scan synced data tables too, raw XML included (default true). */
  deepScan?: boolean;
  /** Probe RLS as a member (default true). */
  rls?: boolean;
}

export interface InvariantResult {
  invariant:
    | 'logs-closed'
    | 'synced-or-explained'
    | 'no-duplicates'
    | 'no-lost-data'
    | 'no-secret'
    | 'isolation';
  held: boolean;
  evidence: string;
}

const COMPANY_TABLES_SQL = `
  select c.table_name from information_schema.columns c
  join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
  where c.table_schema = 'public' and c.column_name = 'company_id' and t.table_type = 'BASE TABLE'
  order by 1`;

export async function companyTables(sql: postgres.Sql): Promise<string[]> {
  return (await sql.unsafe(COMPANY_TABLES_SQL)).map((r) => r.table_name as string);
}

function short(xs: string[], n = 4): string {
  return xs.slice(0, n).join('; ') + (xs.length > n ? `; … (+${xs.length - n})` : '');
}

function countBy(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ');
}

export async function checkInvariants(
  sql: postgres.Sql,
  env: TestStackEnv,
  scope: Scope,
  opts: InvariantOptions = {},
): Promise<InvariantResult[]> {
  const ids = scope.connectionIds;
  const companies = scope.companyIds;
  const out: InvariantResult[] = [];
  if (ids.length === 0) return out;
  const debug = Deno.env.get('CHAOS_DEBUG') === '1';
  let tick = performance.now();
  const lap = (what: string) => {
    if (debug) console.log(`    [invariants] ${what}: ${Math.round(performance.now() - tick)} ms`);
    tick = performance.now();
  };

  // --- settle: running logs close, then the runs that used them ------------------------------------------------
  const deadline = Date.now() + (opts.settleMs ?? 90_000);
  const runIdsOf = async () => {
    const fromLogs = await sql`select distinct run_id from public.erp_sync_logs
                               where connection_id = any(${ids}::uuid[]) and run_id is not null`;
    return [...new Set([...scope.runIds, ...fromLogs.map((r) => r.run_id as string)])];
  };
  while (Date.now() < deadline) {
    const [{ n }] = await sql`select count(*)::int as n from public.erp_sync_logs
                              where connection_id = any(${ids}::uuid[]) and status = 'running'`;
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const runDeadline = Math.min(deadline, Date.now() + 10_000);
  while (Date.now() < runDeadline) {
    const runs = await runIdsOf();
    const [{ n }] =
      await sql`select count(*)::int as n from public.erp_sync_runs where id = any(${runs}::uuid[]) and status = 'running'`;
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  lap('settle');
  // --- logs-closed ---------------------------------------------------------------------------------------------
  {
    const running =
      await sql`select id, connection_id, sync_type, started_at, heartbeat_at from public.erp_sync_logs
                              where connection_id = any(${ids}::uuid[]) and status = 'running'`;
    const runs = await runIdsOf();
    const openRuns = await sql`select id, source, started_at, processed from public.erp_sync_runs
                               where id = any(${runs}::uuid[]) and status = 'running'`;
    const problems = [
      ...running.map((l) =>
        `log ${String(l.id).slice(0, 8)} (${l.sync_type}) still 'running' since ${l.started_at.toISOString()}`
      ),
      ...openRuns.map((r) =>
        `run ${String(r.id).slice(0, 8)} (${r.source}) still 'running' since ${r.started_at.toISOString()}`
      ),
    ];
    const [{ logs }] =
      await sql`select count(*)::int as logs from public.erp_sync_logs where connection_id = any(${ids}::uuid[])`;
    out.push({
      invariant: 'logs-closed',
      held: problems.length === 0,
      evidence: problems.length ? short(problems) : `${logs} logs and ${runs.length} runs closed`,
    });
  }

  lap('logs-closed');
  // --- synced-or-explained -------------------------------------------------------------------------------------
  const latest = new Map<string, Record<string, any>>();
  {
    const dueIds = [...scope.due.keys()];
    const since = dueIds.map((id) => scope.due.get(id)!.toISOString());
    const rows = dueIds.length
      ? await sql`
        select d.id, c.status, c.status_message, c.next_sync_at, c.consecutive_failures, c.sync_config,
               (select to_jsonb(l) from public.erp_sync_logs l
                 where l.connection_id = d.id and l.started_at >= d.since
                 order by l.started_at desc limit 1) as last
        from unnest(${dueIds}::uuid[], ${since}::timestamptz[]) as d(id, since)
        join public.erp_connections c on c.id = d.id`
      : [];
    const problems: string[] = [];
    const outcomes: string[] = [];
    for (const r of rows) {
      const id = String(r.id).slice(0, 8);
      const last = r.last as Record<string, any> | null;
      if (last) latest.set(r.id, last);
      if (!last) {
        if (r.status === 'error' && r.status_message) {
          outcomes.push('not due (error)');
          continue;
        }
        problems.push(`${id}: never synced since it became due (status ${r.status})`);
        continue;
      }
      const errors = Object.values(last.details?.entities ?? {}).flatMap((e: any) => e?.errors ?? []);
      switch (last.status) {
        case 'success':
          if (last.records_failed > 0 && errors.length === 0) {
            problems.push(
              `${id}: success with ${last.records_failed} failed records and no record errors listed`,
            );
          }
          outcomes.push(last.records_failed > 0 ? 'success with failed records' : 'success');
          break;
        case 'partial':
        case 'error': {
          const code = errorCode(last.error_message);
          if (!last.error_message) problems.push(`${id}: ${last.status} without an error_message`);
          else if (!r.status_message) {
            problems.push(`${id}: ${last.status} (${code}) but the connection shows no status_message`);
          }
          outcomes.push(`${last.status} ${code}`);
          break;
        }
        case 'interrupted':
          problems.push(
            `${id}: left 'interrupted' (${
              String(last.error_message ?? '').slice(0, 60)
            }) and nobody finished it`,
          );
          break;
        case 'running':
          problems.push(`${id}: still running`);
          break;
      }
      if (
        r.status === 'active' && last.status !== 'running' && last.status !== 'interrupted' &&
        (!r.next_sync_at || r.next_sync_at.getTime() <= new Date(last.started_at).getTime())
      ) {
        problems.push(`${id}: next_sync_at not moved on (${r.next_sync_at?.toISOString() ?? 'null'})`);
      }
    }
    out.push({
      invariant: 'synced-or-explained',
      held: problems.length === 0,
      evidence: problems.length ? short(problems) : `${rows.length} due: ${countBy(outcomes) || 'none'}`,
    });
  }

  lap('synced-or-explained');
  // --- no-duplicates -------------------------------------------------------------------------------------------
  {
    const problems: string[] = [];
    const overlaps = await sql`
      select a.sync_type as a_type, a.status as a_status, a.started_at as a_start, a.completed_at as a_end,
             b.sync_type as b_type, b.status as b_status, b.started_at as b_start
      from public.erp_sync_logs a join public.erp_sync_logs b
        on a.connection_id = b.connection_id and a.id <> b.id and a.started_at <= b.started_at
       and b.started_at < case when a.status = 'interrupted' then least(a.completed_at, a.heartbeat_at)
                               else coalesce(a.completed_at, 'infinity'::timestamptz) end
      where a.connection_id = any(${ids}::uuid[]) and b.status <> 'running' and a.status <> 'running'`;
    // An interrupted sync was last alive at its heartbeat (completed_at is when the recovery noticed).
    if (overlaps.length > 0) {
      const o = overlaps[0];
      problems.push(
        `${overlaps.length} pairs of overlapping syncs of one connection (e.g. ${o.a_type}/${o.a_status} ` +
          `${o.a_start.toISOString()}→${o.a_end?.toISOString()} overlaps ${o.b_type}/${o.b_status} from ${o.b_start.toISOString()})`,
      );
    }
    // (One row per access key / product / entry / DRE line is the schema's own unique keys: not re-checked.)
    const items = await sql`
      select x.access_key, (select count(*)::int from public.xml_import_items i where i.xml_import_id = x.id) as items,
             ((length(x.raw_xml) - length(replace(x.raw_xml, '<det nItem=', ''))) / length('<det nItem='))::int as dets
      from public.xml_imports x where x.company_id = any(${companies}::uuid[])`;
    const badItems = items.filter((r) => r.items !== r.dets);
    if (badItems.length) {
      problems.push(
        `${badItems.length} notes whose item rows ≠ their <det> count (${
          badItems.slice(0, 2).map((r) => `${r.items}≠${r.dets}`).join(', ')
        })`,
      );
    }
    // DRE = sum of entries, for companies whose last financials sync finished.
    const dreCompanies = [...latest.entries()]
      .filter(([, l]) => l.details?.entities?.financials?.status === 'success')
      .map(([id]) => scope.connections.get(id)?.companyId)
      .filter((c): c is string => !!c);
    if (dreCompanies.length) {
      const mism = await sql`
        with e as (
          select company_id, date_trunc('month', entry_date)::date as period, dre_line as line,
                 sum(case when kind = 'receivable' then amount else -amount end) as amount, count(*)::int as n
          from public.company_financial_entries
          where company_id = any(${dreCompanies}::uuid[]) and status <> 'cancelled' group by 1, 2, 3),
        d as (select company_id, period, line, amount, entries from public.company_dre where company_id = any(${dreCompanies}::uuid[]))
        select coalesce(e.company_id, d.company_id) as company_id, coalesce(e.period, d.period) as period,
               coalesce(e.line, d.line) as line, e.amount as want, d.amount as got
        from e full join d on d.company_id = e.company_id and d.period = e.period and d.line = e.line
        where e.amount is distinct from d.amount or e.n is distinct from d.entries`;
      if (mism.length) {
        problems.push(
          `${mism.length} DRE lines ≠ sum of entries (${
            mism.slice(0, 2).map((m) => `${m.line} ${m.got}≠${m.want}`).join(', ')
          })`,
        );
      }
    }
    const [{ notes }] =
      await sql`select count(*)::int as notes from public.xml_imports where company_id = any(${companies}::uuid[])`;
    out.push({
      invariant: 'no-duplicates',
      held: problems.length === 0,
      evidence: problems.length
        ? short(problems)
        : `${notes} notes, ${items.reduce((s, r) => s + r.items, 0)} items, no overlap, DRE consistent`,
    });
  }

  lap('no-duplicates');
  // --- no-lost-data --------------------------------------------------------------------------------------------
  if (opts.oracle !== false) {
    const problems: string[] = [];
    const conns = await sql`select id, erp_type, company_id, status, sync_config
                            from public.erp_connections where id = any(${ids}::uuid[])`;
    // Exact for a connection whose last sync succeeded with nothing failed; otherwise what is stored must be true.
    const exact = (c: postgres.Row) => {
      const l = latest.get(c.id);
      return c.status === 'active' && l?.status === 'success' && l.records_failed === 0;
    };
    let checked: postgres.Row[] = [...conns];
    if (opts.oracleSample !== undefined && conns.length > opts.oracleSample) {
      // A sample, with every ERP in it.
      const shuffled = [...conns].sort(() => Math.random() - 0.5);
      const firstOfErp = new Map(shuffled.map((c) => [c.erp_type as string, c] as const).reverse());
      checked = [...new Set([...firstOfErp.values(), ...shuffled])].slice(
        0,
        Math.max(opts.oracleSample, firstOfErp.size),
      );
    }
    const truths = new Map<string, Truth>();
    const tally = new Map<string, { exact: number; partial: number }>();
    const limit = pLimit(4);
    const byCompany = new Map<string, postgres.Row[]>();
    for (const c of conns) byCompany.set(c.company_id, [...(byCompany.get(c.company_id) ?? []), c]);
    const truthFor = async (c: postgres.Row) => {
      const hit = truths.get(c.id);
      if (hit) return hit;
      const cfg = (c.sync_config ?? {}) as Record<string, any>;
      const t = truthOf(
        c.erp_type,
        await accountData(env, c.erp_type, scope.connections.get(c.id)!.accountId),
        Number(cfg.nfe_lookback_days ?? 90),
      );
      truths.set(c.id, t);
      return t;
    };
    await Promise.all(checked.map((c) =>
      limit(async () => {
        const id8 = String(c.id).slice(0, 8);
        try {
          const cfg = (c.sync_config ?? {}) as Record<string, any>;
          const entities = {
            nfe: cfg.entities?.nfe !== false,
            products: cfg.entities?.products !== false,
            financials: cfg.entities?.financials !== false,
          };
          const isExact = exact(c);
          const diff = diffOf(await truthFor(c), await storedOf(sql, c.id), isExact, entities);
          if (entities.nfe) {
            // A company's notes are one set: the truth of all its connections together.
            const company = byCompany.get(c.company_id) ?? [c];
            const want = mergeTruths(await Promise.all(company.map(truthFor)));
            diff.push(...diffNotes(want, await storedNotes(sql, c.company_id), company.every(exact)));
          }
          if (diff.length) problems.push(`${c.erp_type} ${id8}${isExact ? '' : ' (partial)'}: ${diff.join(', ')}`);
          const t = tally.get(c.erp_type) ?? { exact: 0, partial: 0 };
          if (isExact) t.exact++;
          else t.partial++;
          tally.set(c.erp_type, t);
        } catch (e) {
          problems.push(`${c.erp_type} ${id8}: the oracle failed (${e instanceof Error ? e.message.slice(0, 120) : e})`);
        }
      })
    ));
    const erps = [...new Set(conns.map((c) => c.erp_type as string))].sort();
    for (const erp of erps) {
      if (!tally.has(erp)) problems.push(`no ${erp} connection was checked`);
    }
    const perErp = erps.map((erp) => {
      const t = tally.get(erp) ?? { exact: 0, partial: 0 };
      return `${erp} ${t.exact + t.partial} (${t.exact} exact, ${t.partial} stored-is-true)`;
    }).join(', ');
    out.push({
      invariant: 'no-lost-data',
      held: problems.length === 0,
      evidence: problems.length
        ? `${short(problems, 3)} — checked ${perErp}`
        : `the simulators' datasets match the database — checked ${perErp}`,
    });
  }

  lap('no-lost-data');
  // --- no-secret -----------------------------------------------------------------------------------------------
  {
    const secretIds = [
      ...new Set([...scope.connections.values()].map((c) => c.secretId).filter((x): x is string => !!x)),
    ];
    for (
      const row
        of await sql`select decrypted_secret from vault.decrypted_secrets where id = any(${secretIds}::uuid[])`
    ) {
      try {
        scope.addCredentials(JSON.parse(row.decrypted_secret as string));
      } catch { /* not JSON: nothing to register */ }
    }
    for (const s of oauthClientSecrets()) scope.addSecret(s);
    const secrets = [...scope.secrets].filter((s) => s.length >= 8);
    const sources: Array<[string, string]> = [];
    const runs = await runIdsOf();
    const dbText = async (label: string, q: Promise<postgres.RowList<postgres.Row[]>>) => {
      const rows = await q;
      sources.push([label, rows.map((r) => r.t as string).join('\n')]);
    };
    await dbText(
      'erp_sync_logs',
      sql`select to_jsonb(l)::text as t from public.erp_sync_logs l where connection_id = any(${ids}::uuid[])`,
    );
    await dbText(
      'erp_sync_runs',
      sql`select to_jsonb(r)::text as t from public.erp_sync_runs r where id = any(${runs}::uuid[])`,
    );
    await dbText(
      'erp_connections',
      sql`select to_jsonb(c)::text as t from public.erp_connections c where id = any(${ids}::uuid[])`,
    );
    await dbText(
      'erp_sync_checkpoints',
      sql`select to_jsonb(k)::text as t from public.erp_sync_checkpoints k where connection_id = any(${ids}::uuid[])`,
    );
    await dbText(
      'net._http_response',
      sql`select concat_ws(' ', status_code, content, error_msg, headers::text) as t
                                          from net._http_response where created >= ${scope.startedAt}`,
    );
    await dbText(
      'cron.job_run_details',
      sql`select concat_ws(' ', command, return_message) as t from cron.job_run_details
                                             where start_time >= ${scope.startedAt}`,
    );
    if (opts.deepScan !== false) {
      for (const t of await companyTables(sql)) {
        await dbText(
          t,
          sql.unsafe(`select to_jsonb(x)::text as t from public.${t} x where company_id = any($1::uuid[])`, [
            companies,
          ]),
        );
      }
    }
    sources.push(['HTTP responses', JSON.stringify(scope.responses)]);
    const files = env.STACK_DIR
      ? [
        ...[...safeReadDir(`${env.STACK_DIR}/logs`)].map((n) => `${env.STACK_DIR}/logs/${n}`),
        `${env.STACK_DIR}/pgdata/server.log`,
      ]
      : [];
    for (const file of files) {
      const text = await Deno.readTextFile(file).catch(() => null);
      if (text !== null) sources.push([file.replace(env.STACK_DIR, '$STACK_DIR'), text]);
    }
    const leaks: string[] = [];
    for (const [label, text] of sources) {
      for (const s of secrets) {
        if (text.includes(s)) leaks.push(`${label} contains a secret (${s.slice(0, 4)}…, ${s.length} chars)`);
      }
    }
    out.push({
      invariant: 'no-secret',
      held: leaks.length === 0,
      evidence: leaks.length
        ? short([...new Set(leaks)])
        : `${secrets.length} secrets absent from ${sources.length} sources (${files.length} process logs)`,
    });
  }

  lap('no-secret');
  // --- isolation -----------------------------------------------------------------------------------------------
  {
    const problems: string[] = [];
    const [prov] = await sql`
      select
        (select count(*)::int from public.xml_imports x join public.erp_connections c on c.id = x.connection_id
          where x.company_id = any(${companies}::uuid[]) and c.company_id <> x.company_id) as notes,
        (select count(*)::int from public.company_products x join public.erp_connections c on c.id = x.connection_id
          where x.company_id = any(${companies}::uuid[]) and c.company_id <> x.company_id) as products,
        (select count(*)::int from public.company_financial_entries x join public.erp_connections c on c.id = x.connection_id
          where x.company_id = any(${companies}::uuid[]) and c.company_id <> x.company_id) as financials,
        (select count(*)::int from public.erp_sync_logs x join public.erp_connections c on c.id = x.connection_id
          where x.company_id = any(${companies}::uuid[]) and c.company_id <> x.company_id) as logs,
        (select count(*)::int from public.xml_imports x join public.companies co on co.id = x.company_id
          where x.company_id = any(${companies}::uuid[]) and co.cnpj is not null
            and x.issuer_doc <> co.cnpj and coalesce(x.recipient_doc, '') <> co.cnpj) as foreign_notes,
        (select count(*)::int from public.company_profile p join public.companies co on co.id = p.company_id
          where p.company_id = any(${companies}::uuid[]) and p.cnpj is not null and p.cnpj <> co.cnpj) as foreign_profile`;
    for (const [k, v] of Object.entries(prov)) if (v > 0) problems.push(`${v} ${k} rows of another company`);
    let probed = '';
    if (opts.rls !== false && companies.length >= 1) {
      const company = companies[0];
      let member = scope.members.get(company)?.[0];
      if (!member) {
        const [u] = await sql`insert into auth.users (email) values (${`chaos-${
          crypto.randomUUID().slice(0, 8)
        }@test.local`}) returning id`;
        member = u.id as string;
        scope.users.add(member);
        await sql`insert into public.company_members (company_id, user_id, role) values (${company}, ${member}, 'member')`;
        scope.members.set(company, [member]);
      }
      const leaks = await rlsVisibleElsewhere(sql, member);
      problems.push(...leaks);
      probed = `; RLS probe as a member of 1 of ${companies.length} companies`;
    }
    out.push({
      invariant: 'isolation',
      held: problems.length === 0,
      evidence: problems.length ? short(problems) : `every row is its own company's${probed}`,
    });
  }
  lap('isolation');
  // Every invariant names the connections it covered, per ERP (no-lost-data adds how each was checked).
  const perErp = (conns: string[]) => {
    const n = new Map<string, number>();
    for (const id of conns) {
      const erp = scope.connections.get(id)?.erp ?? '?';
      n.set(erp, (n.get(erp) ?? 0) + 1);
    }
    return [...n].sort().map(([erp, k]) => `${erp} ${k}`).join(', ');
  };
  for (const r of out) {
    if (r.invariant === 'no-lost-data') continue;
    const covered = r.invariant === 'synced-or-explained' ? [...scope.due.keys()] : ids;
    r.evidence += ` [${covered.length} connections: ${perErp(covered) || 'none'}]`;
  }
  return out;
}

/** The stable code of a log's error_message: '… [HTTP_503]' or 'CODE: …'. */
export function errorCode(message: unknown): string {
  const m = String(message ?? '');
  return /\[([A-Z0-9_]+)\]\s*$/.exec(m)?.[1] ?? /^([A-Z0-9_]+):/.exec(m)?.[1] ?? m.slice(0, 40);
}

function* safeReadDir(dir: string): Generator<string> {
  try {
    for (const e of Deno.readDirSync(dir)) if (e.isFile) yield e.name;
  } catch { /* absent */ }
}

/**
 * As `authenticated` with `userId`'s claims: rows of companies the user is not a member of, per table (empty =
 * isolated). Permission denied counts as not visible.
 */
export async function rlsVisibleElsewhere(sql: postgres.Sql, userId: string): Promise<string[]> {
  const claims = JSON.stringify({ sub: userId, role: 'authenticated', aud: 'authenticated' });
  const problems: string[] = [];
  const tables = [...await companyTables(sql), 'companies'];
  for (const t of tables) {
    const col = t === 'companies' ? 'id' : 'company_id';
    try {
      const n = await sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${claims}, true)`;
        await tx.unsafe('set local role authenticated');
        const [r] = await tx.unsafe(
          `select count(*)::int as n from public.${t} x
           where x.${col} not in (select company_id from public.company_members where user_id = $1::uuid)`,
          [userId],
        );
        return r.n as number;
      });
      if (n > 0) problems.push(`as a member, ${n} rows of other companies visible in ${t}`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42501') {
        problems.push(`${t}: probe failed (${(e as Error).message})`);
      }
    }
  }
  return problems;
}

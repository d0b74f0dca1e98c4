/**
 * erp_connections: the due query, leases (one sync of a connection at a time, whoever starts it) and the
 * connection's state after a sync. All the SQL about connections lives here.
 *
 * Claiming takes one connection at a time with FOR UPDATE SKIP LOCKED, and never two connections of the same
 * ERP account at once (their rate limit is per account): a transaction-scoped advisory lock on the account key
 * serialises concurrent claimers, and a live lease on a sibling connection excludes the account.
 */
import type { Entity, ErpType } from '../adapters/contract.ts';
import { checkpointMap, type CheckpointRow, checkpointsJson } from './checkpoints.ts';
import { retryOnSessionEnd, type Sql } from './client.ts';

export interface ConnectionRow {
  id: string;
  company_id: string;
  erp_type: ErpType;
  name: string;
  status: 'active' | 'inactive' | 'error';
  status_message: string | null;
  sync_config: Record<string, unknown>;
  api_base_url: string;
  account_key: string;
  credentials_secret_id: string | null;
  last_sync_at: Date | null;
  next_sync_at: Date | null;
  consecutive_failures: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  company_cnpj: string | null;
  auth_base_url: string | null;
  /** Which API of the ERP the connection uses (Tiny: null/'v2' or 'v3'); migration …001500. */
  api_version: string | null;
}

const COLUMNS = `c.id, c.company_id, c.erp_type, c.name, c.status, c.status_message, c.sync_config, c.api_base_url,
  c.account_key, c.credentials_secret_id, c.last_sync_at, c.next_sync_at, c.consecutive_failures, c.lease_owner,
  c.lease_expires_at, c.auth_base_url, c.api_version, (select cnpj from public.companies co where co.id = c.company_id) as company_cnpj`;

// The due and lease rules are SQL functions (migration 20261205000200), named once for every query that asks them.
const DUE = `public.erp_connection_is_due(c, $1)`;
const UNLEASED = `not public.erp_connection_is_leased(c, $1)`;
const FREE = `${UNLEASED} and public.erp_account_is_free(c.id, c.account_key, $1)`;

/** Connections held by a live lease: the syncs in flight, whoever runs them (one probe of erp_connections_lease_idx). */
const LIVE_LEASES = `select count(*) from public.erp_connections l where public.erp_connection_is_leased(l, $1)`;

/** How many syncs are in flight now (live leases): what the claim's in-flight cap counts. */
export async function liveLeases(sql: Sql, now: Date): Promise<number> {
  const [r] = await sql.unsafe(`select (${LIVE_LEASES})::int as n`, [now]);
  return r.n as number;
}

/** Due connections, optionally restricted to ids (for ops and dry runs). */
export async function listDue(sql: Sql, now: Date, ids?: string[], limit = 1000): Promise<ConnectionRow[]> {
  return await sql.unsafe(
    `select ${COLUMNS} from public.erp_connections c where ${DUE} ${ids ? 'and c.id = any($3::uuid[])' : ''}
     order by coalesce(c.next_sync_at, '-infinity'::timestamptz), c.id limit $2`,
    ids ? [now, limit, uuidArray(ids)] : [now, limit],
  ) as unknown as ConnectionRow[];
}

/**
 * Due connections nobody holds (no live lease): the work still free to claim. Rows leased by a running sync
 * are not counted, so a night being worked on does not look like a backlog.
 */
export async function countDue(sql: Sql, now: Date, ids?: string[]): Promise<number> {
  const [r] = await sql.unsafe(
    `select count(*)::int as n from public.erp_connections c
     where ${DUE} and ${UNLEASED} ${ids ? 'and c.id = any($2::uuid[])' : ''}`,
    ids ? [now, uuidArray(ids)] : [now],
  );
  return r.n as number;
}

/**
 * Runs `fn` in a transaction: its own (a pool), a savepoint (already a transaction), or BEGIN/COMMIT on a
 * reserved connection.
 */
async function inTransaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  type F = (f: (tx: Sql) => Promise<T>) => Promise<T>;
  const s = sql as unknown as { begin?: F; savepoint?: F };
  if (typeof s.begin === 'function') return await s.begin(fn);
  if (typeof s.savepoint === 'function') return await s.savepoint(fn);
  await sql.unsafe('begin');
  try {
    const r = await fn(sql);
    await sql.unsafe('commit');
    return r;
  } catch (e) {
    await sql.unsafe('rollback').catch(() => {});
    throw e;
  }
}

/**
 * Leases the first of `candidates` (in order) that has no live lease on a sibling connection of its ERP account.
 * Runs inside the transaction that already holds the candidates' account locks: this statement's snapshot is
 * taken after those locks, so it sees every sibling claim that committed before them (a check in the statement
 * that took the locks reads an older snapshot and lets such a claim slip through).
 */
async function leaseFirstFree(
  tx: Sql,
  candidates: string[],
  now: Date,
  owner: string,
  leaseSeconds: number,
): Promise<ConnectionRow | null> {
  if (candidates.length === 0) return null;
  const rows = await tx.unsafe(
    `with pick as (
       select c.id from unnest($4::uuid[]) with ordinality as x(id, n) join public.erp_connections c on c.id = x.id
       where ${FREE} order by x.n limit 1
     )
     update public.erp_connections c
        set lease_owner = $2, lease_expires_at = $1::timestamptz + make_interval(secs => $3)
       from pick where c.id = pick.id
     returning ${COLUMNS}`,
    [now, owner, leaseSeconds, uuidArray(candidates)],
  );
  return (rows[0] as unknown as ConnectionRow) ?? null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A uuid[] as one text parameter (`{a,b}`): a JS array needs the driver's array types, which a fresh client
 * fetches on its first connection, and a claim can be that client's first query (seen: "malformed array literal").
 * A backend terminated during that fetch leaves the client without them for good (seen: "Sincronizar agora" after
 * a killed session, supabase/tests/sync/session_end.test.ts), so every uuid[] of this module goes this way.
 */
function uuidArray(ids: string[] | undefined): string | null {
  if (!ids) return null;
  for (const id of ids) if (!UUID_RE.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id)}`);
  return `{${ids.join(',')}}`;
}

/** A sync log opened in the claim's statement, with the connection's checkpoints. */
export interface OpenedLog {
  id: string;
  checkpoints: Map<Entity, CheckpointRow>;
}

/**
 * Claims the next due, unleased connection (of a free account) and leases it to `owner`, in one round trip: the
 * rules live in the database function erp_claim_next_due (migration 20261204000200). `exclude` holds the
 * connections this run already took, so a run never picks the same one twice; `maxInFlight` is the night's cap
 * on syncs in flight (live leases). With `openLog` the same statement opens the sync's log ('running') and
 * reads the checkpoints; `opened` is null when a log of a dead holder is still running (the engine takes it
 * over).
 */
export async function claimNextDue(
  sql: Sql,
  now: Date,
  owner: string,
  leaseSeconds: number,
  opts: { ids?: string[]; exclude?: string[]; maxInFlight?: number; openLog?: { runId: string | null } } = {},
): Promise<(ConnectionRow & { opened: OpenedLog | null }) | null> {
  // One statement: a claim cut by a database restart rolled back whole, and is sent again.
  const rows = await retryOnSessionEnd(() =>
    sql`
    with c as (
      select * from public.erp_claim_next_due(${now}, ${owner}, ${leaseSeconds}, ${uuidArray(opts.ids)}::uuid[],
                                              ${uuidArray(opts.exclude ?? [])}::uuid[], ${opts.maxInFlight ?? null}::int)
    ), l as (
      insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, heartbeat_at)
      select c.id, c.company_id, ${opts.openLog?.runId ?? null}::uuid, 'auto', 'running', ${now}, ${now} from c
       where ${!!opts.openLog}::boolean
      on conflict (connection_id) where status = 'running' do nothing
      returning id, connection_id
    )
    select ${sql.unsafe(COLUMNS)}, l.id as log_id,
           case when l.id is not null then ${checkpointsJson(sql, sql`c.id`)} end as checkpoints
      from c left join l on l.connection_id = c.id`
  );
  const row = rows[0] as unknown as (ConnectionRow & { log_id: string | null; checkpoints: never }) | undefined;
  if (!row) return null;
  const { log_id, checkpoints, ...conn } = row;
  return { ...conn, opened: log_id ? { id: log_id, checkpoints: checkpointMap(checkpoints) } : null };
}

/**
 * Leases one connection for a manual sync, whatever its schedule; null when it (or a sibling connection of its
 * ERP account) is already leased. Account lock first, then the check, as in claimNextDue.
 */
export async function leaseConnection(
  sql: Sql,
  id: string,
  now: Date,
  owner: string,
  leaseSeconds: number,
): Promise<ConnectionRow | null> {
  return await inTransaction(sql, async (tx) => {
    const locked = await tx.unsafe(
      `select c.id from public.erp_connections c
        where c.id = $1 and pg_try_advisory_xact_lock(hashtextextended('erp-account:' || c.account_key, 0))`,
      [id],
    );
    return await leaseFirstFree(tx, locked.map((r) => r.id as string), now, owner, leaseSeconds);
  });
}

/**
 * Extends a live lease we hold; false when it is lost: taken over, or lapsed even if nobody took it yet. A lapsed
 * lease is never revived: claims and the in-flight cap already counted the connection free, so reviving it would
 * put one sync more in flight than the cap. A claimer's clock reads at most the database's (it is read before
 * the statement is sent), so a lease any claim saw lapsed is lapsed here too.
 */
export async function renewLease(sql: Sql, id: string, owner: string, leaseSeconds: number): Promise<boolean> {
  const rows = await sql`
    update public.erp_connections set lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = ${id} and lease_owner = ${owner} and lease_expires_at >= now() returning id`;
  return rows.length === 1;
}

export async function getConnection(sql: Sql, id: string): Promise<ConnectionRow | null> {
  const rows = await sql.unsafe(`select ${COLUMNS} from public.erp_connections c where c.id = $1`, [id]);
  return (rows[0] as unknown as ConnectionRow) ?? null;
}

export interface ConnectionOutcome {
  lastSyncAt: Date;
  nextSyncAt: Date;
  status: 'active' | 'error';
  statusMessage: string | null;
  consecutiveFailures: number;
}

/**
 * The connection's state after a sync, with our lease released: a statement, or a fragment for the log's closing
 * statement (sync-logs.ts closeLog). An inactive connection (switched off by an admin, possibly while this sync
 * ran) stays inactive: a sync never switches it back on.
 */
export function finishConnection(sql: Sql, id: string, owner: string, o: ConnectionOutcome) {
  return sql`
    update public.erp_connections set
      last_sync_at = ${o.lastSyncAt}, next_sync_at = ${o.nextSyncAt},
      status = case when status = 'inactive' then status else ${o.status} end,
      status_message = ${o.statusMessage}, consecutive_failures = ${o.consecutiveFailures},
      lease_owner = null, lease_expires_at = null
    where id = ${id} and (lease_owner = ${owner} or lease_owner is null)`;
}

/** Releases our lease and changes nothing else (the connection stays due): a statement or a fragment. */
export function releaseLease(sql: Sql, id: string, owner: string) {
  return sql`update public.erp_connections set lease_owner = null, lease_expires_at = null
             where id = ${id} and lease_owner = ${owner}`;
}

/** Clears leases whose holder died (expired). Returns how many. */
export async function releaseExpiredLeases(sql: Sql, now: Date): Promise<number> {
  const rows = await sql`update public.erp_connections set lease_owner = null, lease_expires_at = null
                         where lease_owner is not null and lease_expires_at < ${now} returning id`;
  return rows.length;
}

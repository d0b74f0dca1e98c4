/**
 * `npm run demo` — the main job on the local stack with simulated ERPs:
 *   1. brings up the dev stack (Postgres + pg_cron, pg_net worker, functions, ERP simulators);
 *   2. provisions demo companies: one per ERP, one whose grant was revoked, one on a flaky ERP;
 *   3. fires the real nightly job through pg_cron (its schedule is moved to the next minute, then restored)
 *      → pg_net → erp-auto-sync → simulators → database;
 *   4. waits for the run and prints a summary per connection; leaves the stack up for the UI.
 * Exits non-zero if the run could not happen.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import postgres from 'postgres';
import type { ErpType } from '../../supabase/functions/_shared/adapters/contract.ts';
import { ERP_NAMES } from '../../supabase/functions/_shared/sync/messages.ts';
import { type ConnectionSpec, provisionConnection, removeCompanies, simAdmin } from './provision.ts';

const DEMO_USER = '00000000-0000-4000-8000-000000000001';
const DEMO_TAG = '[demo]';
const root = new URL('../../', import.meta.url).pathname;

function say(msg: string) {
  console.log(msg);
}

async function stack(...args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${root}dev/stack/stack.ts`, ...args],
    stdout: 'piped',
    stderr: 'inherit',
  }).output();
  if (out.code !== 0) throw new Error(`stack ${args.join(' ')} failed`);
  return new TextDecoder().decode(out.stdout);
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const brt = (d: Date | null) => (d ? format(new TZDate(d, 'America/Sao_Paulo'), "dd/MM/yyyy HH:mm 'BRT'") : '—');

async function main(): Promise<number> {
  say('▶ starting the local stack (PostgreSQL 15 + pg_cron, pg_net worker, Edge Functions, ERP simulators)…');
  await stack('up');
  const env = parseEnv(await stack('status', '--env'));
  const sql = postgres(env.DB_URL, { max: 3, onnotice: () => {} });
  try {
    // 2. demo companies (re-running the demo replaces them)
    const old = await sql`select id from public.companies where name like ${DEMO_TAG + '%'}`;
    await removeCompanies(sql, old.map((r) => r.id as string));
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0, latencyMs: 0 });
    const specs: Array<ConnectionSpec & { label: string; revoke?: boolean }> = [
      { label: 'Bling', erp: 'bling', accountId: 'demo-bling', nfeCount: 20 },
      { label: 'Omie (instável)', erp: 'omie', accountId: 'demo-omie', nfeCount: 15 },
      { label: 'Tiny', erp: 'tiny', accountId: 'demo-tiny', nfeCount: 20 },
      { label: 'Conta Azul', erp: 'conta_azul', accountId: 'demo-conta-azul', nfeCount: 20 },
      { label: 'Conta Azul (revogada)', erp: 'conta_azul', accountId: 'demo-conta-azul-revoked', nfeCount: 5, revoke: true },
    ];
    const conns: Array<{ id: string; label: string; erp: ErpType }> = [];
    for (const s of specs) {
      const p = await provisionConnection(sql, env as never, {
        ...s,
        companyName: `${DEMO_TAG} ${s.label}`,
        memberIds: [DEMO_USER],
        productCount: 12,
        financialCount: 24,
      });
      if (s.revoke) await simAdmin(env as never, s.erp, 'revoke', { accountId: s.accountId });
      conns.push({ id: p.connectionId, label: s.label, erp: s.erp });
    }
    // The flaky one: Omie answers 30% of calls with its transient fault (the adapter retries with backoff).
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0.3 });
    say(`▶ ${conns.length} demo connections provisioned (demo user ${DEMO_USER})`);

    // 3. the real cron job, through pg_cron and pg_net
    const [job] = await sql`select jobid from cron.job where jobname = 'erp-auto-sync-daily'`;
    if (!job) throw new Error("the cron job 'erp-auto-sync-daily' does not exist (migrations not applied?)");
    const firedAfter = new Date();
    await sql`select cron.alter_job(${job.jobid}, schedule := '* * * * *', active := true)`;
    let fired;
    try {
      const secs = 60 - new Date().getUTCSeconds();
      say(`▶ pg_cron will fire 'erp-auto-sync-daily' at the next minute (in ~${secs} s)…`);
      fired = await waitFor('pg_cron to fire the job', async () => {
        const [r] = await sql`select status, return_message from cron.job_run_details
                              where jobid = ${job.jobid} and start_time > ${firedAfter} order by start_time limit 1`;
        return r && ['succeeded', 'failed'].includes(r.status) ? r : null;
      }, 90_000);
    } finally {
      await sql`select cron.alter_job(${job.jobid}, schedule := '0 0 * * *', active := true)`;
    }
    if (fired.status !== 'succeeded') throw new Error(`the cron job failed: ${fired.return_message}`);
    const resp = await waitFor('pg_net to deliver the call', async () => {
      const [r] = await sql`select status_code, content, error_msg from net._http_response
                            where created > ${firedAfter} order by id limit 1`;
      return r;
    }, 30_000);
    if (resp.status_code !== 202) {
      throw new Error(`erp-auto-sync answered ${resp.status_code ?? resp.error_msg}: ${String(resp.content).slice(0, 200)}`);
    }
    const runId = JSON.parse(resp.content).run_id as string;
    say(`▶ pg_net delivered the call; erp-auto-sync accepted run ${runId}. Syncing…`);

    // 4. wait for every demo connection to finish
    const ids = conns.map((c) => c.id);
    let lastShown = -1;
    await waitFor('the sync to finish', async () => {
      const [{ done }] = await sql`select count(distinct connection_id)::int as done from public.erp_sync_logs
                                   where connection_id = any(${ids}::uuid[]) and status <> 'running'`;
      if (done !== lastShown) {
        say(`  ${'█'.repeat(done)}${'░'.repeat(ids.length - done)} ${done}/${ids.length} connections`);
        lastShown = done;
      }
      return done === ids.length;
    }, 300_000);

    // summary
    const rows = await sql`
      select c.id, c.status as conn_status, c.status_message, c.next_sync_at, l.status, l.sync_type, l.records_synced,
             l.records_failed, l.duration_ms, l.details
      from public.erp_connections c
      join lateral (select * from public.erp_sync_logs where connection_id = c.id order by started_at desc limit 1) l on true
      where c.id = any(${ids}::uuid[])`;
    say('\nResult of the nightly run (sync_type auto):\n');
    const header = ['connection', 'status', 'NF-e', 'products', 'fin.', 'profile', 'failed', 'duration', 'next sync'];
    const table = [header];
    for (const c of conns) {
      const r = rows.find((x) => x.id === c.id)!;
      const e = (r.details?.entities ?? {}) as Record<string, { status: string; synced: number }>;
      const cell = (k: string) => (e[k]?.status === 'success' ? String(e[k].synced) : e[k]?.status ?? '—');
      table.push([
        `${ERP_NAMES[c.erp]}${c.label.includes('(') ? ' ' + c.label.slice(c.label.indexOf('(')) : ''}`,
        `${r.status}${r.conn_status === 'error' ? ' → conexão em erro' : ''}`,
        cell('nfe'),
        cell('products'),
        cell('financials'),
        cell('profile'),
        String(r.records_failed),
        `${((r.duration_ms ?? 0) / 1000).toFixed(1)} s`,
        brt(r.next_sync_at),
      ]);
    }
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const [i, row] of table.entries()) {
      say('  ' + row.map((v, j) => v.padEnd(widths[j])).join('  '));
      if (i === 0) say('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
    }
    for (const c of conns) {
      const r = rows.find((x) => x.id === c.id)!;
      if (r.status_message) say(`\n  ${ERP_NAMES[c.erp]} — ${r.status_message}`);
    }
    const runs = await sql`with recursive chain as (
        select id, processed, succeeded, failed from public.erp_sync_runs where id = ${runId}
        union all select r.id, r.processed, r.succeeded, r.failed from public.erp_sync_runs r join chain c on r.parent_run_id = c.id)
      select count(*)::int as invocations, sum(processed)::int as processed, sum(succeeded)::int as succeeded,
             sum(failed)::int as failed from chain`;
    const ok = rows.filter((r) => r.status === 'success').length;
    say(`\nRun ${runId} (${runs[0].invocations} invocation(s)): ${ok} of ${conns.length} demo connections synced successfully; the failures above are isolated and explained.`);
    say(`\nThe stack stays up:
  UI (ERPConnectionCard):   npm run ui
  database:                 psql ${env.DB_URL}
  run it yourself:          curl -X POST ${env.FUNCTIONS_URL}/erp-auto-sync -H "Authorization: Bearer $(npm run -s stack -- status --env | grep ERP_AUTO_SYNC_SECRET | cut -d= -f2)" -H 'Content-Type: application/json' -d '{"source":"ops","dry_run":true}'
  stop everything:          npm run stack -- down`);
    return 0;
  } finally {
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0 }).catch(() => {});
    await sql.end();
  }
}

try {
  Deno.exit(await main());
} catch (e) {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}

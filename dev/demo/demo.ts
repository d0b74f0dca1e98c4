/**
 * `npm run demo` — the main job on the local stack with simulated ERPs:
 *   1. brings up the dev stack (Postgres + pg_cron, pg_net worker, functions, ERP simulators);
 *   2. provisions demo companies: one per ERP (Tiny twice: its API v2 and its OAuth2 API v3), one whose grant
 *      was revoked, one on a flaky ERP;
 *   3. fires the real nightly job through pg_cron (its schedule is moved to the next minute, then restored)
 *      → pg_net → erp-auto-sync → simulators → database;
 *   4. waits for the run and prints a summary per connection; leaves the stack up for the UI;
 *   5. operations: a local chat-webhook receiver stands in for the team's channel (Vault secret
 *      erp_alert_webhook_url): the revoked Conta Azul connection opens an alert delivered to it exactly once, an
 *      overdue Bling connection opens one that the run resolves; then the night report is printed, as erp-ops
 *      returns it. The demo user is made an operator, so `npm run ui` also shows the Operação page.
 * Exits non-zero if the run could not happen or the alerts/report did not come out as described.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import postgres from 'postgres';
import type { ErpType } from '../../supabase/functions/_shared/adapters/contract.ts';
import { ERP_NAMES } from '../../supabase/functions/_shared/sync/messages.ts';
import type { NightReport } from '../../supabase/functions/_shared/ops/types.ts';
import { formatNightReport } from './night-report.ts';
import { type ConnectionSpec, provisionConnection, removeCompanies, simAdmin, simFor } from './provision.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

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

/** Lets the delivery job's function read pg_net's outcome until the alert is delivered. */
async function waitDelivered(sql: postgres.Sql, alertId: string): Promise<void> {
  await waitFor(`alert ${alertId} to be delivered`, async () => {
    await sql`select public.erp_deliver_alerts()`;
    const [a] = await sql`select delivery_status from public.erp_sync_alerts where id = ${alertId}`;
    return a?.delivery_status === 'delivered';
  }, 30_000);
}

const brt = (d: Date | null) => (d ? format(new TZDate(d, 'America/Sao_Paulo'), "dd/MM/yyyy HH:mm 'BRT'") : '—');

async function main(): Promise<number> {
  say('▶ starting the local stack (PostgreSQL 15 + pg_cron, pg_net worker, Edge Functions, ERP simulators)…');
  await stack('up');
  const env = parseEnv(await stack('status', '--env'));
  const sql = postgres(env.DB_URL, { max: 3, onnotice: () => {} });
  const hook = startWebhookReceiver();
  try {
    // 5 (set up first). The operations channel: a local receiver, its URL in Vault as the alert webhook.
    await sql`delete from vault.secrets where name = 'erp_alert_webhook_url'`;
    await sql`select vault.create_secret(${hook.url}, 'erp_alert_webhook_url')`;
    await sql`insert into public.erp_operators (user_id) values (${DEMO_USER}) on conflict do nothing`;
    // 2. demo companies (re-running the demo replaces them)
    const old = await sql`select id from public.companies where name like ${DEMO_TAG + '%'}`;
    await removeCompanies(sql, old.map((r) => r.id as string));
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0, latencyMs: 0 });
    const specs: Array<ConnectionSpec & { label: string; revoke?: boolean }> = [
      { label: 'Bling', erp: 'bling', accountId: 'demo-bling', nfeCount: 20 },
      { label: 'Omie (instável)', erp: 'omie', accountId: 'demo-omie', nfeCount: 15 },
      { label: 'Tiny (API v2)', erp: 'tiny', accountId: 'demo-tiny', nfeCount: 20 },
      // Small: the v3 adapter keeps to 21 calls a minute per account (one call per note XML, product, title).
      {
        label: 'Tiny (API v3)',
        erp: 'tiny',
        apiVersion: 'v3',
        accountId: 'demo-tiny-v3',
        nfeCount: 5,
        productCount: 4,
        financialCount: 4,
      },
      { label: 'Conta Azul', erp: 'conta_azul', accountId: 'demo-conta-azul', nfeCount: 20 },
      { label: 'Conta Azul (revogada)', erp: 'conta_azul', accountId: 'demo-conta-azul-revoked', nfeCount: 5, revoke: true },
      { label: 'Bling (atrasada)', erp: 'bling', accountId: 'demo-bling-overdue', nfeCount: 5 },
    ];
    const conns: Array<{ id: string; label: string; erp: ErpType }> = [];
    for (const s of specs) {
      const p = await provisionConnection(sql, env as never, {
        productCount: 12,
        financialCount: 24,
        ...s,
        companyName: `${DEMO_TAG} ${s.label}`,
        memberIds: [DEMO_USER],
      });
      if (s.revoke) await simAdmin(env as never, simFor(s), 'revoke', { accountId: s.accountId });
      conns.push({ id: p.connectionId, label: s.label, erp: s.erp });
    }
    // The flaky one: Omie answers 30% of calls with its transient fault (the adapter retries with backoff).
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0.3 });
    say(`▶ ${conns.length} demo connections provisioned (demo user ${DEMO_USER})`);

    // An overdue connection: auto-sync on, last synced four days ago, due for three nights. The scheduled check
    // (pg_cron 'erp-alerts-overdue') opens its alert; called here rather than waiting up to 10 minutes.
    const overdue = conns.find((c) => c.label === 'Bling (atrasada)')!;
    await sql`update public.erp_connections set last_sync_at = now() - interval '4 days',
              next_sync_at = now() - interval '3 days' where id = ${overdue.id}`;
    await sql`select public.erp_check_overdue_alerts()`;
    const [overdueAlert] = await sql`select id, message from public.erp_sync_alerts
                                     where connection_id = ${overdue.id} and resolved_at is null`;
    if (!overdueAlert) throw new Error('the overdue connection did not open an alert');
    await waitDelivered(sql, overdueAlert.id);
    say(`▶ alert opened and delivered to the webhook: Bling (atrasada) — ${overdueAlert.message}`);

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

    // 5. alerts: the revoked connection's alert, delivered exactly once; the overdue one resolved by the run
    const revoked = conns.find((c) => c.label === 'Conta Azul (revogada)')!;
    const [authAlert] = await sql`select id, kind, code, message, action from public.erp_sync_alerts
                                  where connection_id = ${revoked.id} and resolved_at is null`;
    if (!authAlert) throw new Error('the revoked Conta Azul connection did not open an alert');
    await waitDelivered(sql, authAlert.id);
    const [again] = await sql`select resolved_at from public.erp_sync_alerts where id = ${overdueAlert.id}`;
    if (!again.resolved_at) throw new Error('the overdue connection synced but its alert was not resolved');
    const toRevoked = hook.received.filter((h) => h.alertId === authAlert.id);
    if (toRevoked.length !== 1) throw new Error(`the revoked connection's alert reached the webhook ${toRevoked.length} times`);
    say(`\nAlerts (webhook ${hook.url}):`);
    say(`  OPEN      Conta Azul (revogada) [${authAlert.kind} · ${authAlert.code}] delivered once. The webhook received:`);
    say(`            "${toRevoked[0].body.text}"`);
    say(`  RESOLVED  Bling (atrasada) [sync_overdue]: the run synced it, so its alert closed by itself.`);

    // 5. the night report, written when the run's last invocation ended, read as operations do (erp-ops)
    const report = await waitFor('the night report', async () => {
      const [r] = await sql`
        select n.report from public.erp_night_reports n
         where n.night = (select public.erp_night_of(started_at) from public.erp_sync_runs where id = ${runId})
           and not exists (select 1 from public.erp_sync_runs r where r.status = 'running'
                           and r.started_at > now() - interval '15 minutes')
           and n.computed_at >= (select max(completed_at) from public.erp_sync_runs
                                 where started_at >= (select started_at from public.erp_sync_runs where id = ${runId}))`;
      if (!r) return null;
      const res = await fetch(`${env.FUNCTIONS_URL}/erp-ops?night=${r.report.night}`, {
        headers: { Authorization: `Bearer ${env.ERP_AUTO_SYNC_SECRET}` },
      });
      return res.ok ? ((await res.json()).report as NightReport) : null;
    }, 60_000);
    say(`\n${formatNightReport(report)}`);
    say(`\nThe stack stays up:
  UI (ERPConnectionCard):   npm run ui   (then /operacao for the Operação page; the demo user is an operator)
  night report (JSON):      curl -s ${env.FUNCTIONS_URL}/erp-ops -H "Authorization: Bearer $(npm run -s stack -- status --env | grep ERP_AUTO_SYNC_SECRET | cut -d= -f2)"
  database:                 psql ${env.DB_URL}
  run it yourself:          curl -X POST ${env.FUNCTIONS_URL}/erp-auto-sync -H "Authorization: Bearer $(npm run -s stack -- status --env | grep ERP_AUTO_SYNC_SECRET | cut -d= -f2)" -H 'Content-Type: application/json' -d '{"source":"ops","dry_run":true}'
  stop everything:          npm run stack -- down`);
    return 0;
  } finally {
    await simAdmin(env as never, 'omie', 'knobs', { failureRate: 0 }).catch(() => {});
    // The receiver stops with the demo: no webhook afterwards (alerts are still kept, and shown on the page).
    await sql`delete from vault.secrets where name = 'erp_alert_webhook_url'`.catch(() => {});
    await hook.close();
    await sql.end();
  }
}

try {
  Deno.exit(await main());
} catch (e) {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}

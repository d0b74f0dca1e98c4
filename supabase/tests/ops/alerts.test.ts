// Alerts: episodes open once and resolve on recovery (decided in the database from what the engine writes),
// delivery to the chat webhook through pg_net exactly once per episode, failed deliveries retried with backoff.
import assert from 'node:assert/strict';
import type postgres from 'postgres';
import { sqlFor, stackTest, type TestStackEnv, waitFor } from '../helpers.ts';
import { Fixture, simAdmin, uniq } from '../sync/fixtures.ts';
import { startWebhookReceiver } from '../../../dev/demo/webhook-receiver.ts';

const SECRET_NAME = 'erp_alert_webhook_url';

export async function setWebhookUrl(sql: postgres.Sql, url: string | null): Promise<void> {
  await sql`delete from vault.secrets where name = ${SECRET_NAME}`;
  if (url) await sql`select vault.create_secret(${url}, ${SECRET_NAME})`;
}

async function alertsOf(sql: postgres.Sql, connectionId: string) {
  return await sql`select * from public.erp_sync_alerts where connection_id = ${connectionId} order by opened_at, id`;
}

async function opsSync(f: Fixture, connectionId: string) {
  const r = await f.autoSync({ source: 'ops', connection_ids: [connectionId] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** Lets the delivery job's function read pg_net's outcome until the alert is delivered. */
async function waitDelivered(sql: postgres.Sql, alertId: string) {
  return await waitFor(async () => {
    await sql`select public.erp_deliver_alerts()`;
    const [a] = await sql`select * from public.erp_sync_alerts where id = ${alertId}`;
    return a.delivery_status === 'delivered' ? a : null;
  }, 20_000, 200);
}

stackTest('alerts: a revoked grant opens one alert at once, delivered once; reconnecting resolves it', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const hook = startWebhookReceiver();
  try {
    await setWebhookUrl(sql, hook.url);
    const p = await f.connection({ erp: 'conta_azul', nfeCount: 2, productCount: 2, financialCount: 2 });
    await simAdmin(env, 'conta_azul', 'revoke', { accountId: p.accountId });

    await opsSync(f, p.connectionId);
    let alerts = await alertsOf(sql, p.connectionId);
    assert.equal(alerts.length, 1, 'one alert after the first failed sync');
    const [alert] = alerts;
    assert.equal(alert.kind, 'auth_failure');
    assert.equal(alert.resolved_at, null);
    assert.match(alert.message, /Conta Azul/);
    assert.match(alert.action, /Reconecte/);
    assert.equal(alert.company_id, p.companyId);

    const delivered = await waitDelivered(sql, alert.id);
    assert.equal(delivered.delivery_attempts, 1);
    assert.equal(hook.received.length, 1, 'the webhook got it once');
    const [msg] = hook.received;
    assert.match(msg.body.text, /Conta Azul/);
    assert.match(msg.body.text, /O que fazer/);
    assert.equal(msg.body.alert.id, alert.id);
    assert.equal(msg.body.alert.kind, 'auth_failure');
    assert.equal(msg.alertId, alert.id);

    // Someone reactivates it without reconnecting: the next sync fails the same way — same episode, no new alert.
    await sql`update public.erp_connections set status = 'active', next_sync_at = null where id = ${p.connectionId}`;
    await opsSync(f, p.connectionId);
    assert.equal((await f.logs(p.connectionId)).length, 2, 'a second sync ran');
    await sql`select public.erp_check_overdue_alerts()`;
    await sql`select public.erp_deliver_alerts()`;
    alerts = await alertsOf(sql, p.connectionId);
    assert.equal(alerts.length, 1, 'still one alert: one per episode');
    assert.equal(alerts[0].resolved_at, null);
    assert.equal(hook.received.length, 1, 'and it was not sent again');

    // Reconnected (new grant on the ERP, new credentials in Vault): the next sync works and resolves the alert.
    const acc = await simAdmin(env, 'conta_azul', 'accounts', { accountId: uniq('t-ca-reconnected'), nfeCount: 1 });
    await sql`select vault.update_secret(credentials_secret_id, ${JSON.stringify(acc.credentials)})
              from public.erp_connections where id = ${p.connectionId}`;
    await sql`update public.erp_connections set status = 'active', next_sync_at = null,
              account_key = ${'conta_azul:' + acc.accountId} where id = ${p.connectionId}`;
    const res = await opsSync(f, p.connectionId);
    assert.equal(res.results[0].status, 'success', JSON.stringify(res.results));
    alerts = await alertsOf(sql, p.connectionId);
    assert.equal(alerts.length, 1);
    assert.ok(alerts[0].resolved_at, 'resolved on recovery');
    assert.equal(hook.received.length, 1);
  } finally {
    await setWebhookUrl(sql, null);
    await hook.close();
    await f.cleanup();
    await sql.end();
  }
});

/** What the engine writes after a sync (a log, then the connection's state), without running one. */
async function engineWrites(
  sql: postgres.Sql,
  p: { connectionId: string; companyId: string },
  log: { status: string; failed?: number; details?: unknown },
  conn: { consecutive_failures: number; status?: string },
) {
  await sql`insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, completed_at, records_failed, details)
            values (${p.connectionId}, ${p.companyId}, 'auto', ${log.status}, now(), ${log.failed ?? 0},
                    ${sql.json((log.details ?? {}) as never)})`;
  await sql`update public.erp_connections set last_sync_at = clock_timestamp(), next_sync_at = now() + interval '1 day',
            consecutive_failures = ${conn.consecutive_failures}, status = ${conn.status ?? 'active'}
            where id = ${p.connectionId}`;
}

stackTest('alerts: repeated failures, failing records and overdue syncs open once per episode and resolve', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    await setWebhookUrl(sql, null);
    const p = await f.connection({ erp: 'bling', syncConfig: { max_consecutive_failures: 2 } });
    const open = async (kind: string) =>
      (await alertsOf(sql, p.connectionId)).filter((a) => a.kind === kind && a.resolved_at === null);
    const all = async (kind: string) => (await alertsOf(sql, p.connectionId)).filter((a) => a.kind === kind);
    const transient = { entities: { nfe: { status: 'error', error: { kind: 'transient', code: 'HTTP_503', message: 'x' } } } };

    // repeated_failures: not at 1 of 2, at 2 of 2, not again at 3
    await engineWrites(sql, p, { status: 'error', details: transient }, { consecutive_failures: 1 });
    assert.equal((await all('repeated_failures')).length, 0, 'one failure is not an episode');
    await engineWrites(sql, p, { status: 'error', details: transient }, { consecutive_failures: 2, status: 'error' });
    assert.equal((await open('repeated_failures')).length, 1, 'opened at max_consecutive_failures');
    assert.equal((await open('repeated_failures'))[0].code, 'HTTP_503');
    assert.equal((await open('repeated_failures'))[0].delivery_status, 'not_configured', 'no webhook secret: kept, not sent');
    await engineWrites(sql, p, { status: 'error', details: transient }, { consecutive_failures: 3, status: 'error' });
    assert.equal((await all('repeated_failures')).length, 1, 'no duplicate on the next failure');
    await engineWrites(sql, p, { status: 'success' }, { consecutive_failures: 0 });
    assert.equal((await open('repeated_failures')).length, 0, 'resolved by a successful sync');
    assert.equal((await all('repeated_failures')).length, 1);

    // records_failing: the last 2 automatic syncs both with failed records
    const bad = { entities: { nfe: { status: 'success', failed: 2, errors: [{ code: 'NFE_INVALID_KEY', message: 'x' }] } } };
    await engineWrites(sql, p, { status: 'success', failed: 2, details: bad }, { consecutive_failures: 0 });
    assert.equal((await all('records_failing')).length, 0, 'one night is not night after night');
    await engineWrites(sql, p, { status: 'success', failed: 2, details: bad }, { consecutive_failures: 0 });
    assert.equal((await open('records_failing')).length, 1);
    assert.equal((await open('records_failing'))[0].code, 'NFE_INVALID_KEY');
    await engineWrites(sql, p, { status: 'success', failed: 1, details: bad }, { consecutive_failures: 0 });
    assert.equal((await all('records_failing')).length, 1, 'same episode');
    await engineWrites(sql, p, { status: 'success' }, { consecutive_failures: 0 });
    assert.equal((await open('records_failing')).length, 0, 'resolved when a sync has no failed record');

    // sync_overdue: due three days ago with auto-sync on → the scheduled check opens it once
    await sql`update public.erp_connections set last_sync_at = now() - interval '4 days',
              next_sync_at = now() - interval '3 days' where id = ${p.connectionId}`;
    await sql`select public.erp_check_overdue_alerts()`;
    await sql`select public.erp_check_overdue_alerts()`;
    assert.equal((await open('sync_overdue')).length, 1, 'opened once (trigger and scheduled check alike)');
    // due since yesterday only: not overdue (two slots have not passed)
    const [{ due_now: notYet }] = await sql`select now() >= public.erp_next_slot_after(public.erp_next_slot_after(
      public.erp_next_slot_after(now() - interval '1 day', '0 0 * * *'), '0 0 * * *'), '0 0 * * *') as due_now`;
    assert.equal(notYet, false);
    await engineWrites(sql, p, { status: 'success' }, { consecutive_failures: 0 });
    assert.equal((await open('sync_overdue')).length, 0, 'resolved by the next sync');

    // A new failure streak is a new episode.
    await engineWrites(sql, p, { status: 'error', details: transient }, { consecutive_failures: 2, status: 'error' });
    assert.equal((await all('repeated_failures')).length, 2);
    assert.equal((await open('repeated_failures')).length, 1);
    // Pausing the connection (inactive) closes what needs a person.
    await sql`update public.erp_connections set status = 'inactive' where id = ${p.connectionId}`;
    assert.equal((await alertsOf(sql, p.connectionId)).filter((a) => a.resolved_at === null).length, 0);
    const [{ n }] = await sql`select count(*)::int as n from net.http_request_queue q where q.url like '%/hook%'`;
    assert.equal(n, 0, 'nothing queued without a webhook');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

/** Opens an overdue alert on a fresh connection (the quickest episode to provoke). */
async function overdueAlert(sql: postgres.Sql, f: Fixture): Promise<string> {
  const p = await f.connection({ erp: 'tiny' });
  await sql`update public.erp_connections set next_sync_at = now() - interval '5 days' where id = ${p.connectionId}`;
  await sql`select public.erp_evaluate_alerts(${p.connectionId}::uuid)`;
  const [a] = await alertsOf(sql, p.connectionId);
  assert.ok(a, 'an overdue alert');
  return a.id as string;
}

async function waitForResponse(sql: postgres.Sql, alertId: string) {
  return await waitFor(async () => {
    const [r] = await sql`select r.status_code from public.erp_sync_alerts a
                          join net._http_response r on r.id = a.delivery_request_id where a.id = ${alertId}`;
    return r ?? null;
  }, 20_000, 100);
}

stackTest('alerts: a failed delivery is retried with backoff, then never sent again', async (env: TestStackEnv) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  const hook = startWebhookReceiver();
  try {
    await setWebhookUrl(sql, hook.url);
    hook.answerNext(503);
    const id = await overdueAlert(sql, f);
    assert.equal((await waitForResponse(sql, id)).status_code, 503);
    assert.equal(hook.received.length, 1);

    const deliver = async (offset: string) =>
      (await sql`select public.erp_deliver_alerts(now() + ${offset}::interval) as n`)[0].n as number;
    assert.equal(await deliver('10 seconds'), 0, 'not before the backoff (1 minute after the first failure)');
    let [a] = await sql`select * from public.erp_sync_alerts where id = ${id}`;
    assert.equal(a.delivery_status, 'pending');
    assert.equal(a.delivery_error, 'HTTP 503');
    assert.equal(await deliver('2 minutes'), 1, 're-sent once the backoff is over');
    a = await waitDelivered(sql, id);
    assert.equal(a.delivery_attempts, 2);
    assert.equal(hook.received.length, 2);
    assert.deepEqual(hook.received.map((r) => r.status), [503, 200]);
    assert.equal(await deliver('2 hours'), 0, 'delivered: never sent again');
    assert.equal(hook.received.length, 2);

    // A receiver that never recovers: 6 attempts in all, then 'failed'.
    hook.answerNext(500, 500, 500, 500, 500, 500, 500, 500);
    const id2 = await overdueAlert(sql, f);
    for (let attempt = 1; attempt <= 6; attempt++) {
      await waitForResponse(sql, id2);
      await waitFor(() => Promise.resolve(hook.received.filter((r) => r.alertId === id2).length === attempt));
      await sql`select public.erp_deliver_alerts(now() + make_interval(hours => ${attempt}))`;
      if (attempt < 6) {
        await waitFor(async () => {
          const [x] = await sql`select delivery_attempts from public.erp_sync_alerts where id = ${id2}`;
          return x.delivery_attempts === attempt + 1;
        });
      }
    }
    [a] = await sql`select * from public.erp_sync_alerts where id = ${id2}`;
    assert.equal(a.delivery_status, 'failed');
    assert.equal(a.delivery_attempts, 6);
    await sql`select public.erp_deliver_alerts(now() + interval '1 day')`;
    assert.equal(hook.received.filter((r) => r.alertId === id2).length, 6, 'no attempt after giving up');
  } finally {
    await setWebhookUrl(sql, null);
    await hook.close();
    await f.cleanup();
    await sql.end();
  }
});

stackTest('erp-alerts: members list and acknowledge their companies\' alerts; others get nothing', async (env) => {
  const sql = sqlFor(env);
  const f = new Fixture(sql, env);
  try {
    await setWebhookUrl(sql, null);
    const member = await f.user();
    const stranger = await f.user();
    const p = await f.connection({ erp: 'omie', memberIds: [member] });
    await f.connection({ erp: 'tiny', memberIds: [stranger] });
    await sql`update public.erp_connections set next_sync_at = now() - interval '5 days' where id = ${p.connectionId}`;
    const [alert] = await alertsOf(sql, p.connectionId);
    assert.ok(alert);
    const call = async (user: string | null, init: RequestInit = {}) => {
      const res = await fetch(`${env.FUNCTIONS_URL}/erp-alerts`, {
        ...init,
        headers: { 'Content-Type': 'application/json', ...(user ? { Authorization: `Bearer ${await f.userJwt(user)}` } : {}) },
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    };
    const listed = await call(member);
    assert.equal(listed.status, 200);
    const mine = listed.body.alerts.filter((a: { connection_id: string }) => a.connection_id === p.connectionId);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].kind, 'sync_overdue');
    assert.match(mine[0].action, /Sincronizar agora/);
    assert.equal(listed.body.is_operator, false);
    const other = await call(stranger);
    assert.equal(other.status, 200);
    assert.ok(!other.body.alerts.some((a: { id: string }) => a.id === alert.id), 'a stranger does not see it');
    assert.equal((await call(null)).status, 401);

    const denied = await call(stranger, { method: 'POST', body: JSON.stringify({ alert_id: alert.id }) });
    assert.equal(denied.status, 404);
    assert.equal((await call(member, { method: 'POST', body: JSON.stringify({ alert_id: 'x' }) })).status, 400);
    assert.equal((await call(member, { method: 'POST', body: JSON.stringify({ alert_id: alert.id, resolved: true }) })).status, 400);
    let [row] = await sql`select acknowledged_at from public.erp_sync_alerts where id = ${alert.id}`;
    assert.equal(row.acknowledged_at, null, 'nothing changed by the refused calls');
    const ack = await call(member, { method: 'POST', body: JSON.stringify({ alert_id: alert.id }) });
    assert.equal(ack.status, 200);
    assert.ok(ack.body.alert.acknowledged_at);
    [row] = await sql`select acknowledged_by, resolved_at from public.erp_sync_alerts where id = ${alert.id}`;
    assert.equal(row.acknowledged_by, member);
    assert.equal(row.resolved_at, null, 'acknowledged, still open');
  } finally {
    await f.cleanup();
    await sql.end();
  }
});

// Operations in a real browser (Debian's Chromium via playwright-core) against the TEST stack: the Operação page
// for an operator (numbers checked against the database), refused — page and data — to anyone else; the open
// alert at the top of the integrations page, acknowledged by a member; the card's per-entity last sync.
// Run: npm run test:browser (needs `npm run stack -- --profile test up`; skipped with a message otherwise).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { buildAndServe } from './support/app.mjs';
import { launchBrowser } from './support/browser.mjs';
import { userJwt } from './support/jwt.mjs';
import { PAGE_FUNCTIONS, readStackEnv, REPO_ROOT } from './support/stack.mjs';
import { suiteBlocker } from './support/suite.mjs';

const SCREENSHOTS = join(REPO_ROOT, 'screenshots');

const env = readStackEnv();
const skipReason = await suiteBlocker('operations in Chromium on the test stack', env, [...PAGE_FUNCTIONS, 'erp-alerts', 'erp-ops']);

describe('operations in Chromium on the test stack', { skip: skipReason ?? false }, () => {
  const ids = {
    operator: randomUUID(),
    member: randomUUID(),
    company: randomUUID(),
    broken: randomUUID(),
    healthy: randomUUID(),
    run: randomUUID(),
  };
  let night;
  let sql;
  let app;
  let browser;

  async function pageAs(userId) {
    const context = browser.context;
    const page = await context.newPage();
    await page.addInitScript((cfg) => {
      window.__APP_CONFIG__ = cfg;
    }, { supabaseUrl: env.API_URL, anonKey: env.ANON_KEY, accessToken: userJwt(env.JWT_SECRET, userId, `${userId}@test.local`) });
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
    return page;
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    sql = postgres(env.DB_URL, { max: 2, onnotice: () => {}, prepare: false });
    for (const id of [ids.operator, ids.member]) await sql`insert into auth.users (id, email) values (${id}, ${`${id}@test.local`})`;
    await sql`insert into public.erp_operators (user_id) values (${ids.operator})`;
    await sql`insert into public.companies (id, name) values (${ids.company}, 'Empresa Operação Ltda')`;
    await sql`insert into public.company_members (company_id, user_id, role) values (${ids.company}, ${ids.member}, 'owner')`;
    await sql`
      insert into public.erp_connections (id, company_id, erp_type, name, status, sync_config, api_base_url, account_key, next_sync_at)
      values (${ids.broken}, ${ids.company}, 'conta_azul', 'Loja Revogada', 'active', ${sql.json({ auto_sync: true })},
              'http://127.0.0.1:9', ${`browser-ops-${ids.broken}`}, now() + interval '1 day'),
             (${ids.healthy}, ${ids.company}, 'bling', 'Loja Boa', 'active', ${sql.json({ auto_sync: true })},
              'http://127.0.0.1:9', ${`browser-ops-${ids.healthy}`}, now() + interval '1 day')`;
    // A night of our own, two nights ago: one run, a successful Bling sync, a Conta Azul sync failing on its grant.
    [{ night }] = await sql`select public.erp_night_of(now()) - 2 as night`;
    const start = await sql`select public.erp_night_start(${night}::date) + interval '9 hours' as t`;
    const t0 = start[0].t;
    await sql`insert into public.erp_sync_runs (id, source, started_at) values (${ids.run}, 'cron', ${t0})`;
    await sql`
      insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, completed_at, duration_ms,
                                        records_synced, records_failed, details)
      values (${ids.healthy}, ${ids.company}, ${ids.run}, 'auto', 'success', ${t0}, ${new Date(t0.getTime() + 61_000)}, 61000, 32, 0,
              ${sql.json({ entities: {
                nfe: { status: 'success', synced: 20, failed: 0, window: { from: '2026-09-01', to: '2026-11-30', full: false } },
                products: { status: 'success', synced: 11, failed: 0 },
                financials: { status: 'error', synced: 0, failed: 0, error: { kind: 'transient', code: 'HTTP_503', message: 'x' } },
                profile: { status: 'success', synced: 1, failed: 0 },
              } })})`;
    // The broken connection's sync, as the engine writes it: the log, then the connection (→ the alert opens).
    await sql`
      insert into public.erp_sync_logs (connection_id, company_id, run_id, sync_type, status, started_at, completed_at, duration_ms, details)
      values (${ids.broken}, ${ids.company}, ${ids.run}, 'auto', 'error', ${t0}, ${new Date(t0.getTime() + 2_000)}, 2000,
              ${sql.json({ entities: { nfe: { status: 'error', synced: 0, failed: 0, error: { kind: 'auth', code: 'OAUTH_INVALID_GRANT', message: 'x' } } } })})`;
    await sql`update public.erp_connections set status = 'error', consecutive_failures = 1, last_sync_at = ${new Date(t0.getTime() + 2_000)},
              status_message = 'A autorização do Conta Azul foi revogada ou expirou.' where id = ${ids.broken}`;
    await sql`update public.erp_sync_runs set status = 'completed', completed_at = ${new Date(t0.getTime() + 62_000)} where id = ${ids.run}`;

    app = await buildAndServe();
    browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await app?.close().catch(() => {});
    if (sql) {
      await sql`delete from public.companies where id = ${ids.company}`.catch(() => {});
      await sql`delete from public.erp_sync_runs where id = ${ids.run}`.catch(() => {});
      // Our night's report, rewritten without our run (removed when nothing else ran that night).
      await sql`select public.erp_write_night_report(${night}::date)`.catch(() => {});
      await sql`delete from public.erp_night_reports where night = ${night} and (report ->> 'invocations')::int = 0`.catch(() => {});
      await sql`delete from auth.users where id in ${sql([ids.operator, ids.member])}`.catch(() => {});
      await sql.end({ timeout: 5 });
    }
  });

  test('the Operação page shows the nights, the connections in alert and the slowest syncs as in the database', { timeout: 120_000 }, async () => {
    const page = await pageAs(ids.operator);
    const overview = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-ops/overview'));
    await page.goto(new URL('operacao', app.url).toString());
    assert.equal((await overview).status(), 200);
    await page.getByRole('heading', { level: 1, name: 'Operação' }).waitFor();
    await page.getByTestId('ops-overview').waitFor({ timeout: 30_000 });

    // What the database says (read as the operator would, through RLS).
    const reports = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: ids.operator, role: 'authenticated' })}, true),
                      set_config('role', 'authenticated', true)`;
      return await tx`select night, window_seconds, due, synced, failed, report from public.erp_night_reports order by night desc limit 30`;
    });
    const last = reports[0];
    assert.ok(last, 'at least our night exists');
    const [, m, d] = last.report.night.split('-');
    assert.equal(await page.getByTestId('last-night').getAttribute('data-night'), last.report.night);
    assert.match(await page.getByTestId('last-night').innerText(), new RegExp(`Última noite \\(${d}/${m}\\)`));
    assert.equal(await page.getByTestId('stat-due').innerText(), String(last.due));
    assert.equal(await page.getByTestId('stat-synced').innerText(), String(last.synced));
    assert.equal(await page.getByTestId('stat-failed').innerText(), String(last.failed));
    const minutes = Math.round((Number(last.window_seconds) / 60) * 10) / 10;
    assert.equal(await page.getByTestId('stat-window').innerText(), `${minutes.toLocaleString('pt-BR')} min`);

    // One chart bar and one table row per night; our night's numbers in the table.
    assert.equal(await page.getByTestId('window-table').locator('tbody tr').count(), reports.length);
    const ours = reports.find((r) => r.report.night === night.toISOString().slice(0, 10));
    assert.ok(ours, 'our night is among the last 30');
    const row = page.getByTestId('window-table').locator(`tr[data-night="${ours.report.night}"]`);
    const cells = await row.locator('td').allTextContents(); // inside the closed <details>: text, not rendered
    assert.deepEqual(cells.slice(2), [String(ours.due), String(ours.failed)]);
    await page.getByTestId('window-chart').locator('.recharts-bar-rectangle').first().waitFor();
    assert.equal(await page.getByTestId('window-chart').locator('.recharts-bar-rectangle').count(),
      reports.filter((r) => r.window_seconds !== null && Number(r.window_seconds) > 0).length, 'one bar per night with a window');
    assert.ok(await page.getByTestId('failures-chart').locator('svg').count() >= 1, 'the failures chart is drawn');

    // The broken connection is listed with its alert; the healthy one is not.
    const item = page.locator(`[data-testid="attention-item"][data-connection-id="${ids.broken}"]`);
    await item.waitFor();
    assert.match(await item.innerText(), /Empresa Operação Ltda/);
    assert.match(await item.locator('[data-testid="attention-alert"]').innerText(), /Autorização revogada \(OAUTH_INVALID_GRANT/);
    assert.equal(await page.locator(`[data-testid="attention-item"][data-connection-id="${ids.healthy}"]`).count(), 0);
    const [{ n: inAttention }] = await sql`select count(*)::int as n from public.erp_connections c where c.status = 'error'
      or exists (select 1 from public.erp_sync_alerts a where a.connection_id = c.id and a.resolved_at is null)`;
    assert.equal(await page.getByTestId('attention-item').count(), Math.min(inAttention, 200));

    // The slowest syncs of the last night, in the report's order.
    const slowest = last.report.slowest;
    assert.equal(await page.getByTestId('slowest-row').count(), slowest.length);
    const firstRow = page.getByTestId('slowest-row').first();
    assert.equal(await firstRow.getAttribute('data-connection-id'), slowest[0].connection_id);
    await page.screenshot({ path: join(SCREENSHOTS, 'operations-desktop.png'), fullPage: true });
    await page.close();
  });

  test('a non-operator gets neither the page nor its data', { timeout: 90_000 }, async () => {
    const page = await pageAs(ids.member);
    const overview = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-ops/overview'));
    await page.goto(new URL('operacao', app.url).toString());
    const res = await overview;
    assert.equal(res.status(), 403);
    const body = await res.json();
    assert.equal(body.error.code, 'NOT_AN_OPERATOR');
    assert.equal(body.nights, undefined);
    await page.getByTestId('ops-forbidden').waitFor();
    assert.match(await page.getByTestId('ops-forbidden').innerText(), /Acesso restrito/);
    assert.equal(await page.getByTestId('ops-overview').count(), 0);
    assert.equal(await page.getByTestId('attention-item').count(), 0);
    assert.ok(!(await page.content()).includes('Empresa Operação Ltda'), 'no company data on the page');
    // The integrations page offers no Operação link to them (it does to an operator).
    await page.goto(app.url);
    await page.getByRole('heading', { level: 1, name: 'Integrações' }).waitFor();
    await page.getByTestId('alerts-panel').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Operação' }).count(), 0);
    await page.close();
    const op = await pageAs(ids.operator);
    await op.goto(app.url);
    await op.getByRole('link', { name: 'Operação' }).waitFor();
    await op.close();
  });

  test('the member sees the open alert at the top, acknowledges it, and the card shows the last sync per entity', { timeout: 90_000 }, async () => {
    const page = await pageAs(ids.member);
    await page.goto(app.url);
    const [alert] = await sql`select id, message, action from public.erp_sync_alerts where connection_id = ${ids.broken} and resolved_at is null`;
    assert.ok(alert, 'the alert exists in the database');
    const item = page.locator(`[data-testid="alert-item"][data-alert-id="${alert.id}"]`);
    await item.waitFor({ timeout: 30_000 });
    const text = await item.innerText();
    assert.match(text, /Autorização revogada — Conta Azul/);
    assert.ok(text.includes(alert.message));
    assert.ok(text.includes(alert.action));
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations-alert.png'), fullPage: true });

    const acked = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-alerts') && r.request().method() === 'POST');
    await item.getByRole('button', { name: 'Estou ciente' }).click();
    assert.equal((await acked).status(), 200);
    const [row] = await sql`select acknowledged_by, resolved_at from public.erp_sync_alerts where id = ${alert.id}`;
    assert.equal(row.acknowledged_by, ids.member);
    assert.equal(row.resolved_at, null);
    await page.reload();
    await item.getByTestId('alert-acknowledged').waitFor();

    // The healthy connection's card: per entity, what the last sync did (from erp_sync_logs.details).
    const card = page.locator(`[data-testid="erp-connection-card"][data-connection-id="${ids.healthy}"]`);
    const rows = card.getByTestId('entity-row');
    await rows.first().waitFor();
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => [e.dataset.entity, e.dataset.status])),
      [['nfe', 'success'], ['products', 'success'], ['financials', 'error'], ['profile', 'success']]);
    assert.match(await rows.nth(0).innerText(), /Notas fiscais[\s\S]*20 registros · atualizado até 30\/11\/2026/);
    assert.match(await rows.nth(2).innerText(), /Financeiro[\s\S]*Falhou[\s\S]*\(financeiro\)[\s\S]*\[HTTP_503\]/);
    await page.close();
  });
});

// The integrations page in a real browser (Debian's Chromium via playwright-core) against the TEST stack:
// the app is built with Vite and served by vite preview; supabase-js calls the stack's functions gateway as a
// fresh signed-in user whose rows are created here (fresh UUIDs) and deleted at the end.
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
import { readStackEnv, REPO_ROOT } from './support/stack.mjs';
import { suiteBlocker, waitFor } from './support/suite.mjs';

const SCREENSHOTS = join(REPO_ROOT, 'screenshots');
const BROWSER_TZ = 'Asia/Tokyo'; // the page must show Brasília time whatever the browser's zone is

const env = readStackEnv();
const skipReason = await suiteBlocker('integrations page in Chromium on the test stack', env);

/** Brasília wall-clock parts of an instant, computed independently of the app (Intl, not date-fns). */
function brasilia(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'America/Sao_Paulo',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return { day: Date.UTC(+parts.year, +parts.month - 1, +parts.day), time: `${parts.hour}:${parts.minute}` };
}

function expectedNextLabel(next, now = new Date()) {
  const n = brasilia(next);
  const days = Math.round((n.day - brasilia(now).day) / 86_400_000);
  const word = days === 0 ? 'hoje' : days === 1 ? 'amanhã' : null;
  assert.ok(word, 'the chosen next_sync_at is today or tomorrow in Brasília');
  return `Próxima: ${word} às ${n.time}`;
}


describe('integrations page in Chromium on the test stack', { skip: skipReason ?? false }, () => {
  const ids = {
    user: randomUUID(),
    company: randomUUID(),
    connection: randomUUID(),
  };
  // The product's nightly slot: the next 00:00 UTC, which is 21:00 in Brasília ("hoje" or "amanhã").
  const nextSyncAt = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000);
  let sql;
  let app;
  let browser;
  let page;

  const card = () => page.locator(`[data-testid="erp-connection-card"][data-connection-id="${ids.connection}"]`);

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    sql = postgres(env.DB_URL, { max: 2, onnotice: () => {}, prepare: false });
    const email = `browser-${ids.user}@test.local`;
    await sql`insert into auth.users (id, email) values (${ids.user}, ${email})`;
    await sql`insert into public.companies (id, name) values (${ids.company}, 'Empresa Navegador Ltda')`;
    await sql`insert into public.company_members (company_id, user_id, role) values (${ids.company}, ${ids.user}, 'owner')`;
    await sql`
      insert into public.erp_connections (id, company_id, erp_type, name, status, sync_config, api_base_url, account_key,
                                          last_sync_at, next_sync_at)
      values (${ids.connection}, ${ids.company}, 'bling', 'Loja Navegador', 'active', ${sql.json({ auto_sync: true })},
              ${env.BLING_URL ?? 'http://127.0.0.1:9'}, ${`browser-test-${ids.connection}`},
              now() - interval '2 hours', ${nextSyncAt})`;
    await sql`
      insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, completed_at,
                                        records_synced, records_failed, duration_ms)
      values (${ids.connection}, ${ids.company}, 'auto', 'success', now() - interval '2 hours 2 minutes',
              now() - interval '2 hours', 1234, 0, 125000)`;

    app = await buildAndServe();
    browser = await launchBrowser({ timezoneId: BROWSER_TZ, viewport: { width: 1280, height: 900 } });
    const config = { supabaseUrl: env.API_URL, anonKey: env.ANON_KEY, accessToken: userJwt(env.JWT_SECRET, ids.user, email) };
    await browser.context.addInitScript((cfg) => {
      window.__APP_CONFIG__ = cfg;
    }, config);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await app?.close().catch(() => {});
    if (sql) {
      await sql`delete from public.companies where id = ${ids.company}`.catch(() => {});
      await sql`delete from auth.users where id = ${ids.user}`.catch(() => {});
      await sql.end({ timeout: 5 });
    }
  });

  test('the page loads and lists the user\'s connection', { timeout: 120_000 }, async () => {
    await page.goto(app.url);
    await page.getByRole('heading', { level: 1, name: 'Integrações' }).waitFor();
    await card().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="erp-connection-card"]').count(), 1, 'only this user\'s connection');
    assert.equal(await card().getByTestId('connection-status').innerText(), 'Ativa');
    assert.match(await card().getByRole('heading', { name: 'Bling' }).innerText(), /Bling/);
    assert.match(await card().getByTestId('last-sync').innerText(), /^Última sincronização: há 2 horas · 1\.234 registros$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations-desktop.png'), fullPage: true });
  });

  test('the badge and "Próxima" show the Brasília time of next_sync_at', { timeout: 60_000 }, async () => {
    const badge = card().getByTestId('next-sync');
    const label = await badge.innerText();
    assert.equal(label, expectedNextLabel(nextSyncAt));
    assert.match(label, /^Próxima: (hoje|amanhã) às 21:00$/, '00:00 UTC is 21:00 in Brasília');
    assert.equal(await badge.locator('time').getAttribute('datetime'), nextSyncAt.toISOString());
    const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(browserZone, BROWSER_TZ, 'the browser runs in another zone than Brasília');
    await badge.hover();
    const tooltip = page.getByRole('tooltip');
    await tooltip.waitFor();
    const exact = await tooltip.innerText();
    assert.match(exact, new RegExp(`às ${brasilia(nextSyncAt).time} \\(horário de Brasília\\)`));
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations-next-sync-tooltip.png') });
    await page.mouse.move(0, 0);
  });

  test('the auto-sync checkbox persists (database) and survives a reload', { timeout: 90_000 }, async () => {
    const box = () => card().getByRole('checkbox', { name: 'Sincronização automática' });
    assert.equal(await box().getAttribute('aria-checked'), 'true');

    const patched = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-connections') && r.request().method() === 'PATCH');
    await box().click();
    assert.equal((await patched).status(), 200);
    const [off] = await sql`select sync_config, next_sync_at from public.erp_connections where id = ${ids.connection}`;
    assert.equal(off.sync_config.auto_sync, false, 'auto_sync=false stored');
    assert.equal(off.next_sync_at.toISOString(), nextSyncAt.toISOString(), 'next_sync_at untouched');

    await page.reload();
    await card().waitFor();
    assert.equal(await box().getAttribute('aria-checked'), 'false', 'unchecked after reload');
    assert.equal(await card().getByTestId('next-sync').count(), 0, 'no "Próxima" badge with auto-sync off');

    const patchedBack = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-connections') && r.request().method() === 'PATCH');
    await box().focus();
    await page.keyboard.press('Space');
    assert.equal((await patchedBack).status(), 200);
    const [on] = await sql`select sync_config from public.erp_connections where id = ${ids.connection}`;
    assert.equal(on.sync_config.auto_sync, true);
    await page.reload();
    await card().waitFor();
    assert.equal(await box().getAttribute('aria-checked'), 'true', 'checked after reload');
    assert.equal(await card().getByTestId('next-sync').innerText(), expectedNextLabel(nextSyncAt));
  });

  test('"Sincronizar agora" creates a manual log and the card updates', { timeout: 150_000 }, async () => {
    const before = await sql`select id from public.erp_sync_logs where connection_id = ${ids.connection}`;
    const button = card().getByTestId('sync-now');
    const started = page.waitForResponse((r) => r.url().includes('/functions/v1/erp-sync') && r.request().method() === 'POST');
    await button.click();
    const response = await started;
    assert.ok([202, 409].includes(response.status()), `erp-sync answered ${response.status()}`);

    const log = await waitFor(
      async () => {
        const rows = await sql`
          select id, status, sync_type from public.erp_sync_logs
          where connection_id = ${ids.connection} and sync_type = 'manual'
            and id not in ${sql(before.map((r) => r.id).concat([randomUUID()]))}`;
        return rows[0];
      },
      { what: 'a manual erp_sync_logs row' },
    );
    assert.equal(log.sync_type, 'manual');

    // The card follows it by polling and shows the closed log first in the history.
    const finished = await waitFor(
      async () => {
        const [row] = await sql`select status from public.erp_sync_logs where id = ${log.id}`;
        return row && row.status !== 'running' ? row : null;
      },
      { timeout: 120_000, what: 'the manual sync to finish' },
    );
    const item = card().locator(`[data-testid="sync-history-item"][data-log-id="${log.id}"]`);
    await waitFor(async () => (await item.getAttribute('data-status')) === finished.status, {
      timeout: 30_000,
      what: 'the card to show the finished log',
    });
    assert.match(await item.innerText(), /Manual/);
    await waitFor(async () => await button.isEnabled(), { what: 'the button to be enabled again' });
    assert.equal(await button.innerText(), 'Sincronizar agora');
    const live = await card().getByTestId('sync-live').innerText();
    assert.ok(live.length > 0, 'the live region tells the result');
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations-after-sync.png'), fullPage: true });
  });

  test('works on a phone width without horizontal scrolling', { timeout: 60_000 }, async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await card().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    const box = await card().getByTestId('sync-now').boundingBox();
    assert.ok(box && box.width > 300, 'the button spans the card on a phone');
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations-phone.png'), fullPage: true });
  });
});

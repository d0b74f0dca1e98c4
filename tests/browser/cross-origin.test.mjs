// The page and the functions on different origins, as in production (the app's host vs <ref>.supabase.co):
// Chromium enforces real CORS, so every call the page makes goes through a preflight that the FUNCTION must
// answer — the stack's gateway, like Supabase's, answers none itself (docs/local-vs-hosted.md). The page is
// served by vite preview on one origin; supabase-js talks to the gateway through a transparent recorder on
// another origin, which lets the test see the preflights (playwright does not report them).
// Run: npm run test:browser (needs `npm run stack -- --profile test up`; skipped with a message otherwise).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { buildAndServe } from './support/app.mjs';
import { launchBrowser } from './support/browser.mjs';
import { userJwt } from './support/jwt.mjs';
import { startRecorder } from './support/recorder.mjs';
import { readStackEnv } from './support/stack.mjs';
import { suiteBlocker, waitFor } from './support/suite.mjs';

const env = readStackEnv();
const skipReason = await suiteBlocker('integrations page on another origin than the functions (real CORS in Chromium)', env);


describe('integrations page on another origin than the functions (real CORS in Chromium)', { skip: skipReason ?? false }, () => {
  const ids = { user: randomUUID(), company: randomUUID(), connection: randomUUID() };
  let sql;
  let app;
  let api;
  let browser;
  let page;
  const card = () => page.locator(`[data-testid="erp-connection-card"][data-connection-id="${ids.connection}"]`);

  /**
   * The real `method` request the page sent to `fn`, after checking the preflight that let it through: sent by
   * the browser without credentials, answered 2xx by the function with the origin and the method allowed.
   * (Chromium caches a preflight answer for a few seconds per URL, so the one that let a request through may
   * have been sent for an earlier request to the same function.)
   */
  async function throughPreflight(fn, method) {
    const path = `/functions/v1/${fn}`;
    const { real, refused } = await waitFor(() => {
      const sent = api.calls(path, method).filter((e) => e.status !== null).at(-1);
      if (sent) return { real: sent };
      const bad = api.calls(path, 'OPTIONS').find((e) => e.status !== null && (e.status >= 300 || !e.allowOrigin));
      return bad ? { refused: bad } : null;
    }, { what: `${method} ${fn} to be sent` });
    if (refused) {
      assert.fail(`the preflight for ${fn} answered ${refused.status} (Access-Control-Allow-Origin: ${refused.allowOrigin}), so the browser never sent the ${method}`);
    }
    const pre = api.seen.slice(0, api.seen.indexOf(real)).filter((e) => e.path.split('?')[0] === path && e.method === 'OPTIONS').at(-1);
    assert.ok(pre, `the browser sent a preflight before ${method} ${fn} (the page is cross-origin)`);
    assert.equal(pre.authorization, false, 'a preflight carries no Authorization header');
    assert.equal(pre.origin, new URL(app.url).origin, 'the preflight names the page\'s origin');
    assert.ok(pre.status >= 200 && pre.status < 300, `the preflight for ${fn} answered ${pre.status}`);
    assert.equal(pre.allowOrigin, '*', 'the function allowed the origin');
    assert.ok(pre.allowMethods?.split(',').map((m) => m.trim()).includes(method), `the function allowed ${method}`);
    return real;
  }

  before(async () => {
    sql = postgres(env.DB_URL, { max: 2, onnotice: () => {}, prepare: false });
    const email = `cors-${ids.user}@test.local`;
    await sql`insert into auth.users (id, email) values (${ids.user}, ${email})`;
    await sql`insert into public.companies (id, name) values (${ids.company}, 'Empresa Outra Origem Ltda')`;
    await sql`insert into public.company_members (company_id, user_id, role) values (${ids.company}, ${ids.user}, 'owner')`;
    await sql`
      insert into public.erp_connections (id, company_id, erp_type, name, status, sync_config, api_base_url, account_key,
                                          next_sync_at)
      values (${ids.connection}, ${ids.company}, 'bling', 'Loja Outra Origem', 'active', ${sql.json({ auto_sync: true })},
              ${env.BLING_URL ?? 'http://127.0.0.1:9'}, ${`cors-test-${ids.connection}`},
              ${new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000)})`;

    app = await buildAndServe();
    api = await startRecorder(env.API_URL);
    assert.notEqual(new URL(app.url).origin, new URL(api.url).origin);
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    const config = { supabaseUrl: api.url, anonKey: env.ANON_KEY, accessToken: userJwt(env.JWT_SECRET, ids.user, email) };
    await browser.context.addInitScript((cfg) => {
      window.__APP_CONFIG__ = cfg;
    }, config);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
    await page.goto(app.url);
    await card().waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await api?.close().catch(() => {});
    await app?.close().catch(() => {});
    if (sql) {
      await sql`delete from public.companies where id = ${ids.company}`.catch(() => {});
      await sql`delete from auth.users where id = ${ids.user}`.catch(() => {});
      await sql.end({ timeout: 5 });
    }
  });

  test('the list is read through a preflight answered by erp-connections', { timeout: 60_000 }, async () => {
    const get = await throughPreflight('erp-connections', 'GET');
    assert.equal(get.status, 200);
    assert.equal(get.allowOrigin, '*');
    assert.equal(await card().getByTestId('connection-status').innerText(), 'Ativa');
  });

  test('the auto-sync checkbox goes through a PATCH preflight and persists', { timeout: 90_000 }, async () => {
    const box = card().getByRole('checkbox', { name: 'Sincronização automática' });
    assert.equal(await box.getAttribute('aria-checked'), 'true');
    await box.click();
    const patch = await throughPreflight('erp-connections', 'PATCH');
    assert.equal(patch.status, 200);
    const [row] = await sql`select sync_config from public.erp_connections where id = ${ids.connection}`;
    assert.equal(row.sync_config.auto_sync, false, 'auto_sync=false stored');
    await waitFor(async () => (await box.getAttribute('aria-checked')) === 'false', { what: 'the box to show unchecked' });
  });

  test('"Sincronizar agora" goes through a POST preflight and starts a manual sync', { timeout: 150_000 }, async () => {
    await card().getByTestId('sync-now').click();
    const post = await throughPreflight('erp-sync', 'POST');
    assert.equal(post.status, 202);
    assert.equal(post.authorization, true);
    const log = await waitFor(
      async () => (await sql`select id, status from public.erp_sync_logs where connection_id = ${ids.connection} and sync_type = 'manual'`)[0],
      { what: 'a manual erp_sync_logs row' },
    );
    const finished = await waitFor(
      async () => {
        const [row] = await sql`select status from public.erp_sync_logs where id = ${log.id}`;
        return row && row.status !== 'running' ? row : null;
      },
      { timeout: 120_000, what: 'the manual sync to finish' },
    );
    // The card learns the outcome by polling erp-connections, cross-origin too.
    const item = card().locator(`[data-testid="sync-history-item"][data-log-id="${log.id}"]`);
    await waitFor(async () => (await item.getAttribute('data-status')) === finished.status, {
      timeout: 30_000,
      what: 'the card to show the finished log',
    });
  });

  test('Chromium enforces CORS here: an answer without CORS headers is unreadable to the page', { timeout: 60_000 }, async () => {
    // The gateway's own 401 (no JWT on a verify_jwt function) carries no CORS headers, as on the platform:
    // the page sees a network error although the server answered.
    const outcome = await page.evaluate(async (url) => {
      try {
        const r = await fetch(`${url}/functions/v1/erp-sync`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ connection_id: '00000000-0000-4000-8000-000000000000' }),
        });
        return `read ${r.status}`;
      } catch {
        return 'blocked';
      }
    }, api.url);
    assert.equal(outcome, 'blocked');
    const answered = api.calls('/functions/v1/erp-sync', 'POST').find((e) => !e.authorization);
    assert.equal(answered?.status, 401, 'the server did answer (401), the browser withheld it');
  });
});

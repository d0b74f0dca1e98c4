/**
 * erp-connections against the TEST stack's database (npm run stack -- --profile test up); needs the stack
 * (tests/helpers.ts: fails under npm test / CI when it is down, ignored otherwise). The handler runs in-process (so these tests do not depend on when the
 * gateway was last restarted); one extra step goes through the gateway when it serves the function.
 * Every row is created with fresh UUIDs and deleted at the end.
 */
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { gatewayRefusal, STACK_IGNORED, sqlFor, requireStack } from '../../tests/helpers.ts';
import { closeDb } from '../_shared/db/client.ts';
import { SYNC_CONFIG_DEFAULTS } from '../_shared/sync/config.ts';
import type { ConnectionDto, ListConnectionsResponse } from '../_shared/connections/types.ts';
import { handler } from './index.ts';

const SECRET_KEYS = [
  'credentials_secret_id',
  'lease_owner',
  'lease_expires_at',
  'api_base_url',
  'account_key',
  'details',
];

async function userJwt(secret: string, sub: string, extra: Record<string, unknown> = {}): Promise<string> {
  return await new SignJWT({ sub, role: 'authenticated', aud: 'authenticated', ...extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}

function call(method: string, token: string | null, body?: unknown, raw?: string): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (token) headers.set('authorization', `Bearer ${token}`);
  return handler(
    new Request('http://local/functions/v1/erp-connections', {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    }),
  );
}

interface Fixture {
  userA: string;
  userB: string;
  companyA: string;
  companyB: string;
  connA1: string;
  connA2: string;
  connB: string;
  runningLog: string;
}

async function createFixture(sql: ReturnType<typeof sqlFor>): Promise<Fixture> {
  const f: Fixture = {
    userA: crypto.randomUUID(),
    userB: crypto.randomUUID(),
    companyA: crypto.randomUUID(),
    companyB: crypto.randomUUID(),
    connA1: crypto.randomUUID(),
    connA2: crypto.randomUUID(),
    connB: crypto.randomUUID(),
    runningLog: crypto.randomUUID(),
  };
  await sql`insert into auth.users (id, email) values
    (${f.userA}, ${`a-${f.userA}@test.local`}), (${f.userB}, ${`b-${f.userB}@test.local`})`;
  await sql`insert into public.companies (id, name) values (${f.companyA}, 'Empresa A (teste)'), (${f.companyB}, 'Empresa B (teste)')`;
  await sql`insert into public.company_members (company_id, user_id, role) values
    (${f.companyA}, ${f.userA}, 'owner'), (${f.companyB}, ${f.userB}, 'owner')`;
  await sql`insert into public.erp_connections
      (id, company_id, erp_type, name, status, status_message, sync_config, api_base_url, account_key,
       credentials_secret_id, next_sync_at, lease_owner, lease_expires_at, created_at)
    values
      (${f.connA1}, ${f.companyA}, 'bling', 'Loja A', 'active', null,
       ${sql.json({ auto_sync: true, entities: { nfe: true, products: false }, nfe_lookback_days: 30 })},
       'http://127.0.0.1:9/bling', 'acct-a1', ${crypto.randomUUID()}, null, 'worker-1', now() + interval '5 minutes',
       now() - interval '2 minutes'),
      (${f.connA2}, ${f.companyA}, 'omie', 'Filial A', 'error', 'Credenciais revogadas: reconecte o Omie.',
       ${sql.json({ auto_sync: false })}, 'http://127.0.0.1:9/omie', 'acct-a2', ${crypto.randomUUID()},
       '2030-01-02T00:00:00Z', null, null, now() - interval '1 minute'),
      (${f.connB}, ${f.companyB}, 'tiny', 'Loja B', 'active', null, ${sql.json({ auto_sync: true })},
       'http://127.0.0.1:9/tiny', 'acct-b', ${crypto.randomUUID()}, null, null, null, now())`;
  // Six finished logs for A1 (only five may come back) and one running.
  for (let i = 1; i <= 6; i++) {
    await sql`insert into public.erp_sync_logs
        (connection_id, company_id, sync_type, status, started_at, completed_at, records_synced, records_failed,
         duration_ms, details, error_message)
      values (${f.connA1}, ${f.companyA}, ${i % 2 ? 'auto' : 'manual'}, ${i === 2 ? 'error' : 'success'},
              now() - make_interval(days => ${i}), now() - make_interval(days => ${i}) + interval '90 seconds',
              ${i * 100}, ${i === 2 ? 3 : 0}, 90000, ${sql.json({ nfe: { errors: ['secret-ish detail'] } })},
              ${i === 2 ? 'Bling respondeu 503' : null})`;
  }
  await sql`insert into public.erp_sync_logs (id, connection_id, company_id, sync_type, status, started_at)
    values (${f.runningLog}, ${f.connA1}, ${f.companyA}, 'manual', 'running', now() - interval '10 seconds')`;
  await sql`insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, completed_at)
    values (${f.connB}, ${f.companyB}, 'auto', 'success', now() - interval '1 hour', now() - interval '59 minutes')`;
  return f;
}

async function dropFixture(sql: ReturnType<typeof sqlFor>, f: Fixture): Promise<void> {
  await sql`delete from public.companies where id in (${f.companyA}, ${f.companyB})`;
  await sql`delete from auth.users where id in (${f.userA}, ${f.userB})`;
}

function assertNoSecrets(value: unknown) {
  const text = JSON.stringify(value);
  for (const k of SECRET_KEYS) assert.ok(!text.includes(`"${k}"`), `response must not contain ${k}`);
}

Deno.test({
  name: 'erp-connections: GET/PATCH against the test stack',
  ignore: STACK_IGNORED,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const env = requireStack();
    Deno.env.set('SUPABASE_DB_URL', env.DB_URL);
    Deno.env.set('SUPABASE_JWT_SECRET', env.JWT_SECRET);
    const sql = sqlFor(env);
    const f = await createFixture(sql);
    const tokenA = await userJwt(env.JWT_SECRET, f.userA);
    const tokenB = await userJwt(env.JWT_SECRET, f.userB);
    try {
      await t.step('401 without a JWT, with a forged one, with a non-user one', async () => {
        for (const method of ['GET', 'PATCH']) {
          const body = method === 'GET' ? undefined : { connection_id: f.connA1, auto_sync: false };
          const none = await call(method, null, body);
          assert.equal(none.status, 401);
          assert.equal((await none.json()).error.code, 'MISSING_JWT');
          const forged = await call(
            method,
            await userJwt('not-the-secret-not-the-secret-123', f.userA),
            body,
          );
          assert.equal(forged.status, 401);
          assert.equal((await forged.json()).error.code, 'INVALID_JWT');
          const anon = await call(method, env.ANON_KEY, body);
          assert.equal(anon.status, 401);
          await anon.body?.cancel();
        }
        const [row] = await sql`select sync_config from public.erp_connections where id = ${f.connA1}`;
        assert.equal(row.sync_config.auto_sync, true, 'unauthenticated PATCH changed nothing');
      });

      await t.step(
        "GET lists only the caller's connections, last five logs, running log, no secrets",
        async () => {
          const res = await call('GET', tokenA);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('cache-control'), 'no-store');
          const body = (await res.json()) as ListConnectionsResponse;
          assertNoSecrets(body);
          const ids = body.connections.map((c) => c.id);
          assert.deepEqual(ids, [f.connA1, f.connA2], 'own connections only, oldest first');
          const a1 = body.connections[0];
          assert.equal(a1.company_name, 'Empresa A (teste)');
          assert.equal(a1.erp_type, 'bling');
          assert.equal(a1.auto_sync, true);
          assert.equal(a1.next_sync_at, null);
          // Stored normalised: the database fills in every default on write (issue #13 item 4).
          assert.deepEqual(a1.sync_config, {
            ...SYNC_CONFIG_DEFAULTS,
            auto_sync: true,
            entities: { ...SYNC_CONFIG_DEFAULTS.entities, nfe: true, products: false },
            nfe_lookback_days: 30,
          });
          assert.equal(a1.logs.length, 5);
          assert.equal(a1.logs[0].id, f.runningLog, 'newest first, running one included');
          const starts = a1.logs.map((l) => Date.parse(l.started_at));
          assert.deepEqual([...starts].sort((x, y) => y - x), starts);
          assert.equal(a1.running?.id, f.runningLog);
          assert.equal(a1.running?.status, 'running');
          assert.equal(a1.running?.completed_at, null);
          const failed = a1.logs.find((l) => l.status === 'error')!;
          assert.equal(failed.error_message, 'Bling respondeu 503');
          assert.equal(failed.records_failed, 3);
          assert.equal(failed.duration_ms, 90000);
          assert.match(failed.started_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          assert.deepEqual(Object.keys(failed).sort(), [
            'completed_at',
            'duration_ms',
            'error_message',
            'id',
            'records_failed',
            'records_synced',
            'started_at',
            'status',
            'sync_type',
          ]);
          const a2 = body.connections[1];
          assert.equal(a2.status, 'error');
          assert.equal(a2.status_message, 'Credenciais revogadas: reconecte o Omie.');
          assert.equal(a2.auto_sync, false);
          assert.equal(a2.next_sync_at, '2030-01-02T00:00:00.000Z');
          assert.deepEqual(a2.logs, []);
          assert.equal(a2.running, null);

          const resB = await call('GET', tokenB);
          const bodyB = (await resB.json()) as ListConnectionsResponse;
          assert.deepEqual(bodyB.connections.map((c) => c.id), [f.connB]);
          assertNoSecrets(bodyB);

          const stranger = await call('GET', await userJwt(env.JWT_SECRET, crypto.randomUUID()));
          assert.deepEqual(((await stranger.json()) as ListConnectionsResponse).connections, []);
        },
      );

      await t.step('400 on bad bodies, naming the field, changing nothing', async () => {
        const cases: Array<[string, unknown, string | undefined, string]> = [
          ['missing auto_sync', { connection_id: f.connA1 }, undefined, 'auto_sync'],
          ['auto_sync as a string', { connection_id: f.connA1, auto_sync: 'false' }, undefined, 'auto_sync'],
          ['bad connection_id', { connection_id: 'abc', auto_sync: false }, undefined, 'connection_id'],
          [
            'unknown key',
            { connection_id: f.connA1, auto_sync: false, next_sync_at: null },
            undefined,
            'next_sync_at',
          ],
          ['array body', [], undefined, '(body)'],
          ['not JSON', undefined, '{nope', 'JSON'],
          ['empty body', undefined, '', 'required'],
        ];
        for (const [label, body, raw, mention] of cases) {
          const res = await call('PATCH', tokenA, body, raw);
          assert.equal(res.status, 400, label);
          const err = (await res.json()).error;
          assert.ok(err.message.includes(mention), `${label}: "${err.message}" should mention ${mention}`);
        }
        const [row] = await sql`select sync_config from public.erp_connections where id = ${f.connA1}`;
        assert.equal(row.sync_config.auto_sync, true);
      });

      await t.step(
        '403 on a connection of another company, 404 on an unknown one, 405 on other methods',
        async () => {
          const res = await call('PATCH', tokenA, { connection_id: f.connB, auto_sync: false });
          assert.equal(res.status, 403);
          assert.equal((await res.json()).error.code, 'NOT_A_MEMBER');
          const [row] = await sql`select sync_config from public.erp_connections where id = ${f.connB}`;
          assert.equal(row.sync_config.auto_sync, true, 'foreign connection untouched');

          const missing = await call('PATCH', tokenA, {
            connection_id: crypto.randomUUID(),
            auto_sync: false,
          });
          assert.equal(missing.status, 404);
          assert.equal((await missing.json()).error.code, 'CONNECTION_NOT_FOUND');

          const post = await call('POST', tokenA, {});
          assert.equal(post.status, 405);
          await post.body?.cancel();
        },
      );

      await t.step('PATCH merges auto_sync into sync_config and leaves next_sync_at alone', async () => {
        const off = await call('PATCH', tokenA, { connection_id: f.connA1, auto_sync: false });
        assert.equal(off.status, 200);
        const offBody = (await off.json()) as { connection: ConnectionDto };
        assertNoSecrets(offBody);
        assert.equal(offBody.connection.id, f.connA1);
        assert.equal(offBody.connection.auto_sync, false);
        assert.equal(offBody.connection.logs.length, 5);
        let [row] =
          await sql`select sync_config, next_sync_at, lease_owner from public.erp_connections where id = ${f.connA1}`;
        assert.deepEqual(row.sync_config, {
          ...SYNC_CONFIG_DEFAULTS,
          auto_sync: false,
          entities: { ...SYNC_CONFIG_DEFAULTS.entities, nfe: true, products: false },
          nfe_lookback_days: 30,
        });
        assert.equal(row.lease_owner, 'worker-1', 'lease untouched');

        const on = await call('PATCH', tokenA, { connection_id: f.connA1, auto_sync: true });
        assert.equal(on.status, 200);
        assert.equal(((await on.json()) as { connection: ConnectionDto }).connection.auto_sync, true);
        [row] =
          await sql`select sync_config, next_sync_at from public.erp_connections where id = ${f.connA1}`;
        assert.equal(row.sync_config.auto_sync, true);
        assert.equal(row.next_sync_at, null, 'null next_sync_at stays null (due for the scheduler)');

        const a2On = await call('PATCH', tokenA, { connection_id: f.connA2, auto_sync: true });
        assert.equal(a2On.status, 200);
        await a2On.body?.cancel();
        [row] = await sql`select next_sync_at from public.erp_connections where id = ${f.connA2}`;
        assert.equal((row.next_sync_at as Date).toISOString(), '2030-01-02T00:00:00.000Z');
      });

      await t.step('through the gateway when it serves erp-connections', async () => {
        const refusal = await gatewayRefusal(env, ['erp-connections']);
        if (refusal) throw new Error(refusal);
        const res = await fetch(`${env.FUNCTIONS_URL}/erp-connections`, {
          headers: { authorization: `Bearer ${tokenA}` },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        const body = (await res.json()) as ListConnectionsResponse;
        assert.deepEqual(body.connections.map((c) => c.id), [f.connA1, f.connA2]);
        const forged = await fetch(`${env.FUNCTIONS_URL}/erp-connections`, {
          headers: { authorization: `Bearer ${await userJwt('forged-forged-forged-forged-123', f.userA)}` },
        });
        assert.equal(forged.status, 401);
        await forged.body?.cancel();
      });
    } finally {
      await dropFixture(sql, f);
      await sql.end();
      await closeDb();
    }
  },
});

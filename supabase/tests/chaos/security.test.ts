// Chaos · security: who may start the nightly run, who may sync or read a connection, what `authenticated`
// reaches in SQL, what bad bodies get, and where adapters may go. The secret scan runs in every scenario's
// invariants (invariants.ts: no-secret).
import { SignJWT } from 'jose';
import { SIM_API_PATHS, simOrigin } from '../../../dev/demo/provision.ts';
import { chaosScenario, type Ctx, pgNetAutoSync, pgNetResponse, settled } from './harness.ts';
import { companyTables, rlsVisibleElsewhere } from './invariants.ts';
import { foreignHost, httpProxy } from './faults.ts';

const SMALL = { nfeCount: 4, productCount: 3, financialCount: 3 };

function b64url(s: string): string {
  return btoa(s).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A chunked body (no Content-Length) of `bytes` bytes. */
function streamBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= bytes) return c.close();
      c.enqueue(chunk);
      sent += chunk.length;
    },
  });
}

async function status(ctx: Ctx, fn: string, init: RequestInit & { path?: string }) {
  return await ctx.f.call(fn, init);
}

chaosScenario('security', 'erp-auto-sync: only the current secret starts a run', async (ctx) => {
  const { f, env, sql } = ctx;
  const c = await f.connection({ erp: 'tiny', ...SMALL });
  const secret = env.ERP_AUTO_SYNC_SECRET;
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
  const user = await f.user();
  const body = JSON.stringify({ source: 'ops', connection_ids: [c.connectionId] });
  const attempts: Array<[string, Record<string, string>]> = [
    ['no key', {}],
    ['anon key (Bearer)', { Authorization: `Bearer ${env.ANON_KEY}` }],
    ['anon key (apikey)', { apikey: env.ANON_KEY }],
    ['service-role key', { Authorization: `Bearer ${env.SERVICE_ROLE_KEY}` }],
    ['a user JWT', { Authorization: `Bearer ${await f.userJwt(user)}` }],
    ['near miss (last char)', { Authorization: `Bearer ${flip(secret, secret.length - 1)}` }],
    ['near miss (first char after prefix)', { Authorization: `Bearer ${flip(secret, 10)}` }],
    ['secret with a prefix', { Authorization: `Bearer x${secret}` }],
    ['secret with a suffix', { Authorization: `Bearer ${secret}x` }],
    ['upper-cased secret', { Authorization: `Bearer ${secret.toUpperCase()}` }],
    ['truncated secret', { Authorization: `Bearer ${secret.slice(0, -4)}` }],
    ['secret as Basic', { Authorization: `Basic ${btoa(`${secret}:`)}` }],
    ['two tokens', { Authorization: `Bearer ${secret} ${secret}` }],
    ['wrong Bearer + wrong apikey', {
      Authorization: 'Bearer nope-nope-nope-nope',
      apikey: flip(secret, 12),
    }],
    ['100 KB header', { Authorization: `Bearer ${'a'.repeat(100_000)}` }],
  ];
  const failures: string[] = [];
  for (const [what, headers] of attempts) {
    const r = await status(ctx, 'erp-auto-sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
    const ok = r.status === 401 || (what === '100 KB header' && r.status >= 400 && r.status < 500);
    if (!ok) failures.push(`${what}: HTTP ${r.status}`);
  }
  ctx.check(
    'every wrong key → 401',
    failures.length === 0,
    failures.join(', ') || `${attempts.length} attempts refused`,
  );

  // A rotated-out secret: the function now runs with a new one; the old one must stop working at once.
  // (In-process: the same handler, with ERP_AUTO_SYNC_SECRET rotated in this process's environment.)
  const saved = { secret: Deno.env.get('ERP_AUTO_SYNC_SECRET'), db: Deno.env.get('SUPABASE_DB_URL') };
  const rotated = `sb_secret_${crypto.randomUUID().replace(/-/g, '')}`;
  ctx.scope.addSecret(rotated);
  const { default: autoSync } = await import('../../functions/erp-auto-sync/index.ts');
  const { closeDb } = await import('../../functions/_shared/db/client.ts');
  try {
    Deno.env.set('ERP_AUTO_SYNC_SECRET', rotated);
    Deno.env.set('SUPABASE_DB_URL', env.DB_URL);
    const call = (key: string) =>
      autoSync.fetch(
        new Request('http://local/erp-auto-sync', {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ source: 'ops', connection_ids: [c.connectionId], dry_run: true }),
        }),
      );
    const old = await call(secret);
    const fresh = await call(rotated);
    const oldBody = await old.text();
    ctx.scope.responses.push(oldBody, await fresh.text());
    ctx.check(
      'after rotation the old secret → 401, the new one works',
      old.status === 401 && fresh.status === 200,
      `old ${old.status}, new ${fresh.status}`,
    );
  } finally {
    if (saved.secret === undefined) Deno.env.delete('ERP_AUTO_SYNC_SECRET');
    else Deno.env.set('ERP_AUTO_SYNC_SECRET', saved.secret);
    if (saved.db === undefined) Deno.env.delete('SUPABASE_DB_URL');
    else Deno.env.set('SUPABASE_DB_URL', saved.db);
    await closeDb();
  }

  // A cron job still holding a stale secret (Vault not updated after a rotation): pg_net gets 401, nothing runs.
  const id = await pgNetAutoSync(sql, ctx.scope, { source: 'cron', connection_ids: [c.connectionId] }, {
    secret: rotated,
  });
  const resp = await pgNetResponse(sql, id);
  ctx.check(
    'a cron call with a stale secret → 401',
    resp.status_code === 401,
    `pg_net got ${resp.status_code}`,
  );

  // Bad bodies with the right key: 400 naming the problem, nothing run.
  const auth = { Authorization: `Bearer ${secret}` };
  const bad: Array<[string, BodyInit, Record<string, string>?]> = [
    ['not JSON', '{"source":'],
    ['empty', ''],
    ['array', '[1,2]'],
    ['unknown field', JSON.stringify({ source: 'ops', connection_ids: [c.connectionId], surprise: 1 })],
    [
      '1001 ids',
      JSON.stringify({
        source: 'ops',
        connection_ids: Array.from({ length: 1001 }, () => crypto.randomUUID()),
      }),
    ],
    ['concurrency 65', JSON.stringify({ source: 'ops', connection_ids: [c.connectionId], concurrency: 65 })],
    ['continuation_of not a uuid', JSON.stringify({ source: 'cron', continuation_of: 'x' })],
    ['70 KB (Content-Length)', JSON.stringify({ source: 'ops', pad: 'x'.repeat(70_000) })],
    ['2 MB chunked (no Content-Length)', streamBody(2_000_000)],
  ];
  const wrong: string[] = [];
  for (const [what, b] of bad) {
    const r = await status(ctx, 'erp-auto-sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: b,
    });
    if (r.status !== 400 || !r.body?.error?.message) wrong.push(`${what}: HTTP ${r.status}`);
  }
  ctx.check(
    'every bad body → 400 with a message',
    wrong.length === 0,
    wrong.join(', ') || `${bad.length} bodies refused`,
  );
  const get = await status(ctx, 'erp-auto-sync', { method: 'GET', headers: auth });
  ctx.check('GET → 405', get.status === 405, `HTTP ${get.status}`);

  const logs = await f.logs(c.connectionId);
  ctx.check('nothing ran for the connection', logs.length === 0, `${logs.length} logs`);
  // It is due and must sync in the end (the right key, the right body).
  await ctx.night([c.connectionId]);
  const r = await f.ops([c.connectionId]);
  ctx.check('the right key runs it', r.status === 200 && r.body?.processed === 1, `HTTP ${r.status}`);
});

chaosScenario(
  'security',
  'erp-sync and erp-connections: forged, expired, foreign and malformed requests',
  async (ctx) => {
    const { f, env, sql } = ctx;
    const alice = await f.user();
    const bob = await f.user();
    const a = await f.connection({ erp: 'tiny', ...SMALL, memberIds: [alice] });
    const b = await f.connection({ erp: 'omie', ...SMALL, memberIds: [bob] });
    const enc = new TextEncoder();
    const sign = async (
      claims: Record<string, unknown>,
      o: { secret?: string; alg?: string; exp?: string; nbf?: string } = {},
    ) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt()
        .setExpirationTime(o.exp ?? '1h');
      if (o.nbf) jwt.setNotBefore(o.nbf);
      const t = await jwt.sign(enc.encode(o.secret ?? env.JWT_SECRET));
      ctx.scope.addSecret(t);
      return t;
    };
    const user = (sub: string) => ({ sub, role: 'authenticated', aud: 'authenticated' });
    const badTokens: Array<[string, string | null]> = [
      ['no JWT', null],
      ['garbage', 'not.a.jwt'],
      ['forged (another secret)', await sign(user(alice), { secret: 'another-secret-another-secret-1234' })],
      ['expired', await sign(user(alice), { exp: '-2m' })],
      ['not yet valid', await sign(user(alice), { nbf: '+10m' })],
      ['wrong audience', await sign({ ...user(alice), aud: 'someone-else' })],
      [
        'unsigned (alg none)',
        `${b64url('{"alg":"none","typ":"JWT"}')}.${
          b64url(JSON.stringify({ ...user(alice), exp: 4102444800 }))
        }.`,
      ],
      ['HS512 with the right secret', await sign(user(alice), { alg: 'HS512' })],
      ['anon key', env.ANON_KEY],
      ['service-role key', env.SERVICE_ROLE_KEY],
      ['authenticated role, sub not a uuid', await sign({ ...user(alice), sub: 'alice' })],
      [
        'signature of another token',
        (await f.userJwt(alice)).split('.').slice(0, 2).join('.') + '.' +
        (await f.userJwt(bob)).split('.')[2],
      ],
    ];
    const notRefused: string[] = [];
    for (const [what, token] of badTokens) {
      const h: Record<string, string> = {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      };
      const s = await status(ctx, 'erp-sync', {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ connection_id: a.connectionId }),
      });
      const g = await status(ctx, 'erp-connections', { method: 'GET', headers: h });
      const p = await status(ctx, 'erp-connections', {
        method: 'PATCH',
        headers: h,
        body: JSON.stringify({ connection_id: a.connectionId, auto_sync: false }),
      });
      for (
        const [fn, r] of [['erp-sync', s], ['GET erp-connections', g], ['PATCH erp-connections', p]] as const
      ) {
        if (r.status !== 401) notRefused.push(`${fn} with ${what}: HTTP ${r.status}`);
      }
    }
    ctx.check(
      'every bad JWT → 401 on erp-sync and erp-connections (GET, PATCH)',
      notRefused.length === 0,
      notRefused.join('; ') || `${badTokens.length} tokens × 3 calls refused`,
    );

    // A valid user, but not theirs.
    const aliceJwt = await f.userJwt(alice);
    const h = { 'Content-Type': 'application/json', Authorization: `Bearer ${aliceJwt}` };
    const foreignSync = await status(ctx, 'erp-sync', {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ connection_id: b.connectionId }),
    });
    ctx.check(
      "another company's connection: erp-sync → 403",
      foreignSync.status === 403 && foreignSync.body?.error?.code === 'NOT_A_MEMBER',
      `HTTP ${foreignSync.status} ${foreignSync.body?.error?.code}`,
    );
    const before = await f.conn(b.connectionId);
    const foreignPatch = await status(ctx, 'erp-connections', {
      method: 'PATCH',
      headers: h,
      body: JSON.stringify({ connection_id: b.connectionId, auto_sync: false }),
    });
    const after = await f.conn(b.connectionId);
    ctx.check(
      "another company's connection: PATCH → 403, unchanged",
      foreignPatch.status === 403 &&
        JSON.stringify(before.sync_config) === JSON.stringify(after.sync_config),
      `HTTP ${foreignPatch.status}`,
    );
    const list = await status(ctx, 'erp-connections', { method: 'GET', headers: h });
    const seen: string[] = (list.body?.connections ?? []).map((c: { id: string }) => c.id);
    ctx.check(
      'GET lists only her own connections',
      list.status === 200 && seen.includes(a.connectionId) && !seen.includes(b.connectionId),
      `${seen.length} listed`,
    );
    const listText = JSON.stringify(list.body);
    ctx.check(
      'no credential reference or lease internals in the listing',
      !/credentials_secret_id|lease_owner|api_base_url|account_key/.test(listText),
      'fields checked',
    );
    const unknown = await status(ctx, 'erp-sync', {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ connection_id: crypto.randomUUID() }),
    });
    ctx.check('unknown connection → 404', unknown.status === 404, `HTTP ${unknown.status}`);

    // Bodies: 400 with the field, for erp-sync and PATCH erp-connections.
    const bad: Array<[string, string, BodyInit]> = [
      ['erp-sync', 'not JSON', '{'],
      ['erp-sync', 'not a uuid', JSON.stringify({ connection_id: 'nope' })],
      ['erp-sync', 'unknown field', JSON.stringify({ connection_id: a.connectionId, as_user: bob })],
      ['erp-sync', 'array', '[]'],
      ['erp-sync', '70 KB', JSON.stringify({ connection_id: a.connectionId, pad: 'x'.repeat(70_000) })],
      ['erp-sync', '2 MB chunked', streamBody(2_000_000)],
      ['erp-connections', 'not JSON', '{'],
      [
        'erp-connections',
        'auto_sync not boolean',
        JSON.stringify({ connection_id: a.connectionId, auto_sync: 'yes' }),
      ],
      [
        'erp-connections',
        'extra field',
        JSON.stringify({ connection_id: a.connectionId, auto_sync: true, company_id: b.companyId }),
      ],
      [
        'erp-connections',
        '70 KB',
        JSON.stringify({ connection_id: a.connectionId, auto_sync: true, pad: 'x'.repeat(70_000) }),
      ],
    ];
    const wrong: string[] = [];
    for (const [fn, what, body] of bad) {
      const r = await status(ctx, fn, { method: fn === 'erp-sync' ? 'POST' : 'PATCH', headers: h, body });
      if (r.status !== 400 || !r.body?.error?.message) wrong.push(`${fn} ${what}: HTTP ${r.status}`);
    }
    ctx.check(
      'every bad body → 400 with a message',
      wrong.length === 0,
      wrong.join('; ') || `${bad.length} bodies refused`,
    );
    ctx.check(
      'nothing ran for either connection',
      (await f.logs(a.connectionId)).length + (await f.logs(b.connectionId)).length === 0,
      'no logs',
    );

    // The analyses are service-only: a user JWT or the anon key never runs them.
    const analyses = [
      'analyze-credits',
      'analyze-ncm-from-xmls',
      'calculate-tax-score',
      'match-opportunities',
    ];
    const [{ runs: runsBefore }] =
      await sql`select count(*)::int as runs from public.company_analysis_runs where company_id = ${b.companyId}`;
    const let_in: string[] = [];
    for (const fn of analyses) {
      for (const [who, token] of [['user', aliceJwt], ['anon', env.ANON_KEY]] as const) {
        const r = await status(ctx, fn, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify({ company_id: b.companyId }),
        });
        if (r.status !== 401 && !(r.status === 503 && r.body?.code === 'BOOT_ERROR')) {
          let_in.push(
            `${fn} as ${who}: HTTP ${r.status}`,
          );
        }
      }
    }
    const [{ runs: runsAfter }] =
      await sql`select count(*)::int as runs from public.company_analysis_runs where company_id = ${b.companyId}`;
    ctx.check(
      'analyses refuse users and the anon key',
      let_in.length === 0 && runsAfter === runsBefore,
      let_in.join('; ') || 'all 401',
    );

    // Her own connection still works.
    const mine = await status(ctx, 'erp-sync', {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ connection_id: a.connectionId }),
    });
    ctx.check('her own sync → 202', mine.status === 202, `HTTP ${mine.status}`);
    ctx.expectSynced([a.connectionId]);
    await settled(sql, [a.connectionId]);
  },
);

chaosScenario('security', 'RLS: a member reaches nothing of another company in SQL', async (ctx) => {
  const { f, sql } = ctx;
  const alice = await f.user();
  const bob = await f.user();
  const a = await f.connection({ erp: 'tiny', ...SMALL, memberIds: [alice] });
  const b = await f.connection({ erp: 'bling', ...SMALL, memberIds: [bob] });
  await ctx.night([a.connectionId, b.connectionId]);
  const r = await f.ops([a.connectionId, b.connectionId], { concurrency: 2 });
  ctx.check(
    'both companies have synced data',
    r.body?.succeeded === 2,
    JSON.stringify(r.body?.results?.map((x: any) => x.status)),
  );

  const claims = JSON.stringify({ sub: alice, role: 'authenticated', aud: 'authenticated' });
  const asAlice = async <T>(
    q: (tx: any) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> => {
    try {
      const value = await sql.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${claims}, true)`;
        await tx.unsafe('set local role authenticated');
        return await q(tx);
      });
      return { ok: true, value: value as T };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code ?? '?', message: (e as Error).message };
    }
  };
  const problems: string[] = [];
  // Reads: nothing of B, in any company table.
  problems.push(...await rlsVisibleElsewhere(sql, alice));
  // Writes on B's rows (and even her own: sync data is written by the functions only).
  const tables = await companyTables(sql);
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of tables) {
      out[t] =
        (await sql.unsafe(`select count(*)::int as n from public.${t} where company_id = $1`, [b.companyId]))[
          0
        ].n;
    }
    return out;
  };
  const beforeCounts = await counts();
  for (const t of tables) {
    for (
      const stmt of [
        `update public.${t} set company_id = company_id where company_id = '${b.companyId}' returning 1`,
        `delete from public.${t} where company_id = '${b.companyId}' returning 1`,
        `insert into public.${t} (company_id) values ('${b.companyId}') returning 1`,
      ]
    ) {
      const res = await asAlice((tx) => tx.unsafe(stmt));
      if (res.ok && (res.value as unknown[]).length > 0) {
        problems.push(`${stmt.split(' ')[0]} on ${t} reached B's rows`);
      }
      if (
        !res.ok && res.code !== '42501' &&
        !(stmt.startsWith('insert') && /violates row-level security/.test(res.message))
      ) {
        problems.push(`${stmt.split(' ')[0]} on ${t}: unexpected ${res.code} ${res.message.slice(0, 60)}`);
      }
    }
  }
  const afterCounts = await counts();
  for (const t of tables) {
    if (beforeCounts[t] !== afterCounts[t]) {
      problems.push(`${t}: B's rows changed ${beforeCounts[t]}→${afterCounts[t]}`);
    }
  }
  const ownWrite = await asAlice((tx) =>
    tx`update public.erp_connections set status = 'inactive' where id = ${a.connectionId} returning 1`
  );
  if (ownWrite.ok && (ownWrite.value as unknown[]).length) {
    problems.push('she can write her own connection directly');
  }
  const joinB = await asAlice((tx) =>
    tx`insert into public.company_members (company_id, user_id) values (${b.companyId}, ${alice}) returning 1`
  );
  if (joinB.ok) problems.push('she joined company B');

  // What `authenticated` must never reach at all.
  const denied: Array<[string, string]> = [
    ['credentials reference', 'select credentials_secret_id from public.erp_connections'],
    ['lease internals', 'select lease_owner from public.erp_connections'],
    ['ERP base URL', 'select api_base_url from public.erp_connections'],
    ['operator runs', 'select * from public.erp_sync_runs'],
    ['Vault (decrypted)', 'select * from vault.decrypted_secrets'],
    ['Vault (table)', 'select * from vault.secrets'],
    ['pg_net (SSRF)', `select net.http_post('http://127.0.0.1:1/x', '{}'::jsonb)`],
    ['pg_net responses', 'select * from net._http_response'],
    ['nightly trigger', 'select public.invoke_erp_auto_sync()'],
    ['cron jobs', `select cron.schedule('x', '* * * * *', 'select 1')`],
    ['auth.users', 'select * from auth.users'],
    ['read server files', `select pg_read_file('/etc/hostname')`],
  ];
  for (const [what, q] of denied) {
    const res = await asAlice((tx) => tx.unsafe(q));
    if (res.ok) problems.push(`authenticated reached ${what}`);
    else if (!['42501', '3F000', '42883'].includes(res.code)) {
      problems.push(`${what}: unexpected ${res.code} ${res.message.slice(0, 60)}`);
    }
  }
  // SECURITY DEFINER functions callable by users: only the membership test.
  const definers = await sql`
    select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prosecdef
      and (has_function_privilege('authenticated', p.oid, 'EXECUTE') or has_function_privilege('anon', p.oid, 'EXECUTE'))`;
  const extra = definers.map((d) => d.proname as string).filter((n) => n !== 'is_company_member');
  if (extra.length) problems.push(`SECURITY DEFINER functions callable by users: ${extra.join(', ')}`);
  ctx.check(
    'reads, writes and privileged objects across companies are all refused',
    problems.length === 0,
    problems.slice(0, 6).join('; ') ||
      `${tables.length} tables × (read, update, delete, insert) + ${denied.length} privileged objects refused`,
  );
});

chaosScenario('security', 'adapters only call their configured base URL (links, redirects)', async (ctx) => {
  const { f, env } = ctx;
  const c = await f.connection({ erp: 'bling', nfeCount: 4, productCount: 3, financialCount: 3 });
  const foreign = foreignHost();
  ctx.onCleanup(() => foreign.close());
  let redirected = 0;
  let rewritten = 0;
  // Bling behind a proxy: the documento call is refused (so the adapter falls back to the note's `xml` link),
  // every link points at a foreign host, and the first products page redirects there.
  const proxy = httpProxy(simOrigin(env, 'bling'), async (_req, url, forward) => {
    if (/\/nfe\/documento\//.test(url.pathname)) {
      return Response.json({
        error: { type: 'RESOURCE_NOT_FOUND', message: 'Documento não encontrado', description: '' },
      }, { status: 404 });
    }
    if (/\/Api\/v3\/produtos$/.test(url.pathname) && redirected === 0) {
      redirected++;
      return new Response(null, {
        status: 302,
        headers: { location: `${foreign.origin}${url.pathname}${url.search}` },
      });
    }
    const res = await forward();
    if (/\/Api\/v3\/nfe\/\d+$/.test(url.pathname) && res.status === 200) {
      const body = await res.json();
      if (body?.data?.xml) {
        body.data.xml = `${foreign.origin}/relatorios/nfe.xml.php?chaveAcesso=${body.data.chaveAcesso ?? ''}`;
        rewritten++;
      }
      return Response.json(body);
    }
    return res;
  });
  ctx.onCleanup(() => proxy.close());
  await ctx.sql`update public.erp_connections set api_base_url = ${
    proxy.origin + SIM_API_PATHS.bling.api
  } where id = ${c.connectionId}`;
  await ctx.night([c.connectionId]);
  const r = await f.ops([c.connectionId]);
  const res = r.body?.results?.[0];
  const [log] = await f.logs(c.connectionId);
  const errors = Object.values(log?.details?.entities ?? {}).flatMap((
    e: any,
  ) => [...(e?.errors ?? []), ...(e?.error ? [e.error] : [])]);
  ctx.note(
    `${rewritten} XML links and ${redirected} redirect pointed at ${foreign.origin}; sync ${res?.status} (${res?.records_synced}/${res?.records_failed}); ` +
      `codes: ${[...new Set(errors.map((e: any) => e.code))].join(', ')}`,
  );
  ctx.check(
    'the foreign host was never called',
    foreign.hits.length === 0,
    foreign.hits.map((h) => `${h.method} ${h.path}`).slice(0, 3).join(', ') || '0 hits',
  );
  ctx.check(
    'the links really pointed away',
    rewritten > 0 && redirected > 0,
    `${rewritten} links, ${redirected} redirects`,
  );
  // Every call the adapter made went to the configured origin (the proxy), nothing else.
  ctx.check(
    'every ERP call went to the configured base URL',
    proxy.hits.every((h) => h.path.startsWith(SIM_API_PATHS.bling.api)),
    `${proxy.hits.length} calls via the configured origin`,
  );
  // Afterwards, the real link works again: the next night completes.
  await ctx.sql`update public.erp_connections set api_base_url = ${
    simOrigin(env, 'bling') + SIM_API_PATHS.bling.api
  } where id = ${c.connectionId}`;
  await ctx.night([c.connectionId]);
  const again = await f.ops([c.connectionId]);
  ctx.note(`direct night: ${again.body?.results?.[0]?.status}`);
});

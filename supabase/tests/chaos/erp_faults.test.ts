// Chaos · ERP faults: what the ERPs do on bad nights — 5xx bursts, slow pages, 429 storms with Retry-After,
// malformed JSON and XML, truncated pages, connection resets, a grant revoked mid-sync, token expiry under
// clock skew and two syncs racing on a rotating refresh token. Every scenario ends with the shared invariants
// (invariants.ts); CI-sized (a few connections, tiny latencies).
import { OAuthTokenManager } from '../../functions/_shared/adapters/oauth.ts';
import { HttpClient } from '../../functions/_shared/http/client.ts';
import { vaultCredentialStore } from '../../functions/_shared/db/credentials.ts';
import type { Sql } from '../../functions/_shared/db/client.ts';
import { SIM_API_PATHS, simOrigin } from '../../../dev/demo/provision.ts';
import { functionsEnv, type StackEnv } from '../../../dev/stack/config.ts';
import {
  chaosScenario,
  latestLogs,
  readCredentials,
  restartFunctions,
  settled,
  simAdmin,
  sweepAbandonedRuns,
  waitFor,
} from './harness.ts';
import { httpProxy, tcpResetProxy, truncated } from './faults.ts';

const SMALL = { nfeCount: 4, productCount: 3, financialCount: 3 };

chaosScenario('erp', '5xx bursts: every call fails, then a flaky night, then a clean one', async (ctx) => {
  const { f } = ctx;
  const conns = [
    await f.connection({ erp: 'tiny', ...SMALL }),
    await f.connection({ erp: 'conta_azul', ...SMALL }),
  ];
  const ids = conns.map((c) => c.connectionId);

  // Night 1: a burst — every API call answers the ERP's own 5xx (Tiny's 503 page, Conta Azul's 500 JSON).
  await ctx.knobs('tiny', { failureRate: 1 });
  await ctx.knobs('conta_azul', { failureRate: 1 });
  await ctx.night(ids);
  const n1 = await f.ops(ids, { concurrency: 2 });
  await ctx.resetKnobs();
  ctx.check('burst: the run answers', n1.status === 200, `HTTP ${n1.status}`);
  const logs1 = await latestLogs(ctx.sql, ids);
  for (const c of conns) {
    const log = logs1.get(c.connectionId);
    const conn = await f.conn(c.connectionId);
    ctx.check(
      `burst: ${c.erp} is an explained transient failure`,
      log?.status === 'error' && conn.status === 'active' &&
        conn.consecutive_failures === 1 && /Tentaremos novamente/.test(conn.status_message ?? ''),
      `${log?.status} · ${conn.status} · failures ${conn.consecutive_failures} · ${
        String(log?.error_message).slice(0, 60)
      }`,
    );
  }
  await ctx.invariants('after the burst', { oracle: false });

  // Night 2: flaky (30% of calls fail); retries with backoff absorb most of it.
  await ctx.knobs('tiny', { failureRate: 0.3 });
  await ctx.knobs('conta_azul', { failureRate: 0.3 });
  await ctx.night(ids);
  const n2 = await f.ops(ids, { concurrency: 2 });
  await ctx.resetKnobs();
  ctx.note(
    `flaky night: ${
      n2.body?.results?.map((r: any) => `${r.status}(${r.records_synced}/${r.records_failed})`).join(', ')
    }`,
  );
  await ctx.invariants('after the flaky night', { oracle: false });

  // Night 3: clean. Everything lands; failure counters reset.
  await ctx.night(ids);
  const n3 = await f.ops(ids, { concurrency: 2 });
  ctx.check(
    'clean night: both succeed',
    n3.body?.succeeded === 2,
    JSON.stringify(n3.body?.results?.map((r: any) => r.status)),
  );

  for (const c of conns) {
    const conn = await f.conn(c.connectionId);
    ctx.check(
      `clean night: ${c.erp} counters reset`,
      conn.consecutive_failures === 0 && conn.status_message === null,
      `failures ${conn.consecutive_failures}`,
    );
  }
});

chaosScenario('erp', 'slow pages: a sync longer than the lease keeps its lease and finishes', async (ctx) => {
  const { f } = ctx;
  // Conta Azul NF-e is listed in 15-day windows: 30 notes over 90 days = six NF-e pages, about ten list pages
  // in all; each is slowed so that the sync lasts ~1.5 leases (the heartbeat renews the lease every third).
  const leaseMs = Number(functionsEnv(ctx.env as unknown as StackEnv).ERP_SYNC_LEASE_SECONDS) * 1000;
  const c = await f.connection({ erp: 'conta_azul', nfeCount: 30, productCount: 6, financialCount: 6 });
  await ctx.knobs('conta_azul', { slowPageMs: Math.ceil((leaseMs * 1.5) / 10), latencyMs: 20 });
  await ctx.night([c.connectionId]);
  const r = await f.ops([c.connectionId]);
  await ctx.resetKnobs();
  const logs = await f.logs(c.connectionId);
  ctx.check(
    'one log, success',
    r.body?.results?.[0]?.status === 'success' && logs.length === 1,
    `${r.body?.results?.[0]?.status} in ${logs[0]?.duration_ms} ms`,
  );
  ctx.check(
    'the sync outlived the lease without losing it',
    (logs[0]?.duration_ms ?? 0) > leaseMs,
    `${logs[0]?.duration_ms} ms vs a ${leaseMs} ms lease`,
  );
});

chaosScenario('erp', '429 storms with Retry-After: waits as told, nothing lost', async (ctx) => {
  const { f, env } = ctx;
  const conns = [
    await f.connection({ erp: 'bling', ...SMALL }),
    await f.connection({ erp: 'conta_azul', ...SMALL }),
  ];
  const ids = conns.map((c) => c.connectionId);
  await ctx.knobs('bling', { rateLimitRate: 0.25, retryAfterSeconds: 1 });
  await ctx.knobs('conta_azul', { rateLimitRate: 0.25, retryAfterSeconds: 1 });
  const since = new Date().toISOString();
  await ctx.night(ids);
  const r = await f.ops(ids, { concurrency: 2 });
  await ctx.resetKnobs();
  ctx.note(
    `storm night: ${
      r.body?.results?.map((x: any) => `${x.status}(${x.records_synced}/${x.records_failed})`).join(', ')
    }`,
  );

  // Retry-After honoured: after each storm 429, the retry of that call (same account, same path) comes ≥ 1 s
  // later (a lower bound: never flaky on a slow machine).
  for (const c of conns) {
    const log = (await simAdmin(env, c.erp, 'log?limit=2000')) as Array<
      { at: string; path: string; status: number; accountId: string | null; injected?: string }
    >;
    const mine = log.filter((e) => e.accountId === c.accountId && e.at >= since);
    const storms = mine.filter((e) => e.injected === 'storm');
    const early: string[] = [];
    for (const s of storms) {
      const next = mine.find((e) => e.path === s.path && e.at > s.at);
      if (next && Date.parse(next.at) - Date.parse(s.at) < 950) {
        early.push(`${s.path} after ${Date.parse(next.at) - Date.parse(s.at)} ms`);
      }
    }
    ctx.check(
      `${c.erp}: every retry waited for Retry-After`,
      early.length === 0,
      early.length ? early.slice(0, 3).join(', ') : `${storms.length} storm 429s, all honoured`,
    );
  }
  // The headline: the storm happened, and the syncs still succeeded with nothing failed — so the final
  // no-lost-data invariant compares both exactly with the simulators' datasets (storms cost time, never data).
  const stormCount = (await Promise.all(conns.map((c) => simAdmin(env, c.erp, 'log?limit=2000'))))
    .flat().filter((e: any) => e.injected === 'storm' && e.at >= since).length;
  ctx.check('the storm happened', stormCount > 0, `${stormCount} storm 429s injected`);
  ctx.check(
    'every sync of the storm night succeeded with nothing failed',
    r.body?.results?.length === 2 &&
      r.body.results.every((x: any) => x.status === 'success' && (x.records_failed ?? 0) === 0),
    JSON.stringify(r.body?.results?.map((x: any) => `${x.status} ${x.records_synced}/${x.records_failed}`)),
  );
});

chaosScenario(
  'erp',
  'malformed JSON and XML: bad records are reported, and fetched again the next night',
  async (ctx) => {
    const { f } = ctx;
    const conns = [
      await f.connection({ erp: 'tiny', nfeCount: 10, productCount: 6, financialCount: 6 }),
      await f.connection({ erp: 'bling', nfeCount: 10, productCount: 6, financialCount: 6 }),
    ];
    const ids = conns.map((c) => c.connectionId);
    // Record-level responses (note XML, product/title details) come back corrupted 40% of the time.
    await ctx.knobs('tiny', { malformedRate: 0.4 });
    await ctx.knobs('bling', { malformedRate: 0.4 });
    await ctx.night(ids);
    const n1 = await f.ops(ids, { concurrency: 2 });
    await ctx.resetKnobs();
    const failed = n1.body?.results?.reduce((s: number, x: any) => s + (x.records_failed ?? 0), 0) ?? 0;
    ctx.note(
      `night 1: ${failed} records unreadable (${
        n1.body?.results?.map((x: any) => `${x.status} ${x.records_synced}/${x.records_failed}`).join(', ')
      })`,
    );
    const logs = await latestLogs(ctx.sql, ids);
    for (const [id, log] of logs) {
      const listed = Object.values(log.details?.entities ?? {}).flatMap((e: any) => e?.errors ?? []);
      ctx.check(
        `night 1: ${id.slice(0, 8)} lists each unreadable record with its id`,
        listed.length >= Math.min(log.records_failed, 20) && listed.every((e: any) => e.externalId && e.code),
        `${log.records_failed} failed, ${listed.length} listed (${
          [...new Set(listed.map((e: any) => e.code))].join(', ')
        })`,
      );
    }
    ctx.check('night 1 had unreadable records (the fault took effect)', failed > 0, `${failed} records failed`);
    await ctx.invariants('after the malformed night', { oracle: false });
    // Night 2, clean: the records that could not be read last night must land now (nothing lost): both syncs
    // succeed with nothing failed, so the no-lost-data invariant compares them exactly with the ERP's data.
    await ctx.night(ids);
    const n2 = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'night 2: both syncs succeed with nothing failed',
      n2.body?.results?.length === 2 &&
        n2.body.results.every((x: any) => x.status === 'success' && (x.records_failed ?? 0) === 0),
      JSON.stringify(n2.body?.results?.map((x: any) => `${x.status} ${x.records_synced}/${x.records_failed}`)),
    );
    const after = await ctx.invariants('after night 2');
    const lost = after.find((x) => x.invariant === 'no-lost-data');
    ctx.check(
      'night 2: what night 1 could not read is now stored (exact match with the ERP)',
      !!lost?.held && /tiny 1 \(1 exact/.test(lost.evidence) && /bling 1 \(1 exact/.test(lost.evidence),
      lost?.evidence ?? 'no oracle result',
    );
  },
);

chaosScenario(
  'erp',
  'truncated pages: a cut list page fails cleanly and the next night completes',
  async (ctx) => {
    const { f, env } = ctx;
    const c = await f.connection({ erp: 'conta_azul', nfeCount: 12, productCount: 6, financialCount: 6 });
    // Conta Azul behind a proxy that cuts the first answer of every list call (the JSON ends mid-way).
    const seen = new Set<string>();
    let cutting = true;
    const proxy = httpProxy(simOrigin(env, 'conta_azul'), async (req, url, forward) => {
      const res = await forward();
      const list = req.method === 'GET' &&
        /^\/v1\/(notas-fiscais|produtos|financeiro\/.+\/buscar)$/.test(url.pathname);
      const key = url.pathname + url.search;
      if (cutting && list && res.status === 200 && !seen.has(key)) {
        seen.add(key);
        return await truncated(res);
      }
      return res;
    });
    ctx.onCleanup(() => proxy.close());
    await ctx.sql`update public.erp_connections set api_base_url = ${
      proxy.origin + SIM_API_PATHS.conta_azul.api
    },
                auth_base_url = ${proxy.origin} where id = ${c.connectionId}`;
    await ctx.night([c.connectionId]);
    const n1 = await f.ops([c.connectionId]);
    ctx.note(
      `night 1 behind the truncating proxy: ${n1.body?.results?.[0]?.status} (${
        String(n1.body?.results?.[0]?.error ?? '').slice(0, 80)
      }); ${seen.size} pages cut`,
    );
    ctx.check('the proxy really cut pages', seen.size > 0, `${seen.size} cut`);
    await ctx.invariants('after the truncated night', { oracle: false });
    // Night 2: the link is clean again; everything must complete.
    cutting = false;
    await ctx.night([c.connectionId]);
    const n2 = await f.ops([c.connectionId]);
    ctx.check(
      'night 2 succeeds',
      n2.body?.results?.[0]?.status === 'success',
      `${n2.body?.results?.[0]?.status}`,
    );
  },
);

chaosScenario(
  'erp',
  'connection resets: dropped connections are retried, a dead host is an explained failure',
  async (ctx) => {
    const { f, env } = ctx;
    const c = await f.connection({ erp: 'tiny', ...SMALL });
    const dead = await f.connection({ erp: 'tiny', ...SMALL });
    const port = Number(new URL(simOrigin(env, 'tiny')).port);
    const flaky = tcpResetProxy(port, { resetRate: 0.3, seed: 7 });
    const gone = tcpResetProxy(port, { resetRate: 1, seed: 9 });
    ctx.onCleanup(() => flaky.close());
    ctx.onCleanup(() => gone.close());
    await ctx.sql`update public.erp_connections set api_base_url = ${
      flaky.origin + SIM_API_PATHS.tiny.api
    } where id = ${c.connectionId}`;
    await ctx.sql`update public.erp_connections set api_base_url = ${
      gone.origin + SIM_API_PATHS.tiny.api
    } where id = ${dead.connectionId}`;
    const ids = [c.connectionId, dead.connectionId];
    await ctx.night(ids);
    const n1 = await f.ops(ids, { concurrency: 2 });
    ctx.note(
      `resets: ${flaky.stats.resets} of ${
        flaky.stats.resets + flaky.stats.forwarded
      } requests dropped on the flaky link, ${gone.stats.resets} on the dead one`,
    );
    const byId = new Map(n1.body?.results?.map((r: any) => [r.connection_id, r]));
    const d = byId.get(dead.connectionId) as any;
    ctx.check(
      'dead link: explained transient failure (NETWORK)',
      d?.status === 'error' && /NETWORK/.test(d?.error ?? ''),
      `${d?.status}: ${String(d?.error).slice(0, 80)}`,
    );
    await ctx.invariants('after the resets', { oracle: false });
    // The links heal.
    flaky.setResetRate(0);
    gone.setResetRate(0);
    await ctx.night(ids);
    const n2 = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'healed: both succeed',
      n2.body?.succeeded === 2,
      JSON.stringify(n2.body?.results?.map((x: any) => x.status)),
    );
  },
);

chaosScenario(
  'erp',
  'an ERP that went away: nothing may claim to be synced from a dead host',
  async (ctx) => {
    const { f, sql } = ctx;
    const conns = [];
    for (const erp of ['bling', 'omie', 'tiny', 'conta_azul'] as const) {
      conns.push(
        await f.connection({ erp, ...SMALL }),
      );
    }
    const ids = conns.map((c) => c.connectionId);
    // Night 1: everything lands (checkpoints saved for every entity).
    await ctx.night(ids);
    const n1 = await f.ops(ids, { concurrency: 4 });
    ctx.check(
      'night 1: all four sync',
      n1.body?.succeeded === 4,
      JSON.stringify(n1.body?.results?.map((x: any) => x.status)),
    );
    // Night 2: every ERP host is gone (connection refused). Nothing can be read, so no entity may report success:
    // one that does never asked (its new or changed records would never arrive).
    await sql`update public.erp_connections set
              api_base_url = regexp_replace(api_base_url, '^http://127\.0\.0\.1:[0-9]+', 'http://127.0.0.1:9'),
              auth_base_url = case when auth_base_url is null then null else 'http://127.0.0.1:9' end
            where id = any(${ids}::uuid[])`;
    await ctx.night(ids);
    await f.ops(ids, { concurrency: 4 });
    const logs = await latestLogs(sql, ids);
    const claims: string[] = [];
    for (const c of conns) {
      const l = logs.get(c.connectionId);
      const ok = Object.entries(l?.details?.entities ?? {}).filter(([, e]: any) => e?.status === 'success')
        .map(([k]) => k);
      if (ok.length) claims.push(`${c.erp}: ${ok.join(', ')} "synced" (log ${l?.status})`);
    }
    ctx.check(
      'no entity "synced" from a dead host',
      claims.length === 0,
      claims.join('; ') || '4 connections: every entity failed (NETWORK)',
    );
  },
);

chaosScenario(
  'erp',
  'grant revoked mid-sync: the sync stops, the user is asked to reconnect, nothing doubled',
  async (ctx) => {
    const { f, env, sql } = ctx;
    const c = await f.connection({ erp: 'conta_azul', nfeCount: 30, productCount: 6, financialCount: 6 });
    await ctx.knobs('conta_azul', { slowPageMs: 300 });
    await ctx.night([c.connectionId]);
    const pending = f.ops([c.connectionId]);
    // Revoke as soon as the first page landed.
    await waitFor(
      async () =>
        (await sql`select 1 from public.erp_sync_checkpoints where connection_id = ${c.connectionId}`)
          .length > 0,
      60_000,
      50,
    );
    await simAdmin(env, 'conta_azul', 'revoke', { accountId: c.accountId });
    const r = await pending;
    await ctx.resetKnobs();
    const conn = await f.conn(c.connectionId);
    const [log] = await f.logs(c.connectionId);
    ctx.check(
      'the sync ends in error, the connection asks to reconnect',
      r.body?.results?.[0]?.status === 'error' && conn.status === 'error' &&
        /Reconecte/.test(conn.status_message ?? ''),
      `${r.body?.results?.[0]?.status} · ${conn.status} · ${String(log?.error_message).slice(0, 80)}`,
    );
    const [{ n }] =
      await sql`select count(*)::int as n from public.xml_imports where company_id = ${c.companyId}`;
    ctx.note(`${n} notes landed before the revocation and stay`);
    // Next night: an 'error' connection is not due; nothing runs until the user reconnects.
    await sql`update public.erp_connections set next_sync_at = now() - interval '1 minute' where id = ${c.connectionId}`;
    const again = await f.ops([c.connectionId]);
    ctx.check('not retried while revoked', again.body?.processed === 0, `processed ${again.body?.processed}`);
  },
);

chaosScenario(
  'erp',
  'token expiry under clock skew: expired early at the ERP, or late in our store',
  async (ctx) => {
    const { f, env, sql, scope } = ctx;
    // (a) The ERP's clock runs ahead: it already expired tokens we still think valid → 401 → one refresh → on.
    const ahead = await f.connection({ erp: 'conta_azul', ...SMALL });
    // (b) Our clock runs ahead: the stored expiry is in the past though the ERP would still accept the token →
    // refreshed before use.
    const behind = await f.connection({ erp: 'bling', ...SMALL });
    await simAdmin(env, 'conta_azul', 'expire', { accountId: ahead.accountId });
    const bSecret = scope.connections.get(behind.connectionId)!.secretId;
    const before = {
      ahead: await readCredentials(sql, scope.connections.get(ahead.connectionId)!.secretId),
      behind: await readCredentials(sql, bSecret),
    };
    await sql`select vault.update_secret(${bSecret}::uuid, ${
      JSON.stringify({ ...before.behind, expires_at: new Date(Date.now() - 3_600_000).toISOString() })
    })`;
    const ids = [ahead.connectionId, behind.connectionId];
    await ctx.night(ids);
    const r = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'both sync',
      r.body?.succeeded === 2,
      JSON.stringify(r.body?.results?.map((x: any) => `${x.status} ${x.error ?? ''}`)),
    );
    for (const [which, c] of [['ahead', ahead], ['behind', behind]] as const) {
      const now = await readCredentials(sql, scope.connections.get(c.connectionId)!.secretId);
      scope.addCredentials(now);
      ctx.check(
        `${which}: the rotated pair was persisted`,
        !!now && now.refresh_token !== before[which]?.refresh_token &&
          Date.parse(String(now.expires_at)) > Date.now(),
        `expires ${now?.expires_at}`,
      );
    }
    // And it keeps working the next night with the stored pair (nothing spent twice).
    await ctx.night(ids);
    const r2 = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'next night on the persisted pair',
      r2.body?.succeeded === 2,
      JSON.stringify(r2.body?.results?.map((x: any) => x.status)),
    );
  },
);

chaosScenario(
  'erp',
  'two syncs racing on a rotating refresh token: refreshed once, nobody locked out',
  async (ctx) => {
    const { f, env, sql, scope } = ctx;
    // Two connections on ONE Conta Azul grant (one Vault secret), different rate-limit identities so they run at
    // the same time, plus a third refresher in this process — all with an access token the ERP just expired.
    const a = await f.connection({ erp: 'conta_azul', ...SMALL });
    const b = await f.connection({ erp: 'conta_azul', ...SMALL });
    const secretId = scope.connections.get(a.connectionId)!.secretId!;
    await sql`update public.erp_connections set credentials_secret_id = ${secretId}, account_key = ${
      'conta_azul:race-' + b.accountId
    },
            api_base_url = (select api_base_url from public.erp_connections where id = ${a.connectionId})
            where id = ${b.connectionId}`;
    // Same account → same company CNPJ (the notes name it).
    await sql`update public.companies set cnpj = ${a.cnpj} where id = ${b.companyId}`;
    scope.connections.get(b.connectionId)!.secretId = secretId;
    scope.connections.get(b.connectionId)!.cnpj = a.cnpj;
    scope.connections.get(b.connectionId)!.accountId = a.accountId;
    const start = await readCredentials(sql, secretId);
    await simAdmin(env, 'conta_azul', 'expire', { accountId: a.accountId });

    const origin = simOrigin(env, 'conta_azul');
    // A barrier, not a delay: the first refresh to reach the token endpoint is held there — inside the refresh
    // lock — until another refresher is seen waiting for that lock in pg_locks; only then does it go on. So
    // both refreshers are provably inside the critical section at once.
    let firstArrived!: () => void;
    const arrived = new Promise<void>((r) => (firstArrived = r));
    let held = false;
    let waiterSeen = false;
    const barrier = httpProxy(origin, async (_req, url, forward) => {
      if (url.pathname === '/oauth2/token' && !held) {
        held = true;
        firstArrived();
        waiterSeen = await waitFor(async () => {
          const [{ n }] = await sql`select count(*)::int as n from pg_locks
                                    where locktype = 'advisory' and not granted`;
          return n > 0;
        }, 30_000, 20).catch(() => false);
      }
      return await forward();
    });
    ctx.onCleanup(() => barrier.close());
    await sql`update public.erp_connections set auth_base_url = ${barrier.origin}
              where id = any(${[a.connectionId, b.connectionId]}::uuid[])`;
    const store = vaultCredentialStore(sql as unknown as Sql, secretId);
    const http = new HttpClient({ provider: 'conta_azul', baseUrl: origin, authUrl: barrier.origin });
    const manager = new OAuthTokenManager({
      provider: 'conta_azul',
      connectionId: `race-${a.connectionId}`,
      http,
      tokenPath: '/oauth2/token',
      client: { clientId: 'conta_azul-client-id', clientSecret: 'conta_azul-client-secret' },
      store,
      inflight: new Map(),
    });
    const ids = [a.connectionId, b.connectionId];
    await ctx.night(ids);
    const [run, mine] = await Promise.all([
      f.ops(ids, { concurrency: 2 }),
      arrived.then(() =>
        manager.forceRefresh(String(start?.access_token)).then(() => 'ok', (e) => `failed: ${e.message}`)
      ),
    ]);
    ctx.check(
      'two refreshers were inside the refresh critical section at once',
      waiterSeen,
      waiterSeen ? 'one held at the token endpoint while another waited on the lock' : 'no waiter seen in 30 s',
    );
    const end = await readCredentials(sql, secretId);
    scope.addCredentials(end);
    ctx.check(
      'both racing syncs succeed',
      run.body?.succeeded === 2,
      JSON.stringify(run.body?.results?.map((x: any) => `${x.status} ${x.error ?? ''}`)),
    );
    ctx.check('the third refresher (another process) got a token too', mine === 'ok', String(mine));
    ctx.check(
      'the grant was rotated and persisted',
      end?.refresh_token !== start?.refresh_token,
      'refresh token changed',
    );
    // The persisted pair is the live one: a forced refresh with it works (a double-spent token would be dead).
    await simAdmin(env, 'conta_azul', 'expire', { accountId: a.accountId });
    await ctx.night(ids);
    const again = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'the stored refresh token still works afterwards',
      again.body?.succeeded === 2,
      JSON.stringify(again.body?.results?.map((x: any) => `${x.status} ${x.error ?? ''}`)),
    );
    await settled(sql, ids);
  },
);

chaosScenario(
  'erp',
  'refresh storm: many tokens expiring together behind a slow token endpoint',
  async (ctx) => {
    const { f, sql, scope, env } = ctx;
    // Twelve Conta Azul connections whose stored access tokens are all due for refresh (tokens issued together
    // expire together), synced by two overlapping invocations at the maximum concurrency (8 each), while the
    // ERP's token endpoint is slow (1.5 s): more refreshes in flight at once than the functions' DB pool has
    // connections (DB_POOL_MAX, 5).
    const slowAuth = httpProxy(simOrigin(env, 'conta_azul'), async (_req, url, forward) => {
      if (url.pathname === '/oauth2/token') await new Promise((r) => setTimeout(r, 1500));
      return await forward();
    });
    ctx.onCleanup(() => slowAuth.close());
    const conns = [];
    for (let i = 0; i < 12; i++) {
      conns.push(
        await f.connection({ erp: 'conta_azul', nfeCount: 2, productCount: 2, financialCount: 2 }),
      );
    }
    const ids = conns.map((c) => c.connectionId);
    await sql`update public.erp_connections set auth_base_url = ${slowAuth.origin} where id = any(${ids}::uuid[])`;
    for (const c of conns) {
      const secretId = scope.connections.get(c.connectionId)!.secretId;
      const creds = await readCredentials(sql, secretId);
      await sql`select vault.update_secret(${secretId}::uuid, ${
        JSON.stringify({ ...creds, expires_at: new Date(Date.now() - 60_000).toISOString() })
      })`;
    }
    await ctx.night(ids);
    const t0 = performance.now();
    const call = () =>
      fetch(`${env.FUNCTIONS_URL}/erp-auto-sync`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${env.ERP_AUTO_SYNC_SECRET}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ source: 'ops', connection_ids: ids, concurrency: 8 }),
        signal: AbortSignal.timeout(30_000),
      }).then(
        async (res) => ({ status: res.status, body: await res.json() }),
        (e) => ({ status: 0, body: String(e) as any }),
      );
    const [r, r2] = await Promise.all([call(), call()]);
    ctx.scope.responses.push(r2.body);
    if (r2.body?.run_id) ctx.scope.runIds.add(r2.body.run_id);
    ctx.scope.responses.push(r.body);
    if (r.body?.run_id) ctx.scope.runIds.add(r.body.run_id);
    const answered = r.status === 200 && r2.status === 200;
    ctx.check(
      'the run answers',
      answered,
      answered ? `${Math.round(performance.now() - t0)} ms` : `no answer within 30 s (${r.body})`,
    );
    if (!answered) {
      // Is the functions process still able to reach its database at all?
      const probe = await fetch(`${env.FUNCTIONS_URL}/erp-auto-sync`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${env.ERP_AUTO_SYNC_SECRET}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ source: 'ops', dry_run: true }),
        signal: AbortSignal.timeout(5_000),
      }).then((res) => res.status, () => 0);
      const held = await sql`select count(*)::int as n from pg_stat_activity
                           where application_name = 'erp-auto-sync' and query like 'select pg_advisory_lock%' and state = 'idle'`;
      ctx.check(
        'the functions process still reaches its database',
        probe === 200,
        `a dry run got ${probe || 'no answer'}; ${held[0].n} pool connections sit idle holding refresh locks`,
      );
      // Unwedge the shared stack: the stuck syncs die with the process, the next run recovers them.
      await restartFunctions();
      ctx.note('functions process restarted to unwedge the stack');
      await sql`update public.erp_connections set auth_base_url = ${
        simOrigin(env, 'conta_azul')
      } where id = any(${ids}::uuid[])`;
      await waitFor(
        async () => {
          const x = await f.ops(ids, { concurrency: 2 });
          const [{ n }] =
            await sql`select count(*)::int as n from public.erp_sync_logs where connection_id = any(${ids}::uuid[]) and status = 'running'`;
          return x.status === 200 && n === 0;
        },
        60_000,
        1000,
      );
      await sweepAbandonedRuns(ctx, ids);
    } else {
      const ok = (r.body?.succeeded ?? 0) + (r2.body?.succeeded ?? 0);
      ctx.check('all twelve refreshed and synced', ok === 12, `${ok} of 12`);
    }
    // Whatever happened, no grant may be lost: every connection still syncs on its stored tokens.
    const logs = await latestLogs(sql, ids);
    const lost = [...logs.values()].filter((l) => l.status !== 'success');
    ctx.check(
      'no grant lost (every connection ends synced)',
      lost.length === 0,
      lost.length
        ? `${lost.length} of 12 ended ${
          [...new Set(lost.map((l) => String(l.error_message).match(/\[([A-Z_]+)\]/)?.[1] ?? l.status))].join(
            ', ',
          )
        } — the rotated refresh token never reached Vault`
        : '12 of 12',
    );
  },
);

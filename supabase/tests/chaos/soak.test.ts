// Chaos · long runs (only with `npm run test:chaos -- --soak`, i.e. CHAOS_SOAK=1; skipped with a message
// otherwise):
//  - soak: 1,000 connections (CHAOS_SOAK_CONNECTIONS) over several nightly rounds (CHAOS_SOAK_NIGHTS, 3), each
//    night with 10% of the connections given a fault of their own (expired or revoked grants, an unreachable
//    ERP, broken stored credentials, a full re-sync) on top of low-rate random faults on every simulator
//    (5xx, 429 storms, malformed records). Connections are seeded in bulk SQL, nights are driven by two
//    concurrent `source: 'ops'` invocations at the maximum concurrency, and the invariants are checked after
//    every night (one report row per night).
//  - timeouts: an ERP endpoint that stops answering for longer than the adapters' 30 s timeout (not
//    configurable per connection, hence a long run).
import pLimit from 'p-limit';
import type { ErpType } from '../../functions/_shared/adapters/contract.ts';
import { SIM_API_PATHS, simOrigin } from '../../../dev/demo/provision.ts';
import {
  chaosScenario,
  type Ctx,
  latestLogs,
  restartFunctions,
  simAdmin,
  sweepAbandonedRuns,
  writeReport,
} from './harness.ts';
import { errorCode } from './invariants.ts';
import { httpProxy } from './faults.ts';

const N = Number(Deno.env.get('CHAOS_SOAK_CONNECTIONS') ?? 1000);
const NIGHTS = Number(Deno.env.get('CHAOS_SOAK_NIGHTS') ?? 3);
const ERPS: ErpType[] = ['bling', 'omie', 'tiny', 'conta_azul'];
type Fault = 'expire' | 'revoke' | 'unreachable' | 'bad-credentials' | 'full-resync' | 'stored-expiry-past';
const FAULTS: Fault[] = [
  'expire',
  'revoke',
  'unreachable',
  'bad-credentials',
  'full-resync',
  'stored-expiry-past',
];

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function seed(ctx: Ctx, n: number) {
  const { env, sql, scope, f } = ctx;
  const tag = crypto.randomUUID().slice(0, 6);
  const limit = pLimit(16);
  const rows = await Promise.all(Array.from({ length: n }, (_, i) =>
    limit(async () => {
      const erp = ERPS[i % ERPS.length];
      const accountId = `soak-${tag}-${i}`;
      const acc = await simAdmin(env, erp, 'accounts', {
        accountId,
        nfeCount: 3,
        productCount: 3,
        financialCount: 3,
        ...(erp === 'tiny' ? { planLimitPerMinute: 120 } : {}),
      });
      const origin = simOrigin(env, erp);
      const paths = SIM_API_PATHS[erp];
      scope.addCredentials(acc.credentials);
      return {
        connection_id: crypto.randomUUID(),
        company_id: crypto.randomUUID(),
        erp,
        account_id: accountId,
        name: `soak ${acc.company.tradeName}`.slice(0, 200),
        cnpj: acc.company.cnpj as string,
        api: origin + paths.api,
        auth: paths.auth !== undefined ? origin + paths.auth : null,
        creds: JSON.stringify(acc.credentials),
      };
    })));
  await sql.begin(async (tx) => {
    const data = tx.json(rows as never);
    await tx`insert into public.companies (id, name, cnpj)
             select company_id, name, cnpj from jsonb_to_recordset(${data}::jsonb) as x(company_id uuid, name text, cnpj text)`;
    await tx`insert into public.erp_connections (id, company_id, erp_type, name, status, sync_config, api_base_url,
               auth_base_url, account_key, credentials_secret_id)
             select x.connection_id, x.company_id, x.erp, x.name, 'active', '{"auto_sync": true}'::jsonb, x.api, x.auth,
                    x.erp || ':' || x.account_id,
                    vault.create_secret(x.creds, 'erp-credentials:' || x.erp || ':' || x.account_id || ':' || x.company_id)
             from jsonb_to_recordset(${data}::jsonb)
               as x(connection_id uuid, company_id uuid, erp text, name text, api text, auth text, account_id text, creds text)`;
  });
  const conns =
    await sql`select id, company_id, erp_type, credentials_secret_id, account_key from public.erp_connections
                          where id = any(${rows.map((r) => r.connection_id)}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.connection_id, r]));
  for (const c of conns) {
    f.companies.push(c.company_id);
    scope.connections.set(c.id, {
      connectionId: c.id,
      companyId: c.company_id,
      erp: c.erp_type,
      accountId: byId.get(c.id)!.account_id,
      secretId: c.credentials_secret_id,
      cnpj: byId.get(c.id)!.cnpj,
    });
  }
  return conns.map((c) => c.id as string);
}

async function applyFault(ctx: Ctx, id: string, fault: Fault): Promise<Fault | null> {
  const { sql, env, scope } = ctx;
  const c = scope.connections.get(id)!;
  const oauth = c.erp === 'bling' || c.erp === 'conta_azul';
  switch (fault) {
    case 'expire':
      if (!oauth) return null;
      await simAdmin(env, c.erp, 'expire', { accountId: c.accountId });
      return fault;
    case 'stored-expiry-past': {
      if (!oauth) return null;
      const [row] = await sql`select decrypted_secret from vault.decrypted_secrets where id = ${c.secretId}`;
      const creds = JSON.parse(row.decrypted_secret);
      await sql`select vault.update_secret(${c.secretId}::uuid, ${
        JSON.stringify({ ...creds, expires_at: new Date(Date.now() - 60_000).toISOString() })
      })`;
      return fault;
    }
    case 'revoke':
      await simAdmin(env, c.erp, 'revoke', { accountId: c.accountId });
      return fault;
    case 'unreachable':
      await sql`update public.erp_connections set api_base_url = ${
        'http://127.0.0.1:9' + SIM_API_PATHS[c.erp].api
      },
                auth_base_url = case when auth_base_url is null then null else 'http://127.0.0.1:9' end where id = ${id}`;
      return fault;
    case 'bad-credentials':
      await sql`select vault.update_secret(${c.secretId}::uuid, ${JSON.stringify({ nope: true })})`;
      return fault;
    case 'full-resync':
      await sql`update public.erp_connections set sync_config = sync_config || '{"full_resync": true}'::jsonb where id = ${id}`;
      return fault;
  }
}

chaosScenario(
  'soak',
  `${N.toLocaleString('en')} connections, 10% random faults, ${NIGHTS} nights`,
  async (ctx) => {
    const { sql, f } = ctx;
    const t0 = performance.now();
    const ids = await seed(ctx, N);
    ctx.note(`seeded ${ids.length} connections in ${Math.round((performance.now() - t0) / 1000)} s`);
    const faulted = new Map<string, Fault>(); // sticky faults (unreachable, revoked, bad credentials)

    for (let night = 1; night <= NIGHTS; night++) {
      const nightStart = performance.now();
      // 10% of the connections still active get a fault of their own tonight.
      const active =
        (await sql`select id from public.erp_connections where id = any(${ids}::uuid[]) and status = 'active'`)
          .map((r) => r.id as string).filter((id) => !faulted.has(id)); // one sticky fault per connection
      const tonight = new Map<string, Fault>();
      for (const id of shuffle(active).slice(0, Math.round(ids.length * 0.1))) {
        const fault = await applyFault(ctx, id, FAULTS[Math.floor(Math.random() * FAULTS.length)]);
        if (fault) {
          tonight.set(id, fault);
          if (fault === 'revoke' || fault === 'unreachable' || fault === 'bad-credentials') {
            faulted.set(
              id,
              fault,
            );
          }
        }
      }
      for (const erp of ERPS) {
        await ctx.knobs(erp, {
          failureRate: 0.03,
          rateLimitRate: 0.02,
          retryAfterSeconds: 1,
          malformedRate: 0.01,
          latencyMs: 5,
        });
      }
      const since = await ctx.night(ids);

      // Two invocations at the maximum concurrency until nothing is due; a watchdog restarts a wedged process.
      const deadline = Date.now() + 40 * 60_000;
      let restarts = 0;
      let invocations = 0;
      let restarting: Promise<void> | null = null;
      const wedges: string[] = [];
      // Wedged = syncs are running but none has renewed its heartbeat for 30 s (they beat every lease/3) and the
      // function cannot answer a dry run: the process is stuck, not merely slow.
      const wedged = async (): Promise<string | null> => {
        const [r] =
          await sql`select count(*)::int as n, coalesce(extract(epoch from now() - max(heartbeat_at)), 0)::int as silent
                              from public.erp_sync_logs where connection_id = any(${ids}::uuid[]) and status = 'running'`;
        if (r.n === 0 || r.silent < 30) return null;
        if (await f.functionsHealthy()) return null;
        const pool =
          await sql`select state, regexp_replace(left(query, 50), '\s+', ' ', 'g') as q, count(*)::int as n
                               from pg_stat_activity where application_name = 'erp-auto-sync' group by 1, 2`;
        return `${r.n} running syncs silent for ${r.silent} s, dry run unanswered; pool: ` +
          pool.map((p) => `${p.n}× ${p.state} "${p.q}"`).join(', ');
      };
      const driver = async () => {
        while (Date.now() < deadline) {
          invocations++;
          const r = await f.opsWithin(ids, { concurrency: 8 }, 300_000);
          if (r.status === 200 && r.body?.remaining === 0) return;
          if (r.status === 200 && r.body?.processed > 0) continue;
          const stuck = r.status === 200 ? null : await wedged();
          if (stuck) {
            restarting ??= (async () => {
              restarts++;
              wedges.push(stuck);
              await restartFunctions();
            })().finally(() => (restarting = null));
            await restarting;
            continue;
          }
          await new Promise((res) => setTimeout(res, 2000));
        }
      };
      await Promise.all([driver(), driver()]);
      await ctx.resetKnobs();
      // Runs of the invocations the restart killed are closed by the abandoned-run sweep (clock fast-forwarded).
      if (restarts) await sweepAbandonedRuns(ctx, ids);
      const driveSeconds = Math.round((performance.now() - nightStart) / 1000);

      const results = await ctx.invariants(`night ${night}`, {
        oracleSample: 30,
        deepScan: false,
        settleMs: 180_000,
      });

      // What each kind of fault must have led to.
      const logs = await latestLogs(sql, ids);
      const conns = new Map(
        (await sql`select id, erp_type as erp, status, status_message, consecutive_failures from public.erp_connections
                                     where id = any(${ids}::uuid[])`).map((c) => [c.id as string, c]),
      );
      const faultProblems: string[] = [];
      for (const [id, fault] of faulted) {
        const c = conns.get(id)!;
        const log = logs.get(id);
        if (
          (fault === 'revoke' || fault === 'bad-credentials') &&
          !(c.status === 'error' && /Reconecte/.test(c.status_message ?? ''))
        ) {
          faultProblems.push(
            `${fault} ${id.slice(0, 8)}: ${c.status} "${String(c.status_message).slice(0, 40)}"`,
          );
        }
        if (fault === 'unreachable' && !(log?.status === 'error' && c.status_message)) {
          const claimed = Object.entries(log?.details?.entities ?? {}).filter(([, e]: any) =>
            e?.status === 'success'
          )
            .map(([k]) => k);
          faultProblems.push(
            `unreachable ${c.erp} ${id.slice(0, 8)}: ${log?.status}${
              claimed.length ? ` (${claimed.join(', ')} "synced" from a dead host)` : ''
            }`,
          );
        }
      }
      const statuses = [...logs.values()].filter((l) => l.started_at >= since);
      const histogram = new Map<string, number>();
      for (const l of statuses) {
        const key = l.status === 'success' ? 'success' : `${l.status} ${errorCode(l.error_message)}`;
        histogram.set(key, (histogram.get(key) ?? 0) + 1);
      }
      const [{ paused }] =
        await sql`select count(*)::int as paused from public.erp_connections where id = any(${ids}::uuid[]) and status = 'error'`;
      ctx.check(
        `night ${night}: faults end as the user is told`,
        faultProblems.length === 0,
        faultProblems.slice(0, 3).join('; ') || `${faulted.size} sticky faults explained`,
      );
      const broken = results.filter((r) => !r.held);
      const evidence = [
        `${statuses.length} synced in ${driveSeconds} s (${invocations} invocations${
          restarts ? `, ${restarts} functions restarts` : ''
        }); ` +
        `${tonight.size} new faults (${
          [...new Set(tonight.values())].join(', ')
        }); ${paused} connections in error`,
        [...histogram].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${v} ${k}`).join(', '),
        ...(broken.length
          ? broken.map((r) => `✗ ${r.invariant}: ${r.evidence}`)
          : results.map((r) => `${r.invariant}: ${r.evidence}`)),
        ...(faultProblems.length ? [`✗ faults: ${faultProblems.slice(0, 3).join('; ')}`] : []),
        ...wedges.map((w) => `✗ the functions process wedged and was restarted: ${w}`),
      ];
      if (restarts) {
        ctx.check(
          `night ${night}: the functions process never wedged`,
          false,
          wedges.join(' | '),
        );
      }
      await writeReport({
        family: 'soak',
        scenario: `night ${night}/${NIGHTS} (${ids.length} connections)`,
        outcome: broken.length || faultProblems.length || restarts ? 'broken' : 'held',
        evidence,
        seconds: Math.round((performance.now() - nightStart) / 1000),
      });
      console.log(`  night ${night}: ${evidence.join('\n    ')}`);
    }
  },
  { long: true, invariants: { oracleSample: 30, deepScan: false, settleMs: 180_000 } },
);

chaosScenario(
  'erp',
  'timeouts: an ERP endpoint that stops answering beyond the 30 s adapter timeout',
  async (ctx) => {
    const { f, env, sql } = ctx;
    const once = await f.connection({ erp: 'conta_azul', nfeCount: 3, productCount: 2, financialCount: 2 });
    const always = await f.connection({ erp: 'conta_azul', nfeCount: 3, productCount: 2, financialCount: 2 });
    const hung = new Set<string>();
    // The company-profile call hangs for 35 s: once for the first connection, every time for the second.
    const mk = (mode: 'once' | 'always') =>
      httpProxy(simOrigin(env, 'conta_azul'), async (req, url, forward) => {
        if (url.pathname === '/v1/pessoas/conta-conectada' && (mode === 'always' || !hung.has(mode))) {
          hung.add(mode);
          await new Promise((r) => {
            const t = setTimeout(r, 35_000);
            req.signal.addEventListener('abort', () => (clearTimeout(t), r(null)));
          });
        }
        return await forward();
      });
    const p1 = mk('once');
    const p2 = mk('always');
    ctx.onCleanup(() => p1.close());
    ctx.onCleanup(() => p2.close());
    await sql`update public.erp_connections set api_base_url = ${p1.origin} where id = ${once.connectionId}`;
    await sql`update public.erp_connections set api_base_url = ${p2.origin} where id = ${always.connectionId}`;
    const ids = [once.connectionId, always.connectionId];
    await ctx.night(ids);
    const r = await f.opsWithin(ids, { concurrency: 2 }, 400_000);
    const byId = new Map((r.body?.results ?? []).map((x: any) => [x.connection_id, x]));
    const a = byId.get(once.connectionId) as any;
    const b = byId.get(always.connectionId) as any;
    ctx.check('one timeout, then the retry answers: success', a?.status === 'success', `${a?.status}`);
    const [blog] = await f.logs(always.connectionId);
    ctx.check(
      'never answers: the profile fails with TIMEOUT after its retries, the rest lands (partial, explained)',
      b?.status === 'partial' && blog?.details?.entities?.profile?.error?.code === 'TIMEOUT',
      `${b?.status} · ${blog?.details?.entities?.profile?.error?.code} after ${blog?.details?.entities?.profile?.duration_ms} ms`,
    );
    // The endpoint recovers.
    await sql`update public.erp_connections set api_base_url = ${
      simOrigin(env, 'conta_azul')
    } where id = any(${ids}::uuid[])`;
    await ctx.night(ids);
    const again = await f.ops(ids, { concurrency: 2 });
    ctx.check(
      'next night: both succeed',
      again.body?.succeeded === 2,
      JSON.stringify(again.body?.results?.map((x: any) => x.status)),
    );
  },
  { long: true },
);

// Chaos scenarios of issue #13 (hardening): a crashed manual sync, a noon schedule, a 100 MB answer, a gzip
// bomb and an NF-e with a DOCTYPE. Each must hold every invariant: a crash never blocks "Sincronizar agora";
// a schedule at any hour runs at its hour; an oversized or hostile answer is one failed record or entity, never a
// dead isolate, and the next clean night completes.
import { SIM_API_PATHS, simOrigin } from '../../../dev/demo/provision.ts';
import { chaosScenario, latestLogs, restartFunctions, settled, sweepAbandonedRuns, waitFor } from './harness.ts';
import { httpProxy } from './faults.ts';

const SMALL = { nfeCount: 4, productCount: 3, financialCount: 3 };

/** `total` bytes made on demand (never held in memory). */
function spaces(total: number, prefix = ''): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(256 * 1024).fill(0x20);
  let sent = 0;
  let head = true;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (head) {
        head = false;
        c.enqueue(new TextEncoder().encode(prefix));
        return;
      }
      if (sent >= total) return c.close();
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
}

/** Conta Azul behind a proxy whose `rule` may answer a call itself (once per matching path). */
function contaAzulBehind(ctx: Parameters<Parameters<typeof chaosScenario>[2]>[0], match: RegExp, answer: () => Response) {
  const hit = new Set<string>();
  const state = { active: true, answered: 0 };
  const proxy = httpProxy(simOrigin(ctx.env, 'conta_azul'), async (req, url, forward) => {
    if (state.active && req.method === 'GET' && match.test(url.pathname) && !hit.has(url.pathname)) {
      hit.add(url.pathname);
      state.answered++;
      return answer();
    }
    return await forward();
  });
  ctx.onCleanup(() => proxy.close());
  return { proxy, state };
}

async function pointAt(ctx: Parameters<Parameters<typeof chaosScenario>[2]>[0], id: string, origin: string) {
  await ctx.sql`update public.erp_connections set api_base_url = ${origin + SIM_API_PATHS.conta_azul.api},
                auth_base_url = ${origin} where id = ${id}`;
}

chaosScenario('process', 'a crashed manual sync: "Sincronizar agora" starts again at once (no 409 until night)', async (ctx) => {
  const { f, sql } = ctx;
  const user = await f.user();
  const c = await f.connection({ erp: 'tiny', nfeCount: 12, productCount: 4, financialCount: 4, memberIds: [user] });
  await ctx.knobs('tiny', { latencyMs: 150 });
  const jwt = await f.userJwt(user);
  const first = await f.syncNow(c.connectionId, jwt);
  ctx.expectSynced([c.connectionId]);
  ctx.check('the first manual sync is accepted', first.status === 202, `HTTP ${first.status}`);
  // Mid-sync = a page of notes has landed (checkpoints are written with the progress, not after every page).
  await waitFor(async () => {
    const [r] = await sql`select 1 from public.xml_imports where company_id = ${c.companyId} limit 1`;
    return !!r;
  }, 60_000, 50);
  await restartFunctions(); // the sync dies with the process: its log stays 'running', its lease stays taken
  await ctx.resetKnobs();
  const [stale] = await sql`select id, status from public.erp_sync_logs where id = ${first.body?.log_id}`;
  ctx.note(`after the crash the first log is '${stale?.status}'`);
  // Time passes until the lease expires (moved, not slept).
  await sql`update public.erp_connections set lease_expires_at = now() - interval '1 second'
            where id = ${c.connectionId} and lease_owner is not null`;
  const again = await f.syncNow(c.connectionId, jwt);
  ctx.check('"Sincronizar agora" after the crash → 202 (not 409)', again.status === 202, `HTTP ${again.status} ${again.body?.error?.code ?? ''}`);
  await settled(sql, [c.connectionId]);
  const [old] = await sql`select status from public.erp_sync_logs where id = ${first.body?.log_id}`;
  ctx.check('the crashed sync\'s log became interrupted', old?.status === 'interrupted', old?.status);
  const latest = (await latestLogs(sql, [c.connectionId])).get(c.connectionId);
  ctx.check('the new manual sync completed', latest?.status === 'success' && latest?.sync_type === 'manual', `${latest?.sync_type} ${latest?.status}`);
});

chaosScenario('erp', 'a noon schedule runs at noon: the due-check job calls erp-auto-sync when it is due', async (ctx) => {
  const { f, sql } = ctx;
  const c = await f.connection({ erp: 'conta_azul', ...SMALL });
  await sql`update public.erp_connections set sync_config = sync_config || '{"schedule": "0 12 * * *"}'::jsonb
            where id = ${c.connectionId}`;
  // Not due yet (noon is ahead): the job must not call anything for it.
  await sql`update public.erp_connections set next_sync_at = now() + interval '2 hours' where id = ${c.connectionId}`;
  // "Noon" arrives: its slot is in the past. Nothing else may be left running from earlier scenarios.
  await sweepAbandonedRuns(ctx, [c.connectionId]);
  await sql`update public.erp_sync_runs set status = 'failed', completed_at = now()
            where status = 'running' and started_at < now() - interval '2 minutes'`;
  const due = await ctx.night([c.connectionId]);
  const [job] = await sql`select jobid, schedule from cron.job where jobname = 'erp-auto-sync-due'`;
  ctx.check('the due-check job exists and runs every minute', job?.schedule === '* * * * *', job?.schedule);
  if (!job) return;
  await sql`select cron.alter_job(${job.jobid}, active := true)`;
  try {
    const log = await waitFor(async () => {
      const [l] = await sql`select * from public.erp_sync_logs where connection_id = ${c.connectionId}
                            and started_at >= ${due} and status <> 'running'`;
      return l;
    }, 150_000, 500);
    ctx.check('synced by the job (sync_type auto)', log.sync_type === 'auto' && log.status === 'success', `${log.sync_type} ${log.status}`);
    const [row] = await sql`select next_sync_at from public.erp_connections where id = ${c.connectionId}`;
    const next: Date = row.next_sync_at;
    ctx.check('next_sync_at is the next noon (UTC)', next.getUTCHours() === 12 && next.getUTCMinutes() === 0 && next > new Date(), next.toISOString());
    const [{ n }] = await sql`select count(*)::int as n from cron.job_run_details where jobid = ${job.jobid}
                              and start_time >= ${due} and status = 'succeeded'`;
    ctx.note(`the due-check job fired ${n} time(s)`);
  } finally {
    await sql`select cron.alter_job(${job.jobid}, active := false)`;
  }
  await settled(sql, [c.connectionId]);
});

chaosScenario('erp', 'a 100 MB answer: one failed entity, the isolate lives, the next night completes', async (ctx) => {
  const { f } = ctx;
  const c = await f.connection({ erp: 'conta_azul', ...SMALL });
  const { proxy, state } = contaAzulBehind(ctx, /^\/v1\/produtos$/, () =>
    new Response(spaces(100 * 1024 * 1024, '{"itens": ['), { headers: { 'content-type': 'application/json' } }));
  await pointAt(ctx, c.connectionId, proxy.origin);
  await ctx.night([c.connectionId]);
  const n1 = await f.ops([c.connectionId]);
  const r1 = n1.body?.results?.[0];
  ctx.note(`night 1 with a 100 MB products page: ${r1?.status} (${String(r1?.error ?? '').slice(0, 100)})`);
  ctx.check('the proxy served the 100 MB answer', state.answered > 0, `${state.answered}`);
  ctx.check('the run answered', n1.status === 200, `HTTP ${n1.status}`);
  ctx.check('the functions process is alive', await f.functionsHealthy());
  const log = (await latestLogs(ctx.sql, [c.connectionId])).get(c.connectionId);
  const products = log?.details?.entities?.products;
  ctx.check('products failed with RESPONSE_TOO_LARGE, the rest synced', products?.status === 'error' &&
    products?.error?.code === 'RESPONSE_TOO_LARGE' && log?.details?.entities?.nfe?.status === 'success', JSON.stringify(products?.error ?? products?.status));
  await ctx.invariants('after the 100 MB night', { oracle: false });
  state.active = false;
  await ctx.night([c.connectionId]);
  const n2 = await f.ops([c.connectionId]);
  ctx.check('night 2 succeeds', n2.body?.results?.[0]?.status === 'success', `${n2.body?.results?.[0]?.status}`);
});

chaosScenario('erp', 'a gzip bomb: one failed record, the isolate lives, the next night completes', async (ctx) => {
  const { f } = ctx;
  // Enough notes that some are issued by the company (only those have their XML fetched one by one).
  const c = await f.connection({ erp: 'conta_azul', nfeCount: 16, productCount: 3, financialCount: 3 });
  // 256 MiB of spaces, ~250 KB on the wire (Content-Encoding: gzip; fetch inflates it as it reads).
  const bomb = new Uint8Array(
    await new Response(
      spaces(256 * 1024 * 1024, '<?xml version="1.0"?>')
        .pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>),
    ).arrayBuffer(),
  );
  const { proxy, state } = contaAzulBehind(ctx, /^\/v1\/notas-fiscais\/[0-9A-Z]{44}$/, () =>
    new Response(bomb as BodyInit, { headers: { 'content-type': 'application/xml', 'content-encoding': 'gzip' } }));
  await pointAt(ctx, c.connectionId, proxy.origin);
  await ctx.night([c.connectionId]);
  const n1 = await f.ops([c.connectionId]);
  const r1 = n1.body?.results?.[0];
  ctx.note(`night 1 with gzip bombs (${bomb.byteLength} bytes each) as NF-e XML: ${r1?.status}, ${state.answered} bombs served`);
  ctx.check('the proxy served bombs', state.answered > 0, `${state.answered}`);
  ctx.check('the run answered', n1.status === 200, `HTTP ${n1.status}`);
  ctx.check('the functions process is alive', await f.functionsHealthy());
  const log = (await latestLogs(ctx.sql, [c.connectionId])).get(c.connectionId);
  const nfe = log?.details?.entities?.nfe;
  const codes = (nfe?.errors ?? []).map((e: { code: string }) => e.code);
  ctx.check('the bombs are failed NF-e records (RESPONSE_TOO_LARGE), the other entities synced',
    nfe?.failed > 0 && codes.includes('RESPONSE_TOO_LARGE') && log?.details?.entities?.products?.status === 'success',
    `${nfe?.status} failed=${nfe?.failed} ${codes.join(',')}`);
  await ctx.invariants('after the gzip-bomb night', { oracle: false });
  state.active = false;
  await ctx.night([c.connectionId]);
  const n2 = await f.ops([c.connectionId]);
  ctx.check('night 2 succeeds', n2.body?.results?.[0]?.status === 'success', `${n2.body?.results?.[0]?.status}`);
});

chaosScenario('security', 'an NF-e with a DOCTYPE: refused outright, the others land, the next night completes', async (ctx) => {
  const { f, sql } = ctx;
  const c = await f.connection({ erp: 'conta_azul', nfeCount: 16, productCount: 3, financialCount: 3 });
  const served: string[] = [];
  let active = true;
  const proxy = httpProxy(simOrigin(ctx.env, 'conta_azul'), async (req, url, forward) => {
    const res = await forward();
    const m = /^\/v1\/notas-fiscais\/([0-9A-Z]{44})$/.exec(url.pathname);
    if (active && req.method === 'GET' && m && res.status === 200 && served.length === 0) {
      served.push(m[1]);
      const xml = await res.text();
      const evil = xml.replace(/^(<\?xml[^>]*\?>)?/, (decl) =>
        `${decl}<!DOCTYPE nfeProc [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`);
      return new Response(evil, { status: 200, headers: res.headers });
    }
    return res;
  });
  ctx.onCleanup(() => proxy.close());
  await pointAt(ctx, c.connectionId, proxy.origin);
  await ctx.night([c.connectionId]);
  const n1 = await f.ops([c.connectionId]);
  ctx.check('a DOCTYPE note was served', served.length === 1);
  const log = (await latestLogs(sql, [c.connectionId])).get(c.connectionId);
  const nfe = log?.details?.entities?.nfe;
  const errs = (nfe?.errors ?? []) as Array<{ code: string; message: string }>;
  ctx.note(`night 1: ${n1.body?.results?.[0]?.status}; NF-e errors: ${errs.map((e) => `${e.code}: ${e.message.slice(0, 60)}`).join(' | ')}`);
  ctx.check('the DOCTYPE note failed alone, as a refused DTD', nfe?.failed === 1 && errs.some((e) => /DOCTYPE/.test(`${e.code} ${e.message}`)),
    `failed=${nfe?.failed}`);
  const [stored] = await sql`select count(*)::int as n from public.xml_imports where company_id = ${c.companyId} and access_key = ${served[0] ?? ''}`;
  ctx.check('it was not stored', stored.n === 0, `${stored.n}`);
  await ctx.invariants('after the DOCTYPE night', { oracle: false });
  active = false;
  await ctx.night([c.connectionId]);
  const n2 = await f.ops([c.connectionId]);
  ctx.check('night 2 succeeds (the real note lands)', n2.body?.results?.[0]?.status === 'success', `${n2.body?.results?.[0]?.status}`);
});

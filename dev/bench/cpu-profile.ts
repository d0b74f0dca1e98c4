/**
 * `deno run -A dev/bench/cpu-profile.ts [--connections 24]` — where an invocation's CPU goes, per connection.
 *
 * On the TEST stack (its database and its ERP simulators, which run in their own process so they are not in the
 * profile): provisions N connections (the four ERPs in turn, a nightly increment), makes them due, and runs the
 * orchestrator in this process exactly as erp-auto-sync does for a background invocation (executeRun with the
 * production dependencies; follow-up triggers answered by a local stub) under V8's sampling profiler
 * (node:inspector). Prints the CPU per connection by where the time was spent (self time of each sampled frame,
 * grouped by module), then removes what it created.
 */
import { Session } from 'node:inspector/promises';
import process from 'node:process';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { provisionConnection, removeCompanies } from '../demo/provision.ts';
import type { ErpType } from '../../supabase/functions/_shared/adapters/contract.ts';
import { adapterFor } from '../../supabase/functions/_shared/sync/adapter-context.ts';
import type { EngineDeps } from '../../supabase/functions/_shared/sync/engine.ts';
import { executeRun, openAutoSyncRun } from '../../supabase/functions/_shared/sync/orchestrator.ts';
import { httpTrigger } from '../../supabase/functions/_shared/sync/triggers.ts';
import { importNfeDocuments } from '../../supabase/functions/_shared/nfe/import.ts';
import { REPO_ROOT } from '../stack/config.ts';

const { values } = parseArgs({
  args: Deno.args,
  options: { connections: { type: 'string', default: '24' }, interval: { type: 'string', default: '1000' } },
});
const N = Number(values.connections);

const out = await new Deno.Command(Deno.execPath(), {
  args: ['run', '-A', `${REPO_ROOT}/dev/stack/stack.ts`, '--profile', 'test', 'status', '--env'],
  stdout: 'piped',
}).output();
const env: Record<string, string> = {};
for (const l of new TextDecoder().decode(out.stdout).split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
  if (m) env[m[1]] = m[2];
}
if (!env.DB_URL) throw new Error('start the test stack first: npm run stack -- --profile test up');
for (const [k, v] of Object.entries({ BLING_CLIENT_ID: 'bling-client-id', BLING_CLIENT_SECRET: 'bling-client-secret', CONTA_AZUL_CLIENT_ID: 'conta_azul-client-id', CONTA_AZUL_CLIENT_SECRET: 'conta_azul-client-secret' })) Deno.env.set(k, v);

const sql = postgres(env.DB_URL, { max: 5, prepare: false, onnotice: () => {} });
const stub = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, async (req) => {
  await req.body?.cancel();
  return new Response(null, { status: 202 });
});
const erps: ErpType[] = ['bling', 'omie', 'tiny', 'conta_azul'];
const companies: string[] = [];
try {
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const p = await provisionConnection(sql, env as never, {
      erp: erps[i % 4],
      accountId: `prof-${crypto.randomUUID().slice(0, 8)}`,
      nfeCount: 20,
      productCount: 5,
      financialCount: 30,
    });
    companies.push(p.companyId);
    ids.push(p.connectionId);
  }
  const deps: EngineDeps = {
    sql: sql as never,
    now: () => new Date(),
    adapterFor: (conn, signal) => adapterFor(sql as never, conn, signal),
    importNfe: importNfeDocuments,
    trigger: httpTrigger({ baseUrl: `http://127.0.0.1:${(stub.addr as Deno.NetAddr).port}`, serviceKey: 'x'.repeat(20) }),
    leaseSeconds: 120,
    owner: 'cpu-profile',
  };
  const run = (await openAutoSyncRun(sql as never, { source: 'ops' }, new Date(), 120))!;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: Number(values.interval) }); // µs
  const cpu0 = process.cpuUsage();
  await session.post('Profiler.start');
  const summary = await executeRun(deps, run.runId, 0, { source: 'ops', connectionIds: ids, concurrency: 4 }, {
    claimMs: 600_000,
    maxConcurrency: 8,
  });
  const { profile } = await session.post('Profiler.stop') as { profile: Profile };
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await sql`delete from public.erp_sync_runs where id = ${run.runId}`;

  // Self time per sampled frame → module groups.
  const dt = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const groups = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const us = dt.get(n.id) ?? 0;
    if (!us || n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)') continue;
    const g = group(n.callFrame.url, n.callFrame.functionName);
    groups.set(g, (groups.get(g) ?? 0) + us / 1000);
    total += us / 1000;
  }
  const done = summary.processed;
  console.log(`${done} connections synced (${summary.succeeded} success); process CPU ${cpuMs.toFixed(0)} ms = ${(cpuMs / done).toFixed(1)} ms per connection; JS samples ${total.toFixed(0)} ms`);
  console.log('| where | ms per connection | share of JS samples |\n| --- | --- | --- |');
  for (const [g, ms] of [...groups].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${g} | ${(ms / done).toFixed(1)} | ${((100 * ms) / total).toFixed(0)} % |`);
  }
  console.log(`| (not in JS: GC, runtime, I/O) | ${((cpuMs - total) / done).toFixed(1)} | |`);
} finally {
  await removeCompanies(sql, companies);
  await stub.shutdown();
  await sql.end();
}

interface Profile {
  nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

function group(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'garbage collector';
  const npm = /registry\.npmjs\.org\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
  if (npm) return `npm: ${npm[1]}`;
  const own = /supabase\/functions\/_shared\/([^/]+)\/?([^/]*)/.exec(url);
  if (own) return own[1] === 'adapters' ? `adapters/${own[2]}` : `_shared/${own[1]}`;
  if (url.startsWith('ext:') || url.startsWith('node:')) return `runtime: ${url.split('/')[0].replace(/^ext:/, '')}`;
  return url ? url.replace(REPO_ROOT + '/', '').replace('file://', '') : `(native: ${fn || 'anonymous'})`;
}

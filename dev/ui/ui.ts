/**
 * `npm run ui` — the integrations page on the local DEV stack, signed in as the demo user.
 *
 *  1. brings the dev stack up (`dev/stack/stack.ts up`: Postgres 24322, functions 24321), restarting its
 *     functions gateway when it does not serve erp-connections yet;
 *  2. makes sure the demo user of supabase/seed.sql exists (and is an operator: the Operação page at /operacao)
 *     and, when it belongs to no company yet, gives it a
 *     small demo company with three connections and some history (skip with --no-demo-data);
 *  3. mints the demo user's JWT with the stack's local JWT secret (role/aud 'authenticated', sub = the user);
 *  4. serves the app with Vite (VITE_SUPABASE_URL / VITE_SUPABASE_ANON_KEY / VITE_SUPABASE_ACCESS_TOKEN) and
 *     prints the URL to open. Ctrl+C stops Vite; the stack stays up (`npm run stack -- down` stops it).
 *
 * Options: --port N (default 5173) · --preview (production build + vite preview) · --no-stack (stack already
 * up) · --no-demo-data
 */
import postgres from 'postgres';
import { loadOrCreateEnv, REPO_ROOT, signJwt, type StackEnv, stateDir } from '../stack/config.ts';

export const DEMO_USER_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_USER_EMAIL = 'demo@empresa-demo.com.br';
const DEMO_COMPANY_ID = '00000000-0000-4000-8000-00000000d001';

interface Options {
  port: number;
  preview: boolean;
  stack: boolean;
  demoData: boolean;
}

function parseArgs(args: string[]): Options {
  const opts: Options = { port: 5173, preview: false, stack: true, demoData: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--port') opts.port = Number(args[++i]);
    else if (a === '--preview') opts.preview = true;
    else if (a === '--no-stack') opts.stack = false;
    else if (a === '--no-demo-data') opts.demoData = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run ui -- [--port N] [--preview] [--no-stack] [--no-demo-data]');
      Deno.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new Error('--port must be 1..65535');
  }
  return opts;
}

function log(msg: string) {
  console.error(`ui: ${msg}`);
}

async function stackCommand(...args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${REPO_ROOT}/dev/stack/stack.ts`, '--profile', 'dev', ...args],
    cwd: REPO_ROOT,
    stdout: 'inherit',
    stderr: 'inherit',
  }).output();
  if (out.code !== 0) throw new Error(`stack ${args.join(' ')} failed (exit ${out.code})`);
}

async function gatewayFunctions(env: StackEnv): Promise<string[]> {
  try {
    const res = await fetch(`${env.API_URL}/health`, { signal: AbortSignal.timeout(2000) });
    const body = await res.json();
    return Array.isArray(body?.functions) ? body.functions : [];
  } catch {
    return [];
  }
}

/** The demo user (seed.sql) and, when it has no company yet, a small demo company to look at. */
async function ensureDemoData(env: StackEnv, withData: boolean): Promise<void> {
  const sql = postgres(env.DB_URL, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`insert into auth.users (id, email) values (${DEMO_USER_ID}, ${DEMO_USER_EMAIL}) on conflict do nothing`;
    // The local demo user also operates the platform: the Operação page (/operacao) is theirs to see.
    await sql`insert into public.erp_operators (user_id) values (${DEMO_USER_ID}) on conflict do nothing`;
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.company_members where user_id = ${DEMO_USER_ID}`;
    if (n > 0 || !withData) {
      log(
        n > 0
          ? `demo user belongs to ${n} compan${n === 1 ? 'y' : 'ies'}`
          : 'demo user has no company (--no-demo-data)',
      );
      return;
    }
    log('adding a demo company with three connections (--no-demo-data to skip)');
    await sql.begin(async (tx) => {
      await tx`insert into public.companies (id, name, cnpj) values (${DEMO_COMPANY_ID}, 'Empresa Demo Ltda', '11222333000181')
        on conflict do nothing`;
      await tx`insert into public.company_members (company_id, user_id, role) values (${DEMO_COMPANY_ID}, ${DEMO_USER_ID}, 'owner')
        on conflict do nothing`;
      // Next nightly slot: 00:00 UTC = 21:00 Brasília.
      const [bling] = await tx<{ id: string }[]>`
        insert into public.erp_connections (company_id, erp_type, name, status, sync_config, api_base_url, account_key,
                                            last_sync_at, next_sync_at)
        values (${DEMO_COMPANY_ID}, 'bling', 'Loja Matriz', 'active', ${
        tx.json({ auto_sync: true })
      }, ${env.BLING_URL},
                'ui-demo-bling', date_trunc('day', now()) + interval '2 minutes 5 seconds',
                date_trunc('day', now()) + interval '1 day')
        returning id`;
      const [omie] = await tx<{ id: string }[]>`
        insert into public.erp_connections (company_id, erp_type, name, status, status_message, sync_config, api_base_url,
                                            account_key, next_sync_at)
        values (${DEMO_COMPANY_ID}, 'omie', 'Filial Campinas', 'error',
                'O Omie recusou as credenciais (app_key inválida ou revogada). Reconecte a integração.',
                ${
        tx.json({ auto_sync: true })
      }, ${env.OMIE_URL}, 'ui-demo-omie', date_trunc('day', now()) + interval '1 day')
        returning id`;
      await tx`
        insert into public.erp_connections (company_id, erp_type, name, status, sync_config, api_base_url, account_key)
        values (${DEMO_COMPANY_ID}, 'conta_azul', 'Serviços', 'inactive', ${tx.json({ auto_sync: false })},
                ${env.CONTA_AZUL_URL}, 'ui-demo-conta-azul')`;
      const history: Array<[string, string, string, number, number, number, string | null]> = [
        // connection, type, status, days ago, synced, failed, error
        [bling.id, 'auto', 'success', 0, 1234, 0, null],
        [
          bling.id,
          'manual',
          'partial',
          1,
          310,
          4,
          'nfe: 4 notas com XML inválido (chave de acesso com dígito verificador errado)',
        ],
        [bling.id, 'auto', 'success', 1, 982, 0, null],
        [
          bling.id,
          'auto',
          'error',
          2,
          0,
          0,
          'Bling respondeu 503 (serviço indisponível) em /Api/v3/nfe após 5 tentativas',
        ],
        [bling.id, 'auto', 'interrupted', 3, 120, 0, null],
        [omie.id, 'auto', 'error', 0, 0, 0, 'Omie: credenciais inválidas (SOAP-ENV:Client-8020)'],
      ];
      for (const [connectionId, type, status, daysAgo, synced, failed, error] of history) {
        await tx`
          insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, completed_at,
                                            records_synced, records_failed, duration_ms, error_message)
          values (${connectionId}, ${DEMO_COMPANY_ID}, ${type}, ${status},
                  date_trunc('day', now()) - make_interval(days => ${daysAgo}) + (case when ${type} = 'manual' then interval '15 hours' else interval '0' end),
                  date_trunc('day', now()) - make_interval(days => ${daysAgo}) + (case when ${type} = 'manual' then interval '15 hours' else interval '0' end) + interval '125 seconds',
                  ${synced}, ${failed}, 125000, ${error})`;
      }
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function waitForHttp(url: string, child: Deno.ChildProcess, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  child.status.then(() => (exited = true));
  while (Date.now() < end && !exited) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(exited ? 'vite exited before serving the page' : `vite did not answer on ${url}`);
}

async function main() {
  const opts = parseArgs(Deno.args);
  if (opts.stack) {
    log('starting the dev stack (npm run stack -- up)');
    await stackCommand('up');
  }
  const env = await loadOrCreateEnv('dev', await stateDir('dev'));
  const served = await gatewayFunctions(env);
  if (!['erp-connections', 'erp-alerts', 'erp-ops'].every((f) => served.includes(f))) {
    log('the functions gateway does not serve every function of the page yet: restarting it');
    await stackCommand('restart', 'functions');
  }
  await ensureDemoData(env, opts.demoData);
  const token = await signJwt(
    env.JWT_SECRET,
    { sub: DEMO_USER_ID, role: 'authenticated', aud: 'authenticated', email: DEMO_USER_EMAIL },
    '12h',
  );

  const vite = `${REPO_ROOT}/node_modules/.bin/vite`;
  const viteEnv = {
    VITE_SUPABASE_URL: env.API_URL,
    VITE_SUPABASE_ANON_KEY: env.ANON_KEY,
    VITE_SUPABASE_ACCESS_TOKEN: token,
  };
  const hostArgs = ['--host', '127.0.0.1', '--port', String(opts.port), '--strictPort'];
  if (opts.preview) {
    const build = await new Deno.Command(vite, { args: ['build'], cwd: REPO_ROOT, env: viteEnv }).output();
    if (build.code !== 0) throw new Error('vite build failed');
  }
  const child = new Deno.Command(vite, {
    args: opts.preview ? ['preview', ...hostArgs] : hostArgs,
    cwd: REPO_ROOT,
    env: viteEnv,
    stdin: 'null',
    stdout: 'null',
    stderr: 'inherit',
  }).spawn();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    Deno.addSignalListener(sig, () => {
      try {
        child.kill('SIGTERM');
      } catch { /* already gone */ }
    });
  }
  const url = `http://127.0.0.1:${opts.port}/`;
  await waitForHttp(url, child);
  console.log(`\n  Integrações (signed in as ${DEMO_USER_EMAIL}):  ${url}`);
  console.log(`  Operação (the demo user is an operator):       ${url}operacao\n`);
  console.log(
    `  stack: ${env.API_URL} (dev) · Ctrl+C stops the page · npm run stack -- down stops the stack\n`,
  );
  const status = await child.status;
  Deno.exit(status.code === 143 || status.signal === 'SIGTERM' ? 0 : status.code);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`ui: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}

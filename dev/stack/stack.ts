/**
 * `npm run stack -- up | down | status [--env] | reset` — a local Supabase-compatible stack from real parts:
 * a throwaway PostgreSQL 15 cluster with pg_cron preloaded, the platform layer (roles, auth, Vault, pg_net with
 * a delivery worker), every migration then seed.sql, one Deno process serving every Edge Function at
 * /functions/v1/<name>, and the ERP simulators. `STACK_PROFILE=test` (or `--profile test`) runs a second,
 * independent stack on other ports for the tests.
 */
import {
  functionsEnv,
  isRoot,
  loadOrCreateEnv,
  PG_BIN,
  portsFor,
  portsInEphemeralRange,
  type Profile,
  REPO_ROOT,
  run,
  type StackEnv,
  stateDir,
} from './config.ts';

interface Service {
  name: string;
  script: string;
  args?: string[];
  health?: (env: StackEnv, pid: number) => Promise<boolean>;
  /**
   * Started again whenever it exits (a shell loop, the recorded pid): hosted, a function isolate that dies takes
   * only its own requests and the next request boots a new one (docs/local-vs-hosted.md, "Known gaps").
   */
  supervised?: boolean;
}

const SERVICES: Service[] = [
  { name: 'pgnet-worker', script: 'dev/stack/pgnet-worker.ts' },
  {
    name: 'functions',
    script: 'dev/stack/functions-server.ts',
    supervised: true,
    // The answer must come from the process our supervisor started (not an orphan still holding the port), or
    // from the unsupervised process a stack started before the supervisor recorded (then it is that pid).
    health: async (env, pid) => {
      try {
        const r = await fetch(`${env.API_URL}/health`, { signal: AbortSignal.timeout(1000) });
        const h = r.ok ? await r.json() : null;
        return h !== null && (h.ppid === pid || h.pid === pid);
      } catch {
        return false;
      }
    },
  },
  {
    name: 'simulators',
    script: 'dev/simulators/serve.ts',
    health: async (env) => (await tryFetch(`${env.BLING_URL}/__admin/health`)) !== 0,
  },
];

async function tryFetch(url: string): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

function log(msg: string) {
  console.error(`stack: ${msg}`);
}

export class Stack {
  constructor(readonly profile: Profile, readonly dir: string, readonly env: StackEnv) {}

  static async open(profile: Profile): Promise<Stack> {
    const dir = await stateDir(profile);
    await Deno.mkdir(`${dir}/logs`, { recursive: true });
    return new Stack(profile, dir, await loadOrCreateEnv(profile, dir));
  }

  get pgdata() {
    return `${this.dir}/pgdata`;
  }
  get socketDir() {
    return `${this.dir}/sock`;
  }

  // --- PostgreSQL -------------------------------------------------------------------------------------

  async pgRunning(): Promise<boolean> {
    try {
      await Deno.stat(`${this.pgdata}/PG_VERSION`);
    } catch {
      return false;
    }
    const r = await run([`${PG_BIN}/pg_ctl`, '-D', this.pgdata, 'status'], { asPostgres: true });
    return r.code === 0;
  }

  async initdb() {
    try {
      await Deno.stat(`${this.pgdata}/PG_VERSION`);
      return;
    } catch { /* new cluster */ }
    log(`creating cluster in ${this.pgdata}`);
    await Deno.mkdir(this.pgdata, { recursive: true });
    await Deno.mkdir(this.socketDir, { recursive: true });
    if (isRoot()) await run(['chown', '-R', 'postgres:postgres', this.dir]);
    const r = await run(
      [`${PG_BIN}/initdb`, '-D', this.pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
      { asPostgres: true },
    );
    if (r.code !== 0) throw new Error(`initdb failed:\n${r.out}`);
    const port = portsFor(this.profile).db;
    const conf = `
# erp-auto-sync local stack (${this.profile})
port = ${port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${this.socketDir}'
# pg_stat_statements: preloaded on hosted projects too (dev/stack/platform.sql creates it)
shared_preload_libraries = 'pg_cron,pg_stat_statements'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
# throwaway cluster: durability traded for speed
fsync = off
synchronous_commit = off
full_page_writes = off
`;
    await Deno.writeTextFile(`${this.pgdata}/postgresql.conf`, conf, { append: true });
    if (isRoot()) await run(['chown', '-R', 'postgres:postgres', this.dir]);
  }

  async startPg() {
    if (await this.pgRunning()) return;
    await this.initdb();
    await Deno.mkdir(this.socketDir, { recursive: true });
    if (isRoot()) await run(['chown', '-R', 'postgres:postgres', this.socketDir]);
    const port = portsFor(this.profile).db;
    log(`starting PostgreSQL on 127.0.0.1:${port}`);
    // The port is given at every start, not only written at initdb: a cluster made under other ports (an earlier
    // STACK_PORT_OFFSET, or before the ports moved below the ephemeral range) listens where the clients look.
    const r = await run(
      [`${PG_BIN}/pg_ctl`, '-D', this.pgdata, '-l', `${this.pgdata}/server.log`, '-o', `-p ${port}`, '-w', '-t', '60', 'start'],
      { asPostgres: true },
    );
    if (r.code !== 0) {
      let tail = '';
      try {
        tail = (await Deno.readTextFile(`${this.pgdata}/server.log`)).split('\n').slice(-20).join('\n');
      } catch { /* no log */ }
      throw new Error(`PostgreSQL did not start (port ${port} taken?):\n${r.out}\n${tail}`);
    }
  }

  async stopPg() {
    if (!(await this.pgRunning())) return;
    log('stopping PostgreSQL');
    await run([`${PG_BIN}/pg_ctl`, '-D', this.pgdata, '-m', 'fast', '-w', 'stop'], { asPostgres: true });
  }

  async psql(sql: string | { file: string }, opts: { quiet?: boolean } = {}): Promise<string> {
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.env.DB_URL, '-At'];
    if ('string' === typeof sql) args.push('-c', sql);
    else args.push('-f', sql.file);
    const out = await new Deno.Command('psql', { args, stdout: 'piped', stderr: 'piped' }).output();
    const text = new TextDecoder().decode(out.stdout);
    const err = new TextDecoder().decode(out.stderr);
    if (out.code !== 0) throw new Error(`psql failed${'file' in Object(sql) ? ` on ${(sql as { file: string }).file}` : ''}:\n${err}`);
    if (!opts.quiet && err.trim()) console.error(err.trim());
    return text.trim();
  }

  /** Platform layer, then pending migrations (tracked like the Supabase CLI does), then seed on a new database. */
  async migrate() {
    await this.psql({ file: `${REPO_ROOT}/dev/stack/platform.sql` }, { quiet: true });
    await this.psql(
      `create schema if not exists supabase_migrations;
       create table if not exists supabase_migrations.schema_migrations (version text primary key, name text, applied_at timestamptz default now());
       create table if not exists supabase_migrations.seed_files (path text primary key, applied_at timestamptz default now());`,
      { quiet: true },
    );
    const applied = new Set((await this.psql('select version from supabase_migrations.schema_migrations')).split('\n'));
    const files = [...Deno.readDirSync(`${REPO_ROOT}/supabase/migrations`)]
      .filter((f) => f.isFile && /^\d+_.+\.sql$/.test(f.name))
      .map((f) => f.name)
      .sort();
    for (const f of files) {
      const version = f.split('_')[0];
      if (applied.has(version)) continue;
      log(`migration ${f}`);
      await this.psql({ file: `${REPO_ROOT}/supabase/migrations/${f}` }, { quiet: true });
      await this.psql(
        `insert into supabase_migrations.schema_migrations (version, name) values ('${version}', '${f.replace(/'/g, "''")}')`,
      );
    }
    if (this.profile === 'test') {
      // The test stack never fires the nightly jobs on its own (tests that need them switch them on).
      await this.psql(`update cron.job set active = false where jobname like 'erp-auto-sync%' and active`);
    }
    const seeded = await this.psql(`select count(*) from supabase_migrations.seed_files`);
    if (seeded === '0') {
      await this.configureVault();
      try {
        await Deno.stat(`${REPO_ROOT}/supabase/seed.sql`);
        log('seed.sql');
        await this.psql({ file: `${REPO_ROOT}/supabase/seed.sql` }, { quiet: true });
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      await this.psql(`insert into supabase_migrations.seed_files (path) values ('supabase/seed.sql')`);
    }
  }

  /** The Vault secrets a project sets by hand per environment (see README "Deploy"). */
  async configureVault() {
    const set = (name: string, value: string) =>
      `select case when exists (select 1 from vault.secrets where name = '${name}')
         then (select vault.update_secret((select id from vault.secrets where name = '${name}'), '${value}'))::text
         else vault.create_secret('${value}', '${name}')::text end;`;
    await this.psql(
      set('project_url', this.env.API_URL) + set('erp_auto_sync_secret', this.env.ERP_AUTO_SYNC_SECRET),
      { quiet: true },
    );
  }

  // --- background services -----------------------------------------------------------------------------

  pidFile(name: string) {
    return `${this.dir}/${name}.pid`;
  }

  async servicePid(name: string): Promise<number | null> {
    try {
      const pid = Number((await Deno.readTextFile(this.pidFile(name))).trim());
      if (!pid) return null;
      const r = await run(['kill', '-0', String(pid)]);
      return r.code === 0 ? pid : null;
    } catch {
      return null;
    }
  }

  async startService(svc: Service) {
    try {
      await Deno.stat(`${REPO_ROOT}/${svc.script}`);
    } catch {
      return; // not built yet
    }
    if (await this.servicePid(svc.name)) return;
    const deno = Deno.execPath();
    const envs = { ...functionsEnv(this.env), ...this.env, STACK_PROFILE: this.profile, STACK_DIR: this.dir };
    const envPrefix = Object.entries(envs).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    const logFile = `${this.dir}/logs/${svc.name}.log`;
    const once = `${shellQuote(deno)} run -A ${svc.script} ${(svc.args ?? []).join(' ')}`;
    const body = svc.supervised
      ? `bash -c ${shellQuote(`while :; do ${once}; echo "stack: ${svc.name} exited ($?); starting it again"; sleep 1; done`)}`
      : once;
    const cmd = `${envPrefix} setsid ${body} >>${shellQuote(logFile)} 2>&1 < /dev/null & echo $!`;
    const r = await run(['bash', '-c', cmd], { cwd: REPO_ROOT });
    const pid = Number(r.out.trim());
    await Deno.writeTextFile(this.pidFile(svc.name), String(pid));
    log(`${svc.name} started (pid ${pid}, log ${logFile})`);
  }

  async waitHealthy(svc: Service, timeoutMs = 60_000) {
    const pid = await this.servicePid(svc.name);
    if (!svc.health || !pid) return;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await svc.health(this.env, pid)) return;
      if (!(await this.servicePid(svc.name))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const logText = await Deno.readTextFile(`${this.dir}/logs/${svc.name}.log`).catch(() => '');
    await this.stopService(svc.name); // a supervised one would otherwise start again for ever
    throw new Error(`${svc.name} did not become healthy:\n${logText.split('\n').slice(-30).join('\n')}`);
  }

  async stopService(name: string) {
    const pid = await this.servicePid(name);
    if (pid) {
      log(`stopping ${name} (pid ${pid})`);
      // Its process group (started with setsid), then the process itself as a fallback.
      await run(['kill', '-s', 'TERM', '--', `-${pid}`]);
      await run(['kill', '-s', 'TERM', String(pid)]);
      for (let i = 0; i < 50 && (await this.servicePid(name)); i++) await new Promise((r) => setTimeout(r, 100));
      if (await this.servicePid(name)) {
        await run(['kill', '-s', 'KILL', '--', `-${pid}`]);
        await run(['kill', '-s', 'KILL', String(pid)]);
        for (let i = 0; i < 20 && (await this.servicePid(name)); i++) await new Promise((r) => setTimeout(r, 100));
      }
    }
    await Deno.remove(this.pidFile(name)).catch(() => {});
  }

  // --- commands -----------------------------------------------------------------------------------------

  async up() {
    await ensureSystemPackages();
    const { range, inside } = await portsInEphemeralRange(portsFor(this.profile));
    if (range && inside.length > 0) {
      log(`warning: ports ${inside.join(', ')} lie in this machine's ephemeral range (${range[0]}–${range[1]}): ` +
        `a service may fail to start with AddrInUse; choose a STACK_PORT_OFFSET that keeps them below it`);
    }
    await this.startPg();
    await this.migrate();
    for (const svc of SERVICES) await this.startService(svc);
    for (const svc of SERVICES) await this.waitHealthy(svc);
    log(`up (${this.profile}): db ${this.env.DB_URL}  functions ${this.env.FUNCTIONS_URL}`);
  }

  async down() {
    for (const svc of [...SERVICES].reverse()) await this.stopService(svc.name);
    await this.stopPg();
  }

  async reset() {
    await this.down();
    await Deno.remove(this.pgdata, { recursive: true }).catch(() => {});
    // A fresh database: the simulators' accounts and tokens (kept across restarts) go with it.
    await Deno.remove(`${this.dir}/simulators`, { recursive: true }).catch(() => {});
    await this.up();
  }

  async restartService(name: string) {
    const svc = SERVICES.find((s) => s.name === name);
    if (!svc) throw new Error(`unknown service ${name}`);
    await this.stopService(name);
    await this.startService(svc);
    await this.waitHealthy(svc);
  }

  async status(asEnv: boolean) {
    if (asEnv) {
      for (const [k, v] of Object.entries(this.env)) console.log(`${k}=${v}`);
      console.log(`STACK_DIR=${this.dir}`);
      return;
    }
    console.log(`profile     ${this.profile}`);
    console.log(`state       ${this.dir}`);
    console.log(`postgres    ${(await this.pgRunning()) ? 'running' : 'stopped'}  ${this.env.DB_URL}`);
    for (const svc of SERVICES) {
      const pid = await this.servicePid(svc.name);
      console.log(`${svc.name.padEnd(11)} ${pid ? `running (pid ${pid})` : 'stopped'}`);
    }
    console.log(`functions   ${this.env.FUNCTIONS_URL}`);
  }
}

/**
 * What the stack needs from the system (PostgreSQL 15, pg_cron, psql), installed by dev/setup-system.sh as
 * `npm run demo` and `npm test` do: as root with apt-get, otherwise it fails with the exact command to run.
 */
export async function ensureSystemPackages(): Promise<void> {
  const r = await run(['bash', `${REPO_ROOT}/dev/setup-system.sh`, '--stack']);
  if (r.out.trim()) console.error(r.out.trim());
  if (r.code !== 0) throw new Error('the system packages the stack needs are missing (see the command above)');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function openStack(profile: Profile): Promise<Stack> {
  return await Stack.open(profile);
}

if (import.meta.main) {
  const args = [...Deno.args];
  let profile: Profile = (Deno.env.get('STACK_PROFILE') as Profile) ?? 'dev';
  const pi = args.indexOf('--profile');
  if (pi >= 0) {
    profile = args[pi + 1] as Profile;
    args.splice(pi, 2);
  }
  if (profile !== 'dev' && profile !== 'test') {
    console.error('usage: stack [--profile dev|test] up | down | status [--env] | reset | restart <service>');
    Deno.exit(2);
  }
  const [cmd, ...rest] = args;
  const stack = await Stack.open(profile);
  // One stack command at a time per profile (concurrent `up`s would start services twice).
  const lock = await Deno.open(`${stack.dir}/stack.lock`, { create: true, write: true });
  if (cmd !== 'status') await lock.lock(true);
  try {
    switch (cmd) {
      case 'up':
        await stack.up();
        break;
      case 'down':
        await stack.down();
        break;
      case 'reset':
        await stack.reset();
        break;
      case 'status':
        await stack.status(rest.includes('--env'));
        break;
      case 'restart':
        await stack.restartService(rest[0]);
        break;
      default:
        console.error('usage: stack [--profile dev|test] up | down | status [--env] | reset | restart <service>');
        Deno.exit(2);
    }
  } catch (e) {
    console.error(`stack: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}

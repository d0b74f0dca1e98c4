/**
 * Where the benchmark runs: the DEV stack's database (`stack.ts status --env`, profile dev; started when down and
 * stopped again at the end), or $DB_URL.
 * Also the CPU meters: this process, the Postgres cluster (postmaster + backends, from /proc) and the machine.
 */
import process from 'node:process';
import postgres from 'postgres';
import { REPO_ROOT } from '../../stack/config.ts';

export interface BenchEnv {
  dbUrl: string;
  stackDir: string | null;
  profile: string;
  /** Leaves the machine as the bench found it: stops the dev stack when the bench started it. */
  restore: () => Promise<void>;
}

function stack(...args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', `${REPO_ROOT}/dev/stack/stack.ts`, '--profile', 'dev', ...args],
    stdout: 'piped',
    stderr: 'piped',
    cwd: REPO_ROOT,
  }).output();
}

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The dev stack's database ($DB_URL overrides): started (and later stopped) by the bench when it is down. */
export async function benchEnv(log: (s: string) => void): Promise<BenchEnv> {
  const override = Deno.env.get('DB_URL');
  if (override) return { dbUrl: override, stackDir: null, profile: 'custom', restore: () => Promise.resolve() };
  const status = async () => {
    const text = new TextDecoder().decode((await stack('status', '--env')).stdout);
    const get = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(text)?.[1]?.trim() ?? null;
    return { dbUrl: get('DB_URL'), stackDir: get('STACK_DIR') };
  };
  let env = await status();
  let started = false;
  if (!env.dbUrl || !(await reachable(env.dbUrl))) {
    log('the dev stack is down: starting it (npm run stack -- up); it is stopped again at the end');
    const up = await stack('up');
    if (up.code !== 0) throw new Error(`could not start the dev stack:\n${new TextDecoder().decode(up.stderr).slice(-2000)}`);
    started = true;
    env = await status();
    if (!env.dbUrl) throw new Error('the dev stack started but printed no DB_URL');
  }
  return {
    dbUrl: env.dbUrl!,
    stackDir: env.stackDir,
    profile: 'dev',
    restore: async () => {
      if (!started) return;
      started = false;
      log('stopping the dev stack the bench started');
      await stack('down');
    },
  };
}

/** CPU ms of this process (the bench coordinator and its in-process simulators). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

function statFields(pid: number | string): string[] | null {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU ms used so far by one Postgres backend (pg_backend_pid()), or null when it is not on this machine. */
export function backendCpuMs(pid: number): number | null {
  try {
    if (!/\((postgres|postmaster)\)/.test(Deno.readTextFileSync(`/proc/${pid}/stat`))) return null;
  } catch {
    return null;
  }
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_MS : null;
}

/**
 * CPU ms used by the Postgres cluster so far: the postmaster (incl. its reaped children: cutime/cstime) plus
 * its live children. null when the cluster is not on this machine or not readable.
 */
export function postgresCpuMs(stackDir: string | null): number | null {
  if (!stackDir) return null;
  let pm: number;
  try {
    pm = Number(Deno.readTextFileSync(`${stackDir}/pgdata/postmaster.pid`).split('\n')[0]);
  } catch {
    return null;
  }
  const f = statFields(pm);
  if (!f) return null;
  // fields after ')' start at index 0 = state (3rd field); utime=14th → idx 11, stime 12, cutime 13, cstime 14
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const e of Deno.readDirSync('/proc')) {
    if (!/^\d+$/.test(e.name)) continue;
    const c = statFields(e.name);
    if (c && Number(c[1]) === pm) ticks += Number(c[11]) + Number(c[12]);
  }
  return ticks * TICK_MS;
}

/** Machine-wide busy and total CPU ms (all cores) from /proc/stat. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = Deno.readTextFileSync('/proc/stat').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
  } catch {
    return null;
  }
}

export function loadAvg(): string {
  try {
    return Deno.readTextFileSync('/proc/loadavg').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** The stack's own erp-auto-sync pg_cron jobs: the minute due-check and the sweeps would claim the bench's due rows. */
const AUTO_SYNC_JOBS = ['erp-auto-sync-daily', 'erp-auto-sync-sweep', 'erp-auto-sync-due'];

/** Pauses those jobs (the active ones) for the run; returns a function that resumes exactly them. */
export async function pauseAutoSyncCron(sql: postgres.Sql<Record<string, never>>): Promise<{ ids: number[]; resume: () => Promise<void> }> {
  const rows = await sql`select jobid from cron.job where jobname = any(${AUTO_SYNC_JOBS}::text[]) and active`.catch(() => []);
  const ids = rows.map((r) => Number(r.jobid));
  for (const id of ids) await sql`select cron.alter_job(${id}::bigint, active := false)`;
  return { ids, resume: async () => void await Promise.all(ids.map((id) => sql`select cron.alter_job(${id}::bigint, active := true)`)) };
}

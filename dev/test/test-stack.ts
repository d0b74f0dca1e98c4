/**
 * The TEST stack as `npm test` and `npm run test:chaos` use it: fresh code every run, and the machine left as
 * it was found.
 *
 * - Fresh code: services that were already running (functions, pgnet-worker, simulators) are restarted, so
 *   the run tests the working tree, not the code a long-lived process imported earlier; new migrations are
 *   applied by `up`; when a migration (or seed.sql / the platform layer) that the database already holds has
 *   changed since it was applied, the test database is rebuilt (`reset`). The checksums of what was applied
 *   are kept in `$STACK_DIR/applied-sql.sha256.json`.
 * - Left as found: when PostgreSQL of the test stack was not running before, `close()` stops the whole test
 *   stack again (also on Ctrl-C / SIGTERM); when it was running, it stays up.
 */
import { REPO_ROOT } from '../stack/config.ts';

const deno = Deno.execPath();
const dec = new TextDecoder();
const SERVICES = ['functions', 'pgnet-worker', 'simulators'];

export interface Exec {
  (
    cmd: string[],
    env?: Record<string, string>,
    opts?: { echo?: boolean },
  ): Promise<{ code: number; text: string }>;
}

/** Runs a command in the repository, optionally echoing its output, and returns its exit code and output. */
export const exec: Exec = async (cmd, env = {}, opts = { echo: true }) => {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: REPO_ROOT,
    env,
    stdout: 'piped',
    stderr: 'piped',
    stdin: 'null',
  }).spawn();
  let text = '';
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: { write(p: Uint8Array): Promise<number> },
  ) => {
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      if (opts.echo) await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  // deno-lint-ignore no-control-regex
  return { code: status.code, text: text.replace(/\x1b\[[0-9;]*m/g, '') };
};

const stack = (...args: string[]) => [deno, 'run', '-A', 'dev/stack/stack.ts', '--profile', 'test', ...args];

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** sha256 of every SQL file the stack applies: migrations, seed.sql, the platform layer. */
export async function sqlChecksums(): Promise<Record<string, string>> {
  const files = [
    ...[...Deno.readDirSync(`${REPO_ROOT}/supabase/migrations`)]
      .filter((f) => f.isFile && /^\d+_.+\.sql$/.test(f.name))
      .map((f) => `supabase/migrations/${f.name}`),
    'supabase/seed.sql',
    'dev/stack/platform.sql',
  ].sort();
  const out: Record<string, string> = {};
  for (const f of files) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${REPO_ROOT}/${f}`);
    } catch {
      continue;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
    out[f] = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return out;
}

/** Files the database was built from that have changed (or vanished) since; `null` when nothing is recorded. */
export function changedSql(
  applied: Record<string, string> | null,
  now: Record<string, string>,
): string[] | null {
  if (applied === null) return null;
  return Object.keys(applied).filter((f) => now[f] !== applied[f]).sort();
}

export interface TestStackSession {
  env: Record<string, string>;
  /** Whether this session started PostgreSQL (and so stops the stack on close). */
  started: boolean;
  close(): Promise<void>;
}

/**
 * Brings the test stack up with fresh code (see the module comment) and returns the environment tests need.
 * `reset: true` always rebuilds the database.
 */
export async function openTestStack(
  opts: { reset?: boolean; echo?: boolean } = {},
): Promise<TestStackSession> {
  const echo = opts.echo ?? true;
  const before = await exec(stack('status'), {}, { echo: false });
  const pgWasUp = /^postgres\s+running/m.test(before.text);
  const running = SERVICES.filter((s) => new RegExp(`^${s}\\s+running`, 'm').test(before.text));
  const dir = parseEnv((await exec(stack('status', '--env'), {}, { echo: false })).text).STACK_DIR;
  const record = `${dir}/applied-sql.sha256.json`;
  const hasDb = await Deno.stat(`${dir}/pgdata/PG_VERSION`).then(() => true, () => false);
  const now = await sqlChecksums();
  const applied = await Deno.readTextFile(record).then(
    (t) => JSON.parse(t) as Record<string, string>,
    () => null,
  );
  const changed = changedSql(applied, now);

  let reason: string | null = opts.reset ? '--reset' : null;
  if (!reason && hasDb && changed === null) reason = `no record of the SQL the test database was built from`;
  if (!reason && hasDb && changed?.length) reason = `changed since applied: ${changed.join(', ')}`;

  const session: TestStackSession = {
    env: {},
    started: !pgWasUp,
    close: async () => {
      if (!session.started) return;
      session.started = false;
      console.log('test stack: stopping it (it was not running before this run)');
      const r = await exec(stack('down'), {}, { echo });
      if (r.code !== 0) console.error('test stack: `stack --profile test down` failed');
    },
  };
  const onSignal = () => {
    session.close().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener('SIGINT', onSignal);
  Deno.addSignalListener('SIGTERM', onSignal);

  try {
    if (reason) {
      console.log(`test stack: rebuilding the test database (${reason})`);
      // reset = down + fresh cluster + up: every service starts on the working tree's code.
      if ((await exec(stack('reset'), {}, { echo })).code !== 0) {
        throw new Error('could not reset the test stack');
      }
    } else {
      if ((await exec(stack('up'), {}, { echo })).code !== 0) {
        throw new Error('could not start the test stack');
      }
      for (const s of running) {
        console.log(
          `test stack: restarting ${s} (it was running: its code may be older than the working tree)`,
        );
        if ((await exec(stack('restart', s), {}, { echo })).code !== 0) {
          throw new Error(`could not restart ${s}`);
        }
      }
    }
  } catch (e) {
    await session.close(); // whatever part of it this run started
    throw e;
  }
  await Deno.writeTextFile(record, JSON.stringify(now, null, 1));

  const env = parseEnv((await exec(stack('status', '--env'), {}, { echo: false })).text);
  // What functions imported in-process by tests expect, as on Supabase.
  env.SUPABASE_URL = env.API_URL;
  env.SUPABASE_DB_URL = env.DB_URL;
  env.SUPABASE_ANON_KEY = env.ANON_KEY;
  env.SUPABASE_SERVICE_ROLE_KEY = env.SERVICE_ROLE_KEY;
  env.SUPABASE_JWT_SECRET = env.JWT_SECRET;
  env.TEST_STACK = '1';
  session.env = env;
  return session;
}

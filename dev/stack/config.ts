/**
 * Where a local stack lives and how it is reached. Two profiles run side by side: `dev` (the demo and the UI,
 * Supabase's local ports) and `test` (what `npm test` resets and uses freely).
 */
import { SignJWT } from 'jose';

export type Profile = 'dev' | 'test';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export interface Ports {
  db: number;
  api: number;
  simulators: { bling: number; omie: number; tiny: number; conta_azul: number; tiny_v3: number };
}

/**
 * Below Linux's ephemeral range (ip_local_port_range, 32768–60999 by default), from which every outgoing
 * connection takes its local port, loopback ones included: a port inside it can already be held by one of the
 * stack's own client connections (a migration's psql, a pool) when its service binds, and the bind fails
 * (docs/local-vs-hosted.md, "Ports"). Supabase's CLI uses 54321/54322 (supabase/config.toml): ours differ.
 */
const BASE: Record<Profile, number> = { dev: 24300, test: 25300 };

// STACK_PORT_OFFSET moves a whole stack (e.g. to rehearse CI or run the bench beside running stacks).
export function portsFor(profile: Profile, offset = Number(Deno.env.get('STACK_PORT_OFFSET') ?? 0)): Ports {
  const base = BASE[profile] + offset;
  return {
    db: base + 22,
    api: base + 21,
    simulators: { bling: base + 31, omie: base + 32, tiny: base + 33, conta_azul: base + 34, tiny_v3: base + 35 },
  };
}

export function allPorts(p: Ports): number[] {
  return [p.db, p.api, ...Object.values(p.simulators)];
}

/**
 * This machine's ephemeral port range (Linux; null where the kernel does not say) and the ports of `p` inside it,
 * which a service may fail to bind (see BASE).
 */
export async function portsInEphemeralRange(p: Ports): Promise<{ range: [number, number] | null; inside: number[] }> {
  let range: [number, number] | null = null;
  try {
    const [lo, hi] = (await Deno.readTextFile('/proc/sys/net/ipv4/ip_local_port_range')).trim().split(/\s+/).map(Number);
    if (Number.isFinite(lo) && Number.isFinite(hi)) range = [lo, hi];
  } catch {
    // not Linux: nothing known
  }
  return { range, inside: range ? allPorts(p).filter((port) => port >= range[0] && port <= range[1]) : [] };
}

export function profileFromEnv(): Profile {
  const p = Deno.env.get('STACK_PROFILE') ?? 'dev';
  if (p !== 'dev' && p !== 'test') throw new Error(`STACK_PROFILE must be dev or test, got ${p}`);
  return p;
}

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

async function run(cmd: string[], opts: { asPostgres?: boolean; cwd?: string } = {}): Promise<{ code: number; out: string }> {
  const argv = opts.asPostgres && isRoot() ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: 'piped', stderr: 'piped', cwd: opts.cwd }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, out: text };
}
export { run };

async function sha(text: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d)).slice(0, 6).map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The stack's state folder: `<checkout>/.stack/<profile>` when the postgres user can reach it, otherwise a
 * folder under /tmp keyed by the checkout path (CI may clone under a private home).
 */
export async function stateDir(profile: Profile): Promise<string> {
  const local = `${REPO_ROOT}/.stack/${profile}`;
  if (!isRoot()) return local;
  await Deno.mkdir(local, { recursive: true });
  const probe = await run(['test', '-x', local], { asPostgres: true });
  if (probe.code === 0) {
    await run(['chown', 'postgres:postgres', local]);
    const writable = await run(['test', '-w', local], { asPostgres: true });
    if (writable.code === 0) return local;
  }
  const dir = `/tmp/erp-auto-sync-${await sha(REPO_ROOT)}/${profile}`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

export interface StackEnv {
  DB_URL: string;
  FUNCTIONS_URL: string;
  API_URL: string;
  ANON_KEY: string;
  SERVICE_ROLE_KEY: string;
  JWT_SECRET: string;
  ERP_AUTO_SYNC_SECRET: string;
  BLING_URL: string;
  OMIE_URL: string;
  TINY_URL: string;
  CONTA_AZUL_URL: string;
  /** Tiny's API v3 (OAuth2), beside its API v2 at TINY_URL. */
  TINY_V3_URL: string;
  STACK_PROFILE: Profile;
}

function randomToken(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b).map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Signs a JWT with the stack's secret. Without `expiresIn` (the stack's API keys) issued-at and expiry are
 * fixed, so the same secret always gives the same key; with it (user sessions) they count from now.
 */
export async function signJwt(secret: string, claims: Record<string, unknown>, expiresIn?: string): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (expiresIn) jwt.setIssuedAt().setExpirationTime(expiresIn);
  else jwt.setIssuedAt(1_767_225_600).setExpirationTime(2_082_758_400); // 2026-01-01 .. 2036-01-01
  return await jwt.sign(new TextEncoder().encode(secret));
}

/** Secrets are generated once per state folder and kept in `<state>/secrets.json` (git-ignored). */
export async function loadOrCreateEnv(profile: Profile, dir: string): Promise<StackEnv> {
  const file = `${dir}/secrets.json`;
  let secrets: { jwtSecret: string; cronSecret: string };
  try {
    secrets = JSON.parse(await Deno.readTextFile(file));
  } catch {
    secrets = { jwtSecret: randomToken(32), cronSecret: `sb_secret_${randomToken(20)}` };
    await Deno.writeTextFile(file, JSON.stringify(secrets), { mode: 0o600 });
  }
  const ports = portsFor(profile);
  const iss = 'supabase-demo';
  return {
    DB_URL: `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
    API_URL: `http://127.0.0.1:${ports.api}`,
    FUNCTIONS_URL: `http://127.0.0.1:${ports.api}/functions/v1`,
    ANON_KEY: await signJwt(secrets.jwtSecret, { iss, role: 'anon' }),
    SERVICE_ROLE_KEY: await signJwt(secrets.jwtSecret, { iss, role: 'service_role' }),
    JWT_SECRET: secrets.jwtSecret,
    ERP_AUTO_SYNC_SECRET: secrets.cronSecret,
    BLING_URL: `http://127.0.0.1:${ports.simulators.bling}`,
    OMIE_URL: `http://127.0.0.1:${ports.simulators.omie}`,
    TINY_URL: `http://127.0.0.1:${ports.simulators.tiny}`,
    CONTA_AZUL_URL: `http://127.0.0.1:${ports.simulators.conta_azul}`,
    TINY_V3_URL: `http://127.0.0.1:${ports.simulators.tiny_v3}`,
    STACK_PROFILE: profile,
  };
}

/** ERP_AUTO_SYNC_MAX_IN_FLIGHT of the test stack's functions. */
export const TEST_MAX_IN_FLIGHT = 24;

/** The environment Supabase gives Edge Functions, built from the stack env. */
export function functionsEnv(env: StackEnv): Record<string, string> {
  return {
    SUPABASE_URL: env.API_URL,
    SUPABASE_DB_URL: env.DB_URL,
    SUPABASE_ANON_KEY: env.ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: env.SERVICE_ROLE_KEY,
    SUPABASE_JWT_SECRET: env.JWT_SECRET,
    ERP_AUTO_SYNC_SECRET: env.ERP_AUTO_SYNC_SECRET,
    // The OAuth apps the local ERP simulators accept (dev/simulators: `<erp>-client-id` / `<erp>-client-secret`).
    BLING_CLIENT_ID: 'bling-client-id',
    BLING_CLIENT_SECRET: 'bling-client-secret',
    CONTA_AZUL_CLIENT_ID: 'conta_azul-client-id',
    CONTA_AZUL_CLIENT_SECRET: 'conta_azul-client-secret',
    TINY_CLIENT_ID: 'tiny-client-id', // Tiny API v3 (dev/simulators/tiny_v3)
    TINY_CLIENT_SECRET: 'tiny-client-secret',
    // Tests kill the functions process mid-sync and expect the next run to recover quickly.
    ERP_SYNC_LEASE_SECONDS: env.STACK_PROFILE === 'test' ? '10' : '120',
    // A small in-flight cap on the test stack, so the chaos backlog night runs into it (default 160).
    ...(env.STACK_PROFILE === 'test' ? { ERP_AUTO_SYNC_MAX_IN_FLIGHT: String(TEST_MAX_IN_FLIGHT) } : {}),
    // The simulators listen on the profile's ports.
    SIM_BLING_PORT: new URL(env.BLING_URL).port,
    SIM_OMIE_PORT: new URL(env.OMIE_URL).port,
    SIM_TINY_PORT: new URL(env.TINY_URL).port,
    SIM_CONTA_AZUL_PORT: new URL(env.CONTA_AZUL_URL).port,
    SIM_TINY_V3_PORT: new URL(env.TINY_V3_URL).port,
    SIM_ACCOUNTS: '0',
  };
}

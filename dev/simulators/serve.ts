/**
 * Starts the ERP simulators (never deployed): Bling, Omie, Tiny (API v2), Conta Azul and Tiny API v3.
 *
 *   npx deno run -A dev/simulators/serve.ts [--accounts 3] [--seed 42] [--latency 80] [--jitter 20]
 *       [--failure-rate 0.02] [--rate-limit-rate 0] [--retry-after 1] [--malformed-rate 0] [--slow-page 0]
 *       [--no-limits] [--only bling,tiny] [--host 127.0.0.1] [--accounts-file /tmp/sim-accounts.json]
 *       [--bling-port 24331] [--omie-port 24332] [--tiny-port 24333] [--conta-azul-port 24334]
 *       [--tiny-v3-port 24335]
 *
 * Every flag has an env twin: SIM_ACCOUNTS, SIM_SEED, SIM_LATENCY_MS, SIM_JITTER_MS, SIM_FAILURE_RATE,
 * SIM_RATE_LIMIT_RATE, SIM_RETRY_AFTER_S, SIM_MALFORMED_RATE, SIM_SLOW_PAGE_MS, SIM_NO_LIMITS=1, SIM_ONLY,
 * SIM_HOST, SIM_ACCOUNTS_FILE, SIM_BLING_PORT, SIM_OMIE_PORT, SIM_TINY_PORT, SIM_CONTA_AZUL_PORT, SIM_TINY_V3_PORT.
 * State (accounts and the tokens issued) is kept in SIM_STATE_DIR — `$STACK_DIR/simulators` under the local
 * stack — so a restarted stack honours what it handed out; without either, it lives in memory only.
 * Knobs can be changed at run time: `curl -X POST localhost:24331/__admin/knobs -d '{"latencyMs":200}'`;
 * accounts are provisioned with `POST /__admin/accounts` (see common/types.ts for the admin API).
 *
 * Programmatic use (stack, demo, benchmark): `const sims = await startSimulators({ ... }); await sims.close();`
 */
import { parseArgs } from 'node:util';
import { createBlingSimulator } from './bling/index.ts';
import { createContaAzulSimulator } from './conta_azul/index.ts';
import { createOmieSimulator } from './omie/index.ts';
import { createTinySimulator } from './tiny/index.ts';
import { createTinyV3Simulator, TINY_V3_API_PATH, TINY_V3_AUTH_PATH } from './tiny_v3/index.ts';
import { persistSimulatorState } from './common/tokens.ts';
import { portsFor } from '../stack/config.ts';
import type {
  Knobs,
  ProvisionedAccount,
  SimErp,
  Simulator,
  SimulatorFactory,
  SimulatorOptions,
} from './common/types.ts';

/** One simulator per ERP API: the ERP types, plus Tiny's API v3 (a Tiny connection with api_version 'v3'). */
export type SimName = SimErp | 'tiny_v3';

/** The dev stack's simulator ports (dev/stack/config.ts). */
export const DEFAULT_PORTS: Record<SimName, number> = portsFor('dev', 0).simulators;

/** Base URLs the adapters use for each simulator (API path included). */
export const API_PATHS: Record<SimName, { api: string; auth?: string }> = {
  bling: { api: '/Api/v3' },
  omie: { api: '/api/v1' },
  tiny: { api: '/api2' },
  conta_azul: { api: '', auth: '' },
  tiny_v3: { api: TINY_V3_API_PATH, auth: TINY_V3_AUTH_PATH },
};

const FACTORIES: Record<SimName, SimulatorFactory> = {
  bling: createBlingSimulator,
  omie: createOmieSimulator as SimulatorFactory,
  tiny: createTinySimulator,
  conta_azul: createContaAzulSimulator,
  tiny_v3: createTinyV3Simulator,
};

/**
 * Where a simulator keeps its state under the stack's folder. Tiny v3 shares the Tiny simulator's core (its
 * accounts file is named after the ERP, `accounts-tiny`), so it keeps its files in a folder of its own.
 */
function stateDirOf(dir: string, name: SimName): string {
  return name === 'tiny_v3' ? `${dir}/tiny_v3` : dir;
}

export interface StartOptions {
  only?: SimName[];
  host?: string;
  ports?: Partial<Record<SimName, number>>;
  /** Keep accounts and issued tokens in this folder (the local stack's `$STACK_DIR/simulators`). */
  stateDir?: string;
  seed?: number;
  /** Accounts provisioned per simulator at start (`<erp>-1..N`). */
  accounts?: number;
  knobs?: Partial<Knobs>;
  simulator?: Partial<SimulatorOptions>;
}

export interface RunningSimulator {
  erp: SimName;
  sim: Simulator;
  origin: string;
  baseUrl: string;
  authUrl?: string;
  accounts: ProvisionedAccount[];
}

export interface RunningSimulators {
  list: RunningSimulator[];
  get(erp: SimName): RunningSimulator | undefined;
  close(): Promise<void>;
}

export async function startSimulators(o: StartOptions = {}): Promise<RunningSimulators> {
  const host = o.host ?? '127.0.0.1';
  const erps = o.only ?? (Object.keys(FACTORIES) as SimName[]);
  const servers: Deno.HttpServer[] = [];
  const list: RunningSimulator[] = [];
  try {
    for (const erp of erps) {
      const port = o.ports?.[erp] ?? DEFAULT_PORTS[erp];
      // Port 0 (tests): the real port is known only after listening; links then use the request's origin.
      const publicUrl = port === 0 ? undefined : `http://${host}:${port}`;
      // Each store opens its state file when the simulator is created.
      if (o.stateDir) persistSimulatorState(stateDirOf(o.stateDir, erp));
      const sim = FACTORIES[erp]({ seed: o.seed ?? 42, knobs: o.knobs, publicUrl, ...o.simulator });
      const server = Deno.serve({ port, hostname: host, onListen: () => {} }, sim.handler);
      servers.push(server);
      const origin = `http://${host}:${(server.addr as Deno.NetAddr).port}`;
      // Accounts kept from an earlier run (persistSimulatorState): provisioning them again is idempotent (same
      // data, the same current credentials) and rebuilds each simulator's in-memory lookups (e.g. Omie's
      // app_key index). Revoked ones stay revoked (provisioning would issue them a new grant).
      for (const a of sim.admin.accounts()) if (!a.revoked) sim.admin.provision({ accountId: a.accountId });
      const accounts: ProvisionedAccount[] = [];
      for (let i = 1; i <= (o.accounts ?? 0); i++) {
        accounts.push(sim.admin.provision({ accountId: `${erp}-${i}` }));
      }
      const paths = API_PATHS[erp];
      list.push({
        erp,
        sim,
        origin,
        baseUrl: origin + paths.api,
        ...(paths.auth !== undefined ? { authUrl: origin + paths.auth } : {}),
        accounts,
      });
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.shutdown()));
    throw e;
  } finally {
    if (o.stateDir) persistSimulatorState(o.stateDir);
  }
  return {
    list,
    get: (erp) => list.find((r) => r.erp === erp),
    close: async () => {
      await Promise.all(servers.map((s) => s.shutdown()));
    },
  };
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
}

if (import.meta.main) {
  const env = (k: string) => Deno.env.get(k);
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      accounts: { type: 'string' },
      seed: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      'failure-rate': { type: 'string' },
      'rate-limit-rate': { type: 'string' },
      'retry-after': { type: 'string' },
      'malformed-rate': { type: 'string' },
      'slow-page': { type: 'string' },
      'no-limits': { type: 'boolean' },
      only: { type: 'string' },
      host: { type: 'string' },
      'accounts-file': { type: 'string' },
      'bling-port': { type: 'string' },
      'omie-port': { type: 'string' },
      'tiny-port': { type: 'string' },
      'conta-azul-port': { type: 'string' },
      'tiny-v3-port': { type: 'string' },
    },
  });
  const pick = (flag: string | undefined, envName: string) => flag ?? env(envName);
  const knobs: Partial<Knobs> = {};
  const set = <K extends keyof Knobs>(k: K, v: Knobs[K] | undefined) => {
    if (v !== undefined) knobs[k] = v;
  };
  set('latencyMs', num(pick(values.latency, 'SIM_LATENCY_MS')));
  set('latencyJitterMs', num(pick(values.jitter, 'SIM_JITTER_MS')));
  set('failureRate', num(pick(values['failure-rate'], 'SIM_FAILURE_RATE')));
  set('rateLimitRate', num(pick(values['rate-limit-rate'], 'SIM_RATE_LIMIT_RATE')));
  set('retryAfterSeconds', num(pick(values['retry-after'], 'SIM_RETRY_AFTER_S')));
  set('malformedRate', num(pick(values['malformed-rate'], 'SIM_MALFORMED_RATE')));
  set('slowPageMs', num(pick(values['slow-page'], 'SIM_SLOW_PAGE_MS')));
  if (values['no-limits'] || env('SIM_NO_LIMITS') === '1') knobs.enforceLimits = false;
  const onlyRaw = pick(values.only, 'SIM_ONLY');
  const only = onlyRaw ? onlyRaw.split(',').map((s) => s.trim()).filter(Boolean) as SimName[] : undefined;
  for (const e of only ?? []) if (!(e in DEFAULT_PORTS)) throw new Error(`unknown simulator: ${e}`);
  const ports: Partial<Record<SimName, number>> = {
    bling: num(pick(values['bling-port'], 'SIM_BLING_PORT')),
    omie: num(pick(values['omie-port'], 'SIM_OMIE_PORT')),
    tiny: num(pick(values['tiny-port'], 'SIM_TINY_PORT')),
    conta_azul: num(pick(values['conta-azul-port'], 'SIM_CONTA_AZUL_PORT')),
    tiny_v3: num(pick(values['tiny-v3-port'], 'SIM_TINY_V3_PORT')),
  };
  const stackDir = env('STACK_DIR');
  const stateDir = env('SIM_STATE_DIR') ?? (stackDir ? `${stackDir}/simulators` : undefined);
  const sims = await startSimulators({
    stateDir,
    only,
    host: pick(values.host, 'SIM_HOST'),
    ports: Object.fromEntries(Object.entries(ports).filter(([, v]) => v !== undefined)),
    seed: num(pick(values.seed, 'SIM_SEED')),
    accounts: num(pick(values.accounts, 'SIM_ACCOUNTS')) ?? 2,
    knobs,
  });
  const file = pick(values['accounts-file'], 'SIM_ACCOUNTS_FILE');
  if (file) {
    const out = Object.fromEntries(
      sims.list.map((r) => [r.erp, { baseUrl: r.baseUrl, authUrl: r.authUrl, accounts: r.accounts }]),
    );
    await Deno.writeTextFile(file, JSON.stringify(out, null, 2));
  }
  for (const r of sims.list) {
    console.log(
      `${r.erp.padEnd(11)} ${r.baseUrl.padEnd(36)} accounts: ${
        r.accounts.map((a) => a.accountId).join(', ') || '-'
      }`,
    );
  }
  console.log(
    `admin: GET <origin>/__admin/accounts · POST /__admin/knobs · POST /__admin/revoke${
      file ? ` · credentials in ${file}` : ''
    }`,
  );
  console.log('Ctrl+C to stop.');
  const stop = async () => {
    await sims.close();
    Deno.exit(0);
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
}

/**
 * Invocation processes: one fresh Deno process per invocation (a stand-in for one Edge Function isolate),
 * booted ahead of time so module loading does not count as invocation time (a warm isolate), handed exactly
 * one job, killed with SIGTERM at the platform's wall-clock limit.
 */
import { REPO_ROOT } from '../../stack/config.ts';
import type { InvocationJob, InvocationReport } from './invocation.ts';
import { LineReader } from './lines.ts';

const SCRIPT = `${REPO_ROOT}/dev/bench/window/invocation.ts`;

/** The function secrets the local simulators accept (dev/stack/config.ts functionsEnv). */
const FUNCTION_ENV: Record<string, string> = {
  BLING_CLIENT_ID: 'bling-client-id',
  BLING_CLIENT_SECRET: 'bling-client-secret',
  CONTA_AZUL_CLIENT_ID: 'conta_azul-client-id',
  CONTA_AZUL_CLIENT_SECRET: 'conta_azul-client-secret',
};

export class InvocationProcess {
  readonly child: Deno.ChildProcess;
  private readonly out: LineReader;
  private stderrTail = '';
  readonly ready: Promise<{ bootCpuMs: number }>;

  constructor() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ['run', '-A', '--quiet', SCRIPT],
      cwd: REPO_ROOT,
      stdin: 'piped',
      stdout: 'piped',
      stderr: 'piped',
      env: { ...FUNCTION_ENV, DB_POOL_MAX: Deno.env.get('DB_POOL_MAX') ?? '5' },
    }).spawn();
    this.child = child;
    this.out = new LineReader(child.stdout);
    (async () => {
      const dec = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.stderrTail = (this.stderrTail + dec.decode(chunk, { stream: true })).slice(-4000);
      }
    })().catch(() => {});
    this.ready = this.nextJson().then((m) => {
      if (m?.type !== 'ready') throw new Error(`invocation process did not start: ${this.stderrTail}`);
      return { bootCpuMs: m.bootCpuMs as number };
    });
    this.ready.catch(() => {}); // surfaced by run()/warm(); a spare killed unused is not an error
  }

  private async nextJson(): Promise<any> {
    while (true) {
      const l = await this.out.next();
      if (l === null) return null;
      if (!l.trim().startsWith('{')) continue;
      try {
        return JSON.parse(l);
      } catch {
        continue;
      }
    }
  }

  /**
   * Runs the job. `wallLimitMs` (real): SIGTERM after that long, like the platform ending the worker.
   * `onRun` gets the run id as soon as the invocation opened its erp_sync_runs row; `onHandOn` answers its
   * hand-ons (true: the continuation was admitted), as erp-auto-sync's admission answers continueRun.
   */
  async run(
    job: InvocationJob,
    o: { wallLimitMs?: number; onRun?: (runId: string) => void; onHandOn?: () => Promise<boolean> } = {},
  ): Promise<InvocationReport> {
    await this.ready;
    const w = this.child.stdin.getWriter();
    const send = (obj: unknown) => w.write(new TextEncoder().encode(JSON.stringify(obj) + '\n'));
    await send(job);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (o.wallLimitMs !== undefined) {
      timer = setTimeout(() => {
        try {
          this.child.kill('SIGTERM');
        } catch { /* already gone */ }
      }, o.wallLimitMs);
    }
    try {
      while (true) {
        const m = await this.nextJson();
        if (m === null) {
          throw new Error(`invocation ${job.label} exited without a report: ${this.stderrTail.slice(-1500)}`);
        }
        if (m.type === 'run') {
          o.onRun?.(m.runId);
          continue;
        }
        if (m.type === 'handon') {
          const accepted = o.onHandOn ? await o.onHandOn() : false;
          await send({ accepted }).catch(() => {}); // a killed invocation no longer reads
          continue;
        }
        if (m.type === 'error') throw new Error(`invocation ${job.label} failed: ${m.error}`);
        return m as InvocationReport;
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      await w.close().catch(() => {});
      await this.child.status;
    }
  }

  kill() {
    try {
      this.child.kill('SIGKILL');
    } catch { /* gone */ }
  }
}

/** Keeps `spares` booted processes ready, like warm isolates. */
export class WorkerPool {
  private readonly spare: InvocationProcess[] = [];
  private readonly all = new Set<InvocationProcess>();

  constructor(private readonly spares = 2) {
    for (let i = 0; i < spares; i++) this.spawn();
  }

  private spawn() {
    const p = new InvocationProcess();
    this.all.add(p);
    p.child.status.then(() => this.all.delete(p));
    this.spare.push(p);
  }

  async warm(): Promise<void> {
    await Promise.all(this.spare.map((p) => p.ready));
  }

  take(): InvocationProcess {
    const p = this.spare.shift() ?? new InvocationProcess();
    if (!this.spare.includes(p)) this.all.add(p);
    this.spawn();
    return p;
  }

  /** Stops every process this pool started (spares and any still running). */
  async close(): Promise<void> {
    for (const p of this.all) {
      p.kill();
    }
    await Promise.all([...this.all].map((p) => p.child.status.catch(() => {})));
    this.spare.length = 0;
  }
}

// Issue #13 item 14: `npm run stack -- up` on a machine without PostgreSQL/pg_cron installs them through
// dev/setup-system.sh (as root), or stops before doing anything with the exact command to run.
// The machine is simulated with the script's test hooks: an empty root for its checks, and print-only mode.
import assert from 'node:assert/strict';

const ROOT = new URL('../../', import.meta.url).pathname;
const bare = { SETUP_SYSTEM_ROOT: '/nonexistent-system-root', SETUP_SYSTEM_PRINT_ONLY: '1' };

async function run(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(args[0], { args: args.slice(1), cwd: ROOT, env, stdout: 'piped', stderr: 'piped' })
    .output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

Deno.test('stack up on a fresh machine: stops first and prints the exact install command', async () => {
  const r = await run([Deno.execPath(), 'run', '-A', 'dev/stack/stack.ts', '--profile', 'test', 'up'], bare);
  assert.equal(r.code, 1, r.text);
  assert.match(r.text, /apt-get install -y --no-install-recommends postgresql-15 postgresql-15-cron postgresql-client-15/);
  assert.doesNotMatch(r.text, /starting PostgreSQL|creating cluster/, 'nothing was started');
});

Deno.test('setup-system.sh --stack asks only for what the stack needs; without it, for everything', async () => {
  const stack = await run(['bash', 'dev/setup-system.sh', '--stack'], bare);
  assert.equal(stack.code, 1);
  assert.match(stack.text, /missing system packages: postgresql-15 postgresql-15-cron postgresql-client-15\n/);
  const all = await run(['bash', 'dev/setup-system.sh'], bare);
  assert.match(all.text, /postgresql-15-pgtap/);
  assert.match(all.text, /chromium/);
  const here = await run(['bash', 'dev/setup-system.sh', '--stack'], {});
  assert.equal(here.code, 0, 'on this machine everything is installed: quiet success');
  assert.equal(here.text, '');
});

// A cluster keeps the port written at initdb in its postgresql.conf. Started later under other ports (another
// STACK_PORT_OFFSET, or a checkout from before the ports moved below the ephemeral range), it listened on the old
// one and `stack up` failed at the first migration ("connection refused" on the new port).
Deno.test('a cluster made under other ports starts on the current one', async () => {
  const { Stack } = await import('./stack.ts');
  const { portsFor } = await import('./config.ts');
  const dir = await Deno.makeTempDir({ prefix: 'erp-stack-port-' });
  await Deno.chmod(dir, 0o755);
  const offset = Deno.env.get('STACK_PORT_OFFSET');
  const listening = async (port: number) => {
    try {
      (await Deno.connect({ hostname: '127.0.0.1', port })).close();
      return true;
    } catch {
      return false;
    }
  };
  const stack = new Stack('test', dir, {} as never);
  try {
    Deno.env.set('STACK_PORT_OFFSET', '7000'); // 32322: below the ephemeral range, apart from the real stacks
    await stack.startPg();
    assert.ok(await listening(portsFor('test').db));
    await stack.stopPg();
    Deno.env.set('STACK_PORT_OFFSET', '7001');
    await stack.startPg();
    assert.ok(await listening(portsFor('test').db), `listening on ${portsFor('test').db}, where the clients look`);
  } finally {
    await stack.stopPg().catch(() => {});
    if (offset === undefined) Deno.env.delete('STACK_PORT_OFFSET');
    else Deno.env.set('STACK_PORT_OFFSET', offset);
    await Deno.remove(dir, { recursive: true });
  }
});

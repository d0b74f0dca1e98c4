// The CPU clock an invocation reads (runtime.ts cpuClock): its own process's CPU, except where one process serves
// every invocation (the local functions server sets ERP_AUTO_SYNC_CPU_CLOCK=shared; docs/local-vs-hosted.md R1):
// then it is not measurable and the fixed cap applies. Module-level state, so each case is a fresh process.
import assert from 'node:assert/strict';

async function measurable(env: Record<string, string>): Promise<string> {
  const code = `const { cpuClock, backgroundLimits } = await import(${JSON.stringify(new URL('./runtime.ts', import.meta.url).href)});
    const l = backgroundLimits();
    console.log(JSON.stringify({ measurable: cpuClock.measurable, cpuMs: l.cpuMs ?? null, cap: l.maxConnections ?? null }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['eval', '--no-check', code],
    env: { ...env, SUPABASE_DB_URL: 'postgresql://unused@127.0.0.1:1/x' },
    stdout: 'piped',
    stderr: 'piped',
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test('the CPU clock: an isolate of its own measures itself; a shared process uses the fixed cap', async () => {
  assert.equal(await measurable({}), JSON.stringify({ measurable: true, cpuMs: 2000, cap: null }));
  assert.equal(await measurable({ ERP_AUTO_SYNC_CPU_CLOCK: 'shared' }), JSON.stringify({ measurable: false, cpuMs: null, cap: 8 }));
});

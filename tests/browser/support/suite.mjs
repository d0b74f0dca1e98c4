// What every browser test file starts with: whether its suite can run (never a silent pass), and a wait on a
// condition instead of a sleep.
import { test } from 'node:test';
import { CHROMIUM } from './browser.mjs';
import { browserPrerequisites, PAGE_FUNCTIONS } from './stack.mjs';

/**
 * Why the suite `title` cannot run here, or null. When it cannot, the file gets one test standing for the suite:
 * failed where the suite must run (CI, or no stack under npm test), skipped otherwise — never an empty run.
 */
export async function suiteBlocker(title, env, functions = PAGE_FUNCTIONS) {
  const { reason, fail } = await browserPrerequisites(env, CHROMIUM, functions);
  if (reason) {
    console.log(`# ${title}: ${fail ? 'FAIL' : 'skipped'}: ${reason}`);
    test(title, { skip: fail ? false : reason }, () => {
      throw new Error(`the browser suite cannot run: ${reason}`);
    });
  }
  return reason;
}

/** Polls `probe` until it returns a truthy value (returned) or `timeout` passes (thrown, with the last error). */
export async function waitFor(probe, { timeout = 30_000, step = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, step));
  }
  throw new Error(`${what} not met within ${timeout} ms${last ? `: ${last}` : ''}`);
}

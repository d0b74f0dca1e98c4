/**
 * Reading each test runner's own summary (deno test, pgTAP, Vitest, node:test) into passed / failed / skipped.
 * Rules that keep a green run honest: a runner that exits non-zero has at least one failure; a test step that
 * reports no test at all (nothing passed, failed or skipped) is a failure — it proved nothing.
 */

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
  /** Names of the failed tests, where the runner lists them (printed again under the summary). */
  failures?: string[];
}

/** A test step's counts with the two rules above applied. */
export function settle(c: Counts, exitCode: number): Counts {
  const out = { ...c };
  if (exitCode !== 0 && out.failed === 0) {
    out.failed = 1;
    out.note ??= `exited ${exitCode}`;
  }
  if (out.passed + out.failed + out.skipped === 0) {
    out.failed = 1;
    out.note ??= 'reported no tests';
  }
  return out;
}

/** `deno test`: "ok | 12 passed (3 steps) | 0 failed | 2 ignored (1s)" / "FAILED | 10 passed | 2 failed (1s)". */
export function denoSummary(text: string, exitCode: number): Counts {
  const line = text.split('\n').reverse().find((l) => /^(?:ok|FAILED) \| \d+ passed/.test(l.trim()));
  if (!line) {
    return settle({ passed: 0, failed: 0, skipped: 0, note: 'could not read the deno test summary' }, 1);
  }
  const n = (word: string) => Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  const c: Counts = { passed: n('passed'), failed: n('failed'), skipped: n('ignored') };
  const failures = denoFailures(text);
  if (failures.length) c.failures = failures;
  return settle(c, exitCode);
}

/**
 * The tests `deno test` lists under its ` FAILURES ` heading ("name => ./file.ts:12:6"), in order. A long
 * run's log is read from its tail, so the names are worth repeating under the summary.
 */
export function denoFailures(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findLastIndex((l) => l.trim() === 'FAILURES');
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (/^(?:ok|FAILED) \| \d+ passed/.test(l.trim())) break;
    if (l.includes(' => ')) out.push(l.trim());
  }
  return out;
}

/** One pgTAP file's TAP output: plan, ok / not ok, `# SKIP` directives; a short plan counts as failures. */
export function pgTapSummary(text: string, exitCode: number): Counts & { plan: number | null } {
  const lines = text.split('\n');
  const planLine = lines.find((l) => /^1\.\.\d+/.test(l));
  const plan = planLine ? Number(planLine.split('..')[1]) : null;
  const skip = (l: string) => /#\s*skip\b/i.test(l);
  const ok = lines.filter((l) => /^ok \d+/.test(l));
  const notOk = lines.filter((l) => /^not ok \d+/.test(l) && !/#\s*todo\b/i.test(l));
  const seen = lines.filter((l) => /^(?:not )?ok \d+/.test(l)).length;
  const missing = plan === null ? 1 : Math.max(0, plan - seen);
  const c: Counts = {
    passed: ok.filter((l) => !skip(l)).length,
    failed: notOk.length + missing,
    skipped: ok.filter(skip).length,
  };
  if (missing) c.note = plan === null ? 'no plan' : `${missing} planned test(s) did not run`;
  return { ...settle(c, exitCode), plan };
}

/**
 * Vitest ("Tests  1 failed | 12 passed | 1 skipped (14)") or node:test ("ℹ pass 5", "ℹ fail 0",
 * "ℹ skipped 1", "ℹ todo 0").
 */
export function runnerSummary(text: string, exitCode: number): Counts {
  const vitest = text.split('\n').find((l) => /^\s*Tests\s+\d+ (?:passed|failed|skipped|todo)/.test(l));
  if (vitest) {
    const n = (word: string) => Number(vitest.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
    return settle({ passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') }, exitCode);
  }
  const node = (word: string) => Number(text.match(new RegExp(`ℹ ${word} (\\d+)`))?.[1] ?? 0);
  return settle({
    passed: node('pass'),
    failed: node('fail') + node('cancelled'),
    skipped: node('skipped') + node('todo'),
  }, exitCode);
}

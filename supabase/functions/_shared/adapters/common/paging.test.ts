/** The checkpointed paged-phases loop: every page once, resumable anywhere, one checkpoint key (`page`). */
import assert from 'node:assert/strict';
import type { Checkpoint, Page } from '../contract.ts';
import { checkpointPage, pagedPhases, windowDone } from './paging.ts';

const WINDOW = { from: '2026-01-01', to: '2026-01-31' };
/** Two phases: 'a' has 3 pages, 'b' has 2; each page holds the record `${phase}${page}`. */
const PAGES: Record<string, number> = { a: 3, b: 2 };

function run(checkpoint: Checkpoint | null, empty: string[] = []) {
  return pagedPhases({
    phases: ['a', 'b'] as const,
    window: WINDOW,
    checkpoint,
    first: () => ({ page: 1 }),
    read: (phase, { page }) =>
      Promise.resolve(
        empty.includes(phase) ? null : {
          records: [`${phase}${page}`],
          failed: [],
          next: page < PAGES[phase] ? { page: page + 1 } : null,
        },
      ),
  });
}

async function all(it: AsyncIterable<Page<string>>) {
  const out: Page<string>[] = [];
  for await (const p of it) out.push(p);
  return out;
}

Deno.test('paged phases: every page of every phase once, checkpoints name the next page', async () => {
  const pages = await all(run(null));
  assert.deepEqual(pages.map((p) => p.records[0]), ['a1', 'a2', 'a3', 'b1', 'b2']);
  assert.deepEqual(pages.map((p) => p.checkpoint), [
    { ...WINDOW, phase: 'a', page: 2 },
    { ...WINDOW, phase: 'a', page: 3 },
    { ...WINDOW, phase: 'b', page: 1 },
    { ...WINDOW, phase: 'b', page: 2 },
    { ...WINDOW, phase: 'done' },
  ]);
});

Deno.test('paged phases: resuming from any checkpoint reads exactly the rest', async () => {
  const full = await all(run(null));
  for (let i = 0; i < full.length; i++) {
    const rest = await all(run(full[i].checkpoint));
    assert.deepEqual(rest.map((p) => p.records[0]), full.slice(i + 1).map((p) => p.records[0]));
  }
});

Deno.test('paged phases: another window, an unknown phase or a bad page start over; legacy `pagina` is read', async () => {
  const first = (cp: Checkpoint) => all(run(cp)).then((ps) => ps[0]?.records[0]);
  assert.equal(await first({ from: '2025-12-01', to: '2025-12-31', phase: 'b', page: 2 }), 'a1');
  assert.equal(await first({ ...WINDOW, phase: 'zzz', page: 2 }), 'a1');
  assert.equal(await first({ ...WINDOW, phase: 'b', page: -3 }), 'b1');
  assert.equal(await first({ ...WINDOW, phase: 'a', pagina: 3 }), 'a3');
  assert.equal(checkpointPage({ page: 4 }), 4);
  assert.equal(checkpointPage({ page: 1.5 }), 1);
});

Deno.test('paged phases: an empty phase yields nothing and the next phase follows', async () => {
  const pages = await all(run(null, ['a']));
  assert.deepEqual(pages.map((p) => p.records[0]), ['b1', 'b2']);
  assert.deepEqual(await all(run({ ...WINDOW, phase: 'done' })), []);
});

Deno.test('windowDone: only a done checkpoint of the same window', () => {
  assert.equal(windowDone({ ...WINDOW, phase: 'done' }, WINDOW), true);
  assert.equal(windowDone({ from: WINDOW.from, to: '2026-02-28', phase: 'done' }, WINDOW), false);
  assert.equal(windowDone({ ...WINDOW, phase: 'a', page: 2 }, WINDOW), false);
  assert.equal(windowDone(null, WINDOW), false);
});

/**
 * The checkpointed paged-phases loop every adapter runs: an entity is read as a sequence of phases (issued then
 * received notes, receivables then payables...), each phase page by page from a cursor; after every page the
 * adapter yields the records with a checkpoint saying where the next page starts, so a sync interrupted anywhere
 * resumes without losing or repeating a page.
 *
 * Checkpoint: `{ from?, to?, phase, ...cursor }` where the cursor always names its page `page` (plus whatever an
 * adapter needs: a date range, a sub-window); `{ phase: 'done' }` when everything was read. A checkpoint of
 * another window, or of an unknown phase, starts over.
 */
import type { Checkpoint, DateWindow, FailedRecord, Page } from '../contract.ts';

/** Where a phase stands: `page` (1-based) and any adapter-specific position. */
export type Cursor = { page: number } & Checkpoint;

/** One page read: its records, and the cursor of the next page (null when the phase ends with this page). */
export interface PhasePage<T, C extends Cursor> {
  records: T[];
  failed: FailedRecord[];
  next: C | null;
}

export interface PagedPhases<P extends string, C extends Cursor, T> {
  phases: readonly P[];
  /** The sync window the checkpoint belongs to (absent for entities without one, e.g. products). */
  window?: DateWindow;
  checkpoint: Checkpoint | null;
  /** The cursor a phase starts from. */
  first: (phase: P) => C;
  /** The cursor a checkpoint of `phase` resumes from (default: `first(phase)` at the checkpoint's page). */
  resume?: (phase: P, checkpoint: Checkpoint) => C;
  /** Reads one page; null = nothing (more) to read in this phase (e.g. an "empty page" fault). */
  read: (phase: P, cursor: C) => Promise<PhasePage<T, C> | null>;
}

/** A positive integer page from a checkpoint (legacy checkpoints named it `pagina`), else 1. */
export function checkpointPage(cp: Checkpoint): number {
  const p = cp.page ?? cp.pagina;
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 ? p : 1;
}

const sameWindow = (cp: Checkpoint, w?: DateWindow) => !w || (cp.from === w.from && cp.to === w.to);

/** The checkpoint says all of `window` was read: a caller can skip its set-up (e.g. loading categories). */
export function windowDone(cp: Checkpoint | null, window: DateWindow): boolean {
  return cp?.phase === 'done' && sameWindow(cp, window);
}

export async function* pagedPhases<P extends string, C extends Cursor, T>(
  o: PagedPhases<P, C, T>,
): AsyncGenerator<Page<T>> {
  const win: Checkpoint = o.window ? { from: o.window.from, to: o.window.to } : {};
  let phaseIdx = 0;
  let cursor: C = o.first(o.phases[0]);
  const cp = o.checkpoint;
  if (cp && sameWindow(cp, o.window)) {
    if (cp.phase === 'done') return;
    const idx = o.phases.indexOf(cp.phase as P);
    if (idx >= 0) {
      phaseIdx = idx;
      cursor = o.resume
        ? o.resume(o.phases[idx], cp)
        : { ...o.first(o.phases[idx]), page: checkpointPage(cp) };
    }
  }
  while (phaseIdx < o.phases.length) {
    const phase = o.phases[phaseIdx];
    const got = await o.read(phase, cursor);
    if (got === null || got.next === null) {
      phaseIdx++;
      if (phaseIdx < o.phases.length) cursor = o.first(o.phases[phaseIdx]);
    } else {
      cursor = got.next;
    }
    if (got === null) continue;
    const checkpoint: Checkpoint = phaseIdx < o.phases.length
      ? { ...win, phase: o.phases[phaseIdx], ...cursor }
      : { ...win, phase: 'done' };
    yield { records: got.records, failed: got.failed, checkpoint };
  }
}

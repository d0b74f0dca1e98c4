/**
 * erp-auto-sync — the nightly run (verify_jwt = false; authorised by ERP_AUTO_SYNC_SECRET only).
 *
 * POST { source: 'cron' | 'ops', connection_ids?: uuid[], dry_run?: boolean, concurrency?: 1..N,
 *        continuation_of?: uuid }
 *  - cron (and continuations): 202 { run_id, accepted: true } at once; the work goes on in the background
 *    (EdgeRuntime.waitUntil) so pg_net's timeout never matters; the result lands in erp_sync_runs/logs.
 *  - ops: waits and answers { run_id, processed, succeeded, failed, remaining, duration_ms, results }.
 *  - dry_run: { remaining, would_run: [...] } and nothing written.
 * Background invocations stay inside the platform's limits (_shared/sync/orchestrator.ts): each is admitted only
 * while the invocations alive are under the ceiling set by the database connection budget (refused: 202
 * { accepted: false }), stops claiming when its
 * wall-clock budget is spent or its measured CPU would pass the 2 s budget, gives every sync a deadline under the
 * wall clock, and hands the rest of the night to a continuation (same function, its own secret) at that moment.
 * The cron call and each sweep also start as many chains as the free due rows need, under the ceiling.
 */
import { z } from 'zod';
import { withCors } from '../_shared/api/cors.ts';
import { errorResponse, json, parseJsonBody } from '../_shared/api/respond.ts';
import { requireCronSecret } from '../_shared/auth/cron-secret.ts';
import { countDue } from '../_shared/db/connections.ts';
import { continuationEnv, continueRun } from '../_shared/sync/continuation.ts';
import { chainsToStart, dryRun, executeRun, openAutoSyncRun, type RunRequest } from '../_shared/sync/orchestrator.ts';
import { backgroundLimits, cpuClock, engineDeps, newOwner, settings } from '../_shared/sync/runtime.ts';

const Body = z.object({
  source: z.enum(['cron', 'ops']),
  connection_ids: z.array(z.uuid()).min(1).max(1000).optional(),
  dry_run: z.boolean().optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  continuation_of: z.uuid().optional(),
}).strict();

declare const EdgeRuntime: { waitUntil(p: Promise<unknown>): void } | undefined;

function inBackground(p: Promise<unknown>) {
  if (typeof EdgeRuntime !== 'undefined' && EdgeRuntime?.waitUntil) EdgeRuntime.waitUntil(p);
  else p.catch((e) => console.error('erp-auto-sync background run failed:', e));
}

async function handler(req: Request): Promise<Response> {
  try {
    if (req.method !== 'POST') return json({ error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } }, 405);
    await requireCronSecret(req); // before anything is read or written
    const body = await parseJsonBody(req, Body, { allowEmpty: false });
    const request: RunRequest = {
      source: body.source,
      connectionIds: body.connection_ids,
      dryRun: body.dry_run,
      concurrency: body.concurrency,
      continuationOf: body.continuation_of,
    };
    const deps = engineDeps(newOwner('auto'));
    if (request.dryRun) return json(await dryRun(deps.sql, request, deps.now()));

    const startedAt = deps.now().getTime();
    const cpuMs = cpuClock.forInvocation();
    const background = request.source === 'cron' || !!request.continuationOf;
    const limits = backgroundLimits();
    const opened = await openAutoSyncRun(deps.sql, request, deps.now(), deps.leaseSeconds, background ? limits : undefined);
    if (!opened) return json({ run_id: null, accepted: false, reason: 'the invocations alive already fill the ceiling' }, 202);
    const { runId, recovered } = opened;
    const handOn = () => continueRun(continuationEnv(), runId, request.concurrency);
    const work = async () => {
      if (background && !request.continuationOf && !request.connectionIds) {
        // The cron call or a sweep: as many chains as the free due rows need, minus the invocations alive, under the ceiling.
        const freeDue = await countDue(deps.sql, deps.now());
        const extra = chainsToStart({ freeDue, alive: opened.alive, perInvocation: limits.perInvocation, ceiling: limits.ceiling });
        await Promise.all(Array.from({ length: extra }, handOn));
      }
      return await executeRun(
        deps,
        runId,
        recovered,
        request,
        background ? limits : { wallMs: limits.wallMs, closeMarginMs: limits.closeMarginMs, claimMs: settings.budgetMs, maxConcurrency: settings.maxConcurrency },
        background && !request.connectionIds ? { handOn, cpuMs, startedAt } : { startedAt, cpuMs },
      );
    };
    if (background) {
      inBackground(work());
      return json({ run_id: runId, accepted: true }, 202);
    }
    return json(await work());
  } catch (e) {
    return errorResponse(e);
  }
}

export default { fetch: withCors(handler) } satisfies Deno.ServeDefaultExport;

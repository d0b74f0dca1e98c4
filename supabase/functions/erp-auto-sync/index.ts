/**
 * erp-auto-sync — the nightly run (verify_jwt = false; authorised by ERP_AUTO_SYNC_SECRET only).
 *
 * POST { source: 'cron' | 'ops', connection_ids?: uuid[], dry_run?: boolean, concurrency?: 1..N,
 *        continuation_of?: uuid }
 *  - cron (and continuations): 202 { run_id, accepted: true } at once; the work goes on in the background
 *    (EdgeRuntime.waitUntil) so pg_net's timeout never matters; the result lands in erp_sync_runs/logs.
 *  - ops: waits and answers { run_id, processed, succeeded, failed, remaining, duration_ms, results }.
 *  - dry_run: { remaining, would_run: [...] } and nothing written.
 * Background invocations stay inside the platform's limits: each stops claiming after its wall-clock budget or
 * ERP_AUTO_SYNC_MAX_PER_INVOCATION connections (the 2 s CPU budget) and, with connections still due, invokes
 * itself again with the same secret (continuation_of = this run). On a big night the first one also starts
 * side-by-side invocations (ERP_AUTO_SYNC_MAX_PARALLEL), so any number of connections finishes in the night.
 */
import { z } from 'zod';
import { errorResponse, json, parseJsonBody } from '../_shared/api/respond.ts';
import { requireCronSecret } from '../_shared/auth/cron-secret.ts';
import { countDue } from '../_shared/db/connections.ts';
import { continuationEnv, continueRun } from '../_shared/sync/continuation.ts';
import {
  dryRun,
  executeRun,
  openAutoSyncRun,
  parallelInvocations,
  type RunRequest,
  shouldContinue,
} from '../_shared/sync/orchestrator.ts';
import { engineDeps, newOwner, settings } from '../_shared/sync/runtime.ts';

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

    const { runId, recovered } = await openAutoSyncRun(deps.sql, request, deps.now(), deps.leaseSeconds);
    const background = request.source === 'cron' || !!request.continuationOf;
    const work = async () => {
      if (background && !request.continuationOf && !request.connectionIds) {
        // A big night: start side-by-side invocations, each taking a share and continuing itself.
        const due = await countDue(deps.sql, deps.now());
        const extra = parallelInvocations(due, settings.maxPerInvocation, settings.maxParallel) - 1;
        await Promise.all(Array.from({ length: extra }, () => continueRun(continuationEnv(), runId, request.concurrency)));
      }
      const summary = await executeRun(deps, runId, recovered, request, {
        budgetMs: settings.budgetMs,
        maxConcurrency: settings.maxConcurrency,
        maxConnections: background ? settings.maxPerInvocation : undefined,
      });
      if (shouldContinue(summary, request)) await continueRun(continuationEnv(), runId, request.concurrency);
      return summary;
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

export default { fetch: handler } satisfies Deno.ServeDefaultExport;

/**
 * The plan's naive design: one invocation walks every due connection in turn (no claim, lease, budget or progress)
 * with the same adapters, imports, writes and triggers as our engine.
 */
import { ENTITIES } from '../../../supabase/functions/_shared/adapters/contract.ts';
import { loadCheckpoints } from '../../../supabase/functions/_shared/db/checkpoints.ts';
import { type ConnectionRow, listDue } from '../../../supabase/functions/_shared/db/connections.ts';
import { rebuildDre, upsertFinancialEntries, upsertProducts, upsertProfile } from '../../../supabase/functions/_shared/db/synced-data.ts';
import { toAppError } from '../../../supabase/functions/_shared/errors.ts';
import { parseSyncConfig } from '../../../supabase/functions/_shared/sync/config.ts';
import type { EngineDeps } from '../../../supabase/functions/_shared/sync/engine.ts';
import { nextSlotAfter } from '../../../supabase/functions/_shared/sync/schedule.ts';
import { FOLLOW_UPS } from '../../../supabase/functions/_shared/sync/triggers.ts';
import { financialsWindow, nfeWindow } from '../../../supabase/functions/_shared/sync/window.ts';
import { realNow } from './clock.ts';

export interface NaiveOutcome {
  id: string;
  status: 'success' | 'partial' | 'error';
  records: number;
  failed: number;
  startedAt: number; // real epoch ms
  endedAt: number;
  error?: string;
}

export async function naiveRun(
  deps: EngineDeps,
  ids: string[],
  onConnection: (o: NaiveOutcome) => void,
): Promise<{ processed: number }> {
  const { sql } = deps;
  const due: ConnectionRow[] = await listDue(sql, deps.now(), ids, ids.length);
  for (const conn of due) await syncOne(deps, conn, onConnection);
  return { processed: due.length };
}

export async function syncOne(deps: EngineDeps, conn: ConnectionRow, onConnection: (o: NaiveOutcome) => void) {
  const { sql } = deps;
  const startedAt = realNow();
  const started = new Date();
  const cfg = parseSyncConfig(conn.sync_config);
  const saved = await loadCheckpoints(sql, conn.id);
  const adapter = deps.adapterFor(conn, new AbortController().signal);
  const now = deps.now();
  let records = 0, failed = 0, errors = 0;
  let firstError: string | undefined;
  for (const entity of ENTITIES) {
    try {
      switch (entity) {
        case 'nfe': {
          const w = nfeWindow(now, cfg, saved.get('nfe')?.synced_through ?? null);
          for await (const page of adapter.nfe(w, null)) {
            const r = await deps.importNfe(sql, {
              companyId: conn.company_id,
              companyCnpj: conn.company_cnpj ?? undefined,
              connectionId: conn.id,
              source: conn.erp_type,
              documents: page.records.map((d) => ({ externalId: d.externalId, xml: d.xml })),
            });
            records += r.imported + r.updated + r.unchanged + r.events;
            failed += page.failed.length + r.failed.length;
          }
          break;
        }
        case 'products':
          for await (const page of adapter.products(null)) {
            records += await upsertProducts(sql, conn.company_id, conn.id, page.records);
            failed += page.failed.length;
          }
          break;
        case 'financials': {
          const w = financialsWindow(now, cfg, saved.get('financials')?.synced_through ?? null);
          for await (const page of adapter.financials(w, null)) {
            records += await upsertFinancialEntries(sql, conn.company_id, conn.id, page.records);
            failed += page.failed.length;
          }
          await rebuildDre(sql, conn.company_id, w.from, w.to, conn.erp_type);
          break;
        }
        case 'profile':
          await upsertProfile(sql, conn.company_id, conn.erp_type, await adapter.profile());
          records += 1;
          break;
      }
      await deps.trigger(FOLLOW_UPS[entity], { company_id: conn.company_id, connection_id: conn.id });
    } catch (e) {
      errors++;
      firstError ??= `${entity}: ${toAppError(e).code}`;
    }
  }
  const status = errors === 0 ? 'success' : errors === ENTITIES.length ? 'error' : 'partial';
  const completed = new Date();
  await sql`
    insert into public.erp_sync_logs (connection_id, company_id, sync_type, status, started_at, completed_at, heartbeat_at,
      records_synced, records_failed, duration_ms, error_message)
    values (${conn.id}, ${conn.company_id}, 'auto', ${status}, ${started}, ${completed}, ${completed}, ${records}, ${failed},
      ${Math.round(completed.getTime() - started.getTime())}, ${firstError ?? null})`;
  await sql`update public.erp_connections set last_sync_at = ${completed}, next_sync_at = ${nextSlotAfter(completed)},
            status = 'active' where id = ${conn.id}`;
  onConnection({ id: conn.id, status, records, failed, startedAt, endedAt: realNow(), error: firstError });
}

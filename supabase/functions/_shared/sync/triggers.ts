/**
 * Follow-up analyses, triggered after each entity lands (service-role call to the analysis function).
 * A trigger that fails is recorded in the log's details and never fails the sync.
 */
import type { Entity } from '../adapters/contract.ts';
import { redact } from '../errors.ts';

export const FOLLOW_UPS: Record<Entity, string> = {
  nfe: 'analyze-credits',
  products: 'analyze-ncm-from-xmls',
  financials: 'calculate-tax-score',
  profile: 'match-opportunities',
};

export interface TriggerOutcome {
  function: string;
  ok: boolean;
  status?: number;
  error?: string;
}

export type Trigger = (fn: string, body: Record<string, unknown>) => Promise<TriggerOutcome>;

/** Calls `<SUPABASE_URL>/functions/v1/<fn>` with the service-role key, bounded by a timeout. */
export function httpTrigger(opts: { baseUrl?: string; serviceKey?: string; timeoutMs?: number } = {}): Trigger {
  const baseUrl = opts.baseUrl ?? Deno.env.get('SUPABASE_URL');
  const key = opts.serviceKey ?? Deno.env.get('SUPABASE_SERVICE_ROLE_KEY');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return async (fn, body) => {
    if (!baseUrl || !key) return { function: fn, ok: false, error: 'SUPABASE_URL or service key not configured' };
    try {
      const res = await fetch(`${baseUrl}/functions/v1/${fn}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, apikey: key, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      return res.ok
        ? { function: fn, ok: true, status: res.status }
        : { function: fn, ok: false, status: res.status, error: redact(text.slice(0, 300)) };
    } catch (e) {
      return { function: fn, ok: false, error: redact(e instanceof Error ? e.message : String(e)) };
    }
  };
}

/**
 * Handing the rest of a night to another background invocation of erp-auto-sync. The call carries the
 * function's own secret (ERP_AUTO_SYNC_SECRET), never a header the caller presented: a caller may present
 * several (an anon key as Bearer and the secret as apikey) and only the function knows which one is right.
 */
export interface ContinuationEnv {
  /** SUPABASE_URL */
  baseUrl: string | undefined;
  /** ERP_AUTO_SYNC_SECRET */
  secret: string | undefined;
  fetch?: typeof fetch;
}

export function continuationEnv(): ContinuationEnv {
  return { baseUrl: Deno.env.get('SUPABASE_URL'), secret: Deno.env.get('ERP_AUTO_SYNC_SECRET') };
}

/**
 * Starts another background invocation continuing `runId`; false when it could not be started or admission
 * refused it (`accepted: false`: the invocations alive fill the ceiling).
 */
export async function continueRun(env: ContinuationEnv, runId: string, concurrency?: number): Promise<boolean> {
  if (!env.baseUrl || !env.secret) return false;
  try {
    const res = await (env.fetch ?? fetch)(`${env.baseUrl}/functions/v1/erp-auto-sync`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${env.secret}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ source: 'cron', continuation_of: runId, ...(concurrency ? { concurrency } : {}) }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      console.error(`erp-auto-sync: continuation answered ${res.status}`);
      return false;
    }
    const answer = await res.json().catch(() => null) as { accepted?: boolean } | null;
    return answer?.accepted !== false;
  } catch (e) {
    // The nightly sweep job picks up whatever is still due.
    console.error('erp-auto-sync: continuation failed:', e instanceof Error ? e.message : e);
    return false;
  }
}

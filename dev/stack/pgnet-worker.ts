/**
 * Local stand-in for pg_net's background worker. Requests queued by net.http_post/http_get/http_delete are
 * sent after their transaction commits (woken by NOTIFY at commit, plus a poll), honouring
 * timeout_milliseconds, and the outcome is written to net._http_response as pg_net records it:
 * status_code / content_type / headers / content on an answer (4xx/5xx included), `timed_out = true` with
 * "Timeout of N ms reached..." on a timeout, `error_msg` on a transport error. Never retries (pg_net doesn't).
 * Responses older than pg_net.ttl (6 hours) are deleted.
 */
import postgres from 'postgres';

const DB_URL = Deno.env.get('SUPABASE_DB_URL') ?? Deno.env.get('DB_URL');
if (!DB_URL) throw new Error('pgnet-worker: SUPABASE_DB_URL is not set');

const BATCH_SIZE = 200; // pg_net.batch_size
const TTL = '6 hours'; // pg_net.ttl

const sql = postgres(DB_URL, { max: 4, onnotice: () => {} });

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

async function deliver(req: QueuedRequest): Promise<void> {
  const started = performance.now();
  let row: Record<string, unknown>;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'POST' && req.body ? new Uint8Array(req.body) : undefined,
      signal: AbortSignal.timeout(req.timeout_milliseconds),
    });
    const content = await res.text();
    row = {
      status_code: res.status,
      content_type: res.headers.get('content-type'),
      headers: Object.fromEntries(res.headers.entries()),
      content,
      timed_out: false,
      error_msg: null,
    };
  } catch (e) {
    const elapsed = Math.round(performance.now() - started);
    const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
    row = {
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut
        ? `Timeout of ${req.timeout_milliseconds} ms reached. Total time: ${elapsed} ms`
        : curlLikeMessage(e),
    };
  }
  await sql`
    insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
    values (${req.id}, ${row.status_code as number | null}, ${row.content_type as string | null},
            ${row.headers ? sql.json(row.headers as Record<string, string>) : null}, ${row.content as string | null},
            ${row.timed_out as boolean}, ${row.error_msg as string | null})`;
}

function curlLikeMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/refused/i.test(msg)) return "Couldn't connect to server";
  if (/dns|lookup|resolve/i.test(msg)) return "Couldn't resolve host name";
  return msg;
}

let draining = false;
let again = false;

async function drain(): Promise<void> {
  if (draining) {
    again = true;
    return;
  }
  draining = true;
  try {
    do {
      again = false;
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit ${BATCH_SIZE} for update skip locked)
        returning id::text, method, url, headers, body, timeout_milliseconds`;
      if (batch.length === 0) break;
      // Sent concurrently, like pg_net's curl multi handle.
      await Promise.all(batch.map((r) => deliver(r).catch((e) => console.error('pgnet-worker:', e))));
      again = true;
    } while (again);
  } catch (e) {
    console.error('pgnet-worker: drain failed:', e instanceof Error ? e.message : e);
  } finally {
    draining = false;
  }
}

async function sweep(): Promise<void> {
  try {
    await sql`delete from net._http_response where created < now() - ${TTL}::interval`;
  } catch { /* db restarting */ }
}

await sql.listen('pg_net_worker', () => void drain(), () => void drain());
setInterval(() => void drain(), 1000);
setInterval(() => void sweep(), 60_000);
console.error('pgnet-worker: listening');

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  Deno.addSignalListener(sig, async () => {
    await sql.end({ timeout: 2 }).catch(() => {});
    Deno.exit(0);
  });
}

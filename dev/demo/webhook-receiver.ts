/**
 * A local chat-webhook receiver for the demo and the alert tests: records every POST (body, headers) and
 * answers with the statuses it is told to (e.g. 503 then 200), so delivery and retries can be observed.
 */
export interface ReceivedHook {
  at: Date;
  status: number;
  body: Record<string, any>;
  alertId: string | null;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Statuses answered to the next requests, in order; 200 once they run out. */
  answerNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export function startWebhookReceiver(): WebhookReceiver {
  const received: ReceivedHook[] = [];
  const queue: number[] = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const status = queue.shift() ?? 200;
    let body: Record<string, any> = {};
    try {
      body = await req.json();
    } catch { /* recorded as empty */ }
    received.push({ at: new Date(), status, body, alertId: req.headers.get('x-erp-alert-id') });
    return new Response(status < 300 ? 'ok' : 'unavailable', { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    answerNext: (...statuses) => void queue.push(...statuses),
    close: () => server.shutdown(),
  };
}

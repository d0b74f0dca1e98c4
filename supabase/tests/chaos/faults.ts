/**
 * Fault injectors the simulators' knobs cannot express, run inside the test process (127.0.0.1, port 0) and
 * placed in front of a simulator by pointing a connection's api_base_url / auth_base_url at them:
 *  - httpProxy: an HTTP reverse proxy with a rule hook (truncate a page, answer 404, rewrite a link, redirect);
 *  - tcpResetProxy: a TCP-level proxy that drops connections (what a "connection reset" looks like to fetch);
 *  - foreignHost: a listener that must never be called (records every hit).
 */

export interface Hit {
  method: string;
  path: string;
  search: string;
  status?: number;
  at: number;
}

export type ProxyRule = (
  req: Request,
  url: URL,
  forward: () => Promise<Response>,
) => Promise<Response>;

export interface HttpProxy {
  origin: string;
  hits: Hit[];
  close(): Promise<void>;
}

const HOP_HEADERS = [
  'host',
  'connection',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'keep-alive',
];

/** Forwards every request to `target` (an origin), through `rule` when given. */
export function httpProxy(target: string, rule?: ProxyRule): HttpProxy {
  const hits: Hit[] = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const hit: Hit = { method: req.method, path: url.pathname, search: url.search, at: Date.now() };
    hits.push(hit);
    const body = req.method === 'GET' || req.method === 'HEAD'
      ? undefined
      : new Uint8Array(await req.arrayBuffer());
    const forward = async () => {
      const headers = new Headers(req.headers);
      for (const h of HOP_HEADERS) headers.delete(h);
      const res = await fetch(new URL(url.pathname + url.search, target), {
        method: req.method,
        headers,
        body,
        redirect: 'manual',
      });
      const out = new Headers(res.headers);
      for (const h of HOP_HEADERS) out.delete(h);
      return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
    };
    try {
      const res = rule ? await rule(req, url, forward) : await forward();
      hit.status = res.status;
      return res;
    } catch (e) {
      hit.status = 502;
      return new Response(`proxy error: ${e instanceof Error ? e.name : 'error'}`, { status: 502 });
    }
  });
  return {
    origin: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    hits,
    close: () => server.shutdown(),
  };
}

/** Cuts a response body in half (a truncated page), keeping status and headers. */
export async function truncated(res: Response): Promise<Response> {
  const text = await res.text();
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  return new Response(text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
    status: res.status,
    headers,
  });
}

export interface ForeignHost {
  origin: string;
  hits: Hit[];
  close(): Promise<void>;
}

/** A host no adapter may ever call: answers something plausible and records the hit. */
export function foreignHost(): ForeignHost {
  const hits: Hit[] = [];
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    hits.push({ method: req.method, path: url.pathname, search: url.search, status: 200, at: Date.now() });
    return new Response('<?xml version="1.0"?><nfeProc/>', { headers: { 'content-type': 'text/xml' } });
  });
  return {
    origin: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    hits,
    close: () => server.shutdown(),
  };
}

export interface TcpResetProxy {
  origin: string;
  /** Connections accepted / requests dropped so far. */
  stats: { connections: number; resets: number; forwarded: number };
  /** Change the drop probability at run time (0 = a plain pipe). */
  setResetRate(p: number): void;
  close(): Promise<void>;
}

const METHOD_START = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /;

/**
 * A TCP proxy to 127.0.0.1:`targetPort` that, with probability `resetRate`, drops a client connection right
 * after the client sent a request on it (before anything reaches the server): fetch sees the connection die
 * mid-request, exactly as with a reset by a load balancer. Works per request, keep-alive included.
 */
export function tcpResetProxy(targetPort: number, opts: { resetRate: number; seed?: number }): TcpResetProxy {
  let rate = opts.resetRate;
  let state = (opts.seed ?? 1) >>> 0;
  const rand = () => {
    // mulberry32: deterministic per seed
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const stats = { connections: 0, resets: 0, forwarded: 0 };
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const open = new Set<Deno.Conn>();
  const dec = new TextDecoder();

  const closeQuietly = (c: Deno.Conn | null) => {
    if (!c) return;
    open.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  };

  async function writeAll(c: Deno.Conn, data: Uint8Array) {
    let off = 0;
    while (off < data.length) off += await c.write(data.subarray(off));
  }

  async function handle(client: Deno.Conn) {
    stats.connections++;
    open.add(client);
    let upstream: Deno.Conn | null = null;
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await client.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        if (METHOD_START.test(dec.decode(chunk.subarray(0, 8)))) {
          if (rate > 0 && rand() < rate) {
            stats.resets++;
            break; // drop the connection with the request unanswered
          }
          stats.forwarded++;
        }
        if (!upstream) {
          upstream = await Deno.connect({ hostname: '127.0.0.1', port: targetPort });
          open.add(upstream);
          const up = upstream;
          (async () => {
            const b = new Uint8Array(64 * 1024);
            try {
              while (true) {
                const m = await up.read(b);
                if (m === null) break;
                await writeAll(client, b.subarray(0, m));
              }
            } catch { /* either side closed */ }
            closeQuietly(client);
          })();
        }
        await writeAll(upstream, chunk);
      }
    } catch { /* closed */ }
    closeQuietly(client);
    closeQuietly(upstream);
  }

  (async () => {
    try {
      for await (const conn of listener) void handle(conn);
    } catch { /* listener closed */ }
  })();

  return {
    origin: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    stats,
    setResetRate: (p) => {
      rate = p;
    },
    close: () => {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of [...open]) closeQuietly(c);
      return Promise.resolve();
    },
  };
}

// A transparent forwarder in front of the stack's API, on its own origin, that records what the browser sends —
// preflights included, which playwright's request events do not show. It adds, removes and answers nothing
// itself: every request (OPTIONS too) goes to the gateway, and the answer comes back byte for byte.
import { createServer, request as httpRequest } from 'node:http';

export async function startRecorder(targetUrl) {
  const target = new URL(targetUrl);
  const seen = [];
  const server = createServer((req, res) => {
    const entry = {
      method: req.method,
      path: req.url,
      origin: req.headers.origin ?? null,
      requestMethod: req.headers['access-control-request-method'] ?? null,
      authorization: typeof req.headers.authorization === 'string',
      status: null,
      allowOrigin: null,
      allowMethods: null,
    };
    seen.push(entry);
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: target.host },
        agent: false, // one connection per request: no keep-alive socket outlives the test
      },
      (up) => {
        entry.status = up.statusCode;
        entry.allowOrigin = up.headers['access-control-allow-origin'] ?? null;
        entry.allowMethods = up.headers['access-control-allow-methods'] ?? null;
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      entry.status = 502;
      res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    seen,
    /** Entries for a function path (e.g. '/functions/v1/erp-sync'), optionally with one method. */
    calls(path, method) {
      return seen.filter((e) => e.path.split('?')[0] === path && (!method || e.method === method));
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

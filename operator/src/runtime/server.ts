// Health (/healthz: process alive), readiness (/readyz: 200 or 503 with the reason) and /metrics.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export function startProbeServer(opts: {
  port: number;
  host?: string;
  readiness: () => { ready: boolean; reason: string };
  registry: Registry;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const { ready, reason } = opts.readiness();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(reason);
    } else if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body))
        .catch(() => res.writeHead(500).end());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve(server));
  });
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayStatus } from '@coldtrace/shared';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /healthz` (200 while the buffer accepts records; the body is the gateway's status, so a
 * disconnected uplink is visible but not "unhealthy": store and forward is the job) and `GET /metrics`.
 */
export async function startHealthServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  status: () => GatewayStatus;
  healthy: () => boolean;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/healthz') {
      const ok = opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'failing', gateway: opts.status() }));
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      opts.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfrastructureError } from '../errors.ts';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves /metrics (Prometheus text) and /healthz (200 while `healthy()`, else 503) on loopback. */
export async function startMetricsServer(
  metrics: { registry: Registry },
  port: number,
  healthy: () => { ok: boolean; detail: Record<string, unknown> },
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        });
      return;
    }
    if (request.url === '/healthz') {
      const health = healthy();
      response.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: health.ok ? 'ok' : 'unhealthy', ...health.detail }));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new InfrastructureError(`port ${port} for /metrics is taken; set its port in the config (pipeline.metricsPort, audit.metricsPort) or pass --metrics-port`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

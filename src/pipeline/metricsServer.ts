import type { IncomingMessage, ServerResponse } from 'node:http';
import { InfrastructureError } from '../errors.ts';
import { startListener, type Listener } from '../httpListener.ts';
import type { Registry } from 'prom-client';

/**
 * Where /metrics listens: a port asked for (taken: an error that says so), or — when nobody asked
 * — the default port, and any free one when another process on this host (a second indexer) has it.
 */
export type MetricsPort = { port: number } | { defaultPort: number };

/** The port from the command line or the config, else the default with its fallback. */
export function metricsPort(asked: number | null | undefined, defaultPort: number): MetricsPort {
  return asked === null || asked === undefined ? { defaultPort } : { port: asked };
}

/** What /healthz answers: 200 when ok, else 503 with `status` (default `unhealthy`); `detail` beside it. */
export interface Health {
  ok: boolean;
  status?: string;
  detail: Record<string, unknown>;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves /metrics (Prometheus text) and /healthz on loopback: 200 and `"status": "ok"` while
 * `healthy()` says ok, else 503 with its `status` (`unhealthy` unless it names another, e.g.
 * `paused`) and details.
 */
export async function startMetricsServer(
  metrics: { registry: Pick<Registry, 'metrics' | 'contentType'> },
  where: MetricsPort,
  healthy: () => Health,
  /** `/healthz/<index>` of a process running many indexes: that index's own health (undefined: no such index, 404). */
  indexHealth?: (index: string) => Health | undefined,
): Promise<MetricsServer> {
  const answer = (response: ServerResponse, health: Health): void => {
    response.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: health.ok ? 'ok' : (health.status ?? 'unhealthy'), ...health.detail }));
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
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
      answer(response, healthy());
      return;
    }
    const one = indexHealth && request.url?.startsWith('/healthz/') ? indexHealth(decodeURIComponent(request.url.slice('/healthz/'.length))) : undefined;
    if (one) {
      answer(response, one);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found: try /metrics or /healthz\n');
  };
  // The same listener as the search service's: slow and idle clients are cut, security headers sent.
  const listen = (port: number): Promise<Listener> => startListener({ host: '127.0.0.1', port, requestTimeoutMs: METRICS_REQUEST_TIMEOUT_MS }, handle);
  const port = 'port' in where ? where.port : where.defaultPort;
  try {
    return await listen(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if ('port' in where) {
      throw new InfrastructureError(`port ${port} for /metrics is taken; set another in the config (pipeline.metricsPort, audit.metricsPort) or pass --metrics-port`);
    }
    return listen(0);
  }
}

/** A scrape is a GET with no body: its headers have this long to arrive. */
const METRICS_REQUEST_TIMEOUT_MS = 10_000;

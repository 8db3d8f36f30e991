import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsPort, startMetricsServer } from '../../src/pipeline/metricsServer.ts';

const healthy = () => ({ ok: true, detail: {} });

describe('the metrics port', () => {
  it('a second indexer on the host gets any free port when nobody asked for one, and an error when its port was asked for', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const taken = (other.address() as AddressInfo).port;
    try {
      const fallback = await startMetricsServer({ registry: new Registry() }, metricsPort(null, taken), healthy);
      expect(fallback.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fallback.url).not.toBe(`http://127.0.0.1:${taken}`);
      expect((await fetch(`${fallback.url}/healthz`)).status).toBe(200);
      await fallback.close();
      await expect(startMetricsServer({ registry: new Registry() }, metricsPort(taken, 9464), healthy)).rejects.toThrow(
        `port ${taken} for /metrics is taken; set another in the config (pipeline.metricsPort, audit.metricsPort) or pass --metrics-port`,
      );
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('answers with the security headers and cuts a connection that never sends a request', async () => {
    const server = await startMetricsServer({ registry: new Registry() }, metricsPort(0, 0), healthy);
    try {
      const answer = await fetch(`${server.url}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
      // A silent connection is closed by the server (after the idle timeout), not kept for ever.
      const closedByServer = await new Promise<boolean>((resolve) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
        socket.on('close', () => resolve(true));
        socket.on('error', () => undefined);
      });
      expect(closedByServer).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);
});

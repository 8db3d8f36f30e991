import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { startTracing } from '../../src/tracing/startTracing.ts';
import { tracer } from '../../src/tracing/traces.ts';

afterEach(() => vi.unstubAllEnvs());

it('with OTEL_EXPORTER_OTLP_ENDPOINT set, the spans reach that collector over OTLP/HTTP on shutdown', async () => {
  const received: Array<{ path: string | undefined; body: string }> = [];
  const collector = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ path: request.url, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = collector.address() as AddressInfo;
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${port}`);
    const tracing = await startTracing();
    expect(tracing?.exporter).toBe('otlp');
    tracer.startSpan('fedsearch.enrich').end();
    await tracing?.shutdown();
    expect(received.map((each) => each.path)).toEqual(['/v1/traces']);
    expect(received[0]?.body).toContain('fedsearch.enrich');
  } finally {
    await new Promise((resolve) => collector.close(resolve));
  }
});

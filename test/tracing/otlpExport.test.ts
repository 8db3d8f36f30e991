import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { startTracing } from '../../src/tracing/startTracing.ts';
import { tracer } from '../../src/tracing/traces.ts';

// One collector for the file: the process's provider, once registered, exports to where it was first told.
const received: Array<{ path: string | undefined; body: string }> = [];
let collector: Server;

beforeAll(async () => {
  collector = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ path: request.url, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(collector.address() as AddressInfo).port}`);
});

beforeEach(() => void received.splice(0));

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => collector.close(resolve));
});

it('with OTEL_EXPORTER_OTLP_ENDPOINT set, the spans reach that collector over OTLP/HTTP on shutdown', async () => {
  const tracing = await startTracing();
  expect(tracing?.exporter).toBe('otlp');
  tracer.startSpan('fedsearch.enrich').end();
  await tracing?.shutdown();
  expect(received.map((each) => each.path)).toEqual(['/v1/traces']);
  expect(received[0]?.body).toContain('fedsearch.enrich');
});

it('still exports the spans of a pipeline started after the last one stopped (an index restarted at a SIGHUP)', async () => {
  const first = await startTracing();
  tracer.startSpan('fedsearch.before_reload').end();
  await first?.shutdown();
  const second = await startTracing();
  tracer.startSpan('fedsearch.after_reload').end();
  await second?.shutdown();
  expect(received.some((each) => each.body.includes('fedsearch.before_reload'))).toBe(true);
  expect(received.some((each) => each.body.includes('fedsearch.after_reload'))).toBe(true);
});

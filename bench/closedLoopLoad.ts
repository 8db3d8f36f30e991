import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { percentile } from './percentile.ts';

export interface ClosedLoopResult {
  /** Latency percentiles, ms (sub-millisecond: autocannon rounds to whole ms, too coarse for a 1.15× bound on a 3 ms p50). */
  p50: number;
  p95: number;
  p99: number;
  requestsPerSecond: number;
  requests: number;
  /** Non-2xx answers and connection errors: must be 0 for the figures to mean anything. */
  failures: number;
  /** Mean size of an answer's body, bytes. */
  bytesPerResponse: number;
}

/**
 * `connections` clients, each on a keep-alive connection of its own, POST `body` to `url` one
 * after another for `seconds` (a closed loop: a new request as soon as the last is answered, as
 * autocannon does), every latency kept so the percentiles are exact.
 */
export async function closedLoopLoad(url: string, body: string, connections: number, seconds: number): Promise<ClosedLoopResult> {
  const target = new URL(url);
  const path = `${target.pathname}${target.search}`;
  const headers = { 'content-type': 'application/json' };
  const clients = Array.from({ length: connections }, () => new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 }));
  const latencies: number[] = [];
  let failures = 0;
  let bytes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const sent = performance.now();
          try {
            const answer = await client.request({ path, method: 'POST', headers, body });
            for await (const chunk of answer.body) bytes += (chunk as Buffer).length;
            if (answer.statusCode < 200 || answer.statusCode > 299) failures++;
          } catch {
            failures++;
            continue;
          }
          latencies.push(performance.now() - sent);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  const elapsedSeconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requestsPerSecond: latencies.length / elapsedSeconds,
    requests: latencies.length,
    failures,
    bytesPerResponse: bytes / Math.max(1, latencies.length),
  };
}

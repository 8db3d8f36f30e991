import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { Client } from '@elastic/elasticsearch';
import type { LoadedIndex } from '../src/index/loadIndex.ts';
import { parseSearchRequest } from '../src/search/searchRequest.ts';
import { SearchService } from '../src/search/searchService.ts';

export interface LoadResult {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  /** Non-2xx answers and connection errors: must be 0 for the figures to mean anything. */
  failures: number;
}

/** autocannon: POST `body` to `url` over `connections` connections for `seconds`. */
export async function loadTest(url: string, body: string, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    requestsPerSecond: result.requests.average,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * The exact Elasticsearch request body fedsearch sends for `request`: the service runs once
 * against a client that records what it is asked, so the straight-to-ES baseline does the same
 * work (same query, aggregations, highlights, size).
 */
export async function elasticsearchBodyOf(loaded: LoadedIndex, client: Client, request: unknown): Promise<Record<string, unknown>> {
  let captured: Record<string, unknown> | undefined;
  const recording = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'search') return Reflect.get(target, property, receiver) as unknown;
      return async (params: Record<string, unknown>) => {
        captured = params;
        return target.search(params);
      };
    },
  });
  await new SearchService(loaded, recording).search(parseSearchRequest(request));
  if (!captured) throw new Error('the search service sent no search');
  const { index: _index, ...body } = captured;
  return body;
}

const cli = new URL('../cli/fedsearch.js', import.meta.url).pathname;

export interface SearchServerProcess {
  apiUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `fedsearch serve <config>` in a process of its own, as it runs in production, so the load
 * generator does not share its event loop (Elasticsearch has its own process too).
 */
export async function startSearchServer(configFile: string, env: Record<string, string>, nodeOptions: string[] = []): Promise<SearchServerProcess> {
  const [port, subgraphPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [...nodeOptions, cli, 'serve', configFile, '--port', String(port), '--subgraph-port', String(subgraphPort)], {
    env: { ...process.env, ...env, FEDSEARCH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const apiUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fedsearch serve exited with ${child.exitCode}`);
    const up = await fetch(`${apiUrl}/`).then((response) => response.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error('fedsearch serve did not answer within 60 s');
    await sleep(250);
  }
  return {
    apiUrl,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * bench/passThroughProxy.ts in a process of its own, in front of `<elasticsearchUrl>/<index>/_search`:
 * the floor of what any Node.js search service costs per request on this machine.
 */
export async function startPassThroughProxy(elasticsearchUrl: string, index: string): Promise<{ url: string; pid: number; stop(): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./passThroughProxy.ts', import.meta.url).pathname, elasticsearchUrl, index, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the pass-through proxy exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, pid: child.pid as number, stop: () => void child.kill('SIGTERM') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { Client } from '@elastic/elasticsearch';
import type { LoadedIndex } from '../src/index/loadIndex.ts';
import { parseSearchRequest } from '../src/search/searchRequest.ts';
import { SearchService } from '../src/search/searchService.ts';
import { startBenchServer, stopChild, type BenchServer } from './childProcesses.ts';
import { cpuMsOf, mainThreadCpuMsOf } from './processStats.ts';

export interface LoadResult {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  /** Non-2xx answers and connection errors: must be 0 for the figures to mean anything. */
  failures: number;
  /** Mean size of an answer, headers included, bytes. */
  bytesPerResponse: number;
}

/** autocannon: POST `body` to `url` over `connections` connections for `seconds`. */
export async function loadTest(url: string, body: string, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    requestsPerSecond: result.requests.average,
    failures: result.non2xx + result.errors + result.timeouts,
    bytesPerResponse: result.throughput.total / Math.max(1, result.requests.total),
  };
}

export interface LoadResultWithCpu extends LoadResult {
  /** User + system CPU of the serving process per request, ms. */
  cpuMsPerRequest: number;
  /** The part of it on the process's main thread (the rest is V8's helper threads: GC, compilers). */
  mainThreadCpuMsPerRequest: number;
}

/** loadTest, and the CPU the serving process `pid` used per request meanwhile. */
export async function loadTestWithCpu(url: string, body: string, connections: number, seconds: number, pid: number): Promise<LoadResultWithCpu> {
  const [before, mainBefore] = [cpuMsOf(pid), mainThreadCpuMsOf(pid)];
  const result = await loadTest(url, body, connections, seconds);
  const requests = result.requestsPerSecond * seconds;
  return { ...result, cpuMsPerRequest: (cpuMsOf(pid) - before) / requests, mainThreadCpuMsPerRequest: (mainThreadCpuMsOf(pid) - mainBefore) / requests };
}

/** One search as a user sends it to `fedsearch serve` (`pid`), and the Elasticsearch body it becomes, sent straight to `_search`. */
export interface SearchPair {
  viaFedsearch: { url: string; body: string; pid: number };
  direct: { url: string; body: string };
}

/** The SearchPair of `request` against `server` and the cluster at `elasticsearchUrl` (the index's own). */
export async function searchPair(server: SearchServerProcess, loaded: LoadedIndex, client: Client, elasticsearchUrl: string, request: Record<string, unknown>): Promise<SearchPair> {
  const index = loaded.config.index;
  return {
    viaFedsearch: { url: `${server.apiUrl}/v1/indexes/${index}/search`, body: JSON.stringify(request), pid: server.pid },
    direct: { url: `${elasticsearchUrl}/${index}/_search`, body: JSON.stringify(await elasticsearchBodyOf(loaded, client, request)) },
  };
}

/**
 * Both sides of a SearchPair at `connections`: both warmed up first (cold caches and JIT), then
 * each measured for `seconds`, fedsearch first.
 */
export async function loadBothSides(
  pair: SearchPair,
  connections: number,
  seconds: number,
  warmupSeconds: number,
): Promise<{ viaFedsearch: LoadResultWithCpu; direct: LoadResult }> {
  await loadTest(pair.viaFedsearch.url, pair.viaFedsearch.body, connections, warmupSeconds);
  await loadTest(pair.direct.url, pair.direct.body, connections, warmupSeconds);
  const viaFedsearch = await loadTestWithCpu(pair.viaFedsearch.url, pair.viaFedsearch.body, connections, seconds, pair.viaFedsearch.pid);
  const direct = await loadTest(pair.direct.url, pair.direct.body, connections, seconds);
  return { viaFedsearch, direct };
}

/**
 * The exact Elasticsearch request body fedsearch sends for `request`: the service runs once
 * against a client that records what it is asked, so the straight-to-ES baseline does the same
 * work (same query, aggregations, highlights, size).
 */
async function elasticsearchBodyOf(loaded: LoadedIndex, client: Client, request: unknown): Promise<Record<string, unknown>> {
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
export async function startSearchServer(
  configFile: string,
  env: Record<string, string>,
  nodeOptions: string[] = [],
  cliPath = cli,
  serveArgs: string[] = [],
): Promise<SearchServerProcess> {
  const [port, subgraphPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [...nodeOptions, cliPath, 'serve', configFile, '--port', String(port), '--subgraph-port', String(subgraphPort), ...serveArgs], {
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
  return { apiUrl, pid: child.pid as number, stop: () => stopChild(child) };
}

/**
 * bench/passThroughProxy.ts in a process of its own, in front of `<elasticsearchUrl>/<index>/_search`:
 * the floor of what any Node.js search service costs per request on this machine.
 */
export function startPassThroughProxy(elasticsearchUrl: string, index: string, nodeOptions: string[] = []): Promise<BenchServer> {
  return startBenchServer('./passThroughProxy.ts', [elasticsearchUrl, index, '0'], 'the pass-through proxy', nodeOptions);
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

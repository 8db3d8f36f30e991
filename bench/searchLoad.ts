import autocannon from 'autocannon';
import type { Client } from '@elastic/elasticsearch';
import type { LoadedIndex } from '../src/graph/loadIndex.ts';
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

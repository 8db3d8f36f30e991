import { createLogger } from '../../src/logger.ts';
import { startSearchServer, type SearchServer, type SearchServerOptions } from '../../src/search/searchServer.ts';
import { SearchService, type SearchServiceOptions } from '../../src/search/searchService.ts';
import { searchClientOf } from '../../src/search/searchClientOf.ts';
import { SearchTransport } from '../../src/clients/searchTransport.ts';
import type { IndexHarness } from '../../support/indexHarness.ts';
import { backfilledIndex } from './hostileSearch.ts';

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * The hostile suites' world: a private index of `movies` demo movies, backfilled and refreshed on
 * the real stack, and the HTTP search API over it with a bearer token. `dispose()` stops the
 * server and removes the index.
 */
export interface SearchApiWorld {
  h: IndexHarness;
  server: SearchServer;
  service: SearchService;
  token: string;
  /** The search endpoint's path for the world's index. */
  searchPath: string;
  send(path: string, init?: RequestInit): Promise<Answer>;
  /** POSTs raw bytes to the search endpoint (with the token unless other headers are given). */
  postRaw(body: string | Uint8Array, headers?: Record<string, string>): Promise<Answer>;
  postJson(body: unknown): Promise<Answer>;
  dispose(): Promise<void>;
}

export async function startSearchApiWorld(options: {
  movies: number;
  token: string;
  service?: SearchServiceOptions;
  server: Omit<SearchServerOptions, 'host' | 'port' | 'authToken'>;
}): Promise<SearchApiWorld> {
  const h = await backfilledIndex(options.movies);
  // As `fedsearch serve` searches: over its own transport, points in time over the official client.
  const transport = new SearchTransport(h.loaded.config.elasticsearch);
  const service = new SearchService(h.loaded, searchClientOf(h.es, transport), options.service);
  const server = await startSearchServer(
    [service],
    { host: '127.0.0.1', port: 0, authToken: options.token, ...options.server },
    createLogger(h.index, 'hostile-test'),
  );
  const auth = { authorization: `Bearer ${options.token}` };
  const searchPath = `/v1/indexes/${h.index}/search`;
  const send = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, init);
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const postRaw = (body: string | Uint8Array, headers: Record<string, string> = auth): Promise<Answer> =>
    send(searchPath, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return {
    h,
    server,
    service,
    token: options.token,
    searchPath,
    send,
    postRaw,
    postJson: (body) => postRaw(JSON.stringify(body)),
    async dispose() {
      await server.close();
      await transport.close();
      await h.dispose();
    },
  };
}

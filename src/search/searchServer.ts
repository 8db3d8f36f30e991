import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';
import { mayUseApi, type SearchAccess } from './accessToken.ts';
import { badSearchRequest, searchFailure } from './badSearchRequest.ts';
import { parseSearchRequest } from './searchRequest.ts';
import type { SearchService } from './searchService.ts';

export interface SearchServerOptions extends SearchAccess {
  host: string;
  port: number;
  /** Origin allowed to call the API from a browser; CORS is off when unset. */
  corsOrigin?: string;
  requestTimeoutMs: number;
  maxBodyBytes: number;
}

export interface SearchServer {
  url: string;
  close(): Promise<void>;
}

/** The search page: plain HTML and JavaScript against this API. */
const SEARCH_PAGE = readFileSync(new URL('./searchPage.html', import.meta.url), 'utf8');

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * The HTTP search API over one or more indexes:
 *   POST /v1/indexes/:index/search   (JSON SearchRequest)
 *   GET  /v1/indexes/:index/suggest?q=…&size=…
 *   GET  /v1/indexes/:index              (what the page shows of a hit: { index, display })
 *   GET  /healthz
 *   GET  /   (the search page)
 * Bad requests are 400s that say what and where (filter errors carry the column); nothing else
 * about the server leaks into a response.
 */
export async function startSearchServer(services: SearchService[], options: SearchServerOptions, logger: Logger): Promise<SearchServer> {
  const byIndex = new Map(services.map((service) => [service.index, service]));
  // The deadline covers the headers and the body: a client dripping a byte every few seconds gets
  // a 408 at the deadline (Node checks it every connectionsCheckingInterval, 30 s by default) …
  const timeouts = {
    requestTimeout: options.requestTimeoutMs,
    headersTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
  };
  const server = createServer(timeouts, (request, response) => {
    void handle(request, response).catch((error: unknown) => {
      // The client went away, or Node already answered 408 and closed the socket: nobody to tell,
      // and nothing failed here.
      if (response.headersSent || response.destroyed) return;
      const known = error instanceof HttpError ? error : toHttpError(error);
      if (known.status >= 500) logger.error({ err: error, url: request.url }, 'search request failed');
      send(response, known.status, { error: { message: known.message, ...known.details } }, options);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'OPTIONS' && options.corsOrigin) return send(response, 204, null, options);
    if (url.pathname === '/healthz') return send(response, 200, { status: 'ok', indexes: [...byIndex.keys()] }, options);
    if (url.pathname === '/' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(SEARCH_PAGE);
      return;
    }
    if (!mayUseApi(request.headers, options)) throw new HttpError(401, 'missing or wrong bearer token');
    const match = /^\/v1\/indexes\/([^/]+)(?:\/(search|suggest))?$/.exec(url.pathname);
    if (!match) throw new HttpError(404, `no such endpoint: ${request.method} ${url.pathname}`);
    const service = byIndex.get(decodedPathSegment(match[1] as string));
    if (!service) throw new HttpError(404, `no index ${match[1]} here (indexes: ${[...byIndex.keys()].join(', ')})`);
    if (match[2] === undefined) {
      if (request.method !== 'GET') throw new HttpError(405, 'an index is read with GET');
      return send(response, 200, { index: service.index, display: service.display }, options);
    }
    if (match[2] === 'suggest') {
      if (request.method !== 'GET') throw new HttpError(405, 'suggest takes GET');
      const size = Math.min(20, Math.max(1, Number(url.searchParams.get('size') ?? 8) || 8));
      const suggestions = await withDeadline((signal) => service.suggest(url.searchParams.get('q') ?? '', size, signal), options.requestTimeoutMs);
      return send(response, 200, { suggestions }, options);
    }
    if (request.method !== 'POST') throw new HttpError(405, 'search takes POST with a JSON body');
    const body = await readJson(request, options.maxBodyBytes);
    // … and so does the search itself: a cluster that never answers gets the client a 504, not a hang.
    const searchRequest = parseSearchRequest(body);
    return send(response, 200, await withDeadline((signal) => service.search(searchRequest, signal), options.requestTimeoutMs), options);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodedPathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-escape in the path: ${segment.slice(0, 80)}`);
  }
}

class DeadlineError extends Error {}

/**
 * The work, or a DeadlineError after `ms`; then its signal aborts what is still running (the
 * Elasticsearch request), so a search nobody waits for does not keep the cluster busy.
 */
function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DeadlineError(`no answer within ${ms} ms`));
      controller.abort();
    }, ms);
  });
  return Promise.race([work(controller.signal), deadline]).finally(() => clearTimeout(timer));
}

async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
  }
}

function toHttpError(error: unknown): HttpError {
  const bad = badSearchRequest(error);
  if (bad) {
    const { message, ...details } = bad;
    return new HttpError(400, message, details);
  }
  if (error instanceof DeadlineError) return new HttpError(504, 'the search took too long; try again, or narrow it');
  const failure = searchFailure(error);
  return new HttpError(failure.status, failure.message);
}

function send(response: ServerResponse, status: number, body: unknown, options: SearchServerOptions): void {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (options.corsOrigin) {
    headers['access-control-allow-origin'] = options.corsOrigin;
    headers['access-control-allow-headers'] = 'content-type, authorization';
    headers['access-control-allow-methods'] = 'GET, POST, OPTIONS';
  }
  response.writeHead(status, headers);
  response.end(body === null ? undefined : JSON.stringify(body));
}

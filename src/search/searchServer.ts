import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { mayUseApi, type SearchAccess } from './accessToken.ts';
import { badSearchRequest, searchFailure } from './badSearchRequest.ts';
import { corsHeaders, HttpError, sendJson, startListener, type Listener, type ListenerOptions } from '../httpListener.ts';
import { readJsonBody } from './requestBody.ts';
import { DeadlineError, withDeadline } from './requestDeadline.ts';
import { SEARCH_PAGE, SEARCH_PAGE_CSP } from './searchPage.ts';
import { parseSearchRequest } from './searchRequest.ts';
import type { SearchService } from './searchService.ts';

export interface SearchServerOptions extends SearchAccess, ListenerOptions {
  /** Origin allowed to call the listeners from a browser; CORS is off when unset. */
  corsOrigin?: string;
  /** The largest request body, as sent and once inflated. */
  maxBodyBytes: number;
}

export type SearchServer = Listener;

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
  const cors = corsHeaders(options.corsOrigin, ['content-type', 'authorization']);
  const send = (request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void => sendJson(request, response, status, body, cors);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'OPTIONS' && options.corsOrigin) return send(request, response, 204, null);
    if (url.pathname === '/healthz') return send(request, response, 200, { status: 'ok', indexes: [...byIndex.keys()] });
    if (url.pathname === '/' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': SEARCH_PAGE_CSP });
      response.end(SEARCH_PAGE);
      return;
    }
    // Before anything of the body is read: a request without the token costs its headers, no more.
    if (!mayUseApi(request.headers, options)) throw new HttpError(401, 'missing or wrong bearer token');
    const match = /^\/v1\/indexes\/([^/]+)(?:\/(search|suggest))?$/.exec(url.pathname);
    if (!match) throw new HttpError(404, `no such endpoint: ${request.method} ${url.pathname}`);
    const service = byIndex.get(decodedPathSegment(match[1] as string));
    if (!service) throw new HttpError(404, `no index ${match[1]} here (indexes: ${[...byIndex.keys()].join(', ')})`);
    if (match[2] === undefined) {
      if (request.method !== 'GET') throw new HttpError(405, 'an index is read with GET');
      return send(request, response, 200, { index: service.index, display: service.display });
    }
    // A client that goes away before its answer stops its search, freeing its admission slot.
    const gone = clientGone(response);
    if (match[2] === 'suggest') {
      if (request.method !== 'GET') throw new HttpError(405, 'suggest takes GET');
      const size = Math.min(20, Math.max(1, Number(url.searchParams.get('size') ?? 8) || 8));
      const suggestions = await withDeadline((signal) => service.suggest(url.searchParams.get('q') ?? '', size, AbortSignal.any([signal, gone])), options.requestTimeoutMs);
      return send(request, response, 200, { suggestions });
    }
    if (request.method !== 'POST') throw new HttpError(405, 'search takes POST with a JSON body');
    const searchRequest = parseSearchRequest((await readJsonBody(request, options.maxBodyBytes)) ?? {});
    // A cluster that never answers gets the client a 504 at the deadline, not a hang.
    return send(request, response, 200, await withDeadline((signal) => service.search(searchRequest, AbortSignal.any([signal, gone])), options.requestTimeoutMs));
  }

  return startListener(options, (request, response) => {
    void handle(request, response).catch((error: unknown) => {
      // The client went away, or Node already answered 408 and closed the socket: nobody to tell,
      // and nothing failed here.
      if (response.headersSent || response.destroyed) return;
      const known = error instanceof HttpError ? error : toHttpError(error);
      if (known.status >= 500) logger.error({ err: error, url: request.url }, 'search request failed');
      sendJson(request, response, known.status, { error: { message: known.message, ...known.details } }, { ...cors, ...known.headers });
    });
  });
}

/** Aborted when the response closes before it was finished: the client went away. */
function clientGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}

function decodedPathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-escape in the path: ${segment.slice(0, 80)}`);
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
  const retryAfter = failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
  return new HttpError(failure.status, failure.message, {}, retryAfter);
}

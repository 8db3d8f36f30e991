import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type estypes } from '@elastic/elasticsearch';
import { Pool } from 'undici';
import type { ElasticsearchSettings } from '../config/indexConfig.ts';
import { CA_FILE, readUserFile } from '../readUserFile.ts';
import { ELASTICSEARCH_REQUEST_RETRIES } from '../retryPolicy.ts';

/**
 * What the official client sends and accepts with a JSON body (Elasticsearch 9's REST
 * compatibility): Elasticsearch refuses a request that names a compatible version in one of the
 * two headers and not in the other.
 */
const JSON_CONTENT_TYPE = 'application/vnd.elasticsearch+json; compatible-with=9';
/** As the official client's: a search Elasticsearch has not answered within this fails with a TimeoutError. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface SearchCallOptions {
  signal?: AbortSignal;
  /** Query-string parameters of the call (`filter_path`). */
  querystring?: Record<string, string>;
}

/**
 * `_search` of one cluster over an undici pool of its own: what `fedsearch serve` sends for every
 * search and suggestion. The official client's transport wraps each request in a result object,
 * middleware, diagnostics events and an async iterator over the answer's stream, and parses it
 * with secure-json-parse: together about 8 % of serve's CPU per search in its profile
 * (2026-12-06), for one request shape that never needs any of it. This sends the same request
 * (path, headers, JSON body) and fails the same way: the official client's error classes, so a
 * ResponseError still carries `meta.statusCode` and Elasticsearch's error type and reasons in its
 * message, connection failures and 502/503/504 are retried ELASTICSEARCH_REQUEST_RETRIES times,
 * an abort is a RequestAbortedError and a request past 30 s a TimeoutError.
 *
 * Every key of a request but `index` goes into the JSON body: the bodies searchBody makes have
 * nothing else (the official client would move a query-string-only parameter such as `routing`
 * to the query string).
 */
export class SearchTransport {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  /** Where searches go, for messages (without the URL's credentials). */
  private readonly origin: string;
  private readonly headers: Record<string, string>;

  constructor(settings: ElasticsearchSettings) {
    const url = new URL(settings.node);
    this.pathPrefix = url.pathname.replace(/\/$/, '');
    this.origin = url.origin;
    // The official client's pool settings: connections kept 10 minutes (Elasticsearch sends no
    // keep-alive hint; undici's own default would reopen them after 4 idle seconds), 256 at most.
    this.pool = new Pool(url.origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 600_000,
      keepAliveMaxTimeout: 600_000,
      keepAliveTimeoutThreshold: 1_000,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      ...(settings.caFile ? { connect: { ca: readUserFile(settings.caFile, CA_FILE) } } : {}),
    });
    this.headers = {
      'user-agent': 'fedsearch',
      'content-type': JSON_CONTENT_TYPE,
      accept: JSON_CONTENT_TYPE,
      ...authorizationHeader(settings.auth ?? credentialsIn(url)),
    };
  }

  async search<T>(request: estypes.SearchRequest, options: SearchCallOptions = {}): Promise<estypes.SearchResponse<T>> {
    const { index, ...body } = request;
    const query = options.querystring ? `?${new URLSearchParams(options.querystring).toString()}` : '';
    const path = `${this.pathPrefix}${index === undefined ? '' : `/${encodeURIComponent(String(index))}`}/_search${query}`;
    return (await this.post(path, JSON.stringify(body), options.signal)) as estypes.SearchResponse<T>;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async post(path: string, body: string, signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.send(path, body, signal);
      } catch (error) {
        const failure = transportError(error);
        if (failure instanceof errors.ConnectionError && attempt < ELASTICSEARCH_REQUEST_RETRIES) {
          // The caller's deadline may pass during the pause: it ends the wait at once, so the
          // search's admission slot is free then, not a pause of up to 4 s later.
          await sleep(1_000 * retryBackoffSeconds(attempt + 1), undefined, signal ? { signal } : {}).catch((error: unknown) => {
            throw transportError(error);
          });
          continue;
        }
        throw failure;
      }
      // As the official client: a gateway or node in trouble is asked again at once.
      if ((answer.statusCode === 502 || answer.statusCode === 503 || answer.statusCode === 504) && attempt < ELASTICSEARCH_REQUEST_RETRIES) continue;
      if (answer.statusCode >= 400) {
        throw new errors.ResponseError({ body: answer.body, statusCode: answer.statusCode, headers: answer.headers, warnings: null, meta: RESPONSE_META });
      }
      // Not Elasticsearch's answer (a proxy's sign-in page, a redirect, which undici does not
      // follow): taken for a search answer it failed later as "cannot read 'hits' of undefined".
      if (typeof answer.body !== 'object' || answer.body === null) {
        const text = typeof answer.body === 'string' ? answer.body : '';
        const contentType = String(answer.headers['content-type'] ?? 'no content-type');
        throw new errors.DeserializationError(
          `${this.origin} answered POST ${path} with HTTP ${answer.statusCode} (${contentType}), not Elasticsearch's JSON: ${JSON.stringify(text.slice(0, 200))}`,
          text,
        );
      }
      return answer.body;
    }
  }

  private async send(path: string, body: string, signal: AbortSignal | undefined): Promise<Answer> {
    const response = await this.pool.request({ method: 'POST', path, headers: this.headers, body, ...(signal ? { signal } : {}) });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    const isJson = text !== '' && (contentType.includes('application/json') || contentType.includes('application/vnd.elasticsearch+json'));
    let parsed: unknown = text;
    if (isJson) {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new errors.DeserializationError((error as Error).message, text);
      }
    }
    return { statusCode: response.statusCode, headers: response.headers as Record<string, string | string[]>, body: parsed };
  }
}

interface Answer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: unknown;
}

/** The part of a ResponseError's `meta` a reader of fedsearch's errors sees nothing of but must be there for the class. */
const RESPONSE_META = { context: null, name: 'fedsearch-search', request: { params: { method: 'POST', path: '' }, options: {}, id: 0 }, connection: null, attempts: 0, aborted: false };

/** undici's failures as the official client reports them (its error classes, its messages). */
function transportError(error: unknown): Error {
  if (error instanceof errors.ElasticsearchClientError) return error;
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  if (code === 'UND_ERR_ABORTED' || name === 'AbortError') return new errors.RequestAbortedError('Request aborted');
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new errors.TimeoutError('Request timed out');
  return new errors.ConnectionError(message || 'connection failed');
}

/** The official transport's backoff between retries of a failed connection: 1–2 s, then 2–4 s. */
function retryBackoffSeconds(attempt: number): number {
  const ceiling = Math.min(4, 2 ** attempt) / 2;
  return ceiling + Math.random() * ceiling;
}

function authorizationHeader(auth: ElasticsearchSettings['auth']): { authorization?: string } {
  if (!auth) return {};
  if ('apiKey' in auth) return { authorization: `ApiKey ${auth.apiKey}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

/**
 * A username and password written in the node URL (`https://elastic:secret@es:9200`): the config
 * accepts them, and the official client (everything but serve's searches) sends them when the
 * config names no apiKey or username; the pool's origin leaves them out.
 */
function credentialsIn(url: URL): ElasticsearchSettings['auth'] {
  if (url.username === '' || url.password === '') return undefined;
  return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

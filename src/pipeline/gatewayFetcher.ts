import { STATUS_CODES } from 'node:http';
import PQueue from 'p-queue';
import { Agent, request as httpRequest } from 'undici';
import type { IndexConfig, PipelineSettings } from '../config/indexConfig.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { GATEWAY_BACKOFF, retryUntilDone, type RetryReason } from '../retryPolicy.ts';
import { batchedQuery, idProblem, type BatchedQuery } from './batchedQuery.ts';
import { decodeId, encodeId, idOfDocument, type KeyPart } from '../graph/entityKey.ts';
// Apollo's gateway and server (about 40 MiB and 0.4 s to load) only for a fetch by @key: imported when first needed.
import type { FetchByKeyGateway } from '../graph/fetchByKeyGateway.ts';
import { redactUrl, redactUrlsIn } from '../redactUrl.ts';

/** 307/308 redirects followed per request; one more is an error. */
const MAX_REDIRECTS = 3;
/** What every gateway request says of itself; the configured headers go beside these, to the configured origin only. */
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', accept: 'application/json' };

/**
 * What the gateway said about one entity. `version` is when the request that answered was sent
 * (µs, see fetchVersion); a missing entity is one the graph no longer has (→ delete).
 */
export type FetchResult =
  | { kind: 'found'; document: Record<string, unknown>; version: number }
  | { kind: 'missing'; version: number }
  | { kind: 'failed'; reason: string };

export interface GatewayFetcherOptions {
  gateway: IndexConfig['gateway'];
  template: QueryTemplate;
  pipeline: PipelineSettings;
}

export interface GatewayFetcherHooks {
  /** After every HTTP request; `ok` means it came back with data and no GraphQL errors. */
  onRequest?(ms: number, ok: boolean, entities: number): void;
  /** Before every retry, with its reason. */
  onRetry?(reason: RetryReason): void;
  /** How the backoff waits (a test passes one that does not). */
  sleep?(ms: number): Promise<unknown>;
}

let lastVersion = 0;

/**
 * The Elasticsearch external version of a document: when its fetch was sent, in µs. A fetch sent
 * later sees at least as new a state, so its document must win. Strictly increasing within the
 * process, so two fetches in the same microsecond still order.
 */
export function fetchVersion(): number {
  const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  lastVersion = Math.max(now, lastVersion + 1);
  return lastVersion;
}

/**
 * A request that did not yield an answer to read; `retryReason` null means retrying cannot help.
 * `scope` says whether the graph failed the whole request (an outage: wait it out) or only
 * some entities in it (retried `retries` times, then dead-lettered).
 */
class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly retryReason: RetryReason | null,
    readonly scope: 'request' | 'entity' = 'request',
  ) {
    super(message);
  }
}

interface GraphQLResponseError {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

interface GatewayAnswer {
  data: Record<string, unknown>;
  errors: GraphQLResponseError[];
  version: number;
  /** Ids the graph said it does not have although their alias holds a value (fetch by key: the reference fedsearch started from). */
  missing: ReadonlySet<string>;
}

/** One gateway answer read entity by entity. */
interface ReadAnswer {
  settled: Map<string, FetchResult>;
  /** Ids with GraphQL errors of their own, and why. */
  failedEntities: Map<string, string>;
  /** Errors not attributable to one entity: the whole request is untrustworthy. */
  requestErrors: string[];
}

/**
 * Fetches entities through the gateway with the query template, many per request (aliased root
 * fields), with bounded concurrency, an optional requests/s cap and retries with backoff. Every
 * requested id gets a result; entity-level problems are `failed` results, never exceptions.
 */
export class GatewayFetcher {
  private readonly queue: PQueue;
  /**
   * The gateway's connections, kept alive between requests. undici's own request API rather than
   * fetch(): fetch's web streams, resource timing and Response objects cost about 0.35 ms of CPU
   * per request more (half of what a 25-entity request costs the indexer on a fast graph).
   */
  private readonly http: Agent;
  /** For a fragment query: the in-process gateway over the supergraph's subgraphs, started on first use. */
  private byKey: Promise<FetchByKeyGateway> | null = null;

  constructor(
    private readonly options: GatewayFetcherOptions,
    private readonly hooks: GatewayFetcherHooks = {},
  ) {
    this.queue = new PQueue({ concurrency: options.pipeline.concurrency, ...rateCap(options.pipeline.maxRequestsPerSecond) });
    this.http = new Agent({ connections: options.pipeline.concurrency });
  }

  /**
   * Every id's result, in the order asked for. `whileWaiting` runs before every retry (e.g. a
   * Kafka consumer's heartbeat, so a consumer waiting out an outage keeps its partitions).
   */
  async fetch(ids: readonly string[], whileWaiting: () => Promise<void> = async () => {}): Promise<Map<string, FetchResult>> {
    const unique = [...new Set(ids)];
    const settled = new Map<string, FetchResult>();
    await this.fetchInChunks(unique, whileWaiting, (results) => {
      for (const [id, result] of results) settled.set(id, result);
    });
    // In the order asked for, whatever order the chunks finished in.
    return new Map(unique.map((id) => [id, settled.get(id) ?? { kind: 'failed', reason: 'no result (fetcher bug)' }]));
  }

  /**
   * The same results, handed to `onChunk` a request's worth at a time as each request settles,
   * so a caller can write the first documents while later ones are still being fetched (one
   * change fanning out to a thousand documents). Resolves once every chunk's `onChunk` has; the
   * first `onChunk` to fail fails the whole call.
   */
  async fetchInChunks(
    ids: readonly string[],
    whileWaiting: () => Promise<void>,
    onChunk: (results: ReadonlyMap<string, FetchResult>) => Promise<void> | void,
  ): Promise<void> {
    const unique = [...new Set(ids)];
    const { batchSize } = this.options.pipeline;
    // An id the key cannot take (not an Int for `$id: Int!`) fails alone, without a request.
    const unsendable = new Map(unique.flatMap((id): Array<[string, FetchResult]> => {
      const problem = idProblem(this.options.template, id);
      return problem ? [[id, { kind: 'failed', reason: problem }]] : [];
    }));
    const sendable = unique.filter((id) => !unsendable.has(id));
    const chunks: string[][] = [];
    for (let start = 0; start < sendable.length; start += batchSize) chunks.push(sendable.slice(start, start + batchSize));
    await Promise.all([
      ...(unsendable.size > 0 ? [(async () => onChunk(unsendable))()] : []),
      ...chunks.map(async (chunk) => onChunk(await this.fetchChunk(chunk, whileWaiting))),
    ]);
  }

  /**
   * One chunk, retried as a whole when the graph fails the whole request; under `retry-then-dlq`
   * the entities that came back with GraphQL errors are retried alone, in a smaller request.
   * Entity failures get `pipeline.retries` retries; whole-request failures get those, and beyond
   * them are waited out for up to `pipeline.outageToleranceSeconds` from the first one.
   */
  private async fetchChunk(ids: string[], whileWaiting: () => Promise<void>): Promise<Map<string, FetchResult>> {
    const settled = new Map<string, FetchResult>();
    let pending = ids;
    let failedEntities = new Map<string, string>();
    let attempts = 0;
    const { retries, outageToleranceSeconds } = this.options.pipeline;
    const retryGraphQLErrors = this.options.pipeline.onGraphQLErrors === 'retry-then-dlq';
    const outageToleranceMs = outageToleranceSeconds * 1000;
    let entityRetries = 0;
    let requestRetries = 0;
    let outageSince: number | null = null;
    let interrupted: unknown;
    const shouldRetry = (error: Error): boolean => {
      if (error instanceof GatewayRequestError && error.scope === 'entity') {
        outageSince = null;
        return ++entityRetries <= retries;
      }
      outageSince ??= Date.now();
      return ++requestRetries <= retries || Date.now() - outageSince < outageToleranceMs;
    };

    const attempt = async (): Promise<void> => {
      attempts++;
      const asked = pending;
      failedEntities = new Map();
      const batch = batchedQuery(this.options.template, asked.length);
      // No queue timeout is set; throwOnTimeout only tells p-queue's types the task's value is kept.
      const answer = await this.queue.add(() => this.post(batch, asked), { throwOnTimeout: true });
      const read = readAnswer(answer, batch, asked, this.options.template.key);
      for (const [id, result] of read.settled) settled.set(id, result);
      if (read.requestErrors.length > 0) {
        const message = `gateway returned GraphQL errors for the whole request (${asked.length} entities): ${read.requestErrors.join('; ')}`;
        // A whole request failing (e.g. a subgraph down) is an outage under either policy when
        // outages are waited out; `dlq` alone gives up at once.
        throw new GatewayRequestError(message, retryGraphQLErrors || outageToleranceMs > 0 ? 'graphql_errors' : null);
      }
      failedEntities = read.failedEntities;
      pending = [...failedEntities.keys()];
      if (pending.length > 0 && retryGraphQLErrors) {
        throw new GatewayRequestError(`GraphQL errors for ${pending.length} entities`, 'graphql_errors', 'entity');
      }
    };

    try {
      await retryUntilDone(
        async () => {
          try {
            await attempt();
            return { done: undefined };
          } catch (error) {
            // Given up at once: what retrying cannot help, and a TypeError (a bug here, not the graph).
            if (!(error instanceof Error) || error instanceof TypeError) throw error;
            if (error instanceof GatewayRequestError && error.retryReason === null) throw error;
            if (!shouldRetry(error)) throw error;
            return { retry: [error instanceof GatewayRequestError ? (error.retryReason ?? 'other') : 'other'] };
          }
        },
        {
          // The budget is decided by shouldRetry; past the schedule the last (5 s) backoff repeats.
          backoff: GATEWAY_BACKOFF,
          ...(this.hooks.sleep ? { sleep: this.hooks.sleep } : {}),
          beforeWait: async ([reason]) => {
            this.hooks.onRetry?.(reason ?? 'other');
            try {
              await whileWaiting();
            } catch (waitError) {
              interrupted = waitError;
              throw waitError;
            }
          },
        },
      );
    } catch (error) {
      // The caller's wait failed (e.g. its consumer lost the partition in a rebalance): that is
      // not the graph's verdict on these entities, so it goes up instead of into the results.
      if (interrupted !== undefined) throw interrupted;
      // The last attempt's error is the reason: per entity where it had one, else the request's.
      const tried = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
      for (const id of pending) {
        settled.set(id, { kind: 'failed', reason: `${failedEntities.get(id) ?? (error as Error).message} (gave up after ${tried})` });
      }
      return settled;
    }
    // `dlq`: entities with GraphQL errors fail at once.
    for (const [id, reason] of failedEntities) if (!settled.has(id)) settled.set(id, { kind: 'failed', reason });
    return settled;
  }

  /** Closes the gateway connections, and stops the in-process gateway of a fetch by key if one was started. */
  async close(): Promise<void> {
    const byKey = this.byKey;
    this.byKey = null;
    try {
      if (byKey) await (await byKey).stop();
    } finally {
      await this.http.close();
    }
  }

  /** One request for `ids`; throws GatewayRequestError unless the graph answered with data. */
  private async post(batch: BatchedQuery, ids: readonly string[]): Promise<GatewayAnswer> {
    const version = fetchVersion();
    const started = performance.now();
    let ok = false;
    try {
      const answer = this.options.template.fetchByKey ? await this.executeByKey(batch, ids, version) : await this.postToGateway(batch, ids, version);
      ok = answer.errors.length === 0;
      return answer;
    } finally {
      this.hooks.onRequest?.(performance.now() - started, ok, ids.length);
    }
  }

  /** A fetch by key, planned and executed in this process against the subgraphs themselves. */
  private async executeByKey(batch: BatchedQuery, ids: readonly string[], version: number): Promise<GatewayAnswer> {
    const plan = this.options.template.fetchByKey;
    if (!plan) throw new Error('executeByKey without a fetch-by-key plan');
    if (!this.byKey) {
      this.byKey = import('../graph/fetchByKeyGateway.ts').then(({ FetchByKeyGateway: Gateway }) => Gateway.start(plan, this.options.gateway));
      this.byKey.catch(() => (this.byKey = null));
    }
    const gateway = await this.byKey;
    let answer: Awaited<ReturnType<FetchByKeyGateway['execute']>>;
    try {
      answer = await gateway.execute(batch.text, batch.variables(ids));
    } catch (error) {
      throw new GatewayRequestError(`fetching ${plan.typeName} by key failed: ${redactUrlsIn((error as Error).message)}`, 'network');
    }
    const errors = (answer.body.errors ?? []).filter(isRecord);
    if (!isRecord(answer.body.data)) {
      throw new GatewayRequestError(`the graph answered ${plan.typeName} without data${errors.length > 0 ? `: ${errorMessages(errors).join('; ')}` : ''}`, 'no_data');
    }
    return { data: answer.body.data, errors, version, missing: answer.missing };
  }

  /** One HTTP request to the gateway. */
  private async postToGateway(batch: BatchedQuery, ids: readonly string[], version: number): Promise<GatewayAnswer> {
    const { headers, timeoutMs } = this.options.gateway;
    const url = this.options.gateway.url;
    if (url === null) throw new GatewayRequestError('gateway.url is not set: a root-field query is sent to a gateway', null);
    const request = JSON.stringify({ query: batch.text, variables: batch.variables(ids) });
    let status: number;
    let text: string;
    let location: string | undefined;
    let target = url;
    let sentHeaders: Record<string, string> = { ...JSON_HEADERS, ...headers };
    const deadline = AbortSignal.timeout(timeoutMs);
    for (let hops = 0; ; hops++) {
      try {
        const response = await httpRequest(target, { method: 'POST', headers: sentHeaders, body: request, dispatcher: this.http, signal: deadline });
        status = response.statusCode;
        const redirect = response.headers['location'];
        location = Array.isArray(redirect) ? redirect[0] : redirect;
        text = await response.body.text();
      } catch (error) {
        throw transportError(error, target, timeoutMs);
      }
      // 307 and 308 keep the method and the body, so the same POST is sent on (as fetch() did) to
      // another http(s) address; any other redirect would turn it into a GET, and is reported by
      // httpError below.
      const next = (status === 307 || status === 308) && location !== undefined ? resolveLocation(location, target) : null;
      if (next === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) break;
      if (hops === MAX_REDIRECTS) {
        throw new GatewayRequestError(`the gateway at ${redactUrl(url)} redirected more than ${MAX_REDIRECTS} times (the last time to ${redactUrl(next.href)}); set gateway.url to where it ends`, null);
      }
      // The configured headers (a token, an API key) are for the configured origin only.
      if (next.origin !== new URL(target).origin) sentHeaders = { ...JSON_HEADERS };
      target = next.href;
    }
    const body = parseBody(text);
    if (status < 200 || status > 299) throw httpError(status, body, text, target, location);
    if (!body || !isRecord(body.data)) {
      const messages = body ? errorMessages(body.errors).join('; ') : '';
      const detail = messages ? `: ${messages}` : body ? ' and without errors' : ` (not JSON: ${snippet(text)})`;
      throw new GatewayRequestError(`the gateway at ${redactUrl(target)} answered without data${detail}`, 'no_data');
    }
    const errors = Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
    return { data: body.data, errors, version, missing: new Set() };
  }
}

/** p-queue's interval cap for a requests/s limit; fractional limits (0.5/s) work too. */
function rateCap(maxRequestsPerSecond: number | undefined): { intervalCap: number; interval: number } | Record<string, never> {
  if (maxRequestsPerSecond === undefined) return {};
  const intervalCap = Math.max(1, Math.floor(maxRequestsPerSecond));
  return { intervalCap, interval: (1000 * intervalCap) / maxRequestsPerSecond };
}

/**
 * Splits an answer by entity. An error whose path starts at an alias belongs to that entity (its
 * document may be partial, so it is not used); any other error taints the whole answer, because
 * the gateway reports a failed subgraph fetch without a path and nulls the entities it could not
 * fill, which must not read as deletions.
 */
function readAnswer(answer: GatewayAnswer, batch: BatchedQuery, ids: readonly string[], key: readonly KeyPart[]): ReadAnswer {
  const indexByKey = new Map(ids.map((_, index) => [batch.responseKey(index), index]));
  const byEntity = new Map<number, string[]>();
  const requestErrors: string[] = [];
  for (const error of answer.errors) {
    const [first, ...rest] = Array.isArray(error.path) ? error.path : [];
    const index = typeof first === 'string' ? indexByKey.get(first) : undefined;
    if (index === undefined) requestErrors.push(describeError(error, error.path));
    else byEntity.set(index, [...(byEntity.get(index) ?? []), describeError(error, rest)]);
  }

  const settled = new Map<string, FetchResult>();
  const failedEntities = new Map<string, string>();
  if (requestErrors.length > 0) return { settled, failedEntities, requestErrors };
  for (const [index, id] of ids.entries()) {
    const messages = byEntity.get(index);
    const value = answer.data[batch.responseKey(index)];
    if (messages) failedEntities.set(id, `gateway returned GraphQL errors for ${id}: ${messages.join('; ')}`);
    else if (value === null || answer.missing.has(id)) settled.set(id, { kind: 'missing', version: answer.version });
    else if (isRecord(value)) settled.set(id, answeredFor(id, value, key, answer.version));
    else failedEntities.set(id, `gateway answer has no ${batch.responseKey(index)} for ${id}`);
  }
  return { settled, failedEntities, requestErrors };
}

/**
 * The document, unless the graph answered with another entity than the one asked for (a resolver
 * that ignores its argument): indexed under the asked id it would put one entity's data under
 * two ids, so it fails, with both ids named, and goes to the dead-letter topic. Checked when the
 * query selects the key fields (`movie(movieId: $id) { movieId … }`; always for a fetch by key).
 */
function answeredFor(id: string, document: Record<string, unknown>, key: readonly KeyPart[], version: number): FetchResult {
  const answered = idOfDocument(key, document);
  const asked = decodeId(key, id);
  const canonical = 'values' in asked ? encodeId(key, asked.values) : id;
  if (answered !== null && answered !== canonical) {
    const fields = key.map((part) => part.documentPath).join(', ');
    return { kind: 'failed', reason: `the graph returned another entity (asked for ${fields} ${canonical}, got ${answered})` };
  }
  return { kind: 'found', document, version };
}

/** `message (at cast.0.talent; CODE from <subgraph url>)`: what an operator needs to find the cause. */
function describeError(error: GraphQLResponseError, path: unknown): string {
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  const details: string[] = [];
  if (Array.isArray(path) && path.length > 0) details.push(`at ${path.join('.')}`);
  const code = error.extensions?.['code'];
  const serviceName = error.extensions?.['serviceName'];
  const response = error.extensions?.['response'];
  const subgraph = typeof serviceName === 'string' ? serviceName : isRecord(response) && typeof response['url'] === 'string' ? response['url'] : null;
  if (typeof code === 'string') details.push(subgraph ? `${code} from ${subgraph}` : code);
  else if (subgraph) details.push(`from ${subgraph}`);
  return details.length > 0 ? `${message} (${details.join('; ')})` : message;
}

function transportError(error: unknown, url: string, timeoutMs: number): GatewayRequestError {
  // The deadline's abort reason is a DOMException, not an Error, on Node 20.
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new GatewayRequestError(`the gateway at ${redactUrl(url)} did not answer within ${timeoutMs} ms`, 'timeout');
  }
  // undici's request throws what happened itself (ECONNREFUSED, reset, DNS); an error that wraps
  // another puts it in `cause`.
  const cause = error instanceof Error ? (error.cause as { message?: string; code?: string } | undefined) : undefined;
  const detail = cause?.message || cause?.code || (error as Error).message;
  return new GatewayRequestError(`cannot reach the gateway at ${redactUrl(url)}: ${redactUrlsIn(detail)}`, 'network');
}

function httpError(status: number, body: { errors?: unknown } | null, text: string, url: string, location?: string): GatewayRequestError {
  // A redirect that is not followed (301, 302, 303 turn a POST into a GET; or too many hops).
  const moved = status >= 300 && status < 400 && location ? `it redirects to ${redirectTarget(location, url)}; set gateway.url to that address` : '';
  const detail = moved || (body && errorMessages(body.errors).join('; ')) || snippet(text);
  const message = `the gateway at ${redactUrl(url)} answered HTTP ${status} ${STATUS_CODES[status] ?? ''}${detail ? `: ${detail}` : ''}`;
  if (status === 429) return new GatewayRequestError(message, 'http_429');
  if (status >= 500) return new GatewayRequestError(message, 'http_5xx');
  return new GatewayRequestError(message, null);
}

/** Where a redirect points, absolute and without credentials. */
function redirectTarget(location: string, url: string): string {
  const resolved = resolveLocation(location, url);
  return resolved === null ? redactUrlsIn(snippet(location)) : redactUrl(resolved.href);
}

function resolveLocation(location: string, url: string): URL | null {
  try {
    return new URL(location, url);
  } catch {
    return null;
  }
}

function parseBody(text: string): { data?: unknown; errors?: unknown } | null {
  try {
    const body: unknown = JSON.parse(text);
    return isRecord(body) ? body : null;
  } catch {
    return null;
  }
}

function errorMessages(errors: unknown): string[] {
  return Array.isArray(errors) ? errors.filter(isRecord).map((error) => describeError(error, error['path'])) : [];
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

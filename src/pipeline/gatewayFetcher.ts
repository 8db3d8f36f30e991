import type { Dispatcher } from 'undici';
import PQueue from 'p-queue';
import { context, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { recordFailure, tracer } from '../tracing/traces.ts';
import type { IndexConfig, PipelineSettings } from '../config/indexConfig.ts';
import { NO_OWNERS, type ResponsePathOwners } from '../graph/responsePathOwners.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { GATEWAY_BACKOFF, retryUntilDone, type RetryReason } from '../retryPolicy.ts';
import { batchedQuery, idProblem, type BatchedQuery } from './batchedQuery.ts';
import { FetchByKeyTransport } from './fetchByKeyTransport.ts';
import { GatewayRequestError } from './gatewayErrors.ts';
import type { GatewayReply, GatewayTransport } from './gatewayTransport.ts';
import { HttpGatewayTransport } from './httpGatewayTransport.ts';
import { readAnswer, type FetchResult } from './readAnswer.ts';
import { schemaRejection } from './schemaRejection.ts';
import { subgraphsReached } from './subgraphsReached.ts';
import type { SchemaGate } from './schemaGuard.ts';
import { GATEWAY, latencySubgraph, requestFailure, type Attribution } from './subgraphAttribution.ts';

export type { FetchResult } from './readAnswer.ts';

export interface GatewayFetcherOptions {
  gateway: IndexConfig['gateway'];
  template: QueryTemplate;
  pipeline: PipelineSettings;
  /** Which subgraph answers each path of the template (responsePathOwners); default: none known, all is the gateway's. */
  owners?: ResponsePathOwners;
  /** The keep-alive agent for gateway.url when the process shares one per origin (`run` of many indexes); closing the fetcher leaves it open. */
  gatewayAgent?: Dispatcher;
}

export interface GatewayFetcherHooks {
  /** After every request; `ok` means it came back with data and no GraphQL errors. */
  onRequest?(ms: number, ok: boolean, entities: number): void;
  /** Before every retry, with its reason. */
  onRetry?(reason: RetryReason): void;
  /** After every request that failed in part or whole: each error, attributed to a subgraph. */
  onFaults?(faults: readonly Attribution[]): void;
  /** Each subgraph fetch's latency: per subgraph request of a fetch by key, else the gateway request's (latencySubgraph). */
  onSubgraphFetch?(subgraph: string, ms: number): void;
  /** How the backoff waits (a test passes one that does not). */
  sleep?(ms: number): Promise<unknown>;
  /**
   * Where a refusal of the query itself goes (the live pipeline's SchemaGuard): the chunk waits
   * until it is worth trying again instead of failing. Without one, such a refusal fails its ids at once.
   */
  schemaGate?: SchemaGate;
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

/** How the query template reaches the graph: a fetch by key in this process, else HTTP to gateway.url. */
export function gatewayTransport(options: GatewayFetcherOptions): GatewayTransport {
  const plan = options.template.fetchByKey;
  if (plan) return new FetchByKeyTransport(plan, options.gateway);
  return new HttpGatewayTransport(options.gateway, options.pipeline.concurrency, options.gatewayAgent, options.gatewayAgent !== undefined);
}

/**
 * Fetches entities through the gateway with the query template, many per request (aliased root
 * fields), with bounded concurrency, an optional requests/s cap and retries with backoff. Every
 * requested id gets a result; entity-level problems are `failed` results, never exceptions.
 */
export class GatewayFetcher {
  private readonly queue: PQueue;
  private readonly owners: ResponsePathOwners;

  constructor(
    private readonly options: GatewayFetcherOptions,
    private readonly hooks: GatewayFetcherHooks = {},
    /** How requests reach the graph (a test passes a fake). */
    private readonly transport: GatewayTransport = gatewayTransport(options),
  ) {
    this.owners = options.owners ?? NO_OWNERS;
    this.queue = new PQueue({ concurrency: options.pipeline.concurrency, ...rateCap(options.pipeline.maxRequestsPerSecond) });
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
    // The queue runs a request from whichever task freed its slot: its span takes this context.
    const traced = context.active();
    let pending = ids;
    let failedEntities: ReturnType<typeof readAnswer>['failedEntities'] = new Map();
    /** Whose the last whole-request failure was. */
    let requestFault: Attribution = requestFailure('other');
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
      let posted: { answer: GatewayReply; version: number; sent: number };
      try {
        posted = await this.queue.add(() => this.post(batch, asked, traced), { throwOnTimeout: true });
      } catch (error) {
        if (error instanceof GatewayRequestError) {
          requestFault = requestFailure(error.retryReason ?? 'refused');
          this.hooks.onFaults?.([requestFault]);
        }
        throw error;
      }
      const { answer, version, sent } = posted;
      const rejected = schemaRejection(answer.errors);
      if (rejected) throw new GatewayRequestError(`the graph refused the query: ${rejected.message}`, null, 'request', rejected);
      const read = readAnswer(answer, version, batch, asked, this.options.template.key, this.owners);
      if (read.faults.length > 0) this.hooks.onFaults?.(read.faults);
      // Only an answer the whole request got through says the graph takes the query (an outage
      // says nothing); the gate weighs when it was sent and which subgraphs it asked.
      if (read.requestErrors.length === 0) {
        this.hooks.schemaGate?.accepted(sent, subgraphsReached(answer, asked.map((_, index) => batch.responseKey(index)), this.owners));
      }
      for (const [id, result] of read.settled) settled.set(id, result);
      if (read.requestErrors.length > 0) {
        requestFault = read.faults.find((fault) => fault.subgraph !== GATEWAY) ?? read.faults[0] ?? requestFault;
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
            await this.attemptPastRefusals(attempt, whileWaiting, (waitError) => (interrupted = waitError));
            return { done: undefined };
          } catch (error) {
            if (interrupted !== undefined) throw error;
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
        const entity = failedEntities.get(id);
        settled.set(id, { kind: 'failed', reason: `${entity?.reason ?? (error as Error).message} (gave up after ${tried})`, fault: entity?.fault ?? requestFault });
      }
      return settled;
    }
    // `dlq`: entities with GraphQL errors fail at once.
    for (const [id, { reason, fault }] of failedEntities) if (!settled.has(id)) settled.set(id, { kind: 'failed', reason, fault });
    return settled;
  }

  /**
   * `attempt`, tried again each time the schema gate says to after the graph refused the query
   * (it no longer validates): that is neither this chunk's fault nor an outage, so the retry
   * budget is not spent; the gate pauses the pipeline meanwhile. Any other error goes up.
   */
  private async attemptPastRefusals(attempt: () => Promise<void>, whileWaiting: () => Promise<void>, interrupted: (error: unknown) => void): Promise<void> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const gate = this.hooks.schemaGate;
        if (!(error instanceof GatewayRequestError) || error.schemaRejection === null || !gate) throw error;
        try {
          await gate.rejected(error.schemaRejection, whileWaiting);
        } catch (waitError) {
          interrupted(waitError);
          throw waitError;
        }
      }
    }
  }

  /** Closes the gateway connections, or stops the in-process gateway of a fetch by key if one was started. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * One request for `ids`, stamped with when it was sent (its document version, and the schema
   * gate's number for it); throws GatewayRequestError unless the graph answered with data.
   */
  private async post(batch: BatchedQuery, ids: readonly string[], traced: Context): Promise<{ answer: GatewayReply; version: number; sent: number }> {
    const version = fetchVersion();
    const sent = this.hooks.schemaGate?.sending() ?? 0;
    const started = performance.now();
    let ok = false;
    let perSubgraph: GatewayReply['subgraphFetches'];
    // The transport sends this span's context as the request's `traceparent`.
    const span = tracer.startSpan('fedsearch.fetch', { kind: SpanKind.CLIENT, attributes: { 'fedsearch.ids': ids.length } }, traced);
    try {
      const answer = await context.with(trace.setSpan(traced, span), () => this.transport.send(batch.text, batch.variables(ids)));
      ok = answer.errors.length === 0;
      perSubgraph = answer.subgraphFetches;
      span.setAttributes({ 'fedsearch.graphql_errors': answer.errors.length, 'fedsearch.ids.missing': answer.missing.size });
      if (!ok) span.setStatus({ code: SpanStatusCode.ERROR, message: `${answer.errors.length} GraphQL errors` });
      return { answer, version, sent };
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
      const ms = performance.now() - started;
      this.hooks.onRequest?.(ms, ok, ids.length);
      // What the transport timed per subgraph, else the whole request (a failed one too: a timeout is latency).
      if (perSubgraph) for (const fetch of perSubgraph) this.hooks.onSubgraphFetch?.(fetch.subgraph, fetch.ms);
      else this.hooks.onSubgraphFetch?.(latencySubgraph(this.owners), ms);
    }
  }
}

/** p-queue's interval cap for a requests/s limit; fractional limits (0.5/s) work too. */
function rateCap(maxRequestsPerSecond: number | undefined): { intervalCap: number; interval: number } | Record<string, never> {
  if (maxRequestsPerSecond === undefined) return {};
  const intervalCap = Math.max(1, Math.floor(maxRequestsPerSecond));
  return { intervalCap, interval: (1000 * intervalCap) / maxRequestsPerSecond };
}

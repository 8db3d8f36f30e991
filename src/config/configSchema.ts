import { z } from 'zod';
import { durationSeconds } from '../duration.ts';
import type { DeadLetterRetrySettings } from './indexConfig.ts';

// The YAML shape of an index configuration, as zod schemas: strict objects (an unknown key is an
// error with a did-you-mean), defaults for everything that has a sensible one.

/** `pipeline.retryDeadLetters` unless the config says otherwise (README: Dead letters that recover). */
export const DEFAULT_DEAD_LETTER_RETRY: DeadLetterRetrySettings = {
  enabled: true,
  firstDelaySeconds: 5,
  maxDelaySeconds: 300,
  lettersPerSecond: 20,
  giveUpAfterHours: 24,
};


const name = z.string().min(1);
const dottedPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a dotted path such as after.id');

export const eventSourceSchema = z
  .strictObject({
    topic: name,
    // A path, or for a composite key a path per key field: { sku: after.sku, package: after.package }.
    id: z.union([dottedPath, z.record(dottedPath, dottedPath).refine((paths) => Object.keys(paths).length > 0, 'names at least one key field')]).optional(),
    idFromKey: z.boolean().optional(),
    // Omitted: each message is looked at (a Debezium event names its connector in `source`).
    format: z.enum(['bare', 'debezium']).optional(),
  })
  .refine((source) => (source.id === undefined) !== (source.idFromKey !== true), {
    message: 'give either `id: <path in the event>` or `idFromKey: true`, not both or neither',
  })
  .refine((source) => !(source.format === 'debezium' && source.idFromKey === true), {
    message: "with `format: debezium` name the id's column (`id: id`, or a column per key field): Debezium's key is a JSON struct, not the id",
  });

/** Seconds, from a number of seconds or `90s`, `15m`, `2h`, `1d`. */
const duration = z.union([
  z.number().min(0),
  z
    .string()
    .refine((text) => durationSeconds(text) !== null, 'must be a duration such as 30s, 15m, 2h or 1d')
    .transform((text) => durationSeconds(text) as number),
], { error: 'must be a duration such as 30s, 15m, 2h or 1d, or a number of seconds' });

const fieldOptionsSchema = z.strictObject({
  text: z.boolean().optional(),
  keyword: z.boolean().optional(),
  facet: z.boolean().optional(),
  nested: z.boolean().optional(),
  suggest: z.boolean().optional(),
  sortable: z.boolean().optional(),
  excluded: z.boolean().optional(),
  analyzer: z.enum(['folded', 'name']).optional(),
  audit: z.boolean().optional(),
});

/** A GraphQL name (a field or a type), not one of GraphQL's own (`__…`). */
const graphqlName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a GraphQL name: letters, digits and "_", not starting with a digit')
  .refine((text) => !text.startsWith('__'), 'must not start with "__" (reserved by GraphQL)');

const positiveInt = z.number().int().positive();

/**
 * Request headers: a name is an HTTP token, a value has no line break or other control character
 * (fetch refuses one only when the request is made, quoting it — and a value is often a secret).
 */
const headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)'),
  z.string().regex(/^[^\x00-\x08\x0a-\x1f\x7f]*$/, 'must not contain a line break or another control character (the value is not shown)'),
);

export const indexConfigSchema = z.strictObject({
  index: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,99}$/,
      'must be lower-case letters, digits, "_" or "-", starting with a letter or digit (an Elasticsearch index name)',
    ),
  gateway: z
    .strictObject({
      // The gateway a root-field query is sent to (and backfill.query, when there is one).
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      headers: headers.default({}),
      timeoutMs: positiveInt.default(10_000),
      // The composed supergraph SDL (a file beside the config): a fragment query is fetched by
      // @key through it, from the subgraphs it names.
      supergraph: z.string().min(1).optional(),
      // Per subgraph of the supergraph: another URL (e.g. inside your network) and headers.
      subgraphs: z
        .record(z.string(), z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(), headers: headers.default({}) }))
        .default({}),
    })
    .refine((gateway) => gateway.url !== undefined || gateway.supergraph !== undefined, {
      message: 'give url (the gateway that answers the query) or supergraph (a composed supergraph file, to fetch by @key), or both',
    }),
  query: z.string().min(1),
  primary: z.strictObject({
    type: name,
    // For a fragment query: which @key to fetch by, as written in @key(fields:); default the first resolvable one.
    key: z.string().min(1).optional(),
    events: z.array(eventSourceSchema).min(1),
  }),
  related: z
    .array(
      z.strictObject({
        type: name,
        events: z.array(eventSourceSchema).min(1),
        // One path (`cast.talent.talentId`), an object holding the key fields the events name
        // (`items`), or a path per key field of a composite key (`{ sku: items.sku, package: items.package }`).
        lookup: z.union([dottedPath, z.record(z.string(), dottedPath)]),
      }),
    )
    .default([]),
  fields: z.record(z.string(), fieldOptionsSchema).default({}),
  scalars: z.record(z.string(), z.enum(['string', 'keyword', 'text', 'date', 'long', 'double', 'boolean'])).default({}),
  elasticsearch: z
    .strictObject({
      node: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:9200'),
      apiKey: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      caFile: z.string().optional(),
      shards: positiveInt.default(1),
      replicas: z.number().int().min(0).default(0),
      // How often Elasticsearch makes new writes searchable (index.refresh_interval); unset: its
      // default, once a second and skipped while nobody searches the index.
      refreshInterval: duration.refine((seconds) => seconds >= 0.001, 'must be more than 0, e.g. 1s or 0.5 (seconds): a search sees a document only after a refresh').optional(),
    })
    .refine((es) => (es.username === undefined) === (es.password === undefined), {
      message: 'username and password go together',
    })
    .refine((es) => !(es.apiKey && es.username), { message: 'use apiKey or username/password, not both' })
    .default({ node: 'http://127.0.0.1:9200', shards: 1, replicas: 0 }),
  kafka: z
    .strictObject({
      brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1).default(['127.0.0.1:9092']),
      clientId: z.string().optional(),
      caFile: z.string().optional(),
      ssl: z.boolean().default(false),
      sasl: z
        .strictObject({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          username: z.string(),
          password: z.string(),
        })
        .optional(),
      partitions: z
        .strictObject({ documents: positiveInt.default(3), dlq: positiveInt.default(1) })
        .default({ documents: 3, dlq: 1 }),
    })
    .default({ brokers: ['127.0.0.1:9092'], ssl: false, partitions: { documents: 3, dlq: 1 } }),
  pipeline: z
    .strictObject({
      batchSize: positiveInt.max(500).default(25),
      concurrency: positiveInt.max(64).default(4),
      maxRequestsPerSecond: z.number().positive().optional(),
      retries: z.number().int().min(0).max(20).default(5),
      onGraphQLErrors: z.enum(['retry-then-dlq', 'dlq']).default('retry-then-dlq'),
      outageToleranceSeconds: z.number().min(0).max(86_400).default(300),
      // Unset: 9464, or any free port when another process on this host has it.
      metricsPort: z.number().int().min(0).max(65535).optional(),
      // Under Kafka's default message.max.bytes (1,048,588), which the documents topic keeps.
      maxDocumentBytes: positiveInt.max(1_000_000).default(1_000_000),
      graphCheckSeconds: z.number().min(0.1).max(3_600).default(10),
      // Worker threads that decode the sink's documents beside the event loop (workerPool.ts). Off
      // by default: on the 2-core machine it is measured on, they cost CPU and memory and gained
      // nothing (bench/README.md, 2026-12-06); the event loop was idle half the time anyway.
      workers: z.union([z.literal('auto'), z.number().int().min(0).max(16)], { error: 'must be auto or a number of threads from 0 to 16' }).default(0),
      // Dead letters the graph is to blame for, tried again by `run` (deadLetterRetry.ts).
      retryDeadLetters: z
        .strictObject({
          enabled: z.boolean().default(DEFAULT_DEAD_LETTER_RETRY.enabled),
          firstDelaySeconds: z.number().min(0.1).max(3_600).default(DEFAULT_DEAD_LETTER_RETRY.firstDelaySeconds),
          maxDelaySeconds: z.number().min(1).max(86_400).default(DEFAULT_DEAD_LETTER_RETRY.maxDelaySeconds),
          lettersPerSecond: z.number().positive().max(10_000).default(DEFAULT_DEAD_LETTER_RETRY.lettersPerSecond),
          giveUpAfterHours: z.number().positive().max(24 * 90).default(DEFAULT_DEAD_LETTER_RETRY.giveUpAfterHours),
        })
        .refine((retry) => retry.maxDelaySeconds >= retry.firstDelaySeconds, {
          message: 'must be at least firstDelaySeconds',
          path: ['maxDelaySeconds'],
        })
        .default(DEFAULT_DEAD_LETTER_RETRY),
    })
    .default({
      batchSize: 25,
      concurrency: 4,
      retries: 5,
      onGraphQLErrors: 'retry-then-dlq',
      outageToleranceSeconds: 300,
      maxDocumentBytes: 1_000_000,
      graphCheckSeconds: 10,
      workers: 0,
      retryDeadLetters: DEFAULT_DEAD_LETTER_RETRY,
    }),
  backfill: z
    .strictObject({
      query: z.string().min(1).optional(),
      rate: z.number().positive().default(200),
      concurrency: positiveInt.default(4),
    })
    .default({ rate: 200, concurrency: 4 }),
  // What a search hit shows on the page: document paths. Derived from `fields:` when absent.
  display: z
    .strictObject({
      title: dottedPath.optional(),
      subtitle: z.array(dottedPath).max(6).optional(),
      detail: z.array(dottedPath).max(6).optional(),
    })
    .optional(),
  // How the search subgraph names this index's field and types, where the derived names
  // (`search<Type>s`, `<Type>SearchConnection`) are already the graph's own.
  search: z
    .strictObject({
      field: graphqlName.optional(),
      typePrefix: graphqlName.optional(),
    })
    .optional(),
  audit: z
    .strictObject({
      // How long a difference is given to settle before it is checked again, and how many times.
      settleSeconds: z.number().min(0).max(3_600).default(10),
      rounds: positiveInt.max(10).default(3),
      // A difference younger than this is within the consistency SLA, never a failure.
      sla: duration.default(0),
      // A date-time field of the document: when the graph last changed the entity (for ages).
      updatedAtField: dottedPath.optional(),
      // Unset: 9465, or any free port when taken.
      metricsPort: z.number().int().min(0).max(65535).optional(),
    })
    .default({ settleSeconds: 10, rounds: 3, sla: 0 }),
});

export type RawIndexConfig = z.infer<typeof indexConfigSchema>;

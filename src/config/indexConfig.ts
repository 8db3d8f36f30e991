// The typed, validated form of one index configuration file (index-configs/*.yaml). Produced
// once at the edge by loadIndexConfig(); everything inside fedsearch takes these types.

/** Where a value came from in the YAML file, for error messages (1-based). */
export interface SourcePosition {
  line: number;
  col: number;
}

/** How the Elasticsearch mapping treats a leaf field (by its dotted path in the document). */
export interface FieldOptions {
  /** Full-text searchable (analyzed `text`); default for strings. */
  text?: boolean;
  /** Exact-value `keyword` (filters, terms); default sub-field of every string. */
  keyword?: boolean;
  /** Offered as a facet (terms aggregation on the keyword form). */
  facet?: boolean;
  /** For an object or list of objects: index each element as its own `nested` document. */
  nested?: boolean;
  /** As-you-type suggestions (edge n-grams). */
  suggest?: boolean;
  /** Sortable (keyword / numeric doc values). */
  sortable?: boolean;
  /** Kept in the document (_source, Avro) but not indexed. */
  excluded?: boolean;
  /** Which text analyzer: `folded` (default; lowercase + ASCII folding) or `name` (people's names). */
  analyzer?: TextAnalyzer;
  /** False: `audit` leaves the field (and what is under it) out of its comparison — a value the graph answers differently on every read. */
  audit?: boolean;
}

export type TextAnalyzer = 'folded' | 'name';

/** How a custom GraphQL scalar is stored. */
export type ScalarKind = 'string' | 'keyword' | 'text' | 'date' | 'long' | 'double' | 'boolean';

/**
 * How a topic's events are written: `bare`, the application envelope (`{op, before, after, ts_ms}`,
 * the id at a path); `debezium`, Debezium's change events through Kafka Connect's JSON converter
 * (the id named as a column).
 */
export type EventFormat = 'bare' | 'debezium';

/** A Kafka topic carrying change events for one entity type, and where the entity id is in them. */
export interface EventSource {
  topic: string;
  /** null: told from each message (one whose `source` names a Debezium connector is Debezium's). */
  format: EventFormat | null;
  /**
   * Dotted path to the id in the JSON event, e.g. `after.movieId`; on deletes `before` is tried.
   * For Debezium, the id's column (`id`; `after.id` means the same).
   */
  idPath: string | null;
  /** For a composite key: the event path (Debezium: column) of each key field, by the field's document path (`variation.id`). */
  idPaths: Record<string, string> | null;
  /** Take the id from the message key instead of the value. */
  idFromKey: boolean;
  position: SourcePosition;
}

export interface RelatedEntity {
  type: string;
  events: EventSource[];
  /**
   * Dotted path in the primary document holding this entity's id (`production.ptpId`), or the
   * object holding its key fields (`items`: the fields the events name); for a `lookupPaths` map,
   * the map as written, for messages. What it resolves to is the index model's RelatedLookup.
   */
  lookup: string;
  /** A composite key's fields, each with the document path holding it (`{ sku: items.sku }`); null for one path. */
  lookupPaths: Record<string, string> | null;
  position: SourcePosition;
  lookupPosition: SourcePosition;
}

export interface ElasticsearchSettings {
  node: string;
  auth?: { apiKey: string } | { username: string; password: string };
  caFile?: string;
  shards: number;
  replicas: number;
  /** Seconds between refreshes that make writes searchable (index.refresh_interval); absent: Elasticsearch's default. */
  refreshInterval?: number;
}

export interface KafkaSettings {
  brokers: string[];
  /** What the brokers see this index's clients as: `kafka.clientId`, or fedsearch-<index> when unset. */
  clientId: string;
  /**
   * Whether the config set `kafka.clientId` (an identity the brokers' quotas or ACLs may name).
   * When it did not, a `run` of many indexes sends every index's documents through one producer
   * and one admin under the client id `fedsearch` (see SharedClients).
   */
  clientIdConfigured: boolean;
  /** TLS to the brokers; `caFile` adds a CA to trust. */
  ssl: boolean;
  caFile?: string;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  partitions: { documents: number; dlq: number };
}

/** How the pipeline talks to the gateway and where it reports. */
export interface PipelineSettings {
  /** Entities fetched in one gateway request (aliased root fields). */
  batchSize: number;
  /** Gateway requests in flight at once. */
  concurrency: number;
  /** Cap on gateway requests per second; none when undefined. */
  maxRequestsPerSecond?: number;
  /** Retries of a failing fetch (timeouts, 5xx, GraphQL errors) before it goes to the DLQ. */
  retries: number;
  /** A response with GraphQL errors for an entity: retry with backoff then DLQ, or DLQ at once. */
  onGraphQLErrors: 'retry-then-dlq' | 'dlq';
  /**
   * How long a graph that fails whole requests (unreachable, timeouts, 5xx, a subgraph down) is
   * waited out — batches held, nothing committed, the consumer kept in its group — before its ids
   * are dead-lettered. An outage is not a bad entity: dead-lettering every change made during it
   * would leave the index stale until someone replays. 0: whole-request failures get `retries` only.
   */
  outageToleranceSeconds: number;
  /** Port of /metrics and /healthz (0 picks a free one). */
  /** Port of /metrics and /healthz; null: the default port, or any free one when it is taken. */
  metricsPort: number | null;
  /** Largest document (Avro bytes) written to or read from the documents topic; a larger one is dead-lettered. */
  maxDocumentBytes: number;
  /**
   * How often `run` checks the graph (the supergraph file, or the gateway's schema) against the
   * query, and, while paused for a graph change, tries the refused fetches again.
   */
  graphCheckSeconds: number;
  /**
   * Worker threads that take the sink's document decoding (Avro → the bulk request's JSON) off the
   * event loop; 0 (the default): none. `auto`: one fewer than the cores, at most 4 (autoWorkers).
   */
  workers: number | 'auto';
  /** Dead letters the graph is to blame for, tried again by themselves with a growing delay at a capped rate. */
  retryDeadLetters: DeadLetterRetrySettings;
}

/** `pipeline.retryDeadLetters`: how `run` retries the dead letters the graph is to blame for (src/pipeline/deadLetterRetry.ts). */
export interface DeadLetterRetrySettings {
  /** Off: every letter waits for `fedsearch replay`, as before. */
  enabled: boolean;
  /** The first automatic retry comes this long after the letter was written. */
  firstDelaySeconds: number;
  /** Each retry that fails doubles the delay, up to this. */
  maxDelaySeconds: number;
  /** Letters retried per second at most, all partitions of the process together (a token bucket). */
  lettersPerSecond: number;
  /** A letter still failing this long after its first failure is left for `replay` by hand. */
  giveUpAfterHours: number;
}

export interface BackfillSettings {
  /** A paginated query listing every primary id; `$after` is the cursor variable. */
  query: string | null;
  /** Where the backfill query's text starts in the YAML file. */
  queryPosition: SourcePosition;
  /** Entities per second at most. */
  rate: number;
  concurrency: number;
}

/** Where the graph is: a gateway URL for root-field queries, a supergraph for fetching by @key. */
export interface GatewaySettings {
  /** The gateway a root-field query (and backfill.query) is sent to; null with a supergraph only. */
  url: string | null;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The composed supergraph SDL file (absolute), read for fetching by @key; null when not given. */
  supergraph: string | null;
  /** Per subgraph name: a URL replacing the supergraph's, and headers for its requests. */
  subgraphs: Record<string, { url: string | null; headers: Record<string, string> }>;
}

export interface IndexConfig {
  /** The file it was loaded from. */
  sourceFile: string;
  /** Index name: the alias searches use; versions are `<index>_v<N>`. */
  index: string;
  gateway: GatewaySettings;
  /** The templated query, and where its text starts in the YAML file (to map query errors back). */
  query: { text: string; position: SourcePosition };
  primary: {
    type: string;
    typePosition: SourcePosition;
    /** For a fragment query: the @key field set to fetch by; null: the type's first resolvable key. */
    key: string | null;
    keyPosition: SourcePosition;
    events: EventSource[];
  };
  related: RelatedEntity[];
  /** Options by dotted document path. */
  fields: Record<string, FieldOptions>;
  /** Where each `fields:` entry is in the file, for errors found against the query's shape. */
  fieldPositions: Record<string, SourcePosition>;
  /** Custom scalar name → storage kind (DateTime/Date default to `date`). */
  scalars: Record<string, ScalarKind>;
  elasticsearch: ElasticsearchSettings;
  kafka: KafkaSettings;
  pipeline: PipelineSettings;
  backfill: BackfillSettings;
  audit: AuditSettings;
  /** What a search hit shows (document paths); null where the config leaves it to the default. */
  display: DisplaySettings;
  /** The search subgraph's names for this index; null where the config leaves them derived. */
  search: SearchNaming;
}

/** The search subgraph's field (`findProducts`) and type prefix (`Catalog` → `CatalogSearchConnection`). */
export interface SearchNaming {
  field: string | null;
  typePrefix: string | null;
  /** Where `field` and `typePrefix` are in the file, for a name the graph already has. */
  positions: { field?: SourcePosition; typePrefix?: SourcePosition };
}

export interface DisplaySettings {
  title: string | null;
  subtitle: string[] | null;
  detail: string[] | null;
  /** Where each entry is in the file (`title`, `subtitle[1]`, …), for errors found against the document. */
  positions: Record<string, SourcePosition>;
}

export interface AuditSettings {
  /** Seconds a difference is given before it is checked again. */
  settleSeconds: number;
  /** Times a difference is checked again before it counts as persistent. */
  rounds: number;
  /** Seconds: a difference younger than this is within the consistency SLA. */
  slaSeconds: number;
  /** Document path of a date-time the graph sets on every change, for how long a difference has lasted. */
  updatedAtField: string | null;
  /** Port of /metrics for `audit --every`; null: the default port, or any free one when it is taken. */
  metricsPort: number | null;
}

import type { KafkaMessage, Message } from '../clients/kafkajs.ts';
import type { EventSource } from '../config/indexConfig.ts';
import type { KeyPart } from '../graph/entityKey.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { lookupFields } from '../index/relatedLookups.ts';
import type { DeadLetter } from './deadLetters.ts';
import { decodeChangeEvent, type SkipReason } from './decodeChangeEvent.ts';
import { DocumentTooLargeError, type DocumentCodec } from './documentCodec.ts';
import type { FetchResult } from './gatewayFetcher.ts';
import type { LookupTarget } from './reverseLookup.ts';
import { GATEWAY, type Attribution } from './subgraphAttribution.ts';

/**
 * The enrich stage's steps, each a function of its inputs: decode → route (routeEvents), look up
 * (lookUpPrimaryIds), fetch (the GatewayFetcher), produce (documentMessages). EnrichStage composes
 * them with Kafka and the dead-letter topic; tests take them one at a time.
 */

/** How events of one topic are read: as the primary entity, or as a related one to look up. */
export interface Route {
  entityType: string;
  source: EventSource;
  /** The key the events name (field by field for a composite key): the primary entity's, or the related entity's its lookup reads. */
  key: readonly KeyPart[];
  lookup: LookupTarget | null;
}

/** Entity ids with the oldest source-event time seen for each (for end-to-end latency). */
export type PendingIds = Map<string, number | null>;

/**
 * The routes of every event topic of the index: primary events fetch their entity; related events
 * search the index for the documents holding their id, in the exact (keyword) form of the lookup
 * field, inside its nested object if it has one — both read from the index model.
 */
export function eventRoutes(loaded: Pick<LoadedIndex, 'config' | 'fields' | 'names' | 'query' | 'relatedLookups'>): Map<string, Route[]> {
  const { config } = loaded;
  const routes = new Map<string, Route[]>();
  const add = (topic: string, route: Route): void => void routes.set(topic, [...(routes.get(topic) ?? []), route]);
  for (const source of config.primary.events) add(source.topic, { entityType: config.primary.type, source, key: loaded.query.key, lookup: null });
  for (const [i, related] of config.related.entries()) {
    const resolved = loaded.relatedLookups[i] as LoadedIndex['relatedLookups'][number];
    const where = lookupFields(resolved, loaded.fields);
    const lookup: LookupTarget = { index: loaded.names.alias, fields: where.exactFields, nestedPath: where.nestedPath, key: resolved.key };
    for (const source of related.events) add(source.topic, { entityType: related.type, source, key: resolved.key, lookup });
  }
  return routes;
}

/** One batch of change events sorted out: ids to fetch, related ids to look up, events that cannot be read. */
export interface RoutedEvents {
  primary: PendingIds;
  /**
   * Primary ids whose latest event in the batch says the row exists (a create, update or read):
   * a null from the graph for one of them is not a deletion but the graph lagging or failing.
   */
  expectedToExist: Set<string>;
  related: Map<Route, PendingIds>;
  /** Undecodable events, as dead letters naming topic, partition and offset. */
  letters: DeadLetter[];
  decoded: number;
  /** Messages that are no change (tombstones, heartbeats), by offset: counted, not dead-lettered. */
  skipped: Array<{ offset: string; reason: SkipReason }>;
}

/** Decode and route: every message of one topic partition, read by each route of its topic. */
export function routeEvents(messages: readonly KafkaMessage[], routes: readonly Route[], where: { topic: string; partition: number }): RoutedEvents {
  const routed: RoutedEvents = { primary: new Map(), expectedToExist: new Set(), related: new Map(), letters: [], decoded: 0, skipped: [] };
  for (const message of messages) {
    for (const route of routes) {
      const decoded = decodeChangeEvent(message, route.source, route.key);
      if (!decoded.ok) {
        const source = { ...where, offset: message.offset };
        routed.letters.push({ kind: 'event', stage: 'enrich', reason: decoded.reason, entityId: null, source, key: message.key, value: message.value });
        continue;
      }
      if (decoded.event === null) {
        routed.skipped.push({ offset: message.offset, reason: decoded.skipped });
        continue;
      }
      routed.decoded++;
      let target = routed.primary;
      if (route.lookup) {
        target = routed.related.get(route) ?? new Map();
        routed.related.set(route, target);
      } else if (decoded.event.exists === true) routed.expectedToExist.add(decoded.event.id);
      else routed.expectedToExist.delete(decoded.event.id);
      keepOldest(target, decoded.event.id, decoded.event.tsMs);
    }
  }
  return routed;
}

/** The primary ids of documents that reference some related ids. */
export type ReverseLookup = (target: LookupTarget, relatedIds: readonly string[]) => Promise<string[]>;

/**
 * Look up: adds to `into` the primary ids of every document that references a changed related
 * entity, each with the oldest event time of its route's changes; `after` runs per route (metrics,
 * a heartbeat). `skip` leaves out ids already handled. Returns the ids it added.
 */
export async function lookUpPrimaryIds(
  lookup: ReverseLookup,
  related: ReadonlyMap<Route, PendingIds>,
  into: PendingIds,
  after: (route: Route, relatedIds: PendingIds, found: string[], added: number) => Promise<void> | void,
  skip: ReadonlySet<string> = new Set(),
): Promise<PendingIds> {
  const added: PendingIds = new Map();
  for (const [route, ids] of related) {
    const found = await lookup(route.lookup as LookupTarget, [...ids.keys()]);
    const oldest = oldestOf(ids);
    let count = 0;
    for (const id of found) {
      if (skip.has(id)) continue;
      if (!into.has(id)) count++;
      keepOldest(into, id, oldest);
      keepOldest(added, id, oldest);
    }
    await after(route, ids, found, count);
  }
  return added;
}

export interface EnrichOutcome {
  written: number;
  deleted: number;
  /** Failures, with whose they were when the graph said (a document refused by its Avro schema is fedsearch's own). */
  failed: Array<{ id: string; reason: string; fault?: Attribution }>;
}

/** The code of a dead letter for an entity the graph answered null while its change event says it exists. */
export const ENTITY_NULL = 'ENTITY_NULL';

/**
 * Produce: the documents-topic messages for what the gateway answered (a tombstone for an entity
 * that is gone); failed fetches and documents that do not fit the Avro schema are returned as
 * failures for the caller to dead-letter. An id in `expectedToExist` that came back null fails
 * too, attributed to the subgraph that answered it: its source just said the row exists, so the
 * null is the graph's lag or fault — deleting the document would hide it until its next change.
 */
export function documentMessages(
  results: ReadonlyMap<string, FetchResult>,
  eventTimes: PendingIds,
  codec: Pick<DocumentCodec, 'toMessage'>,
  expectedToExist: ReadonlySet<string> = new Set(),
): { messages: Message[]; outcome: EnrichOutcome } {
  const outcome: EnrichOutcome = { written: 0, deleted: 0, failed: [] };
  const messages: Message[] = [];
  for (const [id, result] of results) {
    if (result.kind === 'failed') {
      outcome.failed.push({ id, reason: result.reason, ...(result.fault ? { fault: result.fault } : {}) });
      continue;
    }
    if (result.kind === 'missing' && expectedToExist.has(id)) {
      const subgraph = result.subgraph ?? GATEWAY;
      outcome.failed.push({
        id,
        reason: `the graph answered null for ${id} while its change event says the row exists: not deleted from the index, retried`,
        fault: { subgraph, path: '', code: ENTITY_NULL },
      });
      continue;
    }
    const document = result.kind === 'found' ? result.document : null;
    try {
      messages.push(codec.toMessage({ id, document, version: result.version, eventTsMs: eventTimes.get(id) ?? null }));
      if (document === null) outcome.deleted++;
      else outcome.written++;
    } catch (error) {
      const reason = error instanceof DocumentTooLargeError ? error.message : `document does not fit the Avro schema: ${(error as Error).message}`;
      outcome.failed.push({ id, reason });
    }
  }
  return { messages, outcome };
}

/** A fetch that kept failing, as a dead letter `replay` fetches again. */
export function refetchLetter(failure: EnrichOutcome['failed'][number], tsMs: number | null): DeadLetter {
  return {
    ...(failure.fault ? { fault: failure.fault } : {}),
    kind: 'refetch',
    stage: 'enrich',
    reason: failure.reason,
    entityId: failure.id,
    source: null,
    key: failure.id,
    value: JSON.stringify({ id: failure.id, tsMs }),
  };
}

export function keepOldest(ids: PendingIds, id: string, tsMs: number | null): void {
  const known = ids.get(id);
  if (!ids.has(id) || (tsMs !== null && (known === null || known === undefined || tsMs < known))) ids.set(id, tsMs);
}

export function oldestOf(ids: PendingIds): number | null {
  let oldest: number | null = null;
  for (const ts of ids.values()) if (ts !== null && (oldest === null || ts < oldest)) oldest = ts;
  return oldest;
}

import type { Client, estypes } from '@elastic/elasticsearch';
import avro from 'avsc';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../src/clients/kafkajs.ts';
import { postGraphQL } from '../subgraphs/shared/postGraphQL.ts';

/** One generated index of the many-indexes bench: over the demo studio (movies) or the shop (catalog). */
export interface FleetIndex {
  alias: string;
  graph: 'movies' | 'shop';
  /** The topic its primary changes are read from. */
  topic: string;
}

interface Pending {
  sentAt: number;
  /** Its timeline record, when timed. */
  trace: ChangeTrace | undefined;
  /** The entity changed: a later change of it found first stands for this one too. */
  entity: string;
  timed: boolean;
  seq: number;
  graph: FleetIndex['graph'];
}

const RETITLE = 'mutation($id: ID!, $title: String) { updateMovie(movieId: $id, patch: { title: $title }) { movieId } }';
const RENAME = 'mutation($sku: String!, $package: String!, $name: String!) { renameProduct(sku: $sku, package: $package, name: $name) { name } }';
/** The shop's products (the bundle follows its items through its related lookup). */
const PRODUCTS = [
  { sku: 'federation', package: '@apollo/federation' },
  { sku: 'federation', package: '@apollo/gateway' },
  { sku: 'studio', package: '@apollo/studio' },
  { sku: 'rover', package: '@apollo/rover' },
];
/** The pause between two searches for pending changes (FEDSEARCH_FLEET_POLL_MS, 100): a search spans every index with changes pending, so at 50 indexes it is 50 shard searches for Elasticsearch each time. */
export const POLL_PAUSE_MS = Number(process.env.FEDSEARCH_FLEET_POLL_MS ?? 100);
/** How a title is written inside a document's Avro: its byte length (zig-zag varint), then its UTF-8 bytes. */
const AVRO_STRING = avro.Type.forSchema('string');

/**
 * One timed (index, change), its stages in epoch milliseconds (performance.timeOrigin +
 * performance.now(), the clock the run process's own timestamps use): the mutation sent, answered,
 * the change event acknowledged on the index's change topic, the enrich stage's gateway fetch of it
 * sent (the document's `fedsearch-version` header, µs), the document produced to the documents
 * topic (its Kafka timestamp), and found by a search (searchable).
 */
export interface ChangeTrace {
  alias: string;
  graph: FleetIndex['graph'];
  seq: number;
  title: string;
  sentAt: number;
  answeredAt?: number;
  onTopicAt?: number;
  fetchSentAt?: number;
  producedAt?: number;
  foundAt?: number;
}

export interface FreshnessSample {
  /** Change sent → searchable in that index, ms, ascending. */
  latenciesMs: number[];
  byGraph: Record<'movies' | 'shop', number[]>;
  /** Changes found only through a later change of the same entity (its time taken). */
  superseded: number;
  /** Timed changes not searchable when the wait ended. */
  lost: number;
  /** Mutations the graph refused. */
  refused: number;
  /** Every timed (index, change), in the order sent. */
  traces: ChangeTrace[];
  /** Searches for pending changes, and those of them whose hits were more than they asked for (cut off). */
  polls: number;
  cutOff: number;
  /** When each cut-off poll was answered (epoch ms). */
  cutOffAt: number[];
}

/**
 * The bench's change events: on a fixed clock, a movie retitled through the demo graph's gateway
 * and a shop product renamed through the shop's, each change then put on the topic of every
 * active index over that graph (the graphs publish nothing themselves: each index has topics of
 * its own). Each (index, change) is timed from just before the mutation is sent until a search of
 * that index's alias finds the new title — one search over every alias with changes pending, every
 * 100 ms, no forced refresh (as a user sees it).
 */
export class FleetChanges {
  private active: FleetIndex[] = [];
  private readonly pending = new Map<string, Map<string, Pending>>();
  private timed = false;
  private sample: FreshnessSample = emptySample();
  private stopped = false;
  private seq = 0;
  private readonly loops: Array<Promise<void>> = [];
  /** Timed changes by alias, then by the Avro encoding of their title (length prefix and bytes), not yet seen on the documents topic. */
  private readonly unproduced = new Map<string, Map<string, ChangeTrace>>();

  constructor(
    private readonly deps: {
      es: Client;
      producer: Producer;
      moviesGateway: string;
      shopGateway: string;
      movies: number;
      moviesPerSecond: number;
      shopPerSecond: number;
      label: string;
      /** The search before 2026-12-06 (third session): every index matching every pending title (see poll). */
      sharedPoll?: boolean;
    },
  ) {}

  /** Starts the two change clocks and the poller. */
  start(): void {
    this.loops.push(this.clock(this.deps.moviesPerSecond, () => this.changeMovie()));
    this.loops.push(this.clock(this.deps.shopPerSecond, () => this.changeProduct()));
    this.loops.push(this.poll());
  }

  /** The indexes that get events from now on (the processes running now). */
  setActive(indexes: FleetIndex[]): void {
    this.active = indexes;
  }

  /** From now on, changes are timed into a fresh sample (false: sent, waited for, not recorded). */
  setTimed(timed: boolean): void {
    this.timed = timed;
    if (timed) {
      this.sample = emptySample();
      this.unproduced.clear();
    }
  }

  /** Waits until no change is pending (up to `timeoutMs`); the timed ones still pending then count as lost. Returns the sample. */
  async settle(timeoutMs: number): Promise<FreshnessSample> {
    const deadline = performance.now() + timeoutMs;
    while (this.pendingCount() > 0 && performance.now() < deadline) await sleep(100);
    for (const byTitle of this.pending.values()) {
      for (const change of byTitle.values()) if (change.timed) this.sample.lost++;
      byTitle.clear();
    }
    const sample = this.sample;
    sample.latenciesMs.sort((a, b) => a - b);
    for (const list of Object.values(sample.byGraph)) list.sort((a, b) => a - b);
    return sample;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private pendingCount(): number {
    let count = 0;
    for (const byTitle of this.pending.values()) count += byTitle.size;
    return count;
  }

  private async clock(perSecond: number, change: () => Promise<void>): Promise<void> {
    if (perSecond <= 0) return;
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; !this.stopped; i++) {
      const wait = started + (i * 1000) / perSecond - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.stopped) break;
      // A fixed clock: a slow answer does not slow the schedule down.
      const one = change().catch(() => void this.sample.refused++);
      inFlight.add(one);
      void one.finally(() => inFlight.delete(one));
    }
    await Promise.all(inFlight);
  }

  private async changeMovie(): Promise<void> {
    const targets = this.active.filter((index) => index.graph === 'movies');
    if (targets.length === 0) return;
    const seq = ++this.seq;
    const movieId = `mov-${String((seq % this.deps.movies) + 1).padStart(7, '0')}`;
    const title = `fleet ${this.deps.label} ${seq}`;
    const sentAt = this.expect(targets, title, movieId, seq);
    await postGraphQL(this.deps.moviesGateway, RETITLE, { id: movieId, title });
    this.stamp(targets, title, 'answeredAt');
    await this.publish(targets, movieId, { movieId }, sentAt);
    this.stamp(targets, title, 'onTopicAt');
  }

  private async changeProduct(): Promise<void> {
    const targets = this.active.filter((index) => index.graph === 'shop');
    if (targets.length === 0) return;
    const seq = ++this.seq;
    const product = PRODUCTS[seq % PRODUCTS.length] as (typeof PRODUCTS)[number];
    const name = `fleet ${this.deps.label} ${seq}`;
    const sentAt = this.expect(targets, name, `${product.sku} ${product.package}`, seq);
    await postGraphQL(this.deps.shopGateway, RENAME, { ...product, name });
    this.stamp(targets, name, 'answeredAt');
    await this.publish(targets, JSON.stringify([product.sku, product.package]), product, sentAt);
    this.stamp(targets, name, 'onTopicAt');
  }

  private expect(targets: FleetIndex[], title: string, entity: string, seq: number): number {
    const sentAt = performance.now();
    for (const index of targets) {
      let byTitle = this.pending.get(index.alias);
      if (!byTitle) this.pending.set(index.alias, (byTitle = new Map()));
      let trace: ChangeTrace | undefined;
      if (this.timed) {
        trace = { alias: index.alias, graph: index.graph, seq, title, sentAt: epochMs(sentAt) };
        this.sample.traces.push(trace);
        let byEncoding = this.unproduced.get(index.alias);
        if (!byEncoding) this.unproduced.set(index.alias, (byEncoding = new Map()));
        byEncoding.set(AVRO_STRING.toBuffer(title).toString('latin1'), trace);
      }
      byTitle.set(title, { sentAt, trace, entity, timed: this.timed, seq, graph: index.graph });
    }
    return sentAt;
  }

  private stamp(targets: FleetIndex[], title: string, field: 'answeredAt' | 'onTopicAt'): void {
    const at = epochMs(performance.now());
    for (const index of targets) {
      const trace = this.pending.get(index.alias)?.get(title)?.trace;
      if (trace) trace[field] = at;
    }
  }

  /**
   * A message read from an index's documents topic: the timed changes whose title it carries (an
   * Avro string: its length prefix, then its bytes) were fetched when its version header says and
   * produced at its timestamp.
   */
  documentSeen(alias: string, value: Buffer, timestampMs: number, versionMicros: number): void {
    const byEncoding = this.unproduced.get(alias);
    if (!byEncoding || byEncoding.size === 0) return;
    const text = value.toString('latin1');
    for (const [encoding, trace] of byEncoding) {
      if (!text.includes(encoding)) continue;
      trace.producedAt = timestampMs;
      if (Number.isFinite(versionMicros)) trace.fetchSentAt = versionMicros / 1000;
      byEncoding.delete(encoding);
    }
  }

  /** The change event, bare envelope as the demo graph's, on every target's topic in one request. */
  private async publish(targets: FleetIndex[], key: string, after: Record<string, unknown>, sentAt: number): Promise<void> {
    const value = JSON.stringify({ op: 'u', before: null, after, ts_ms: Date.now() - Math.round(performance.now() - sentAt), source: { service: 'bench', entity: 'fleet' } });
    await this.deps.producer.sendBatch({ acks: -1, topicMessages: targets.map((index) => ({ topic: index.topic, messages: [{ key, value }] })) });
  }

  /**
   * One search over every index with changes pending, each index matching only its own pending
   * titles (by its concrete index name, `<alias>_v<n>`), so that the hits are never more than the
   * pending (index, change) pairs the search asks for. Until 2026-12-06 (third session) every index
   * matched every pending title of all of them, with `size` the pending pairs: an index that had
   * already found a title another index still waited for returned it again, the hits outnumbered
   * `size`, and Elasticsearch cut them off in index-name order — the last indexes by name were not
   * found for as long as new changes kept coming (the "stall" of the 2026-12-06 runs; see
   * bench/README.md). `cutOff` counts polls whose hits were cut off all the same.
   */
  private async poll(): Promise<void> {
    while (!this.stopped) {
      await sleep(POLL_PAUSE_MS);
      const aliases = [...this.pending].filter(([, byTitle]) => byTitle.size > 0).map(([alias]) => alias);
      if (aliases.length === 0) continue;
      const titlesOf = (alias: string): string[] => [...(this.pending.get(alias) as Map<string, Pending>).keys()];
      const matching = (titles: string[]): estypes.QueryDslQueryContainer => ({ bool: { should: [{ terms: { 'title.keyword': titles } }, { terms: { 'name.keyword': titles } }], minimum_should_match: 1 } });
      const should = this.deps.sharedPoll
        ? [matching(aliases.flatMap(titlesOf))]
        : aliases.map((alias): estypes.QueryDslQueryContainer => ({ bool: { filter: [{ prefix: { _index: `${alias}_v` } }, matching(titlesOf(alias))] } }));
      const asked = aliases.reduce((sum, alias) => sum + (this.pending.get(alias) as Map<string, Pending>).size, 0);
      let hits: Array<{ _index: string; _source?: { title?: string; name?: string } }>;
      try {
        const found = await this.deps.es.search<{ title?: string; name?: string }>({
          index: aliases.join(','),
          size: asked,
          track_total_hits: true,
          _source: ['title', 'name'],
          query: { bool: { should, minimum_should_match: 1 } },
          ignore_unavailable: true,
        });
        hits = found.hits.hits;
        const total = typeof found.hits.total === 'number' ? found.hits.total : (found.hits.total?.value ?? 0);
        this.sample.polls++;
        if (total > hits.length) {
          this.sample.cutOff++;
          this.sample.cutOffAt.push(epochMs(performance.now()));
        }
      } catch {
        continue; // Elasticsearch busy: the next poll
      }
      const now = performance.now();
      for (const hit of hits) this.found(hit._index.replace(/_v\d+$/, ''), hit._source?.title ?? hit._source?.name, now);
    }
  }

  private found(alias: string, title: string | undefined, now: number): void {
    const byTitle = this.pending.get(alias);
    const change = title === undefined ? undefined : byTitle?.get(title);
    if (!byTitle || !change) return;
    // This change, and any earlier one of the same entity its write overwrote.
    for (const [other, earlier] of byTitle) {
      if (earlier.entity !== change.entity || earlier.seq > change.seq) continue;
      byTitle.delete(other);
      if (!earlier.timed) continue;
      if (earlier !== change) this.sample.superseded++;
      if (earlier.trace) earlier.trace.foundAt = epochMs(now);
      this.sample.latenciesMs.push(now - earlier.sentAt);
      this.sample.byGraph[earlier.graph].push(now - earlier.sentAt);
    }
  }
}

function emptySample(): FreshnessSample {
  return { latenciesMs: [], byGraph: { movies: [], shop: [] }, superseded: 0, lost: 0, refused: 0, traces: [], polls: 0, cutOff: 0, cutOffAt: [] };
}

function epochMs(now: number): number {
  return performance.timeOrigin + now;
}

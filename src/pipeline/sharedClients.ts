import type { Client } from '@elastic/elasticsearch';
import { Agent, type Dispatcher } from 'undici';
import type { ElasticsearchSettings, GatewaySettings, KafkaSettings } from '../config/indexConfig.ts';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import type { Admin, Kafka, Producer, ProducerConfig } from '../clients/kafkajs.ts';
import { readGatewayGraph, type VersionedGraph } from './graphWatch.ts';
import { BatchedReindexTargets } from './reindexTargetReads.ts';

/** Something kafkajs connects once and disconnects at the end (a producer, an admin). */
interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The clients the indexes of one `run` process share: one Kafka client per broker list (and its
 * TLS/SASL settings) with one producer and one admin on it, one Elasticsearch client per cluster
 * (and its credentials), one keep-alive agent per gateway origin. An index's pipeline borrows them
 * and never closes them; the process closes them once every index has stopped. Two indexes with
 * different credentials for the same cluster get a client each: a credential is part of the key.
 *
 * Why one producer for every index: each kafkajs producer holds connections of its own (one per
 * broker, plus the one it bootstraps on), and a producer may send to any topic; 50 indexes with a
 * producer each held 100+ connections that carried a few requests a second. Its requests are
 * sent one at a time per broker (idempotent, `maxInFlightRequests: 1`), shared by every index: at
 * a fleet's live rates a request is a few ms; a bulk load (backfill, replay) has producers of its own.
 * The producer and admin go by the client id `fedsearch`, unless an index's config names a
 * `kafka.clientId` of its own (a quota or ACL identity): that index gets a producer and an admin
 * under it. (Until 2026-12-07 every index's default client id, fedsearch-<index>, was part of the
 * key, so each index had a producer and an admin after all: 6 connections an index instead of 4.)
 * Consumers keep the index's client id: the brokers' group listings name the index.
 */
export class SharedClients {
  private readonly kafkas = new Map<string, Kafka>();
  private readonly clusters = new Map<string, Client>();
  private readonly targetReads = new Map<Client, BatchedReindexTargets>();
  private readonly agents = new Map<string, Agent>();
  private readonly connected = new Map<string, Promise<Connectable>>();
  private readonly graphReads = new Map<string, { at: number; reading: Promise<VersionedGraph> }>();

  /** `makeKafka` and `readGraph`: a test passes fakes. */
  constructor(
    private readonly makeKafka: (settings: KafkaSettings) => Kafka = kafkaClient,
    private readonly readGraph: (gateway: GatewaySettings) => Promise<VersionedGraph> = readGatewayGraph,
  ) {}

  kafka(settings: KafkaSettings): Kafka {
    const key = kafkaKey(settings);
    let client = this.kafkas.get(key);
    if (!client) this.kafkas.set(key, (client = this.makeKafka(settings)));
    return client;
  }

  /** The process's producer for these brokers and options, connected on first ask; a failed connect is tried again at the next. */
  producer(settings: KafkaSettings, options: ProducerConfig): Promise<Producer> {
    const forProcess = processKafkaSettings(settings);
    return this.connectedOnce(`producer ${kafkaKey(forProcess)} ${JSON.stringify(options)}`, () => this.kafka(forProcess).producer(options));
  }

  /** The process's admin client for these brokers (topics listed, group offsets read), connected on first ask. */
  admin(settings: KafkaSettings): Promise<Admin> {
    const forProcess = processKafkaSettings(settings);
    return this.connectedOnce(`admin ${kafkaKey(forProcess)}`, () => this.kafka(forProcess).admin());
  }

  elasticsearch(settings: ElasticsearchSettings): Client {
    const key = JSON.stringify([settings.node, settings.auth, settings.caFile]);
    let client = this.clusters.get(key);
    if (!client) this.clusters.set(key, (client = elasticsearchClient(settings)));
    return client;
  }

  /** The sinks' reads of their reindex targets on this cluster, gathered into multi-gets. */
  reindexTargets(settings: ElasticsearchSettings): BatchedReindexTargets {
    const client = this.elasticsearch(settings);
    let reads = this.targetReads.get(client);
    if (!reads) this.targetReads.set(client, (reads = new BatchedReindexTargets(client)));
    return reads;
  }

  /** The keep-alive agent for the gateway at `url` (its origin); `connections` per origin, the largest asked for first wins. */
  gatewayAgent(url: string, connections: number): Dispatcher {
    const origin = new URL(url).origin;
    let agent = this.agents.get(origin);
    if (!agent) this.agents.set(origin, (agent = new Agent({ connections })));
    return agent;
  }

  /**
   * The gateway's graph for the graph checks of every index behind it (same URL and headers): read
   * again only once the last read is `maxAgeMs` old. Each index checks every graphCheckSeconds on
   * its own clock; 25 indexes behind one gateway introspected it (and built and printed its
   * schema) 2.5 times a second, where one read every `maxAgeMs` tells each the same. A change of
   * the graph is thus seen up to `maxAgeMs` later. A failed read is not kept.
   */
  gatewayGraph(gateway: GatewaySettings, maxAgeMs: number): Promise<VersionedGraph> {
    const key = JSON.stringify([gateway.url, gateway.headers, gateway.timeoutMs]);
    const now = Date.now();
    const last = this.graphReads.get(key);
    if (last && now - last.at < maxAgeMs) return last.reading;
    const reading = this.readGraph(gateway);
    this.graphReads.set(key, { at: now, reading });
    reading.catch(() => {
      if (this.graphReads.get(key)?.reading === reading) this.graphReads.delete(key);
    });
    return reading;
  }

  /** How many of each are open (for /healthz and the log). */
  get counts(): { kafkaClients: number; kafkaConnected: number; elasticsearchClients: number; gatewayAgents: number } {
    return { kafkaClients: this.kafkas.size, kafkaConnected: this.connected.size, elasticsearchClients: this.clusters.size, gatewayAgents: this.agents.size };
  }

  async close(): Promise<void> {
    // A kafkajs client holds no connection of its own: its producers, consumers and admins do; the
    // pipelines closed their consumers, the shared producers and admins close here.
    const kafka = [...this.connected.values()].map(async (connecting) => (await connecting).disconnect());
    this.connected.clear();
    this.kafkas.clear();
    const closing = [...this.clusters.values()].map((client) => client.close());
    closing.push(...[...this.agents.values()].map((agent) => agent.close()));
    this.clusters.clear();
    this.targetReads.clear();
    this.agents.clear();
    this.graphReads.clear();
    await Promise.allSettled([...kafka, ...closing]);
  }

  private connectedOnce<T extends Connectable>(key: string, make: () => T): Promise<T> {
    let connecting = this.connected.get(key);
    if (!connecting) {
      const client = make();
      connecting = client.connect().then(() => client);
      this.connected.set(key, connecting);
      // Not kept when it fails: the next index to ask tries again (and says why if it fails too).
      connecting.catch(() => {
        if (this.connected.get(key) === connecting) this.connected.delete(key);
      });
    }
    return connecting as Promise<T>;
  }
}

/** The client id the process's shared producer and admin go by when an index's config names none. */
export const PROCESS_CLIENT_ID = 'fedsearch';

/** An index's Kafka settings as the process's producer and admin use them: its configured client id, or the process's. */
function processKafkaSettings(settings: KafkaSettings): KafkaSettings {
  return settings.clientIdConfigured ? settings : { ...settings, clientId: PROCESS_CLIENT_ID };
}

function kafkaKey(settings: KafkaSettings): string {
  return JSON.stringify([settings.brokers, settings.clientId, settings.ssl, settings.caFile, settings.sasl]);
}

import type { Client } from '@elastic/elasticsearch';
import { Agent, type Dispatcher } from 'undici';
import type { ElasticsearchSettings, KafkaSettings } from '../config/indexConfig.ts';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import type { Kafka } from '../clients/kafkajs.ts';

/**
 * The clients the indexes of one `run` process share: one Kafka client per broker list (and its
 * TLS/SASL settings), one Elasticsearch client per cluster (and its credentials), one keep-alive
 * agent per gateway origin. An index's pipeline borrows them and never closes them; the process
 * closes them once every index has stopped. Two indexes with different credentials for the same
 * cluster get a client each: a credential is part of the key.
 */
export class SharedClients {
  private readonly kafkas = new Map<string, Kafka>();
  private readonly clusters = new Map<string, Client>();
  private readonly agents = new Map<string, Agent>();

  kafka(settings: KafkaSettings): Kafka {
    const key = JSON.stringify([settings.brokers, settings.clientId, settings.ssl, settings.caFile, settings.sasl]);
    let client = this.kafkas.get(key);
    if (!client) this.kafkas.set(key, (client = kafkaClient(settings)));
    return client;
  }

  elasticsearch(settings: ElasticsearchSettings): Client {
    const key = JSON.stringify([settings.node, settings.auth, settings.caFile]);
    let client = this.clusters.get(key);
    if (!client) this.clusters.set(key, (client = elasticsearchClient(settings)));
    return client;
  }

  /** The keep-alive agent for the gateway at `url` (its origin); `connections` per origin, the largest asked for first wins. */
  gatewayAgent(url: string, connections: number): Dispatcher {
    const origin = new URL(url).origin;
    let agent = this.agents.get(origin);
    if (!agent) this.agents.set(origin, (agent = new Agent({ connections })));
    return agent;
  }

  /** How many of each are open (for /healthz and the log). */
  get counts(): { kafkaClients: number; elasticsearchClients: number; gatewayAgents: number } {
    return { kafkaClients: this.kafkas.size, elasticsearchClients: this.clusters.size, gatewayAgents: this.agents.size };
  }

  async close(): Promise<void> {
    // A kafkajs client holds no connection of its own: its producers, consumers and admins do, and each pipeline closes those.
    this.kafkas.clear();
    const closing = [...this.clusters.values()].map((client) => client.close());
    closing.push(...[...this.agents.values()].map((agent) => agent.close()));
    this.clusters.clear();
    this.agents.clear();
    await Promise.allSettled(closing);
  }
}

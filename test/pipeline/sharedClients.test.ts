import { describe, expect, it } from 'vitest';
import type { Kafka } from '../../src/clients/kafkajs.ts';
import type { GatewaySettings, KafkaSettings } from '../../src/config/indexConfig.ts';
import type { VersionedGraph } from '../../src/pipeline/graphWatch.ts';
import { SharedClients } from '../../src/pipeline/sharedClients.ts';

/** A Kafka client whose producers and admins count their connects and disconnects; `failConnects` of them fail first. */
function fakeKafka(failConnects = 0) {
  const made: Array<{ kind: string; connects: number; disconnects: number }> = [];
  let failures = failConnects;
  const client = (kind: string) => {
    const record = { kind, connects: 0, disconnects: 0 };
    made.push(record);
    return {
      connect: async () => {
        record.connects++;
        if (failures-- > 0) throw new Error('Connection refused');
      },
      disconnect: async () => void record.disconnects++,
    };
  };
  // Only what SharedClients calls.
  const kafka = { producer: () => client('producer'), admin: () => client('admin') } as unknown as Kafka;
  return { kafka, made };
}

/** An index's Kafka settings as the loader makes them: its default client id is fedsearch-<index>. */
const brokers = (list: string[], index = 'movies'): KafkaSettings => ({ brokers: list, clientId: `fedsearch-${index}`, clientIdConfigured: false }) as KafkaSettings;

describe('SharedClients: the Kafka clients of a run of many indexes', () => {
  it('gives every index of the same brokers one connected producer and one admin, and closes them once', async () => {
    const fake = fakeKafka();
    const clients = new SharedClients(() => fake.kafka);
    const options = { idempotent: true, maxInFlightRequests: 1 };
    const [a, b] = await Promise.all([clients.producer(brokers(['k:9092'], 'movies'), options), clients.producer(brokers(['k:9092'], 'shop'), options)]);
    expect(a).toBe(b);
    expect(await clients.admin(brokers(['k:9092'], 'movies'))).toBe(await clients.admin(brokers(['k:9092'], 'shop')));
    await clients.producer(brokers(['other:9092']), options);
    expect(fake.made.map((one) => [one.kind, one.connects])).toEqual([['producer', 1], ['admin', 1], ['producer', 1]]);
    await clients.close();
    expect(fake.made.every((one) => one.disconnects === 1)).toBe(true);
  });

  it("shares them under the client id fedsearch, and gives an index whose config names a clientId (a quota identity) its own", async () => {
    const fake = fakeKafka();
    const clientIds: string[] = [];
    const clients = new SharedClients((settings) => (clientIds.push(settings.clientId), fake.kafka));
    const options = { idempotent: true, maxInFlightRequests: 1 };
    const named = (clientId: string): KafkaSettings => ({ ...brokers(['k:9092']), clientId, clientIdConfigured: true });
    const shared = await clients.producer(brokers(['k:9092'], 'movies'), options);
    expect(await clients.producer(brokers(['k:9092'], 'shop'), options)).toBe(shared);
    const own = await clients.producer(named('team-a-indexer'), options);
    expect(own).not.toBe(shared);
    expect(await clients.producer(named('team-a-indexer'), options)).toBe(own);
    expect(await clients.admin(named('team-a-indexer'))).not.toBe(await clients.admin(brokers(['k:9092'], 'shop')));
    expect(clientIds).toEqual(['fedsearch', 'team-a-indexer']);
    // Consumers keep the index's own client id (see runPipeline), through kafka().
    clients.kafka(brokers(['k:9092'], 'shop'));
    expect(clientIds.at(-1)).toBe('fedsearch-shop');
    await clients.close();
  });

  it('tries a failed connect again for the next index that asks', async () => {
    const fake = fakeKafka(1);
    const clients = new SharedClients(() => fake.kafka);
    await expect(clients.admin(brokers(['k:9092']))).rejects.toThrow('Connection refused');
    const admin = await clients.admin(brokers(['k:9092']));
    expect(admin).toBeDefined();
    expect(fake.made).toHaveLength(2);
    await clients.close();
  });

  it("reads a gateway's graph once for every index behind it until the read is maxAgeMs old; a failed read is not kept", async () => {
    let reads = 0;
    let fail = false;
    const clients = new SharedClients(undefined, async () => {
      reads++;
      if (fail) throw new Error('gateway away');
      return { version: `v${reads}` } as VersionedGraph;
    });
    const gateway = { url: 'http://gw/graphql', headers: {}, timeoutMs: 1000 } as unknown as GatewaySettings;
    const other = { ...gateway, url: 'http://other/graphql' } as GatewaySettings;
    expect((await clients.gatewayGraph(gateway, 60_000)).version).toBe('v1');
    expect((await clients.gatewayGraph(gateway, 60_000)).version).toBe('v1');
    expect((await clients.gatewayGraph(other, 60_000)).version).toBe('v2');
    expect((await clients.gatewayGraph(gateway, 0)).version).toBe('v3');
    fail = true;
    await expect(clients.gatewayGraph(gateway, 0)).rejects.toThrow('gateway away');
    fail = false;
    expect((await clients.gatewayGraph(gateway, 60_000)).version).toBe('v5');
    await clients.close();
  });
});

// The dead-letter topic holds any message it may have to carry plus a letter's headers: provision
// sizes it from the topics it takes letters from, and raises an older one in place, once.
import type { Admin } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigResourceTypes } from '../../src/clients/kafkajs.ts';
import { DEAD_LETTER_HEADROOM_BYTES } from '../../src/provision/deadLetterTopicLimit.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { createIndexHarness, type IndexHarness } from '../../support/indexHarness.ts';

describe('the dead-letter topic\'s message limit', () => {
  let h: IndexHarness;
  let admin: Admin;
  const dlq = (): string => `${h.index}.dlq`;

  const settingsOf = async (topic: string): Promise<Record<string, string>> => {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes', 'retention.ms'] }] });
    return Object.fromEntries((described.resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]));
  };
  const setOn = (topic: string, settings: Record<string, string>): Promise<unknown> =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(settings).map(([name, value]) => ({ name, value })) }] });

  beforeAll(async () => {
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: 5 });
    admin = h.kafka.admin();
    await admin.connect();
  }, 240_000);

  afterAll(async () => {
    await admin?.disconnect();
    await h?.dispose();
  });

  it('is created holding the largest message of its source and documents topics plus a letter\'s headers', async () => {
    const source = await settingsOf(h.loaded.config.primary.events[0]!.topic);
    expect(Number((await settingsOf(dlq()))['max.message.bytes'])).toBe(Number(source['max.message.bytes']) + DEAD_LETTER_HEADROOM_BYTES);
  });

  it('is raised in place when an older provisioning left it at the broker\'s default, its other settings kept, and only once', async () => {
    const wanted = Number((await settingsOf(dlq()))['max.message.bytes']);
    await setOn(dlq(), { 'max.message.bytes': '1048588', 'retention.ms': '3600000' });

    const dryRun = await provision(h.loaded, { dryRun: true }, () => {});
    expect(dryRun.plan.actions).toEqual([
      { kind: 'raise-message-limit', topic: dlq(), from: 1_048_588, to: wanted },
      { kind: 'write-metadata', reason: 'after the changes above' },
    ]);
    const said: string[] = [];
    await provision(h.loaded, { dryRun: false }, (line) => said.push(line));
    expect(said).toContain(`✓ raise max.message.bytes of ${dlq()} from 1048588 to ${wanted} (a letter holds any message it is about plus headers)`);
    expect(await settingsOf(dlq())).toEqual({ 'max.message.bytes': String(wanted), 'retention.ms': '3600000' });
    expect((await provision(h.loaded, { dryRun: false }, () => {})).plan.actions).toEqual([]);
  });

  it('follows a source topic whose owner raised its limit, and never lowers a larger limit set by hand', async () => {
    const source = h.loaded.config.related[0]!.events[0]!.topic;
    await setOn(source, { 'max.message.bytes': '5000000' });
    await provision(h.loaded, { dryRun: false }, () => {});
    expect((await settingsOf(dlq()))['max.message.bytes']).toBe(String(5_000_000 + DEAD_LETTER_HEADROOM_BYTES));

    await setOn(dlq(), { 'max.message.bytes': '9000000' });
    expect((await provision(h.loaded, { dryRun: true }, () => {})).plan.actions).toEqual([]);
  });
});

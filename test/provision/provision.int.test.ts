import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { Client } from '@elastic/elasticsearch';
import avro from 'avsc';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { UserError } from '../../src/errors.ts';
import { generateAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { describeAction } from '../../src/provision/provisionIndex.ts';
import { METADATA_INDEX, type IndexMetadata } from '../../src/index/indexMetadata.ts';
import { shapeAgainstProvisioned } from '../../src/provision/shapeAgainstProvisioned.ts';
import { indexShape } from '../../src/provision/shapeFingerprint.ts';
import { exitOf, spawnCliAsUser } from '../support/userCli.ts';
import { indexNames } from '../../src/index/indexNames.ts';
import { startDemoGraph, type DemoGraph } from '../../subgraphs/startDemoGraph.ts';

const supergraphFile = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const moviesYaml = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');

describe('provision against the real stack, with documents from the real gateway', () => {
  const index = `it_movies_${randomUUID().slice(0, 8)}`;
  const es = new Client({ node: inject('elasticsearchUrl') });
  const kafka = new Kafka({ clientId: 'provision-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
  let graph: DemoGraph;
  const lines: string[] = [];
  const report = (line: string): void => void lines.push(line);

  /** movies.yaml for this test's index and gateway, with an optional edit. */
  async function load(edit: (yaml: string) => string = (yaml) => yaml): Promise<LoadedIndex> {
    const env = {
      FEDSEARCH_GATEWAY_URL: graph.gatewayUrl,
      FEDSEARCH_ES_URL: inject('elasticsearchUrl'),
      FEDSEARCH_KAFKA_BROKERS: inject('kafkaBrokers')[0] as string,
    };
    const config = parseIndexConfig(edit(moviesYaml.replace('index: movies', `index: ${index}`)), 'movies.yaml', env);
    // The schema comes from the gateway's introspection, as it does without --schema.
    return checkIndexAgainstSchema(config, await loadGraphSchema({ gateway: config.gateway }));
  }

  async function fetchMovie(loaded: LoadedIndex, id: string): Promise<Record<string, unknown>> {
    const response = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: loaded.config.query.text, variables: { id } }),
    });
    const body = (await response.json()) as { data: { movie: Record<string, unknown> }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data.movie;
  }

  /** Removes everything provisioning made for `name`. */
  async function removeProvisioned(name: string, extraTopics: string[] = []): Promise<void> {
    await es.indices.delete({ index: `${name}_v*`, ignore_unavailable: true, allow_no_indices: true });
    await es.indices.deleteIndexTemplate({ name: indexNames(name).templateName }).catch(() => undefined);
    await es.delete({ index: METADATA_INDEX, id: name }).catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [`${name}.documents`, `${name}.dlq`, ...extraTopics] }).catch(() => undefined);
    await admin.disconnect();
  }

  beforeAll(async () => {
    graph = await startDemoGraph({ movies: 100, kafkaBrokers: null, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
  });

  afterAll(async () => {
    await removeProvisioned(index);
    await es.close();
    await graph?.stop();
  });

  it('names a source topic that does not exist, and plans to create it only when asked', async () => {
    const absent = `it.${randomUUID().slice(0, 8)}.absent.changes`;
    const loaded = await load((yaml) => yaml.replace('topic: studio.movie.changes', `topic: ${absent}`));
    const warned = await provision(loaded, { dryRun: true }, () => {});
    expect(warned.plan.warnings).toContain(
      `source topic ${absent} (Movie changes) does not exist yet: its owner creates it (\`provision --create-source-topics\` does, for local use)`,
    );
    expect(warned.plan.actions).not.toContainEqual(expect.objectContaining({ topic: absent }));
    const created = await provision(loaded, { dryRun: true, createSourceTopics: true }, () => {});
    expect(created.plan.actions).toContainEqual({ kind: 'create-topic', topic: absent, partitions: loaded.config.kafka.partitions.documents, compacted: false });
    expect(created.plan.warnings.some((warning) => warning.includes(absent))).toBe(false);
  });

  it('a dry run changes nothing', async () => {
    const outcome = await provision(await load(), { dryRun: true }, report);
    expect(outcome.applied).toBe(false);
    expect(outcome.plan.actions.map((action) => action.kind)).toEqual([
      'put-template',
      'create-index',
      'create-topic',
      'create-topic',
      'write-metadata',
    ]);
    expect(await es.indices.existsIndexTemplate({ name: indexNames(index).templateName })).toBe(false);
    expect(await es.indices.exists({ index: `${index}_v1` })).toBe(false);
  });

  it('creates the template, the first version behind the alias, the topics and the metadata record', async () => {
    const outcome = await provision(await load(), { dryRun: false }, report);
    expect(outcome.applied).toBe(true);

    const alias = await es.indices.getAlias({ name: index });
    expect(Object.keys(alias)).toEqual([`${index}_v1`]);
    const mapping = (await es.indices.getMapping({ index: `${index}_v1` }))[`${index}_v1`]?.mappings;
    expect(mapping?.dynamic).toBe('strict');
    expect(mapping?.properties?.cast?.type).toBe('nested');

    const admin = kafka.admin();
    await admin.connect();
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: `${index}.documents`, configNames: ['cleanup.policy'] }],
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [`${index}.documents`, `${index}.dlq`] });
    await admin.disconnect();
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('compact');
    const partitions = Object.fromEntries(metadata.topics.map((topic) => [topic.name, topic.partitions.length]));
    expect(partitions).toEqual({ [`${index}.documents`]: 3, [`${index}.dlq`]: 1 });

    const record = await es.get<{ liveIndex: string; currentAvroFingerprint: string; avroSchemas: Record<string, string> }>({
      index: METADATA_INDEX,
      id: index,
    });
    expect(record._source?.liveIndex).toBe(`${index}_v1`);
    expect(Object.keys(record._source?.avroSchemas ?? {})).toEqual([record._source?.currentAvroFingerprint]);
    // Schemas keyed by fingerprint would otherwise grow the mapping until the cluster's field limit.
    const metadataMapping = await es.indices.getMapping({ index: METADATA_INDEX });
    expect(String(metadataMapping[METADATA_INDEX]?.mappings.dynamic)).toBe('false');
  });

  it('changes nothing when run again', async () => {
    const outcome = await provision(await load(), { dryRun: false }, report);
    expect(outcome.plan.actions).toEqual([]);
    expect(outcome.plan.needsReindex).toEqual([]);
    expect(lines.at(-1)).toContain('no changes');
  });

  it("provisions beside it an index whose name is this one's and more (its pattern matches the other's versions), each version with its own template", async () => {
    const longer = `${index}_variants`;
    try {
      // Before, Elasticsearch refused the second template: same priority, overlapping patterns.
      expect((await provision(await load((yaml) => yaml.replace(`index: ${index}`, `index: ${longer}`)), { dryRun: false }, report)).applied).toBe(true);
      const meta = async (name: string) => (await es.indices.getMapping({ index: name }))[name]?.mappings._meta?.index;
      expect(await meta(`${longer}_v1`)).toBe(longer);
      expect(await meta(`${index}_v1`)).toBe(index);
    } finally {
      await removeProvisioned(longer);
    }
  });

  it('round-trips a real gateway document through the Avro schema and indexes it without a mapping error', async () => {
    const loaded = await load();
    const movie = await fetchMovie(loaded, 'mov-0000007');
    const type = avro.Type.forSchema(generateAvroSchema(loaded.shape, loaded.config).schema as avro.Schema);
    const decoded = type.fromBuffer(type.toBuffer(movie));
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(movie);

    await es.index({ index, id: 'mov-0000007', document: movie, refresh: 'wait_for' });
    const name = (movie.cast as Array<{ talent: { name: string } }>)[0]?.talent.name as string;
    const found = await es.search({
      index,
      query: { nested: { path: 'cast', query: { match: { 'cast.talent.name': name.toLowerCase() } } } },
    });
    expect(found.hits.hits.map((hit) => hit._id)).toEqual(['mov-0000007']);
  });

  it('adds a field the query gained to the live index in place', async () => {
    const withoutRating = (yaml: string): string => yaml.replace('      rating\n', '');
    const other = `${index}_narrow`;
    const narrow = await load((yaml) => withoutRating(yaml).replace(`index: ${index}`, `index: ${other}`));
    try {
      await provision(narrow, { dryRun: false }, report);
      const widened = await load((yaml) => yaml.replace(`index: ${index}`, `index: ${other}`));
      const outcome = await provision(widened, { dryRun: false }, report);
      expect(outcome.plan.actions[1]).toEqual({ kind: 'put-mapping', index: `${other}_v1`, fields: ['rating'] });
      const mapping = (await es.indices.getMapping({ index: `${other}_v1` }))[`${other}_v1`]?.mappings;
      expect(mapping?.properties?.rating?.type).toBe('double');
    } finally {
      await removeProvisioned(other);
    }
  });

  it('sets a changed replica count on the live version, and says a changed shard count needs a new version', async () => {
    // The template reaches only versions created after it: before, `replicas: 1` changed the
    // template and left the live version without a replica, saying only "update index template".
    const other = `${index}_counts`;
    const named = (yaml: string): string => yaml.replace(`index: ${index}`, `index: ${other}`);
    const settingsOf = async (): Promise<Record<string, string>> =>
      (await es.indices.getSettings({ index: `${other}_v1`, name: ['index.number_of_shards', 'index.number_of_replicas', 'index.refresh_interval'], flat_settings: true }))[`${other}_v1`]?.settings as Record<string, string>;
    try {
      await provision(await load(named), { dryRun: false }, report);
      const replicated = await load((yaml) => named(yaml).replace('  replicas: 0', '  replicas: 1'));
      const outcome = await provision(replicated, { dryRun: false }, report);
      expect(outcome.plan.actions.map(describeAction)).toContain(`change settings of ${other}_v1: number_of_replicas 0 → 1`);
      expect((await settingsOf())['index.number_of_replicas']).toBe('1');
      expect((await provision(replicated, { dryRun: false }, report)).plan.actions).toEqual([]);

      // A refresh interval, set and then taken out of the config again: Elasticsearch's default back.
      const refreshEvery = (yaml: string): string => named(yaml).replace('  replicas: 0', '  replicas: 1\n  refreshInterval: 5s');
      const slower = await provision(await load(refreshEvery), { dryRun: false }, report);
      expect(slower.plan.actions.map(describeAction)).toContain(`change settings of ${other}_v1: refresh_interval default → 5000ms`);
      expect((await settingsOf())['index.refresh_interval']).toBe('5000ms');
      const back = await provision(replicated, { dryRun: false }, report);
      expect(back.plan.actions.map(describeAction)).toContain(`change settings of ${other}_v1: refresh_interval 5000ms → default`);
      expect(await settingsOf()).not.toHaveProperty(['index.refresh_interval']);

      // Changed by hand while the config stayed as it was: left alone, and named.
      await es.indices.putSettings({ index: `${other}_v1`, settings: { number_of_replicas: 0, refresh_interval: '30s' } });
      const handSet = await provision(replicated, { dryRun: false }, report);
      expect(handSet.plan.actions).toEqual([]);
      expect(handSet.plan.warnings).toContain(`${other}_v1 has number_of_replicas 0, the config 1: left as is (changed outside fedsearch; provision sets it when the config's value changes)`);
      expect(handSet.plan.warnings).toContain(`${other}_v1 has refresh_interval 30s, the config default: left as is (changed outside fedsearch; provision sets it when the config's value changes)`);
      expect(await settingsOf()).toEqual({ 'index.number_of_shards': '1', 'index.number_of_replicas': '0', 'index.refresh_interval': '30s' });
      await es.indices.putSettings({ index: `${other}_v1`, settings: { number_of_replicas: 1, refresh_interval: null } as object });

      const sharded = await load((yaml) => named(yaml).replace('  replicas: 0', '  replicas: 1').replace('  shards: 1', '  shards: 2'));
      const failure = await provision(sharded, { dryRun: false }, report).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(UserError);
      expect(lines.join('\n')).toContain(`! the live index ${other}_v1 cannot take the new settings in place:\n    index.number_of_shards: 1 → 2 (fixed when a version is created)`);
      expect(lines.join('\n')).toContain(`fedsearch backfill movies.yaml --new-version`);
      // `plan` (read-only) names it too: before, it compared the mappings only and found nothing.
      const planned = await shapeAgainstProvisioned(sharded);
      expect('lines' in planned ? planned.lines.join('\n') : planned.notCompared).toContain('index.number_of_shards: 1 → 2 (fixed when a version is created)');
      expect(await settingsOf()).toEqual({ 'index.number_of_shards': '1', 'index.number_of_replicas': '1' });
    } finally {
      await removeProvisioned(other);
    }
  });

  it('refuses an incompatible mapping change on the live index and names the reindex command', async () => {
    const asKeyword = await load((yaml) => yaml.replace('  synopsis: { text: true }', '  synopsis: { keyword: true }'));
    const before = await es.indices.getMapping({ index: `${index}_v1` });
    const failure = await provision(asKeyword, { dryRun: false }, report).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    const said = lines.join('\n');
    expect(said).toContain(`the live index ${index}_v1 cannot take the new mapping in place`);
    expect(said).toContain('synopsis: text → keyword');
    expect(said).toContain('fedsearch backfill movies.yaml --new-version');
    expect(await es.indices.getMapping({ index: `${index}_v1` })).toEqual(before);
  });

  it('records the shape it built, and `plan` says which change to the graph or the config needs a new version', async () => {
    const loaded = await load();
    const record = await es.get<IndexMetadata>({ index: METADATA_INDEX, id: index });
    expect(record._source?.shape).toEqual(indexShape(loaded));
    expect(await shapeAgainstProvisioned(loaded)).toEqual({ lines: [`${index}_v1: built for this shape (${indexShape(loaded).fingerprint}); no new version needed`] });

    // The movies team makes title nullable: the documents' Avro schema changes, the mapping does not.
    const nullableTitle = buildSchema(printSchema(loaded.schema).replace('  title: String!\n', '  title: String\n'));
    const graphChanged = await shapeAgainstProvisioned(checkIndexAgainstSchema(loaded.config, nullableTitle));
    expect(graphChanged).toEqual({
      lines: [
        `! the documents' shape changed since ${index}_v1 was provisioned (${indexShape(loaded).fingerprint} → ${indexShape(checkIndexAgainstSchema(loaded.config, nullableTitle)).fingerprint}):`,
        '    title: string → null | string',
        `  ${index}_v1 takes it in place: provision records the new shape`,
      ],
    });

    // The config asks for synopsis as a keyword: the live index's text field cannot change in place.
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-plan-'));
    const configFile = join(dir, 'movies.yaml');
    writeFileSync(configFile, moviesYaml.replace('index: movies', `index: ${index}`).replace('  synopsis: { text: true }', '  synopsis: { keyword: true }'));
    const child = spawnCliAsUser(['plan', configFile, '--schema', supergraphFile], {
      env: { FEDSEARCH_ES_URL: inject('elasticsearchUrl'), FEDSEARCH_KAFKA_BROKERS: inject('kafkaBrokers')[0] as string },
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    expect((await exitOf(child)).code).toBe(0);
    expect(stdout).toContain(`! the documents' shape changed since ${index}_v1 was provisioned`);
    expect(stdout).toContain('    the mapping options (no document field changed type)');
    expect(stdout).toContain(`! the live index ${index}_v1 cannot take the new mapping in place:\n    synopsis: text → keyword`);
    expect(stdout).toContain(`a new version is needed: run \`fedsearch backfill ${configFile} --new-version\``);
  });

  it('says what was made and what was not when a step fails midway, and a rerun finishes the job', async () => {
    const other = `${index}_midway`;
    // Kafka refuses a topic whose name collides with an existing one up to '.' vs '_'.
    const squatter = `${other.replaceAll('_', '.')}.documents`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: squatter }], waitForLeaders: true });
    try {
      const loaded = await load((yaml) => yaml.replace(`index: ${index}`, `index: ${other}`));
      const failure = (await provision(loaded, { dryRun: false }, report).catch((error: unknown) => error)) as Error;
      expect(failure.message).toContain(`provisioning ${other} failed at "create topic ${other}.documents (3 partitions, compacted)"`);
      expect(failure.message).toContain(`done: create index template fedsearch-${other}; create index ${other}_v1 behind alias ${other}`);
      expect(failure.message).toContain(`not attempted: create topic ${other}.dlq (1 partition, messages up to `);

      await admin.deleteTopics({ topics: [squatter] });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const rerun = await provision(loaded, { dryRun: false }, report);
      expect(rerun.plan.actions.map((action) => action.kind)).toEqual(['create-topic', 'create-topic', 'write-metadata']);
    } finally {
      await admin.disconnect();
      await removeProvisioned(other, [squatter]);
    }
  });
});

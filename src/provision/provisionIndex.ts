import type { Client, estypes } from '@elastic/elasticsearch';
import type { Admin } from '../clients/kafkajs.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { InfrastructureError, UserError } from '../errors.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import { compareMappings, type MappingNode } from './compareMappings.ts';
import { readIndexMetadata, writeIndexMetadata, type IndexMetadata, type ProvisionedShape } from '../index/indexMetadata.ts';
import { compareWithProvisioned, type LiveVersionConflict, type ShapeComparison } from './provisionedShape.ts';
import { shapeFingerprint } from './shapeFingerprint.ts';
import { avroFingerprint, sortKeys, stableHash } from '../index/stableHash.ts';
import { indexNames, versionName } from '../index/indexNames.ts';
import { isNotFound } from '../clients/elasticsearchClient.ts';
import { createTopicWithLeaders } from './createTopic.ts';
import { deadLetterTopicLimit, setTopicMessageLimit, topicMessageLimits } from './deadLetterTopicLimit.ts';
import { refreshIntervalSetting } from '../generate/generateIndexTemplate.ts';

/** The composable index template body the generator makes. */
export interface IndexTemplateBody {
  index_patterns: string[];
  priority?: number;
  template: { settings?: Record<string, unknown>; mappings: MappingNode };
  _meta?: Record<string, unknown>;
}

export type ProvisionAction =
  | { kind: 'put-template'; name: string; reason: 'new' | 'changed' }
  | { kind: 'create-index'; index: string; alias: string }
  | { kind: 'put-mapping'; index: string; fields: string[] }
  | { kind: 'put-settings'; index: string; settings: { number_of_replicas?: number; refresh_interval?: string | null }; changes: string[] }
  | { kind: 'create-topic'; topic: string; partitions: number; compacted: boolean; maxMessageBytes?: number }
  | { kind: 'raise-message-limit'; topic: string; from: number; to: number }
  | { kind: 'write-metadata'; reason: string };

export interface ProvisionPlan {
  actions: ProvisionAction[];
  /** Differences that need a reindex to a new version; the live index is left as it is. */
  needsReindex: LiveVersionConflict[];
  warnings: string[];
  liveIndex: string;
  templateHash: string;
  /** The documents' shape now, against the one the live index was built for. */
  shape: ShapeComparison;
  /**
   * The shape the metadata record is to keep: the new one once the live index holds it, the one
   * recorded before while the live index cannot take the new mapping (until `backfill --new-version`).
   */
  recordedShape: ProvisionedShape | null;
}

export interface ProvisionInputs {
  config: IndexConfig;
  topology: PipelineTopology;
  template: IndexTemplateBody;
  avroSchema: object;
  /** The graph's schema as read from the gateway (SDL), recorded for `serve`; null when a supergraph file is the graph. */
  graphSchema: string | null;
  elasticsearch: Client;
  kafkaAdmin: Admin;
  /** Create missing source (change event) topics too: for local use, where nobody else does. */
  createSourceTopics?: boolean;
}

/** Puts the index's template, stamped with its hash so a later run can tell whether it changed. */
export async function putIndexTemplate(client: Client, index: string, template: IndexTemplateBody): Promise<void> {
  await client.indices.putIndexTemplate({
    name: indexNames(index).templateName,
    index_patterns: template.index_patterns,
    priority: template.priority ?? 100,
    // The generator's template body is narrower than the client's type for it.
    template: template.template as never,
    _meta: { ...template._meta, managed_by: 'fedsearch', index, hash: templateHash(template) },
  });
}

export function describeAction(action: ProvisionAction): string {
  switch (action.kind) {
    case 'put-template':
      return `${action.reason === 'new' ? 'create' : 'update'} index template ${action.name}`;
    case 'create-index':
      return `create index ${action.index} behind alias ${action.alias}`;
    case 'put-mapping':
      return `add ${action.fields.length} field(s) to ${action.index}: ${action.fields.join(', ')}`;
    case 'put-settings':
      return `change settings of ${action.index}: ${action.changes.join(', ')}`;
    case 'create-topic':
      return (
        `create topic ${action.topic} (${action.partitions} partition${action.partitions === 1 ? '' : 's'}${action.compacted ? ', compacted' : ''}` +
        `${action.maxMessageBytes === undefined ? '' : `, messages up to ${action.maxMessageBytes} bytes`})`
      );
    case 'raise-message-limit':
      return `raise max.message.bytes of ${action.topic} from ${action.from} to ${action.to} (a letter holds any message it is about plus headers)`;
    case 'write-metadata':
      return `record what was provisioned (${action.reason})`;
  }
}

/** What provisioning would change, without changing anything. */
export async function planProvision(inputs: ProvisionInputs): Promise<ProvisionPlan> {
  const { config, topology, template, elasticsearch, kafkaAdmin } = inputs;
  const actions: ProvisionAction[] = [];
  const needsReindex: LiveVersionConflict[] = [];
  const warnings: string[] = [];
  const hash = templateHash(template);
  const name = indexNames(config.index).templateName;

  const existingTemplate = await elasticsearch.indices
    .getIndexTemplate({ name })
    .then((response) => response.index_templates[0])
    .catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
  if (!existingTemplate) actions.push({ kind: 'put-template', name, reason: 'new' });
  else if (existingTemplate.index_template._meta?.hash !== hash) actions.push({ kind: 'put-template', name, reason: 'changed' });

  const metadata = await readIndexMetadata(elasticsearch, config.index);
  const wantedShape: ProvisionedShape = {
    fingerprint: shapeFingerprint(inputs.avroSchema, template.template.mappings),
    avroFingerprint: avroFingerprint(inputs.avroSchema),
  };
  const liveIndex = await aliasTarget(elasticsearch, topology.alias);
  let target = liveIndex;
  if (!liveIndex) {
    if (await elasticsearch.indices.exists({ index: topology.alias })) {
      throw new UserError(
        `${topology.alias} is a concrete index, not an alias; fedsearch serves searches through an alias ` +
          `over ${topology.versionPrefix}<N>. Rename or delete that index first.`,
      );
    }
    target = versionName(topology, 1);
    actions.push({ kind: 'create-index', index: target, alias: topology.alias });
  } else {
    const difference = compareMappings(await liveMappings(elasticsearch, liveIndex), template.template.mappings);
    if (difference.incompatible.length > 0) needsReindex.push(...mappingConflicts(difference.incompatible));
    else if (difference.additions.length > 0) actions.push({ kind: 'put-mapping', index: liveIndex, fields: difference.additions });
    if (difference.unused.length > 0) {
      warnings.push(`${liveIndex} maps fields the query no longer fetches (kept): ${difference.unused.join(', ')}`);
    }
    const liveSettings = await liveVersionSettings(elasticsearch, liveIndex);
    needsReindex.push(...settingsNeedingNewVersion(liveSettings, template, config.elasticsearch.shards));
    // The template reaches only versions created after it: a replica count or refresh interval the
    // config changed since the last provisioning is set on the live version too (dynamic
    // settings); one changed on the live version by hand while the config stayed as it was is
    // left alone, and named.
    const live = indexSettingStrings(liveSettings);
    const { replicas, refreshInterval } = config.elasticsearch;
    const provisioned = existingTemplate === undefined ? undefined : indexSettingStrings(existingTemplate.index_template.template?.settings);
    const settings: Extract<ProvisionAction, { kind: 'put-settings' }>['settings'] = {};
    const changes: string[] = [];
    const reconcile = (setting: 'number_of_replicas' | 'refresh_interval', live: string | undefined, wanted: string | undefined, apply: () => void): void => {
      if (live === wanted) return;
      if (provisioned === undefined || provisioned[setting] !== wanted) {
        apply();
        changes.push(`${setting} ${live ?? 'default'} → ${wanted ?? 'default'}`);
      } else {
        warnings.push(`${liveIndex} has ${setting} ${live ?? 'default'}, the config ${wanted ?? 'default'}: left as is (changed outside fedsearch; provision sets it when the config's value changes)`);
      }
    };
    reconcile('number_of_replicas', live.number_of_replicas, String(replicas), () => (settings.number_of_replicas = replicas));
    const wantedRefresh = refreshInterval === undefined ? undefined : refreshIntervalSetting(refreshInterval);
    // null puts Elasticsearch's default back (which skips refreshes while nobody searches).
    reconcile('refresh_interval', live.refresh_interval, wantedRefresh, () => (settings.refresh_interval = wantedRefresh ?? null));
    // Before the template: a run that fails in between finds the config's change again next time.
    if (changes.length > 0) actions.unshift({ kind: 'put-settings', index: liveIndex, settings, changes });
  }

  const existingTopics = new Set(await kafkaAdmin.listTopics());
  const sourceTopics = [...new Set(topology.sources.map((source) => source.topic))];
  const letterLimit = await deadLetterTopicLimit(kafkaAdmin, [...sourceTopics, topology.documentsTopic], existingTopics);
  const topics = [
    { topic: topology.documentsTopic, partitions: config.kafka.partitions.documents, compacted: true },
    { topic: topology.dlqTopic, partitions: config.kafka.partitions.dlq, compacted: false, maxMessageBytes: letterLimit },
  ];
  // Source topics belong to the teams that own the entities; a missing one is named, and created
  // only when asked (local use): the pipeline would otherwise wait on a topic nobody writes to.
  for (const topic of sourceTopics) {
    if (existingTopics.has(topic)) continue;
    const owner = topology.sources.find((source) => source.topic === topic)?.entityType;
    if (inputs.createSourceTopics) actions.push({ kind: 'create-topic', topic, partitions: config.kafka.partitions.documents, compacted: false });
    else warnings.push(`source topic ${topic} (${owner} changes) does not exist yet: its owner creates it (\`provision --create-source-topics\` does, for local use)`);
  }
  for (const wanted of topics) {
    if (!existingTopics.has(wanted.topic)) {
      actions.push({ kind: 'create-topic', ...wanted });
      continue;
    }
    const [metadata] = (await kafkaAdmin.fetchTopicMetadata({ topics: [wanted.topic] })).topics;
    const partitions = metadata?.partitions.length ?? 0;
    if (partitions !== wanted.partitions) {
      warnings.push(
        `topic ${wanted.topic} has ${partitions} partitions, the config asks for ${wanted.partitions}; ` +
          'left as is (changing partitions of a keyed topic reorders keys: recreate it if you mean it)',
      );
    }
    // Only ever raised: a larger limit someone set by hand holds the letters too.
    const [limit] = wanted.maxMessageBytes === undefined ? [] : await topicMessageLimits(kafkaAdmin, [wanted.topic]);
    if (wanted.maxMessageBytes !== undefined && limit !== undefined && limit < wanted.maxMessageBytes) {
      actions.push({ kind: 'raise-message-limit', topic: wanted.topic, from: limit, to: wanted.maxMessageBytes });
    }
  }

  const recordedShape = needsReindex.length > 0 ? (metadata?.shape ?? null) : wantedShape;
  const reason = metadataChange(metadata, { liveIndex: target as string, templateHash: hash, avroSchema: inputs.avroSchema, shape: recordedShape, graphSchema: inputs.graphSchema });
  if (reason || actions.length > 0) actions.push({ kind: 'write-metadata', reason: reason ?? 'after the changes above' });
  const shape = compareWithProvisioned(metadata, wantedShape, inputs.avroSchema);
  return { actions, needsReindex, warnings, liveIndex: target as string, templateHash: hash, shape, recordedShape };
}

/** The live version's analysis, shard and replica counts and refresh interval, in one request. */
export async function liveVersionSettings(client: Client, liveIndex: string): Promise<estypes.IndicesIndexSettings | undefined> {
  const settings = await client.indices.getSettings({ index: liveIndex, name: ['index.analysis*', 'index.number_of_shards', 'index.number_of_replicas', 'index.refresh_interval'], flat_settings: false });
  return settings[liveIndex]?.settings;
}

/** What of the live version's settings only a new version can change: its analyzers, and its shard count (fixed when an index is created). */
export function settingsNeedingNewVersion(liveSettings: estypes.IndicesIndexSettings | undefined, template: IndexTemplateBody, shards: number): LiveVersionConflict[] {
  const changes: string[] = [];
  const haveAnalysis = JSON.stringify(sortKeys(liveSettings?.index?.analysis ?? {}));
  const wantAnalysis = JSON.stringify(sortKeys(stringifyLeaves((template.template.settings?.analysis as object | undefined) ?? {})));
  if (haveAnalysis !== wantAnalysis) changes.push('index.analysis: the analyzers changed');
  const liveShards = indexSettingStrings(liveSettings).number_of_shards;
  if (liveShards !== undefined && liveShards !== String(shards)) changes.push(`index.number_of_shards: ${liveShards} → ${shards} (fixed when a version is created)`);
  return changes.map((change) => ({ about: 'settings', change }));
}

/** compareMappings' incompatible fields, as conflicts with the live version. */
export function mappingConflicts(incompatible: readonly string[]): LiveVersionConflict[] {
  return incompatible.map((change) => ({ about: 'mapping', change }));
}

/** The mappings of a live index version, as Elasticsearch returns them. */
export async function liveMappings(client: Client, liveIndex: string): Promise<MappingNode> {
  const mappings = await client.indices.getMapping({ index: liveIndex });
  return (mappings[liveIndex]?.mappings ?? {}) as MappingNode;
}

/** Carries out a plan in order. A failure says what was done and what was not. */
export async function applyProvision(inputs: ProvisionInputs, plan: ProvisionPlan, report: (line: string) => void): Promise<void> {
  const { config, topology, template, elasticsearch, kafkaAdmin } = inputs;
  const done: string[] = [];
  for (const [position, action] of plan.actions.entries()) {
    try {
      switch (action.kind) {
        case 'put-template':
          await putIndexTemplate(elasticsearch, config.index, template);
          break;
        case 'create-index':
          // One request creates the index and its alias: there is never an index without the alias.
          await elasticsearch.indices.create({ index: action.index, aliases: { [action.alias]: { is_write_index: true } } });
          break;
        case 'put-mapping':
          await elasticsearch.indices.putMapping({ index: action.index, ...(template.template.mappings as object) });
          break;
        case 'put-settings':
          // The client's types have no null, which is how Elasticsearch is told to put a setting's default back.
          await elasticsearch.indices.putSettings({ index: action.index, settings: action.settings as estypes.IndicesIndexSettings });
          break;
        case 'create-topic':
          await createTopicWithLeaders(kafkaAdmin, {
            topic: action.topic,
            numPartitions: action.partitions,
            configEntries: [
              ...(action.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
              ...(action.maxMessageBytes === undefined ? [] : [{ name: 'max.message.bytes', value: String(action.maxMessageBytes) }]),
            ],
          });
          break;
        case 'raise-message-limit':
          await setTopicMessageLimit(kafkaAdmin, action.topic, action.to);
          break;
        case 'write-metadata':
          await writeIndexMetadata(elasticsearch, {
            index: config.index,
            alias: topology.alias,
            liveIndex: plan.liveIndex,
            templateName: indexNames(config.index).templateName,
            templateHash: plan.templateHash,
            avroSchema: inputs.avroSchema,
            ...(plan.recordedShape === null ? {} : { shape: plan.recordedShape }),
            graphSchema: inputs.graphSchema,
            documentsTopic: topology.documentsTopic,
            dlqTopic: topology.dlqTopic,
            configFile: config.sourceFile,
          });
          break;
      }
    } catch (error) {
      const notAttempted = plan.actions.slice(position + 1).map(describeAction);
      throw new InfrastructureError(
        `provisioning ${config.index} failed at "${describeAction(action)}": ${(error as Error).message}\n` +
          `  done: ${done.length ? done.join('; ') : 'nothing'}\n` +
          `  not attempted: ${notAttempted.length ? notAttempted.join('; ') : 'nothing'}\n` +
          'Run provision again once the cause is fixed: it picks up where this run stopped.',
      );
    }
    done.push(describeAction(action));
    report(`✓ ${describeAction(action)}`);
  }
}

function metadataChange(
  metadata: IndexMetadata | undefined,
  wanted: { liveIndex: string; templateHash: string; avroSchema: object; shape: ProvisionedShape | null; graphSchema: string | null },
): string | undefined {
  if (!metadata) return 'first provisioning';
  if (metadata.liveIndex !== wanted.liveIndex) return `live index is now ${wanted.liveIndex}`;
  if (metadata.templateHash !== wanted.templateHash) return 'template changed';
  if (!(avroFingerprint(wanted.avroSchema) in metadata.avroSchemas)) return 'new Avro schema version';
  if (wanted.shape !== null && metadata.shape?.fingerprint !== wanted.shape.fingerprint) return metadata.shape ? 'the documents\' shape changed' : 'the shape the index was built for';
  // What `serve` starts from while the gateway is down must be the graph the index was built for.
  if (wanted.graphSchema !== null && metadata.graphSchema !== wanted.graphSchema) return 'graph schema changed (serve starts from it without the gateway)';
  return undefined;
}

export function templateHash(template: IndexTemplateBody): string {
  return stableHash({ ...template, _meta: undefined });
}

export async function aliasTarget(client: Client, alias: string): Promise<string | undefined> {
  try {
    const response = await client.indices.getAlias({ name: alias });
    const indices = Object.keys(response);
    // With a reindex under way the alias may span two versions; the write index is the live one.
    return indices.find((index) => response[index]?.aliases[alias]?.is_write_index) ?? indices.sort().at(-1);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The shard and replica counts and refresh interval an index's or a template's settings hold, as strings (the way Elasticsearch returns them), nested or flat. */
function indexSettingStrings(settings: unknown): Partial<Record<'number_of_shards' | 'number_of_replicas' | 'refresh_interval', string>> {
  const all = (settings ?? {}) as Record<string, unknown>;
  const nested = (all['index'] ?? {}) as Record<string, unknown>;
  const found: Partial<Record<'number_of_shards' | 'number_of_replicas' | 'refresh_interval', string>> = {};
  for (const name of ['number_of_shards', 'number_of_replicas', 'refresh_interval'] as const) {
    const value = nested[name] ?? all[`index.${name}`] ?? all[name];
    if (value !== undefined && value !== null) found[name] = String(value);
  }
  return found;
}

/** Elasticsearch returns every setting as a string; compare like with like. */
function stringifyLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyLeaves);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyLeaves(v)]));
  }
  return value === undefined ? value : String(value);
}

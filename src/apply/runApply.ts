import type { Client } from '@elastic/elasticsearch';
import { readCheckpoint } from '../backfill/backfillCheckpoint.ts';
import type { BackfillProgress } from '../backfill/backfillProgress.ts';
import { runBackfill } from '../backfill/runBackfill.ts';
import { builtFrom, reindexResumeVerdict } from '../backfill/reindexResume.ts';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import type { Admin } from '../clients/kafkajs.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import type { ElasticsearchSettings } from '../config/indexConfig.ts';
import { asInfrastructureError, InfrastructureError, UserError } from '../errors.ts';
import { InterruptedError } from '../interruption.ts';
import { listIndexMetadata, readIndexMetadata, updateIndexMetadata } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { queryHash } from '../index/queryHash.ts';
import { provisionInputs } from '../provision/provisionCommand.ts';
import { applyProvision, describeAction, planProvision } from '../provision/provisionIndex.ts';
import { decideStep, formatPlan, hasChanges, isOrphan, orphanStep, type ApplyStep, type PendingReindex } from './applyPlan.ts';
import { deleteIndex } from './deleteIndex.ts';
import { claimsIndex, loadApplyConfigs } from './loadConfigs.ts';

export interface ApplyOptions {
  dryRun: boolean;
  prune: boolean;
  /** After a reindex's alias swap, keep the old version this long for searches that hold it. */
  graceSeconds: number;
  createSourceTopics: boolean;
  schemaFile?: string;
  signal?: AbortSignal;
}

export interface ApplyOutput {
  /** The plan and each step's outcome. */
  print(line: string): void;
  /** A progress reporter for one backfill. */
  progress(): BackfillProgress;
}

export interface ApplyOutcome {
  steps: ApplyStep[];
  changes: boolean;
}

/**
 * Reconciles a directory of configs with what is provisioned: plans every index first (from
 * provisioning's own plan and the metadata records), prints the plan, then — unless a dry run —
 * provisions, backfills, reindexes (zero downtime, src/backfill) and, with --prune, deletes.
 */
export async function runApply(paths: readonly string[], options: ApplyOptions, output: ApplyOutput): Promise<ApplyOutcome> {
  const { indexes, directories } = await loadApplyConfigs(paths, { prune: options.prune, ...(options.schemaFile === undefined ? {} : { schemaFile: options.schemaFile }) });
  const planned: Array<{ step: ApplyStep; loaded: LoadedIndex }> = [];
  for (const loaded of indexes) {
    planned.push({ step: await withClients(loaded, (clients) => planIndex(loaded, clients, options.createSourceTopics), 'planning'), loaded });
  }
  const orphans = await findOrphans(indexes, directories, options.prune);
  const steps = [...planned.map(({ step }) => step), ...orphans.map(({ step }) => step)];
  for (const line of formatPlan(steps)) output.print(line);
  const changes = hasChanges(steps);
  if (options.dryRun || !changes) return { steps, changes };

  const done: string[] = [];
  const work = [
    ...planned.map(({ step, loaded }) => ({ step, run: () => withClients(loaded, (clients) => carryOut(step, loaded, clients, options, output), step.kind) })),
    ...orphans.map(({ step, owner }) => ({ step, run: () => pruneIndex(step, owner, output) })),
  ].filter(({ step }) => step.kind !== 'unchanged' && step.kind !== 'would-delete');
  for (const [position, { step, run }] of work.entries()) {
    output.print(`${step.kind} ${step.index}…`);
    try {
      await run();
    } catch (error) {
      if (error instanceof InterruptedError) throw new InterruptedError(`${error.message} (or run apply again)`);
      const cause = asInfrastructureError(error, `${step.kind} ${step.index}`);
      const message =
        `apply stopped at ${step.kind} ${step.index} (${step.configFile}): ${(cause as Error).message}\n` +
        `  done: ${done.length > 0 ? done.join('; ') : 'nothing'}\n` +
        `  not attempted: ${work.slice(position + 1).map(({ step: next }) => `${next.kind} ${next.index}`).join('; ') || 'nothing'}\n` +
        'Run apply again once the cause is fixed: it plans from what is there now, and resumes an interrupted backfill.';
      throw cause instanceof UserError ? new UserError(message, { cause }) : new InfrastructureError(message, { cause });
    }
    done.push(`${step.kind} ${step.index}`);
    output.print(`✓ ${step.kind} ${step.index}`);
  }
  return { steps, changes };
}

interface Clients {
  elasticsearch: Client;
  kafkaAdmin: Admin;
}

async function withClients<T>(loaded: LoadedIndex, use: (clients: Clients) => Promise<T>, what: string): Promise<T> {
  const elasticsearch = elasticsearchClient(loaded.config.elasticsearch);
  const kafkaAdmin = kafkaClient(loaded.config.kafka, '-apply').admin();
  try {
    await kafkaAdmin.connect();
    return await use({ elasticsearch, kafkaAdmin });
  } catch (error) {
    throw asInfrastructureError(error, `${what} ${loaded.config.index}`);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
    await elasticsearch.close();
  }
}

/** One config's step, from provisioning's plan and the query the live version was filled with. */
async function planIndex(loaded: LoadedIndex, clients: Clients, createSourceTopics: boolean): Promise<ApplyStep> {
  const { config } = loaded;
  const inputs = provisionInputs(loaded, clients, createSourceTopics);
  const metadata = await readIndexMetadata(clients.elasticsearch, config.index);
  const plan = await planProvision(inputs);
  const filledWith = metadata?.queryHash;
  const pendingReindex = await findPendingReindex(loaded, clients.elasticsearch, metadata?.reindexTarget ?? null);
  return decideStep({
    index: config.index,
    configFile: config.sourceFile,
    provisioned: metadata !== undefined,
    provisionSteps: plan.actions.filter((action) => action.kind !== 'put-mapping' && !(action.kind === 'write-metadata' && plan.actions.length > 1)).map(describeAction),
    mappingAdditions: plan.actions.flatMap((action) => (action.kind === 'put-mapping' ? action.fields : [])),
    liveVersionConflicts: plan.needsReindex,
    fieldChanges: plan.shape.fieldChanges,
    query: filledWith === undefined ? 'unknown' : filledWith === queryHash(loaded.query) ? 'same' : 'changed',
    backfillRate: config.backfill.rate,
    pendingReindex,
    warnings: plan.warnings,
    ...(metadata === undefined || metadata.configFile === config.sourceFile
      ? {}
      : { recordedConfig: { file: metadata.configFile, claims: claimsIndex(metadata.configFile, config.index, config.sourceFile) } }),
  });
}

/**
 * A reindex that stopped before its swap: after a mapping-only change its field is already in the
 * live version's mapping (added in place before the reindex), so nothing else would plan it, and
 * the sinks would write to its version for ever. runBackfill decides the same way whether it resumes.
 */
async function findPendingReindex(loaded: LoadedIndex, elasticsearch: Client, announced: string | null): Promise<PendingReindex | null> {
  const checkpoint = await readCheckpoint(elasticsearch, loaded.config.index);
  const target = checkpoint?.target ?? null;
  if (checkpoint === undefined || target === null) return announced === null ? null : { target: announced, done: null, notResumable: null };
  const verdict = reindexResumeVerdict({ ...checkpoint, target }, builtFrom(loaded), await elasticsearch.indices.exists({ index: target }));
  return { target, done: checkpoint.done, notResumable: verdict.resumable ? null : verdict.why };
}

/** Carries out one config's step with provisioning's and backfill's own code. */
async function carryOut(step: ApplyStep, loaded: LoadedIndex, clients: Clients, options: ApplyOptions, output: ApplyOutput): Promise<void> {
  const inputs = provisionInputs(loaded, clients, options.createSourceTopics);
  // Planned again: what is there may have moved since the plan was printed (another apply, a provision).
  const plan = await planProvision(inputs);
  // Before a reindex too: fields the query gained are added to the live version's mapping (its
  // `dynamic: strict` would refuse the new documents the running sinks write to both versions
  // meanwhile), and the new Avro schema is recorded for the sinks to read them.
  await applyProvision(inputs, plan, (line) => output.print(`  ${line}`));
  if (step.previousConfigFile !== undefined) await recordConfigFile(loaded, clients, output);
  if (step.kind === 'update') return;
  const checkpoint = await readCheckpoint(clients.elasticsearch, loaded.config.index);
  const newVersion = step.kind === 'reindex';
  // A backfill of the same kind that stopped (Ctrl-C, a failure) goes on from its checkpoint.
  const resume = checkpoint !== undefined && (checkpoint.target !== null) === newVersion;
  const summary = await runBackfill(
    loaded,
    { resume, newVersion, cleanup: false, graceSeconds: options.graceSeconds, ...(options.signal ? { signal: options.signal } : {}) },
    output.progress(),
  );
  output.print(
    `  ${summary.done} entities in ${summary.seconds.toFixed(1)}s: ${summary.written} written, ${summary.deleted} deleted, ${summary.failed} failed; live index ${summary.liveIndex}`,
  );
  if (summary.failed > 0) throw new UserError(`${summary.failed} entities failed (in ${loaded.names.dlqTopic}; \`fedsearch dlq ${loaded.config.sourceFile}\` says why)`);
}

/** The config a moved config's record names becomes this one: the directory it left no longer prunes it. */
async function recordConfigFile(loaded: LoadedIndex, clients: Clients, output: ApplyOutput): Promise<void> {
  await updateIndexMetadata(clients.elasticsearch, loaded.config.index, { configFile: loaded.config.sourceFile });
  output.print(`  ✓ recorded ${loaded.config.sourceFile} as the config of ${loaded.config.index}`);
}

interface Orphan {
  step: ApplyStep;
  /** A config applied alongside on the same Elasticsearch: its clients reach the orphan's resources. */
  owner: LoadedIndex;
}

/** Managed indexes whose config is gone, in every Elasticsearch cluster the configs name. */
async function findOrphans(indexes: readonly LoadedIndex[], directories: readonly string[], prune: boolean): Promise<Orphan[]> {
  const configured = new Set(indexes.map((loaded) => loaded.config.index));
  const byCluster = new Map<string, LoadedIndex>();
  for (const loaded of indexes) byCluster.set(clusterKey(loaded.config.elasticsearch), byCluster.get(clusterKey(loaded.config.elasticsearch)) ?? loaded);
  const orphans: Orphan[] = [];
  if (directories.length === 0) return orphans;
  if (byCluster.size === 0) {
    // Only with --prune and nothing but empty directories: the records are in a cluster only a config names.
    throw new UserError(
      `no config given names an Elasticsearch cluster, so apply cannot look for the indexes ${directories.join(', ')} made: ` +
        'pass a config of the cluster they are in along with the directory (`fedsearch apply <directory> <a config of that cluster>.yaml --prune`)',
    );
  }
  for (const owner of byCluster.values()) {
    const elasticsearch = elasticsearchClient(owner.config.elasticsearch);
    try {
      for (const record of await listIndexMetadata(elasticsearch)) {
        if (isOrphan(record, directories, configured)) orphans.push({ step: orphanStep(record.index, record.configFile, prune), owner });
      }
    } catch (error) {
      throw asInfrastructureError(error, 'listing the provisioned indexes');
    } finally {
      await elasticsearch.close();
    }
  }
  return orphans.sort((a, b) => a.step.index.localeCompare(b.step.index));
}

async function pruneIndex(step: ApplyStep, owner: LoadedIndex, output: ApplyOutput): Promise<void> {
  await withClients(owner, ({ elasticsearch, kafkaAdmin }) => deleteIndex(elasticsearch, kafkaAdmin, step.index, (line) => output.print(`  ${line}`)), 'pruning');
}

function clusterKey(settings: ElasticsearchSettings): string {
  return JSON.stringify(settings);
}

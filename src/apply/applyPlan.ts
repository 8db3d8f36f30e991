/**
 * What `apply` does to each index, decided from what it found — pure, so each case is a table row
 * in a unit test. The facts come from provisioning's own plan (src/provision/provisionIndex.ts)
 * and the metadata record; this module only weighs them.
 */

/**
 * - create: never provisioned: provision, then backfill the first version.
 * - reindex: the live version holds documents another query or mapping made: a new version is
 *   backfilled and the alias swaps to it (zero downtime). Also a reindex that stopped before its
 *   swap (Ctrl-C, a failure): resumed, or built again when its version no longer fits the config.
 * - backfill: provisioned, but no full backfill of the live version is recorded: fill it in place.
 * - update: provisioning steps only (a topic, a template setting, an Avro version the live
 *   mapping takes as it is); the documents stay.
 * - unchanged: nothing to do.
 * - delete / would-delete: a managed index whose config is gone, with and without --prune.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { LiveVersionConflict } from '../provision/provisionedShape.ts';

export type ApplyActionKind = 'create' | 'reindex' | 'backfill' | 'update' | 'unchanged' | 'delete' | 'would-delete';

export interface ApplyStep {
  index: string;
  /** The config the index comes from; for an index whose config is gone, the one its record names. */
  configFile: string;
  kind: ApplyActionKind;
  /** Why, one line each: the fields that changed, the provisioning steps. */
  reasons: string[];
  /** Set when the record names another config file, gone now (a config moved): apply records this one instead. */
  previousConfigFile?: string;
}

/** What was found for one config. */
export interface ConfigFacts {
  index: string;
  configFile: string;
  /** Whether a metadata record exists (provisioned before). */
  provisioned: boolean;
  /** Provisioning steps still to make (described), besides recording metadata. */
  provisionSteps: string[];
  /** Fields provisioning would add to the live version's mapping in place: its documents lack them. */
  mappingAdditions: string[];
  /** Mapping or setting (analyzers, shard count) differences the live version cannot take in place. */
  liveVersionConflicts: LiveVersionConflict[];
  /** Document fields whose Avro type changed since the live version was built (`title: string → null | string`). */
  fieldChanges: string[];
  /**
   * The query against the one the live version was last filled with: 'same', 'changed', or
   * 'unknown' when no full backfill of it is recorded (never backfilled, or an earlier fedsearch).
   */
  query: 'same' | 'changed' | 'unknown';
  /** Entities per second the backfill is capped at (config backfill.rate). */
  backfillRate: number;
  /**
   * A reindex that stopped before its swap (a checkpoint or the metadata record names the version
   * it was building), and whether the config now can resume it; null when none.
   */
  pendingReindex: PendingReindex | null;
  /** Provisioning's warnings (a source topic missing, partitions differing): shown, never a change by themselves. */
  warnings: string[];
  /**
   * When the metadata record names another config file than this one: that file, and whether it
   * still claims the index (it exists and names the same index) — else the config moved.
   */
  recordedConfig?: { file: string; claims: boolean };
}

export interface PendingReindex {
  target: string;
  /** Entities its checkpoint counts as done; null when no checkpoint records its pages. */
  done: number | null;
  /** Why it is built again instead of resumed; null when it is resumed. */
  notResumable: string | null;
}

export function decideStep(facts: ConfigFacts): ApplyStep {
  const step = withRecordedConfig(decideAction(facts), facts.recordedConfig);
  return { ...step, reasons: [...step.reasons, ...facts.warnings.map((warning) => `! ${warning}`)] };
}

/**
 * A record naming another config: a moved config (the file it names is gone, or names another
 * index now) is recorded as applied from here, so the old directory's --prune no longer takes it
 * for its own; a file that still names the index is a second config claiming it, said, not adopted.
 */
function withRecordedConfig(step: ApplyStep, recorded: ConfigFacts['recordedConfig']): ApplyStep {
  if (recorded === undefined || step.kind === 'create') return step;
  if (recorded.claims) {
    return {
      ...step,
      reasons: [...step.reasons, `! two configs claim ${step.index}: this one and ${recorded.file}, the one its record names (kept): remove one of them`],
    };
  }
  return {
    ...step,
    kind: step.kind === 'unchanged' ? 'update' : step.kind,
    reasons: [
      ...step.reasons,
      isAbsolute(recorded.file)
        ? `record this config as the index's (its record names ${recorded.file}, which no longer names ${step.index}: moved)`
        : `record this config as the index's (its record names ${recorded.file}, a relative path: a hand-run provision's)`,
    ],
    previousConfigFile: recorded.file,
  };
}

function decideAction(facts: ConfigFacts): ApplyStep {
  const { index, configFile } = facts;
  const rate = rateText(facts.backfillRate);
  if (!facts.provisioned) {
    return { index, configFile, kind: 'create', reasons: ['new index', `provision, then backfill (at most ${rate})`] };
  }
  const reindexBecause = [
    ...(facts.query === 'changed' ? ['query: changed since the live version was filled'] : []),
    ...facts.liveVersionConflicts.map((conflict) => `${conflict.about}: ${conflict.change}`),
    ...(facts.mappingAdditions.length > 0 ? [`mapping: new field(s) the live documents lack: ${facts.mappingAdditions.join(', ')}`] : []),
  ];
  if (facts.pendingReindex) reindexBecause.unshift(pendingReason(facts.pendingReindex));
  if (reindexBecause.length > 0) {
    const fields = facts.fieldChanges.map((change) => `field ${change}`);
    return { index, configFile, kind: 'reindex', reasons: [...reindexBecause, ...fields, `new version backfilled (at most ${rate}), then the alias swaps`] };
  }
  if (facts.query === 'unknown') {
    return {
      index,
      configFile,
      kind: 'backfill',
      reasons: ['no full backfill of the live version recorded (never backfilled, or provisioned by an earlier fedsearch)', ...facts.provisionSteps, `backfill in place (at most ${rate})`],
    };
  }
  const reasons = [...facts.fieldChanges.map((change) => `field ${change} (the live mapping takes it)`), ...facts.provisionSteps];
  if (reasons.length > 0) return { index, configFile, kind: 'update', reasons };
  return { index, configFile, kind: 'unchanged', reasons: [] };
}

/** A managed index whose config is gone: deleted only with --prune. */
export function orphanStep(index: string, configFile: string, prune: boolean): ApplyStep {
  return prune
    ? { index, configFile, kind: 'delete', reasons: ['its config is gone: its versions, template, topics and records are deleted'] }
    : { index, configFile, kind: 'would-delete', reasons: ['its config is gone; kept: --prune deletes it'] };
}

/** Whether the plan changes anything (for `--dry-run`'s exit code). An index kept without --prune is a change still to make. */
export function hasChanges(steps: readonly ApplyStep[]): boolean {
  return steps.some((step) => step.kind !== 'unchanged');
}

/** The plan as a person reads it: one line per index (action, index, config, why), further reasons indented below. */
export function formatPlan(steps: readonly ApplyStep[]): string[] {
  const kindWidth = Math.max(0, ...steps.map((step) => step.kind.length));
  const indexWidth = Math.max(0, ...steps.map((step) => step.index.length));
  const lines: string[] = [];
  for (const step of steps) {
    const [first, ...rest] = step.reasons;
    lines.push(`${step.kind.padEnd(kindWidth)}  ${step.index.padEnd(indexWidth)}  ${step.configFile}${first === undefined ? '' : `: ${first}`}`);
    for (const reason of rest) lines.push(`${' '.repeat(kindWidth + indexWidth + 4)}${reason}`);
  }
  const counts = new Map<ApplyActionKind, number>();
  for (const step of steps) counts.set(step.kind, (counts.get(step.kind) ?? 0) + 1);
  lines.push(`plan: ${[...counts].map(([kind, count]) => `${count} ${kind}`).join(', ') || 'no indexes'}`);
  return lines;
}

/**
 * Whether a provisioned index is apply's to delete: its metadata record names a config file
 * directly in one of the applied directories (as an absolute path) and no config applied now names
 * the index. A record from another directory — a nested one too: apply reads a directory's own
 * files, not its subdirectories' — or written with a relative path, is never apply's to delete.
 */
export function isOrphan(record: { index: string; configFile: string }, directories: readonly string[], configuredIndexes: ReadonlySet<string>): boolean {
  if (configuredIndexes.has(record.index)) return false;
  if (!isAbsolute(record.configFile)) return false;
  const recordDirectory = dirname(record.configFile);
  return directories.some((directory) => resolve(directory) === recordDirectory);
}

function pendingReason({ target, done, notResumable }: PendingReindex): string {
  const stopped = `resume the reindex into ${target} that stopped before its swap`;
  if (notResumable !== null) return `${stopped}: not resumable (${notResumable}), a new version is built from the beginning`;
  return done === null ? `${stopped}: no checkpoint records its pages, a new version is built from the beginning` : `${stopped} (${done} entities done)`;
}

function rateText(rate: number): string {
  return Number.isFinite(rate) ? `${rate} entities/s` : 'no rate cap';
}

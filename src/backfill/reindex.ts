import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import type { Admin } from '../clients/kafkajs.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import { reindexAcknowledgements, updateIndexMetadata } from '../index/indexMetadata.ts';
import { versionName, versionNumber } from '../index/indexNames.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { queryHash } from '../index/queryHash.ts';
import { putIndexTemplate } from '../provision/provisionIndex.ts';
import { indexShape } from '../provision/shapeFingerprint.ts';

/**
 * A zero-downtime reindex, step by step: build the next version, have every live sink write to it
 * too (and wait until each says so), fill it (the caller's backfill), swap the alias, retire the
 * old version — or abandon it, leaving the alias where it was.
 */

export { SINK_ACK_TIMEOUT_MS } from './sinkAckTimeout.ts';

/**
 * Puts the current template (it may have changed) and creates the next version from it, without
 * the alias. `after`: versions gone but not to be reused (a given-up reindex's).
 */
export async function createNextVersion(elasticsearch: Client, loaded: LoadedIndex, liveIndex: string, after: readonly string[] = []): Promise<string> {
  const { config, names } = loaded;
  await putIndexTemplate(elasticsearch, config.index, generateIndexTemplate(loaded, config));
  const existing = Object.keys(await elasticsearch.indices.get({ index: names.versionPattern, allow_no_indices: true }));
  const versions = [...existing, ...after, liveIndex].map((name) => versionNumber(names, name) ?? 0);
  const next = versionName(names, Math.max(...versions) + 1);
  await elasticsearch.indices.create({ index: next });
  return next;
}

/** Who must acknowledge, and how their acknowledgements are read: injected so the wait is testable. */
export interface SinkRegistry {
  /** Member ids of the sinks running now (the index's sink consumer group). */
  liveSinks(): Promise<string[]>;
  /** The announcement each of these sinks last acknowledged. */
  acknowledgements(sinkIds: readonly string[]): Promise<Map<string, string>>;
}

export interface AcknowledgementOutcome {
  acknowledged: string[];
  /** Live sinks that had not acknowledged when the wait timed out. */
  missing: string[];
}

/**
 * Waits until every live sink has acknowledged `announcement` — sinks that leave meanwhile no
 * longer count, sinks that join are waited for too — or until `timeoutMs` passes.
 */
export async function awaitSinkAcknowledgements(
  registry: SinkRegistry,
  announcement: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<AcknowledgementOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await registry.liveSinks();
    const acknowledgements = await registry.acknowledgements(live);
    const acknowledged = live.filter((sink) => acknowledgements.get(sink) === announcement);
    const missing = live.filter((sink) => acknowledgements.get(sink) !== announcement);
    if (missing.length === 0 || Date.now() >= deadline) return { acknowledged, missing };
    await sleep(pollMs);
  }
}

/** The sinks of one index: members of its sink group, acknowledgements in its metadata records. */
export function sinkRegistry(elasticsearch: Client, kafkaAdmin: Admin, loaded: LoadedIndex): SinkRegistry {
  const { names, config } = loaded;
  return {
    async liveSinks() {
      const { groups } = await kafkaAdmin.describeGroups([names.sinkGroup]);
      return (groups[0]?.members ?? []).map((member) => member.memberId);
    },
    acknowledgements: (sinkIds) => reindexAcknowledgements(elasticsearch, config.index, sinkIds),
  };
}

/**
 * Records `target` as the index's reindex target and waits for every live sink to write to it.
 * Returns a line for the operator: who acknowledged, or which sinks did not in time (their
 * updates may reach only the old version: the audit after the swap finds any such document).
 */
export async function announceReindexTarget(
  elasticsearch: Client,
  registry: SinkRegistry,
  loaded: LoadedIndex,
  target: string,
  timeoutMs: number,
): Promise<{ outcome: AcknowledgementOutcome; message: string }> {
  const announcement = randomUUID();
  await updateIndexMetadata(elasticsearch, loaded.config.index, { reindexTarget: target, reindexAnnouncement: announcement });
  const outcome = await awaitSinkAcknowledgements(registry, announcement, timeoutMs);
  const { acknowledged, missing } = outcome;
  if (missing.length > 0) {
    return {
      outcome,
      message:
        `warning: ${missing.length} running sink(s) did not acknowledge ${target} within ${timeoutMs / 1000}s (${missing.join(', ')}); ` +
        `updates they write may reach only the old version — run \`fedsearch audit ${loaded.config.sourceFile} --full\` after the swap`,
    };
  }
  if (acknowledged.length === 0) return { outcome, message: `no sink is running; any that starts writes to ${target} too` };
  return { outcome, message: `${acknowledged.length} running sink(s) acknowledged: live updates go to ${target} too` };
}

/** Points the alias at `to` in one atomic action, and records it as the live version. */
export async function swapAlias(elasticsearch: Client, loaded: LoadedIndex, from: string, to: string): Promise<void> {
  const { alias } = loaded.names;
  await elasticsearch.indices.refresh({ index: to });
  await elasticsearch.indices.updateAliases({
    actions: [
      { remove: { index: from, alias } },
      { add: { index: to, alias, is_write_index: true } },
    ],
  });
  // The new version was built from this config and graph: it holds their shape.
  await updateIndexMetadata(elasticsearch, loaded.config.index, { liveIndex: to, shape: indexShape(loaded), queryHash: queryHash(loaded.query), reindexTarget: null, reindexAnnouncement: null });
}

/**
 * Deletes the old version, after a grace period for searches that still hold it (scrolls, PITs).
 * Ctrl-C during the grace ends it early and deletes it then: the alias has already moved, and a
 * second Ctrl-C (exit at once) would otherwise leave the old version behind with nothing to delete it.
 */
export async function retireVersion(
  elasticsearch: Client,
  oldIndex: string,
  options: { graceSeconds: number; cleanup: boolean; signal?: AbortSignal },
  note: (message: string) => void,
): Promise<void> {
  if (!options.cleanup) {
    note(`keeping ${oldIndex} for ${options.graceSeconds}s in case searches still hold it…`);
    const graceEnded = await sleep(options.graceSeconds * 1000, 'waited', options.signal ? { signal: options.signal } : {}).catch(() => 'stopped');
    if (graceEnded === 'stopped') note(`the wait cut short by the stop: deleting ${oldIndex} now`);
  }
  await elasticsearch.indices.delete({ index: oldIndex, ignore_unavailable: true });
  note(`deleted ${oldIndex}`);
}

/**
 * The alias never moved: searches stay on the old version. Stops the dual writes; the half-built
 * index stays for `--resume --new-version` to finish.
 */
export async function abandonReindex(elasticsearch: Client, loaded: LoadedIndex): Promise<void> {
  await updateIndexMetadata(elasticsearch, loaded.config.index, { reindexTarget: null, reindexAnnouncement: null });
}

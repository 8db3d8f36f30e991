import { setTimeout as sleep } from 'node:timers/promises';
import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { enumerateIds, idsFromFile } from '../backfill/enumerateIds.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { GatewayFetcher } from '../pipeline/gatewayFetcher.ts';
import { startEnricherAndSink } from '../pipeline/enricherAndSink.ts';
import { documentHash } from '../index/stableHash.ts';
import { valueAt } from '../valueAt.ts';
import { ownersOf } from '../pipeline/enricherResources.ts';
import type { ResponsePathOwners } from '../graph/responsePathOwners.ts';
import { verdict, type Difference, type DifferenceClass, type IdCheck } from './auditVerdict.ts';
import { auditExclusionLine, fieldDifferences, isVolatile, withoutFields } from './documentDifferences.ts';
import { indexedIds } from './indexedIds.ts';

export interface AuditOptions {
  /** Compare the content of every document, not a sample. */
  full: boolean;
  /** How many documents to compare when not `full`. */
  sample: number;
  /** Re-enqueue every persistent difference, then check those ids again. */
  repair: boolean;
  /** Override audit.settleSeconds / audit.sla (seconds) of the config. */
  settleSeconds?: number;
  slaSeconds?: number;
  /** When each id was first seen differing, kept across the runs of `audit --every`. */
  firstSeen?: Map<string, number>;
  /** Every id the graph has, one a line, instead of listing them with backfill.query. */
  idsFile?: string;
  /** Ends a settle wait early (Ctrl-C); the audit then judges what it has. */
  signal?: AbortSignal;
}

export interface AuditReport {
  graph: number;
  indexed: number;
  /** Documents compared with what the gateway returns now. */
  compared: number;
  /** Ids that still differ after settling (within the SLA or not), by class. */
  missing: string[];
  extra: string[];
  stale: string[];
  settled: Difference[];
  withinSla: Difference[];
  /** Differences past the SLA: these fail the audit. */
  persistent: Difference[];
  /**
   * Documents that differ only in fields the graph answered differently on two reads in a row:
   * not stale (they fail nothing), each with its fields.
   */
  volatile: Difference[];
  /** Each volatile field once, with its owner and the config line that leaves it out of audits. */
  volatileFields: Array<{ fieldPath: string; subgraph: string | null; exclude: string }>;
  /** With repair: persistent ids re-enqueued, and those that still differ afterwards. */
  repaired: number;
  stillDifferent: string[];
  startedAt: string;
  seconds: number;
}

/**
 * The index against the source of truth: the set of ids (the graph's list field vs the index,
 * both paged), and the content of a sample of documents (or all) against a fresh gateway fetch,
 * compared by hash. An id that differs is checked again after audit.settleSeconds, up to
 * audit.rounds times: one that agrees by then was a change in flight (settled); one that still
 * differs is within the SLA or persistent, by how long it has been wrong. Gateway reads are capped
 * at backfill.rate entities/s: an audit must never hurt the graph. With `repair`, every persistent
 * difference goes through the pipeline again.
 */
export async function runAudit(loaded: LoadedIndex, options: AuditOptions): Promise<AuditReport> {
  const { config } = loaded;
  const started = Date.now();
  const settleSeconds = options.settleSeconds ?? config.audit.settleSeconds;
  const slaSeconds = options.slaSeconds ?? config.audit.slaSeconds;
  const firstSeen = options.firstSeen ?? new Map<string, number>();
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  const fetcher = new GatewayFetcher({
    gateway: config.gateway,
    template: loaded.query,
    pipeline: { ...config.pipeline, maxRequestsPerSecond: Math.max(1, config.backfill.rate / config.pipeline.batchSize) },
  });
  // Fields the config leaves out of audits (`fields.<path>: { audit: false }`).
  const unaudited = Object.entries(config.fields).flatMap(([path, fieldOptions]) => (fieldOptions.audit === false ? [path] : []));
  const check = (ids: string[]): Promise<Map<string, IdCheck>> =>
    checkIds(ids, fetcher, elasticsearch, config.index, config.audit.updatedAtField, unaudited);
  try {
    const graphIds = new Set<string>();
    for await (const page of options.idsFile ? idsFromFile(options.idsFile) : enumerateIds(loaded)) for (const id of page.ids) graphIds.add(id);
    const indexIds = await indexedIds(elasticsearch, config.index);
    const common = [...graphIds].filter((id) => indexIds.has(id));
    const toCompare = options.full ? common : sampleOf(common, options.sample);
    const firstLook = new Map<string, DifferenceClass>();
    for (const id of graphIds) if (!indexIds.has(id)) firstLook.set(id, 'missing');
    for (const id of indexIds) if (!graphIds.has(id)) firstLook.set(id, 'extra');
    for (const [id, found] of await check(toCompare)) if (found.class) firstLook.set(id, found.class);

    const now = Date.now();
    for (const id of firstLook.keys()) if (!firstSeen.has(id)) firstSeen.set(id, now);
    // Settle: check again what differed, until it all agrees or the rounds are spent.
    let last = new Map<string, IdCheck>([...firstLook].map(([id, kind]) => [id, { class: kind, graphUpdatedAtMs: null }]));
    for (let round = 0; round < config.audit.rounds && [...last.values()].some((c) => c.class !== null); round++) {
      if (options.signal?.aborted) break;
      await sleep(settleSeconds * 1000, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
      const stillDiffering = [...last].filter(([, c]) => c.class !== null).map(([id]) => id);
      for (const [id, found] of await check(stillDiffering)) last.set(id, found);
    }
    const judgedAt = Date.now();
    const verdicts = [...firstLook].map(([id, kind]) => verdict(id, kind, last.get(id) as IdCheck, firstSeen.get(id) as number, judgedAt, slaSeconds));
    for (const difference of verdicts) if (difference.persistence === 'settled') firstSeen.delete(difference.id);
    for (const id of [...firstSeen.keys()]) if (!firstLook.has(id)) firstSeen.delete(id);
    const volatile = await explainStale(verdicts, last, fetcher, ownersOf(loaded), unaudited);
    const judged = verdicts.filter((d) => !volatile.documents.includes(d));
    const differing = judged.filter((d) => d.persistence !== 'settled');
    const ofClass = (kind: DifferenceClass): string[] => differing.filter((d) => d.class === kind).map((d) => d.id).sort();

    const report: AuditReport = {
      graph: graphIds.size,
      indexed: indexIds.size,
      compared: toCompare.length,
      missing: ofClass('missing'),
      extra: ofClass('extra'),
      stale: ofClass('stale'),
      settled: judged.filter((d) => d.persistence === 'settled'),
      withinSla: judged.filter((d) => d.persistence === 'withinSla'),
      persistent: judged.filter((d) => d.persistence === 'persistent'),
      volatile: volatile.documents,
      volatileFields: volatile.fields,
      repaired: 0,
      stillDifferent: [],
      startedAt: new Date(started).toISOString(),
      seconds: 0,
    };
    if (options.repair && report.persistent.length > 0) {
      const ids = report.persistent.map((d) => d.id);
      // Through the live pipeline's enrichment and sink: an extra id fetches as missing and is
      // deleted, a missing or stale one is written anew.
      const { enricher, sink } = await startEnricherAndSink(loaded, 'audit-repair');
      try {
        const outcome = await enricher.enricher.enrich(new Map(ids.map((id) => [id, null])));
        await enricher.enricher.deadLetterFailures(outcome.failed);
        await sink.sinkCaughtUp();
      } finally {
        await enricher.close();
        await sink.stop();
      }
      await elasticsearch.indices.refresh({ index: config.index });
      report.repaired = ids.length;
      report.stillDifferent = [...(await check(ids))].filter(([, c]) => c.class !== null).map(([id]) => id).sort();
      for (const id of ids) if (!report.stillDifferent.includes(id)) firstSeen.delete(id);
    }
    report.seconds = (Date.now() - started) / 1000;
    return report;
  } finally {
    await fetcher.close();
    await elasticsearch.close();
  }
}

/**
 * What differs in each stale document still differing, field by field with the subgraph that owns
 * each, after reading the graph once more: a field whose value changed between that read and the
 * last check's is volatile. Documents that differ in volatile fields only are returned apart (they
 * are no loss of the index); every difference gets its fields.
 */
export async function explainStale(
  verdicts: Difference[],
  last: ReadonlyMap<string, IdCheck>,
  fetcher: Pick<GatewayFetcher, 'fetch'>,
  owners: ResponsePathOwners,
  unaudited: readonly string[],
): Promise<{ documents: Difference[]; fields: AuditReport['volatileFields'] }> {
  const stale = verdicts.filter((d) => d.persistence !== 'settled' && d.class === 'stale' && last.get(d.id)?.stale !== undefined);
  const documents: Difference[] = [];
  const fields = new Map<string, AuditReport['volatileFields'][number]>();
  if (stale.length === 0) return { documents, fields: [] };
  const again = await fetcher.fetch(stale.map((d) => d.id));
  for (const difference of stale) {
    const { fields: differing, graph } = (last.get(difference.id) as IdCheck).stale as NonNullable<IdCheck['stale']>;
    const reread = again.get(difference.id);
    const changed = new Set(reread?.kind === 'found' ? fieldDifferences(graph, withoutFields(reread.document, unaudited)).map((d) => d.fieldPath) : []);
    difference.fields = differing.map((field) => ({
      ...field,
      subgraph: owners.ownerOf(field.fieldPath.split('.')),
      volatile: isVolatile(field.fieldPath, changed),
    }));
    for (const field of difference.fields) {
      if (field.volatile) fields.set(field.fieldPath, { fieldPath: field.fieldPath, subgraph: field.subgraph, exclude: auditExclusionLine(field.fieldPath) });
    }
    if (difference.fields.length > 0 && difference.fields.every((field) => field.volatile)) documents.push(difference);
  }
  return { documents, fields: [...fields.values()].sort((a, b) => a.fieldPath.localeCompare(b.fieldPath)) };
}

/**
 * Each id as the graph has it now against the index: missing (in the graph only), extra (in the
 * index only), stale (both, content differs by hash) or null (they agree). An id the gateway could
 * not fetch is left out: a failing graph is not a difference of the index.
 */
async function checkIds(
  ids: string[],
  fetcher: GatewayFetcher,
  elasticsearch: ReturnType<typeof elasticsearchClient>,
  alias: string,
  updatedAtField: string | null,
  unaudited: readonly string[],
): Promise<Map<string, IdCheck>> {
  const checked = new Map<string, IdCheck>();
  for (let start = 0; start < ids.length; start += 500) {
    const slice = ids.slice(start, start + 500);
    const [fresh, indexed] = await Promise.all([fetcher.fetch(slice), elasticsearch.mget<Record<string, unknown>>({ index: alias, ids: slice })]);
    const indexedById = new Map(indexed.docs.map((doc) => [doc._id, 'found' in doc && doc.found ? doc._source : undefined]));
    for (const id of slice) {
      const result = fresh.get(id);
      if (!result || result.kind === 'failed') continue;
      const graph = result.kind === 'found' ? withoutFields(result.document, unaudited) : null;
      const stored = indexedById.get(id);
      const document = stored === undefined ? undefined : withoutFields(stored, unaudited);
      const want = graph === null ? null : documentHash(graph);
      const have = document === undefined ? null : documentHash(document);
      const kind: DifferenceClass | null = want === have ? null : want === null ? 'extra' : have === null ? 'missing' : 'stale';
      const updatedAt = result.kind === 'found' && updatedAtField ? Date.parse(String(valueAt(result.document, updatedAtField))) : Number.NaN;
      const stale = kind === 'stale' && graph !== null ? { stale: { fields: fieldDifferences(document, graph), graph } } : {};
      checked.set(id, { class: kind, graphUpdatedAtMs: Number.isFinite(updatedAt) ? updatedAt : null, ...stale });
    }
  }
  return checked;
}

/** `count` ids picked at random: audits run often, so over time every document gets compared. */
function sampleOf(ids: string[], count: number): string[] {
  if (ids.length <= count) return ids;
  const pool = [...ids];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
  }
  return pool.slice(0, count);
}

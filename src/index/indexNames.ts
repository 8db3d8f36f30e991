/**
 * Every name one index's resources go by, derived from the index name in this one place: the
 * alias searches use, the versioned indices behind it, the template, the topics, the consumer
 * groups and its records in the metadata index. Nothing else spells them.
 */
export interface IndexNames {
  /** The alias searches and sinks use; it points at the live version. */
  alias: string;
  /** Concrete indices are `<index>_v<N>`. */
  versionPrefix: string;
  /** Pattern matching every version (the index template's pattern). */
  versionPattern: string;
  /** The composable index template's name. */
  templateName: string;
  /** Compacted topic of Avro documents between the enrich and sink stages. */
  documentsTopic: string;
  dlqTopic: string;
  enrichGroup: string;
  sinkGroup: string;
  replayGroup: string;
  /** The live pipeline's reader of the dead-letter topic: how far automatic retries got. */
  recoverGroup: string;
  /** Id of the index's metadata record in the metadata index. */
  metadataId: string;
  /** Id of the backfill checkpoint in the metadata index. */
  checkpointId: string;
  /** Ids of the sinks' reindex acknowledgements in the metadata index start with this. */
  reindexAcknowledgementPrefix: string;
}

export function indexNames(index: string): IndexNames {
  return {
    alias: index,
    versionPrefix: `${index}_v`,
    versionPattern: `${index}_v*`,
    templateName: `fedsearch-${index}`,
    documentsTopic: `${index}.documents`,
    dlqTopic: `${index}.dlq`,
    enrichGroup: `${index}-enrich`,
    sinkGroup: `${index}-sink`,
    replayGroup: `${index}-replay`,
    recoverGroup: `${index}-recover`,
    metadataId: index,
    checkpointId: `backfill:${index}`,
    reindexAcknowledgementPrefix: `reindex-ack:${index}:`,
  };
}

/** The name of version `n` of an index (`movies_v3`). */
export function versionName(names: Pick<IndexNames, 'versionPrefix'>, n: number): string {
  return `${names.versionPrefix}${n}`;
}

/** The version number of a concrete index of this index (`movies_v3` → 3), or null for another name. */
export function versionNumber(names: Pick<IndexNames, 'versionPrefix'>, concreteIndex: string): number | null {
  if (!concreteIndex.startsWith(names.versionPrefix)) return null;
  const digits = concreteIndex.slice(names.versionPrefix.length);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}

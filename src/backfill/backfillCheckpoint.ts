import type { Client } from '@elastic/elasticsearch';
import { isNotFound } from '../clients/elasticsearchClient.ts';
import { METADATA_INDEX } from '../index/indexMetadata.ts';
import { indexNames } from '../index/indexNames.ts';

/** What a reindex's new version was created from. */
export interface ReindexBuiltFrom {
  queryHash: string;
  shape: string;
}

/** Where a backfill got to: saved after every finished page, so `--resume` redoes none. */
export interface BackfillCheckpoint {
  index: string;
  /** Cursor after the last finished page (null: from the start); for --ids-file, the line reached. */
  cursor: string | null;
  linesDone: number;
  done: number;
  written: number;
  deleted: number;
  failed: number;
  /** For --new-version: the index being built. */
  target: string | null;
  /**
   * For --new-version: what `target` was created from — the query's hash and the shape
   * fingerprint (Avro schema and mappings) of the config then. A resume into it is only right
   * while the config still gives both: unset (an earlier fedsearch) never resumes.
   */
  builtFrom?: ReindexBuiltFrom | null;
  startedAt: string;
  updatedAt: string;
}

const idOf = (index: string): string => indexNames(index).checkpointId;

export async function readCheckpoint(client: Client, index: string): Promise<BackfillCheckpoint | undefined> {
  try {
    return (await client.get<BackfillCheckpoint>({ index: METADATA_INDEX, id: idOf(index) }))._source;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function saveCheckpoint(client: Client, checkpoint: BackfillCheckpoint): Promise<void> {
  await client.index({ index: METADATA_INDEX, id: idOf(checkpoint.index), document: { ...checkpoint, updatedAt: new Date().toISOString() } });
}

export async function clearCheckpoint(client: Client, index: string): Promise<void> {
  await client.delete({ index: METADATA_INDEX, id: idOf(index) }).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

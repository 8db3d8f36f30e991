import type { FieldOptions, ScalarKind } from '../config/indexConfig.ts';

/**
 * What the generators need from an index configuration; an IndexConfig is one, so callers can pass
 * theirs as it is.
 */
export interface GenerateOptions {
  /** The index name (the search alias); versions are `<index>_v<N>`. */
  index: string;
  /** Options by dotted document path. */
  fields?: Record<string, FieldOptions>;
  /** Storage of custom scalars; DateTime and Date default to `date`. */
  scalars?: Record<string, ScalarKind>;
  elasticsearch?: { shards?: number; replicas?: number };
}

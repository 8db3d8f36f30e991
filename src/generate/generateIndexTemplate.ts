import type { FieldOptions } from '../config/indexConfig.ts';
import type { DocumentModel } from '../index/documentModel.ts';
import type { ShapeNode } from '../index/documentShape.ts';
import { indexNames } from '../index/indexNames.ts';
import { leafMapping } from '../index/leafMapping.ts';
import type { AnalysisSettings, IndexTemplate, MappingProperty } from '../index/mappingTypes.ts';

export interface IndexTemplateOptions {
  /** The index name (the search alias); the template applies to its versions. */
  index: string;
  elasticsearch?: { shards?: number; replicas?: number; refreshInterval?: number | undefined };
  /** Unset: templatePriority(index). */
  priority?: number;
}

/** Above the built-in templates (100), so a broad pattern of theirs never wins over ours. */
const BASE_PRIORITY = 200;

/**
 * An index's template priority: the base plus its name's length. The pattern `products_v*` also
 * matches `products_variants_v1`; Elasticsearch refuses a second template of the same priority
 * whose pattern overlaps (so `products_variants` could not be provisioned beside `products`), and
 * with two matching it takes the higher. The longer name is the more specific, so each index's
 * versions get its own template; two names of one length never overlap this way.
 */
export function templatePriority(index: string): number {
  return BASE_PRIORITY + index.length;
}

// Only components every Elasticsearch distribution has without plugins or modules beyond
// analysis-common: the local stack runs a bare node.
const ANALYSIS: AnalysisSettings = {
  filter: {
    fedsearch_edge_ngram: { type: 'edge_ngram', min_gram: 1, max_gram: 20 },
    // "O'Brien" → o, brien and obrien; "Jean-Luc" → jean, luc and jeanluc: people type names
    // either way. Case changes do not split ("McDonald" stays whole: "mc" would match everyone).
    fedsearch_name_parts: {
      type: 'word_delimiter_graph',
      catenate_words: true,
      preserve_original: false,
      split_on_case_change: false,
      split_on_numerics: false,
      stem_english_possessive: false,
    },
  },
  analyzer: {
    fedsearch_folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
    // The whitespace tokenizer leaves apostrophes and hyphens to the word delimiter; the standard
    // one would split "Jean-Luc" before the two halves could be joined.
    fedsearch_name: { type: 'custom', tokenizer: 'whitespace', filter: ['fedsearch_name_parts', 'lowercase', 'asciifolding'] },
    fedsearch_autocomplete: {
      type: 'custom',
      tokenizer: 'standard',
      filter: ['lowercase', 'asciifolding', 'fedsearch_edge_ngram'],
    },
    fedsearch_name_autocomplete: {
      type: 'custom',
      tokenizer: 'whitespace',
      filter: ['fedsearch_name_parts', 'lowercase', 'asciifolding', 'fedsearch_edge_ngram'],
    },
  },
  normalizer: {
    fedsearch_lowercase: { type: 'custom', filter: ['lowercase', 'asciifolding'] },
  },
};

/**
 * The composable index template for the index's versions (`<index>_v*`): strict mappings derived
 * from the query's document shape and the `fields:` options, and the analysis they use.
 */
export function generateIndexTemplate(
  model: Pick<DocumentModel, 'shape' | 'fieldOptions' | 'nestedPaths' | 'querySha256'>,
  options: IndexTemplateOptions,
): IndexTemplate {
  const { shape, fieldOptions: fields, nestedPaths } = model;
  const nested = new Set(nestedPaths);
  const propertiesOf = (nodes: ShapeNode[]): Record<string, MappingProperty> =>
    Object.fromEntries(nodes.map((node) => [node.key, propertyOf(node, fields[node.path])]));
  const propertyOf = (node: ShapeNode, fieldOptions: FieldOptions | undefined): MappingProperty => {
    if (node.kind === 'scalar' || node.kind === 'enum') return leafMapping(node, fieldOptions).property;
    if (fieldOptions?.excluded === true) return { type: 'object', enabled: false };
    if (nested.has(node.path)) return { type: 'nested', properties: propertiesOf(node.fields) };
    return { type: 'object', properties: propertiesOf(node.fields) };
  };
  const properties = propertiesOf(shape.root.fields);

  const { shards, replicas, refreshInterval } = options.elasticsearch ?? {};
  return {
    index_patterns: [indexNames(options.index).versionPattern],
    priority: options.priority ?? templatePriority(options.index),
    template: {
      settings: {
        ...(shards === undefined ? {} : { number_of_shards: shards }),
        ...(replicas === undefined ? {} : { number_of_replicas: replicas }),
        ...(refreshInterval === undefined ? {} : { refresh_interval: refreshIntervalSetting(refreshInterval) }),
        analysis: structuredClone(ANALYSIS),
      },
      mappings: {
        // A document the query cannot produce is a bug upstream; fail it rather than grow the mapping.
        dynamic: 'strict',
        properties,
        _meta: {
          generator: 'fedsearch',
          index: options.index,
          entityType: shape.root.typeName,
          rootField: shape.root.fieldName,
          querySha256: model.querySha256,
          nestedPaths,
        },
      },
    },
  };
}

/** Elasticsearch's form of a refresh interval in seconds: whole milliseconds (it refuses fractions such as 1.5s). */
export function refreshIntervalSetting(seconds: number): string {
  return `${Math.round(seconds * 1000)}ms`;
}

// The subset of Elasticsearch's index-template and mapping shapes fedsearch generates. Narrower
// than the official client's types, so callers and tests read them without narrowing unions;
// still assignable to its `IndicesPutIndexTemplateRequest` (the integration test passes one).

export type LeafEsType = 'text' | 'keyword' | 'integer' | 'long' | 'double' | 'boolean' | 'date';

export interface TextProperty {
  type: 'text';
  analyzer?: string;
  search_analyzer?: string;
  index?: false;
  fields?: Record<string, LeafProperty>;
}

export interface KeywordProperty {
  type: 'keyword';
  normalizer?: string;
  ignore_above?: number;
  index?: false;
  doc_values?: false;
  fields?: Record<string, LeafProperty>;
}

export interface ValueProperty {
  type: 'integer' | 'long' | 'double' | 'boolean' | 'date';
  index?: false;
  doc_values?: false;
}

export type LeafProperty = TextProperty | KeywordProperty | ValueProperty;

export interface ObjectProperty {
  type: 'object' | 'nested';
  /** Absent when `enabled` is false: such an object is kept in `_source` but never parsed. */
  properties?: Record<string, MappingProperty>;
  enabled?: false;
}

export type MappingProperty = LeafProperty | ObjectProperty;

export interface EdgeNGramFilter {
  type: 'edge_ngram';
  min_gram: number;
  max_gram: number;
}

export interface WordDelimiterGraphFilter {
  type: 'word_delimiter_graph';
  catenate_words?: boolean;
  preserve_original?: boolean;
  split_on_case_change?: boolean;
  split_on_numerics?: boolean;
  stem_english_possessive?: boolean;
}

export interface CustomAnalyzer {
  type: 'custom';
  tokenizer: string;
  char_filter?: string[];
  filter: string[];
}

export interface CustomNormalizer {
  type: 'custom';
  char_filter?: string[];
  filter: string[];
}

export interface AnalysisSettings {
  filter: Record<string, EdgeNGramFilter | WordDelimiterGraphFilter>;
  analyzer: Record<string, CustomAnalyzer>;
  normalizer: Record<string, CustomNormalizer>;
}

export interface IndexTemplateMeta {
  generator: 'fedsearch';
  index: string;
  /** The GraphQL type of the document (the query's root field's type). */
  entityType: string;
  /** The query's root field, whose value is the document. */
  rootField: string;
  /** SHA-256 of the printed query: a changed query needs a new index version. */
  querySha256: string;
  /** Paths mapped as `nested`, outermost first; searches must wrap conditions on them. */
  nestedPaths: string[];
}

export interface IndexTemplate {
  index_patterns: string[];
  priority: number;
  template: {
    settings: {
      number_of_shards?: number;
      number_of_replicas?: number;
      refresh_interval?: string;
      analysis: AnalysisSettings;
    };
    mappings: {
      dynamic: 'strict';
      properties: Record<string, MappingProperty>;
      _meta: IndexTemplateMeta;
    };
  };
}

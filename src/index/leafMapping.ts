import type { FieldOptions } from '../config/indexConfig.ts';
import type { LeafShape, LeafStorage } from './documentShape.ts';
import type { KeywordProperty, LeafEsType, LeafProperty, TextProperty } from './mappingTypes.ts';

/** How one leaf of the document is indexed, and which (sub-)field serves which kind of query. */
export interface LeafMapping {
  property: LeafProperty;
  /** The Elasticsearch type of the field itself (not of its sub-fields). */
  esType: LeafEsType;
  /** False when the field is `excluded`: kept in `_source`, not searchable. */
  indexed: boolean;
  /** For exact matches, ranges, terms aggregations and sorting: `title.keyword`, `releaseYear`. */
  exactField: string | null;
  /** For full-text matches (analysed). */
  textField: string | null;
  /** For exact matches ignoring case and accents (`fedsearch_lowercase` normalizer). */
  lowercaseField: string | null;
  /** For as-you-type matches (edge n-grams). */
  suggestField: string | null;
}

// Elasticsearch's own default for dynamically mapped strings. Longer values stay in `_source` and
// in the text field; they are only left out of the exact forms, where Lucene would reject a term
// over 32 KB and fail the whole document.
const KEYWORD_SUBFIELD_IGNORE_ABOVE = 256;

/**
 * Whether a leaf gets an analysed text form (full-text matches) under its options: strings by
 * default unless asked for keyword only; IDs, enums and keyword scalars when asked (`text: true`)
 * or when offered as suggestions.
 */
export function hasTextForm(storage: LeafStorage, options: FieldOptions): boolean {
  // An exact-value field (an ID) offered as you type is found by text search too: what a person
  // sees suggested, they can search for. `text: false` opts out.
  if (storage === 'keyword') return options.text ?? options.suggest === true;
  if (storage === 'string' || storage === 'text') return options.text ?? options.keyword !== true;
  return false;
}

/**
 * The mapping of one leaf under its field options. The options are assumed checked
 * (checkFieldOptions); this only decides.
 */
export function leafMapping(leaf: LeafShape, options: FieldOptions = {}): LeafMapping {
  const path = leaf.path;
  const unindexed = { textField: null, lowercaseField: null, suggestField: null };
  if (options.excluded === true) {
    if (leaf.storage === 'string' || leaf.storage === 'text') {
      return { property: { type: 'text', index: false }, esType: 'text', indexed: false, exactField: null, ...unindexed };
    }
    const esType = leaf.storage === 'keyword' ? 'keyword' : leaf.storage;
    // Without doc values the field cannot be sorted or aggregated either: truly not indexed.
    return { property: { type: esType, index: false, doc_values: false }, esType, indexed: false, exactField: null, ...unindexed };
  }

  const textAnalyzer = options.analyzer === 'name' ? 'fedsearch_name' : 'fedsearch_folded';
  const suggest: TextProperty | null =
    options.suggest === true
      ? options.analyzer === 'name'
        ? { type: 'text', analyzer: 'fedsearch_name_autocomplete', search_analyzer: 'fedsearch_name' }
        : { type: 'text', analyzer: 'fedsearch_autocomplete', search_analyzer: 'fedsearch_folded' }
      : null;
  const suggestField = suggest === null ? null : `${path}.suggest`;

  switch (leaf.storage) {
    case 'integer':
    case 'long':
    case 'double':
    case 'boolean':
    case 'date':
      return { property: { type: leaf.storage }, esType: leaf.storage, indexed: true, exactField: path, ...unindexed };

    case 'keyword': {
      // IDs, enums, __typename and keyword scalars: exact values first; prose only on request.
      const withText = hasTextForm(leaf.storage, options);
      const fields: Record<string, LeafProperty> = {};
      if (withText) fields['text'] = { type: 'text', analyzer: textAnalyzer };
      if (suggest !== null) fields['suggest'] = suggest;
      const property: KeywordProperty = { type: 'keyword', ...(Object.keys(fields).length > 0 ? { fields } : {}) };
      return {
        property,
        esType: 'keyword',
        indexed: true,
        exactField: path,
        textField: withText ? `${path}.text` : null,
        lowercaseField: null,
        suggestField,
      };
    }

    case 'string':
    case 'text': {
      const withText = hasTextForm(leaf.storage, options);
      const withKeyword =
        (options.keyword ?? (leaf.storage === 'string' || !withText)) || options.facet === true || options.sortable === true;
      const lowercase: KeywordProperty = { type: 'keyword', normalizer: 'fedsearch_lowercase', ignore_above: KEYWORD_SUBFIELD_IGNORE_ABOVE };
      if (!withText) {
        const fields: Record<string, LeafProperty> = { lowercase };
        if (suggest !== null) fields['suggest'] = suggest;
        return {
          property: { type: 'keyword', fields },
          esType: 'keyword',
          indexed: true,
          exactField: path,
          textField: null,
          lowercaseField: `${path}.lowercase`,
          suggestField,
        };
      }
      const fields: Record<string, LeafProperty> = {};
      if (withKeyword) {
        fields['keyword'] = { type: 'keyword', ignore_above: KEYWORD_SUBFIELD_IGNORE_ABOVE };
        fields['lowercase'] = lowercase;
      }
      if (suggest !== null) fields['suggest'] = suggest;
      const property: TextProperty = { type: 'text', analyzer: textAnalyzer, ...(Object.keys(fields).length > 0 ? { fields } : {}) };
      return {
        property,
        esType: 'text',
        indexed: true,
        exactField: withKeyword ? `${path}.keyword` : null,
        textField: path,
        lowercaseField: withKeyword ? `${path}.lowercase` : null,
        suggestField,
      };
    }
  }
}

/**
 * The leaf a search field belongs to (`title.keyword`, `title.lowercase`, `movieId.text` →
 * `title`, `movieId`), among one index's leaves; a field of none of them is returned as it is.
 * Read from the fields leafMapping gave each leaf, not by trimming suffixes, so a leaf that is
 * itself named `keyword` or `text` is not taken for another leaf's sub-field.
 */
export function leafOfSearchField(
  leaves: readonly (Pick<LeafMapping, 'exactField' | 'textField' | 'lowercaseField' | 'suggestField'> & { path: string })[],
  searchField: string,
): string {
  const leaf = leaves.find((candidate) =>
    [candidate.exactField, candidate.textField, candidate.lowercaseField, candidate.suggestField].includes(searchField),
  );
  return leaf?.path ?? searchField;
}

import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import { SearchRequestError } from './searchRequest.ts';

type Query = estypes.QueryDslQueryContainer;

/**
 * What one free-text query may cost Elasticsearch. Every fuzzy word becomes one fuzzy clause per
 * text field, and Elasticsearch charges each clause's Levenshtein automata and term expansions to
 * its request breaker up front: 60 fuzzy words over 10 fields cost about 70 MB, so ten such
 * searches at once tripped the breaker for everyone on the cluster. Words past the fuzzy budget
 * are still searched, exactly (a term clause each, cheap).
 */
export const TEXT_QUERY_LIMITS = {
  /** Words a query may have at all (a longer one is a 400). */
  maxWords: 64,
  /** Words matched fuzzily at most: the first ones long enough, in the query's order. */
  maxFuzzyWords: 6,
  /** Fuzzy clauses (fuzzy words × text fields) at most: an index with many text fields gets fewer fuzzy words. */
  maxFuzzyClauses: 60,
  /** Shorter words are matched exactly: one edit away from a 3-letter word is most of the dictionary. */
  minFuzzyWordLength: 4,
  /** Index terms one fuzzy word may expand to (Elasticsearch's default is 50). */
  maxExpansions: 10,
  /** Leading characters a typo may not touch: a fuzzy word only expands to terms starting with the same one. */
  prefixLength: 1,
} as const;

/** The words of a query as the standard analyzer splits them (letters and digits; marks stay with their letter). */
export function queryWords(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu) ?? [];
}

/**
 * The words matched fuzzily: the first distinct ones of at least minFuzzyWordLength characters,
 * no more than the clause budget allows for `fieldCount` text fields.
 */
export function fuzzyWords(words: readonly string[], fieldCount: number): string[] {
  const budget = Math.min(TEXT_QUERY_LIMITS.maxFuzzyWords, Math.floor(TEXT_QUERY_LIMITS.maxFuzzyClauses / Math.max(1, fieldCount)));
  const eligible = [...new Set(words.map((word) => word.toLowerCase()))].filter((word) => [...word].length >= TEXT_QUERY_LIMITS.minFuzzyWordLength);
  return eligible.slice(0, budget);
}

/** The fields free text is matched against: indexed ones with a text form. */
export function textFields(fields: readonly DocumentField[]): DocumentField[] {
  return fields.filter((field) => field.indexed && field.textField !== null);
}

/** Elements of one nested object whose matches a hit's highlights show at most (Elasticsearch's inner_hits default). */
export const NESTED_HIGHLIGHT_ELEMENTS = 3;

/**
 * The inner hits a nested text query names to carry the highlights of its path: Elasticsearch
 * highlights nested fields only within the nested query's own inner hits, never in the top-level
 * `highlight` (the top-level query matches the root document, not the nested elements).
 */
export function nestedHighlightName(nestedPath: string): string {
  return `highlight:${nestedPath}`;
}

/**
 * Best-fields match of every word over the text fields (suggest fields boosted), plus a fuzzy
 * best-fields match of the fuzzy words within TEXT_QUERY_LIMITS; nested fields in a nested query
 * per path. A hit needs one of the two; an exact match scores in both, so it ranks above a typo's.
 * With `highlight`, each nested query asks for the highlights of its matching elements as inner
 * hits named nestedHighlightName(path), without their source.
 */
export function textQuery(text: string, fields: readonly DocumentField[], options: { highlight?: boolean } = {}): Query {
  const words = queryWords(text);
  if (words.length > TEXT_QUERY_LIMITS.maxWords) {
    throw new SearchRequestError(`query: ${words.length} words; at most ${TEXT_QUERY_LIMITS.maxWords} are searched`, 'query');
  }
  const groups = textGroupsOf(fields);
  const fuzzy = fuzzyWords(words, groups.fieldCount).join(' ');
  const matches = (boosted: string[]): Query => {
    const exact: Query = { multi_match: { query: text, fields: boosted, type: 'best_fields' } };
    if (!fuzzy) return exact;
    const typos: Query = {
      multi_match: {
        query: fuzzy,
        fields: boosted,
        type: 'best_fields',
        fuzziness: 'AUTO',
        prefix_length: TEXT_QUERY_LIMITS.prefixLength,
        max_expansions: TEXT_QUERY_LIMITS.maxExpansions,
      },
    };
    return { bool: { should: [exact, typos], minimum_should_match: 1 } };
  };
  const { root, byNestedPath } = groups;
  return {
    bool: {
      should: [
        ...(root.length ? [matches(root)] : []),
        ...byNestedPath.map(({ path, boosted, highlight }): Query => ({
          nested: {
            path,
            query: matches(boosted),
            score_mode: 'max',
            ...(options.highlight
              ? {
                  inner_hits: {
                    name: nestedHighlightName(path),
                    size: NESTED_HIGHLIGHT_ELEMENTS,
                    _source: false,
                    highlight,
                  },
                }
              : {}),
          },
        })),
      ],
      minimum_should_match: 1,
    },
  };
}

/** What every text query of one index shares: its text fields, boosted, root ones and each nested path's. */
interface TextGroups {
  fieldCount: number;
  /** The root text fields as multi_match takes them (`title^3`). */
  root: string[];
  byNestedPath: Array<{ path: string; boosted: string[]; highlight: { fields: Record<string, Record<string, never>> } }>;
}

/** Per index, computed once: the field list of a served index never changes while it is served. */
const textGroupsCache = new WeakMap<readonly DocumentField[], TextGroups>();

function textGroupsOf(fields: readonly DocumentField[]): TextGroups {
  const cached = textGroupsCache.get(fields);
  if (cached) return cached;
  const searched = textFields(fields);
  const withBoost = (group: DocumentField[]): string[] => group.map((f) => `${f.textField}${f.suggestField ? '^3' : ''}`);
  const nested = new Map<string, DocumentField[]>();
  for (const field of searched.filter((f) => f.nested)) {
    nested.set(field.nestedPath as string, [...(nested.get(field.nestedPath as string) ?? []), field]);
  }
  const groups: TextGroups = {
    fieldCount: searched.length,
    root: withBoost(searched.filter((f) => !f.nested)),
    byNestedPath: [...nested].map(([path, group]) => ({
      path,
      boosted: withBoost(group),
      highlight: { fields: Object.fromEntries(group.map((f) => [f.textField as string, {}])) },
    })),
  };
  textGroupsCache.set(fields, groups);
  return groups;
}

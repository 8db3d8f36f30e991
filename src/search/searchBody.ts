import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import { cachedFilter } from './filterCache.ts';
import { POINT_IN_TIME_KEEP_ALIVE, type PagePosition } from './searchCursor.ts';
import { SEARCH_LIMITS, SearchRequestError, type SearchRequest } from './searchRequest.ts';
import { textFields, textQuery } from './textQuery.ts';

type Query = estypes.QueryDslQueryContainer;

/** The index as a search request reads it. */
export interface SearchTarget {
  /** The alias searched when no point in time is held. */
  index: string;
  fields: readonly DocumentField[];
  /** The document paths of the entity's key fields: the tie-breakers that make every sort key distinct. */
  keyPaths: string[];
}

/** The parts of a search body that depend on the index alone, built once per index and shared (never mutated). */
interface StaticParts {
  /** The top-level highlight of the root text fields; null when there are none. */
  highlight: estypes.SearchHighlight | null;
  /** The key fields, ascending: every sort ends with them. */
  tieBreakers: estypes.SortCombinations[];
}

const staticParts = new WeakMap<SearchTarget, StaticParts>();

function partsOf(target: SearchTarget): StaticParts {
  const cached = staticParts.get(target);
  if (cached) return cached;
  const rootTextFields = textFields(target.fields).filter((f) => !f.nested);
  const parts: StaticParts = {
    highlight: rootTextFields.length ? { fields: Object.fromEntries(rootTextFields.map((f) => [f.textField as string, {}])) } : null,
    tieBreakers: target.keyPaths.map((path): estypes.SortCombinations => ({ [target.fields.find((field) => field.path === path)?.exactField ?? path]: { order: 'asc' } })),
  };
  staticParts.set(target, parts);
  return parts;
}

/** Hits a page shows; the request body asks for one more, to tell whether there is a next page. */
export function pageSize(request: SearchRequest): number {
  return request.size ?? SEARCH_LIMITS.defaultSize;
}

/** The facetable fields, in document order (what a client may pass as `facets`). */
export function facetPaths(fields: readonly DocumentField[]): string[] {
  return fields.filter((field) => field.facet).map((field) => field.path);
}

/** The facets a request counts: the ones it names, or every facet field; a SearchRequestError for a non-facet. */
export function requestedFacets(request: SearchRequest, fields: readonly DocumentField[]): DocumentField[] {
  return (request.facets ?? facetPaths(fields)).map((path) => facetField(path, fields, 'facets'));
}

/**
 * The Elasticsearch request for one page of a search: text query, compiled filter, disjunctive
 * facets, sort with the id tie-breaker, highlights; for a page after the first, search_after and
 * its point in time if it has one (and no facets: the first page counted them). Everything the
 * request names is checked against the fields; unknown ones are FilterErrors or SearchRequestErrors.
 */
export function searchBody(request: SearchRequest, target: SearchTarget, position: PagePosition | null): estypes.SearchRequest {
  const facets = requestedFacets(request, target.fields);
  const selected = Object.entries(request.selected ?? {}).map(([path, values]) => ({ field: facetField(path, target.fields, 'selected'), values }));
  const text = request.query?.trim();
  const highlight = request.highlight !== false;
  const must: Query[] = text ? [textQuery(text, target.fields, { highlight })] : [];
  const filter: Query[] = request.filter?.trim() ? [cachedFilter(request.filter, target.fields)] : [];
  const rootHighlight = partsOf(target).highlight;
  const selectionsExcept = (path: string | null): Query[] =>
    selected.filter((s) => s.field.path !== path).map((s) => selection(s.field, s.values));

  const body: estypes.SearchRequest = {
    index: target.index,
    size: pageSize(request) + 1,
    query: { bool: { must, filter } },
    // Selections narrow the hits but not the facets' own counts (disjunctive faceting).
    ...(selected.length ? { post_filter: { bool: { filter: selectionsExcept(null) } } } : {}),
    sort: sort(request, target, must.length > 0),
    track_total_hits: true,
    ...(position ? { search_after: position.after } : {}),
    ...(!position && facets.length
      ? {
          aggs: Object.fromEntries(
            // Each facet counts within every selection but its own.
            facets.map((field) => [field.path, { filter: { bool: { filter: selectionsExcept(field.path) } }, aggs: { values: facetAggregation(field) } }]),
          ),
        }
      : {}),
    // Root text fields here; nested ones in their nested query's inner hits (see textQuery).
    ...(highlight && must.length && rootHighlight ? { highlight: rootHighlight } : {}),
  };
  return position?.pit ? inPointInTime(body, position.pit) : body;
}

/** The same search over a point in time instead of the index (a point in time names its indices itself). */
export function inPointInTime(body: estypes.SearchRequest, pit: string): estypes.SearchRequest {
  const { index: _index, ...rest } = body;
  return { pit: { id: pit, keep_alive: POINT_IN_TIME_KEEP_ALIVE }, ...rest };
}

/** The fields whose values are suggested as you type. */
export function suggestFields(fields: readonly DocumentField[]): DocumentField[] {
  return fields.filter((field) => field.suggestField !== null);
}

/**
 * The Elasticsearch request for as-you-type suggestions: documents with a suggest field starting
 * like `text`; nested values come back as inner hits named by the field's path.
 */
export function suggestBody(text: string, size: number, target: SearchTarget): estypes.SearchRequest {
  const fields = suggestFields(target.fields);
  const should = fields.map((field): Query => {
    const match: Query = { match: { [field.suggestField as string]: { query: text, operator: 'and' } } };
    return field.nestedPath
      ? { nested: { path: field.nestedPath, query: match, inner_hits: { name: field.path, size: 3, _source: [field.path] } } }
      : match;
  });
  return {
    index: target.index,
    size: size * 2,
    query: { bool: { should, minimum_should_match: 1 } },
    _source: fields.filter((f) => !f.nestedPath).map((f) => f.path),
  };
}

/**
 * The requested order, then the entity id as a tie-breaker: every hit has a distinct sort key, so
 * search_after neither skips nor repeats hits, with or without a point in time.
 */
function sort(request: SearchRequest, target: SearchTarget, scored: boolean): estypes.SortCombinations[] {
  const { tieBreakers } = partsOf(target);
  if (!request.sort?.length) return scored ? [{ _score: { order: 'desc' } }, ...tieBreakers] : tieBreakers;
  const requested = request.sort.map(({ field: path, order }): estypes.SortCombinations => {
    const field = target.fields.find((f) => f.path === path);
    if (!field?.sortable || field.nested) {
      const sortable = target.fields.filter((f) => f.sortable && !f.nested).map((f) => f.path);
      throw new SearchRequestError(`sort: ${path} is not a sortable field (sortable: ${sortable.join(', ') || 'none'})`, 'sort');
    }
    return { [field.exactField as string]: { order, missing: '_last' } };
  });
  return [...requested, ...tieBreakers];
}

function facetField(path: string, fields: readonly DocumentField[], part: 'facets' | 'selected'): DocumentField {
  const field = fields.find((f) => f.path === path);
  if (!field?.facet || !field.exactField) {
    throw new SearchRequestError(`${part}: ${path} is not a facet (facets: ${facetPaths(fields).join(', ')})`, part);
  }
  return field;
}

/** Documents having one of `values` in a facet field (any element, for a nested one). */
function selection(field: DocumentField, values: string[]): Query {
  const terms: Query = { terms: { [field.exactField as string]: values } };
  return field.nestedPath ? { nested: { path: field.nestedPath, query: terms } } : terms;
}

function facetAggregation(field: DocumentField): estypes.AggregationsAggregationContainer {
  const terms: estypes.AggregationsAggregationContainer = { terms: { field: field.exactField as string, size: SEARCH_LIMITS.facetValues } };
  if (!field.nestedPath) return terms;
  // Count root documents, not nested elements: a movie with two actors counts once for ACTOR.
  return { nested: { path: field.nestedPath }, aggs: { values: { ...terms, aggs: { documents: { reverse_nested: {} } } } } };
}

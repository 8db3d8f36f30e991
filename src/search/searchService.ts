import type { Client, estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { stableHash } from '../index/stableHash.ts';
import { compileFilter } from './compileFilter.ts';
import { SEARCH_LIMITS, SearchRequestError, type SearchRequest } from './searchRequest.ts';
import { searchSubgraphNames } from './searchSubgraph.ts';
import { valueAt } from '../valueAt.ts';

export interface FacetValue {
  value: string;
  /** Matching documents (root documents, also for nested facets). */
  count: number;
  selected: boolean;
}

export interface SearchHit {
  id: string;
  score: number | null;
  document: Record<string, unknown>;
  highlights: Record<string, string[]>;
}

export interface SearchResponse {
  total: number;
  hits: SearchHit[];
  facets: Record<string, FacetValue[]>;
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

interface Cursor {
  pit: string;
  after: estypes.SortResults;
  /** The request it continues, so a cursor cannot be replayed against another query. */
  request: string;
}

const PIT_KEEP_ALIVE = '2m';

/**
 * Text search, filter DSL, disjunctive facets, sort, and stable cursor pagination (point in time +
 * search_after) over one index alias. Everything a request names is checked against the index's
 * fields; what reaches Elasticsearch is only the query kinds built here.
 */
export class SearchService {
  private readonly fieldsByPath: Map<string, DocumentField>;
  private readonly textFields: DocumentField[];
  private readonly facetFields: DocumentField[];
  /** Exact field of the entity id (the key the query template fetches by). */
  private readonly idField: string;

  constructor(
    private readonly loaded: LoadedIndex,
    private readonly client: Client,
  ) {
    this.fieldsByPath = new Map(loaded.fields.map((field) => [field.path, field]));
    this.textFields = loaded.fields.filter((field) => field.indexed && field.textField !== null);
    this.facetFields = loaded.fields.filter((field) => field.facet);
    const key = searchSubgraphNames(loaded.config).keyField;
    this.idField = this.fieldsByPath.get(key)?.exactField ?? key;
  }

  get index(): string {
    return this.loaded.config.index;
  }

  /** The facetable fields, in config order (what a client may pass as `facets`). */
  get facetPaths(): string[] {
    return this.facetFields.map((field) => field.path);
  }

  async search(request: SearchRequest): Promise<SearchResponse> {
    const size = request.size ?? SEARCH_LIMITS.defaultSize;
    const fingerprint = stableHash({ ...request, cursor: undefined, size: undefined });
    const cursor = request.cursor ? decodeCursor(request.cursor, fingerprint) : null;
    const facets = (request.facets ?? this.facetPaths).map((path) => this.facetField(path));
    const selected = Object.entries(request.selected ?? {}).map(([path, values]) => ({ field: this.facetField(path, 'selected'), values }));

    const must: estypes.QueryDslQueryContainer[] = [];
    if (request.query?.trim()) must.push(this.textQuery(request.query.trim()));
    const filter: estypes.QueryDslQueryContainer[] = [];
    if (request.filter?.trim()) filter.push(compileFilter(request.filter, this.loaded.fields));
    const selectionOf = (field: DocumentField, values: string[]): estypes.QueryDslQueryContainer => {
      const terms: estypes.QueryDslQueryContainer = { terms: { [field.exactField as string]: values } };
      return field.nestedPath ? { nested: { path: field.nestedPath, query: terms } } : terms;
    };

    // A point in time is opened only when there is a next page to read, so one-page searches
    // (most of them) hold none; pages after the first read from that snapshot.
    const pit = cursor?.pit ?? null;
    let response: estypes.SearchResponse<Record<string, unknown>>;
    try {
      response = await this.client.search<Record<string, unknown>>({
        ...(pit ? { pit: { id: pit, keep_alive: PIT_KEEP_ALIVE } } : { index: this.index }),
        size: size + 1,
        query: { bool: { must, filter } },
        // Selections narrow the hits but not the facets' own counts (disjunctive faceting).
        ...(selected.length ? { post_filter: { bool: { filter: selected.map((s) => selectionOf(s.field, s.values)) } } } : {}),
        sort: this.sort(request, must.length > 0),
        track_total_hits: true,
        ...(cursor ? { search_after: cursor.after } : {}),
        ...(!cursor && facets.length
          ? {
              aggs: Object.fromEntries(
                facets.map((field) => [
                  field.path,
                  {
                    filter: {
                      bool: { filter: selected.filter((s) => s.field.path !== field.path).map((s) => selectionOf(s.field, s.values)) },
                    },
                    aggs: { values: this.facetAggregation(field) },
                  },
                ]),
              ),
            }
          : {}),
        ...(request.highlight !== false && must.length
          ? { highlight: { fields: Object.fromEntries(this.textFields.filter((f) => !f.nested).map((f) => [f.textField as string, {}])) } }
          : {}),
      });
    } catch (error) {
      if (cursor && /search_context_missing|No search context found|point in time/i.test(String((error as Error).message))) {
        throw new SearchRequestError('cursor: expired (a cursor lives 2 minutes after its last use); search again without it', 'cursor');
      }
      throw error;
    }

    const hits = response.hits.hits.slice(0, size);
    const more = response.hits.hits.length > size;
    const last = hits.at(-1);
    return {
      total: typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0),
      hits: hits.map((hit) => ({
        id: hit._id as string,
        score: hit._score ?? null,
        document: hit._source ?? {},
        highlights: Object.fromEntries(Object.entries(hit.highlight ?? {}).map(([field, fragments]) => [field.replace(/\.(keyword|lowercase)$/, ''), fragments])),
      })),
      facets: cursor ? {} : this.readFacets(response.aggregations, facets, request.selected ?? {}),
      nextCursor:
        more && last?.sort
          ? encodeCursor({
              pit: response.pit_id ?? pit ?? (await this.client.openPointInTime({ index: this.index, keep_alive: PIT_KEEP_ALIVE })).id,
              after: last.sort,
              request: fingerprint,
            })
          : null,
    };
  }

  /** As-you-type: up to `size` distinct values of the suggest fields that start like `prefix`. */
  async suggest(prefix: string, size = 8): Promise<string[]> {
    const text = prefix.trim().slice(0, 100);
    if (!text) return [];
    const fields = this.loaded.fields.filter((field) => field.suggestField !== null);
    const should = fields.map((field): estypes.QueryDslQueryContainer => {
      const match: estypes.QueryDslQueryContainer = { match: { [field.suggestField as string]: { query: text, operator: 'and' } } };
      return field.nestedPath
        ? { nested: { path: field.nestedPath, query: match, inner_hits: { name: field.path, size: 3, _source: [field.path] } } }
        : match;
    });
    const response = await this.client.search<Record<string, unknown>>({
      index: this.index,
      size: size * 2,
      query: { bool: { should, minimum_should_match: 1 } },
      _source: fields.filter((f) => !f.nestedPath).map((f) => f.path),
    });
    const folded = foldForPrefix(text);
    const values = new Set<string>();
    for (const hit of response.hits.hits) {
      for (const field of fields) {
        const candidates = field.nestedPath
          ? (hit.inner_hits?.[field.path]?.hits.hits ?? []).map((inner) => valueAt(inner._source, field.path.slice((field.nestedPath as string).length + 1)))
          : [valueAt(hit._source, field.path)];
        for (const candidate of candidates) {
          if (typeof candidate === 'string' && foldForPrefix(candidate).split(/\s+/).some((word) => word.startsWith(folded.split(/\s+/)[0] ?? ''))) values.add(candidate);
        }
      }
    }
    return [...values].slice(0, size);
  }

  private textQuery(query: string): estypes.QueryDslQueryContainer {
    const fieldsWithBoost = (fields: DocumentField[]): string[] => fields.map((f) => `${f.textField}${f.suggestField ? '^3' : ''}`);
    const root = this.textFields.filter((f) => !f.nested);
    const byNestedPath = new Map<string, DocumentField[]>();
    for (const field of this.textFields.filter((f) => f.nested)) {
      byNestedPath.set(field.nestedPath as string, [...(byNestedPath.get(field.nestedPath as string) ?? []), field]);
    }
    const multiMatch = (fields: DocumentField[]): estypes.QueryDslQueryContainer => ({
      multi_match: { query, fields: fieldsWithBoost(fields), type: 'best_fields', fuzziness: 'AUTO', prefix_length: 1 },
    });
    return {
      bool: {
        should: [
          ...(root.length ? [multiMatch(root)] : []),
          ...[...byNestedPath].map(([path, fields]) => ({ nested: { path, query: multiMatch(fields), score_mode: 'max' as const } })),
        ],
        minimum_should_match: 1,
      },
    };
  }

  /**
   * The requested order, then the entity id as a tie-breaker: every hit has a distinct sort key, so
   * search_after neither skips nor repeats hits, with or without a point in time.
   */
  private sort(request: SearchRequest, scored: boolean): estypes.SortCombinations[] {
    const tieBreaker: estypes.SortCombinations = { [this.idField]: { order: 'asc' } };
    if (!request.sort?.length) return scored ? [{ _score: { order: 'desc' } }, tieBreaker] : [tieBreaker];
    return [...this.requestedSort(request), tieBreaker];
  }

  private requestedSort(request: SearchRequest): estypes.SortCombinations[] {
    return (request.sort ?? []).map(({ field: path, order }) => {
      const field = this.fieldsByPath.get(path);
      if (!field?.sortable || field.nested) {
        const sortable = this.loaded.fields.filter((f) => f.sortable && !f.nested).map((f) => f.path);
        throw new SearchRequestError(`sort: ${path} is not a sortable field (sortable: ${sortable.join(', ') || 'none'})`, 'sort');
      }
      return { [field.exactField as string]: { order, missing: '_last' } };
    });
  }

  private facetField(path: string, part = 'facets'): DocumentField {
    const field = this.fieldsByPath.get(path);
    if (!field?.facet || !field.exactField) {
      throw new SearchRequestError(`${part}: ${path} is not a facet (facets: ${this.facetPaths.join(', ')})`, part);
    }
    return field;
  }

  private facetAggregation(field: DocumentField): estypes.AggregationsAggregationContainer {
    const terms: estypes.AggregationsAggregationContainer = { terms: { field: field.exactField as string, size: SEARCH_LIMITS.facetValues } };
    if (!field.nestedPath) return terms;
    // Count root documents, not nested elements: a movie with two actors counts once for ACTOR.
    return { nested: { path: field.nestedPath }, aggs: { values: { ...terms, aggs: { documents: { reverse_nested: {} } } } } };
  }

  private readFacets(
    aggregations: Record<string, estypes.AggregationsAggregate> | undefined,
    facets: DocumentField[],
    selected: Record<string, string[]>,
  ): Record<string, FacetValue[]> {
    interface Bucket {
      key: string | number;
      key_as_string?: string;
      doc_count: number;
      documents?: { doc_count: number };
    }
    const result: Record<string, FacetValue[]> = {};
    for (const field of facets) {
      const wrapper = aggregations?.[field.path] as unknown as { values: { buckets?: Bucket[]; values?: { buckets: Bucket[] } } } | undefined;
      const buckets = (field.nestedPath ? wrapper?.values.values?.buckets : wrapper?.values.buckets) ?? [];
      const chosen = new Set(selected[field.path] ?? []);
      result[field.path] = buckets.map((bucket) => {
        const value = bucket.key_as_string ?? String(bucket.key);
        return { value, count: bucket.documents?.doc_count ?? bucket.doc_count, selected: chosen.has(value) };
      });
    }
    return result;
  }
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string, fingerprint: string): Cursor {
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new SearchRequestError('cursor: not a cursor this service issued', 'cursor');
  }
  if (typeof cursor?.pit !== 'string' || !Array.isArray(cursor.after)) throw new SearchRequestError('cursor: not a cursor this service issued', 'cursor');
  if (cursor.request !== fingerprint) throw new SearchRequestError('cursor: it belongs to another query, filter, selection or sort', 'cursor');
  return cursor;
}


function foldForPrefix(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

import type { HitDisplay } from '../index/hitDisplay.ts';
import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { valueAt } from '../valueAt.ts';
import { leafOfSearchField } from '../index/leafMapping.ts';
import { facetPaths, inPointInTime, pageSize, requestedFacets, searchBody, suggestBody, suggestFields, type SearchTarget } from './searchBody.ts';
import { CURSOR_EXPIRED, CursorSigner, cursorKey } from './searchCursor.ts';
import { PointsInTime } from './pointsInTime.ts';
import { SEARCH_ADMISSION, SearchAdmission } from './searchAdmission.ts';
import { SearchRequestError, type SearchRequest } from './searchRequest.ts';
import { nestedHighlightName } from './textQuery.ts';

const NESTED_HIGHLIGHT_PREFIX = nestedHighlightName('');

/**
 * The Elasticsearch client wraps every request in an OpenTelemetry span unless told not to,
 * building its attributes each time, though fedsearch registers no tracer (the spans go nowhere):
 * measurable CPU per search in `fedsearch serve`'s profile. OTEL_ELASTICSEARCH_ENABLED=true (the
 * client's own switch) keeps them, for a process that brings its own OpenTelemetry SDK.
 */
const REQUEST_OPTIONS = { openTelemetry: { enabled: process.env['OTEL_ELASTICSEARCH_ENABLED']?.toLowerCase() === 'true' } } as const;

/**
 * The parts of a search answer searchNow reads. Elasticsearch leaves the rest out (each hit's
 * `_index`, `took`, `_shards`, `max_score`…), so the service parses less: parsing the answer was
 * the largest single item of `fedsearch serve`'s own CPU per search. Error answers are never
 * filtered, so a failure keeps its type and reason. With no hit, `hits.hits` is left out too.
 */
const SEARCH_FILTER_PATH = [
  'hits.total',
  'hits.hits._id',
  'hits.hits._score',
  'hits.hits._source',
  'hits.hits.sort',
  'hits.hits.highlight',
  'hits.hits.inner_hits',
  'aggregations',
  'pit_id',
].join(',');
const SEARCH_OPTIONS = { ...REQUEST_OPTIONS, querystring: { filter_path: SEARCH_FILTER_PATH } } as const;

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

/** The Elasticsearch calls a search makes: the real Client has them; unit tests pass a fake. */
export interface SearchClient {
  search(
    request: estypes.SearchRequest,
    options?: { signal?: AbortSignal; openTelemetry?: { enabled: boolean }; querystring?: Record<string, string> },
  ): Promise<estypes.SearchResponse<Record<string, unknown>>>;
  openPointInTime(request: estypes.OpenPointInTimeRequest): Promise<estypes.OpenPointInTimeResponse>;
  closePointInTime(request: estypes.ClosePointInTimeRequest): Promise<estypes.ClosePointInTimeResponse>;
}

export interface SearchServiceOptions {
  /** Signs cursors; replicas must share it (default: a random key of this process). */
  cursorKey?: Buffer;
  /** Points in time this service keeps open per index at most; the least recently used is closed first. */
  maxOpenPointsInTime?: number;
  /** Searches (and suggestions) of the index sent to Elasticsearch at once; more wait (default SEARCH_ADMISSION.running). */
  maxRunningSearches?: number;
  /** Searches waiting for a turn at most; one more is refused with a SearchBusyError, HTTP 429 (default SEARCH_ADMISSION.waiting). */
  maxWaitingSearches?: number;
  /** The clock cursors and points in time age by (tests move it). */
  now?: () => number;
}

/**
 * Text search, filter DSL, disjunctive facets, sort, and stable cursor pagination (point in time +
 * search_after) over one index alias. The request bodies come from searchBody (which checks every
 * field a request names); this runs them and shapes the responses.
 */
export class SearchService {
  private readonly target: SearchTarget;
  private readonly cursors: CursorSigner;
  private readonly pointsInTime: PointsInTime;
  private readonly hitDisplay: HitDisplay;
  private readonly admission: SearchAdmission;

  constructor(
    loaded: LoadedIndex,
    private readonly client: SearchClient,
    options: SearchServiceOptions = {},
  ) {
    this.hitDisplay = loaded.display;
    this.target = { index: loaded.config.index, fields: loaded.fields, keyPaths: loaded.query.key.map((part) => part.documentPath) };
    this.cursors = new CursorSigner(options.cursorKey ?? cursorKey(undefined), this.target.index, options.now);
    this.pointsInTime = new PointsInTime(client, this.target.index, options.maxOpenPointsInTime, options.now);
    this.admission = new SearchAdmission(this.target.index, {
      running: options.maxRunningSearches ?? SEARCH_ADMISSION.running,
      waiting: options.maxWaitingSearches ?? SEARCH_ADMISSION.waiting,
    });
  }

  /** Points in time open for cursors of this index. */
  get openPointsInTime(): number {
    return this.pointsInTime.size;
  }

  /** Resolves once every point-in-time close sent so far has been answered (shutdown, tests). */
  settled(): Promise<void> {
    return this.pointsInTime.settled();
  }

  /** What the search page shows of a hit of this index. */
  get display(): HitDisplay {
    return this.hitDisplay;
  }

  get index(): string {
    return this.target.index;
  }

  /** The facetable fields, in document order (what a client may pass as `facets`). */
  get facetPaths(): string[] {
    return facetPaths(this.target.fields);
  }

  /**
   * `signal` aborts the Elasticsearch request (the caller's deadline passed), or the wait for a
   * turn: at most maxRunningSearches of the index run at once (see SearchAdmission).
   *
   * Paging: the first page searches the alias and its cursor holds only the last hit's sort values
   * (the id breaks ties), so a search that is never paged, most of them, costs Elasticsearch one
   * request and holds no search context. The second page opens a point in time and every later
   * page reads that snapshot; its last page closes it.
   */
  search(request: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
    return this.admission.run(() => this.searchNow(request, signal), signal);
  }

  private async searchNow(request: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
    const position = request.cursor ? this.cursors.decode(request.cursor, request) : null;
    let body = searchBody(request, this.target, position);
    if (position) CursorSigner.checkFitsSort(position, body);
    let pit = position?.pit ?? null;
    if (position && pit === null) {
      pit = await this.pointsInTime.open(signal);
      body = inPointInTime(body, pit);
    } else if (pit !== null) {
      this.pointsInTime.reading(pit);
    }
    let response: estypes.SearchResponse<Record<string, unknown>>;
    try {
      response = await this.client.search(body, signal ? { signal, ...SEARCH_OPTIONS } : SEARCH_OPTIONS);
    } catch (error) {
      if (pit !== null && pointInTimeGone(error)) {
        this.pointsInTime.forget(pit);
        throw new SearchRequestError(CURSOR_EXPIRED, 'cursor');
      }
      throw error;
    } finally {
      if (pit !== null) this.pointsInTime.done(pit);
    }

    const size = pageSize(request);
    const found = response.hits.hits ?? [];
    const hits = found.slice(0, size);
    const more = found.length > size;
    const last = hits.at(-1);
    let nextCursor: string | null = null;
    if (more && last?.sort) {
      nextCursor = this.cursors.encode({ pit: pit === null ? null : this.pointsInTime.used(pit, response.pit_id), after: last.sort }, request);
    } else if (pit !== null) {
      // The last page: nobody needs this snapshot any more.
      void this.pointsInTime.close(response.pit_id ?? pit);
    }
    return {
      total: typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0),
      hits: hits.map((hit) => ({
        id: hit._id as string,
        score: hit._score ?? null,
        document: hit._source ?? {},
        highlights: hitHighlights(hit, this.target.fields),
      })),
      facets: position ? {} : readFacets(response.aggregations, requestedFacets(request, this.target.fields), request.selected ?? {}),
      nextCursor,
    };
  }

  /** As-you-type: up to `size` distinct values of the suggest fields that start like `prefix`. */
  async suggest(prefix: string, size = 8, signal?: AbortSignal): Promise<string[]> {
    const text = prefix.trim().slice(0, 100);
    if (!text) return [];
    const fields = suggestFields(this.target.fields);
    const response = await this.admission.run(() => this.client.search(suggestBody(text, size, this.target), signal ? { signal, ...REQUEST_OPTIONS } : REQUEST_OPTIONS), signal);
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
}

/**
 * A hit's highlighted fragments by leaf path: the root fields' from the hit's own highlight, the
 * nested fields' from the inner hits their nested text query named (one per matching element, in
 * score order), so `items.product.title` is highlighted like `title`.
 */
function hitHighlights(hit: estypes.SearchHit<Record<string, unknown>>, fields: readonly DocumentField[]): Record<string, string[]> {
  const highlights: Record<string, string[]> = {};
  const add = (highlight: Record<string, string[]> | undefined): void => {
    for (const field in highlight) {
      const leaf = leafOfSearchField(fields, field);
      highlights[leaf] = [...(highlights[leaf] ?? []), ...(highlight[field] as string[])];
    }
  };
  add(hit.highlight);
  for (const name in hit.inner_hits) {
    if (!name.startsWith(NESTED_HIGHLIGHT_PREFIX)) continue;
    for (const inner of (hit.inner_hits[name] as estypes.SearchInnerHitsResult).hits.hits) add(inner.highlight);
  }
  return highlights;
}

/** Facet values from the aggregations searchBody asks for, with the ones the request selected marked. */
function readFacets(
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

function foldForPrefix(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

/**
 * Elasticsearch no longer has what a point in time read: the context expired or was closed, or
 * (after a reindex deleted the old version) its index is gone — answered 404 index_not_found or
 * 503 no_shard_available_action_exception. For a cursor, all of them mean "expired".
 */
function pointInTimeGone(error: unknown): boolean {
  if (/search_context_missing|No search context found|point in time/i.test(String((error as Error | null)?.message))) return true;
  // Elasticsearch names the cause at the top, or (a search_phase_execution_exception: all shards
  // failed) among its root causes.
  interface Cause { type?: string; root_cause?: Cause[]; caused_by?: Cause }
  const cause = (error as { meta?: { body?: { error?: Cause } } } | null)?.meta?.body?.error;
  const types = [cause?.type, cause?.caused_by?.type, ...(cause?.root_cause ?? []).map((root) => root.type)];
  return types.some((type) => type === 'index_not_found_exception' || type === 'no_shard_available_action_exception');
}

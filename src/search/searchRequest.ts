import { z } from 'zod';
import { UserError } from '../errors.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';

/** Bounds on what one request may ask for; over them is a 400, not a slow cluster. */
export const SEARCH_LIMITS = {
  maxSize: 100,
  defaultSize: 10,
  maxFacets: 10,
  facetValues: 20,
  maxQueryLength: 500,
  maxSelectedValues: 100,
} as const;

export const searchRequestSchema = z.strictObject({
  query: z.string().max(SEARCH_LIMITS.maxQueryLength).optional(),
  filter: z.string().optional(),
  facets: z.array(z.string()).max(SEARCH_LIMITS.maxFacets).optional(),
  /** Values chosen per facet (disjunctive: a facet's own choice does not narrow its counts). */
  selected: z.record(z.string(), z.array(z.string()).max(SEARCH_LIMITS.maxSelectedValues)).optional(),
  sort: z.array(z.strictObject({ field: z.string(), order: z.enum(['asc', 'desc']).default('asc') })).max(3).optional(),
  size: z.number().int().min(0).max(SEARCH_LIMITS.maxSize).optional(),
  cursor: z.string().optional(),
  highlight: z.boolean().optional(),
});

export type SearchRequest = z.infer<typeof searchRequestSchema>;

/** A request the service cannot take: which part, and why (HTTP 400). */
export class SearchRequestError extends UserError {
  override readonly name = 'SearchRequestError';

  constructor(
    message: string,
    readonly field: string,
    readonly detail: { column?: number; length?: number; suggestion?: string } = {},
  ) {
    super(message);
  }
}

/**
 * The request, checked. A `selected` key `__proto__` is refused here: the schema would drop it
 * without a word (assigning it would replace an object's prototype), where any other key that is
 * not a facet, `constructor` included, is refused with the facets listed (see searchBody).
 */
export function parseSearchRequest(body: unknown): SearchRequest {
  const selected = (body as { selected?: unknown } | null)?.selected;
  if (typeof selected === 'object' && selected !== null && Object.hasOwn(selected, '__proto__')) {
    throw new SearchRequestError('selected: __proto__ is not a facet', 'selected');
  }
  const parsed = searchRequestSchema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.map(String) ?? [];
  if (issue?.code === 'unrecognized_keys') return refuseUnknownKey(issue.keys[0] ?? '', at);
  const field = at.join('.');
  throw new SearchRequestError(`${field || 'request'}: ${issue?.message ?? 'invalid request'}`, field);
}

/**
 * A key the request (or a sort entry) does not take: named as the field, with the keys it does take
 * and the nearest of them — `{"text": …}` is the first guess of many a client, and zod's own
 * "Unrecognized key" names neither where it was nor what to write instead.
 */
function refuseUnknownKey(key: string, at: readonly string[]): never {
  const known = at[0] === 'sort' ? ['field', 'order'] : Object.keys(searchRequestSchema.shape);
  const [nearest] = suggestionList(key, known);
  const field = [...at, key].join('.');
  const where = at.length === 0 ? 'a search request' : at.join('.');
  throw new SearchRequestError(
    `${field}: not a key of ${where}${didYouMean(nearest === undefined ? [] : [nearest])}; it takes ${known.join(', ')}`,
    field,
    nearest === undefined ? {} : { suggestion: nearest },
  );
}

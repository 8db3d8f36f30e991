import { FilterError } from './filterError.ts';
import { SearchBusyError } from './searchAdmission.ts';
import { SearchRequestError } from './searchRequest.ts';

/**
 * What a client is told about a search it must change, whichever transport carries it: the
 * message, the part of the request at fault, and for a filter where in its text (1-based column,
 * length) with a suggested fix when there is one.
 */
export interface BadSearchRequest {
  message: string;
  field: string;
  column?: number;
  length?: number;
  suggestion?: string;
}

/** The client-facing form of a FilterError or SearchRequestError; null for any other error. */
export function badSearchRequest(error: unknown): BadSearchRequest | null {
  if (error instanceof FilterError) {
    return {
      message: `filter: ${error.message}`,
      field: 'filter',
      column: error.column,
      length: error.length,
      ...(error.suggestion ? { suggestion: error.suggestion } : {}),
    };
  }
  if (error instanceof SearchRequestError) return { message: error.message, field: error.field, ...error.detail };
  return null;
}

/** A failure that is not the client's request: what the client is told, never the internals. */
export interface SearchFailure {
  status: 400 | 429 | 500 | 502 | 503;
  message: string;
  /** For a 429: the seconds to send as Retry-After. */
  retryAfterSeconds?: number;
}

/**
 * The safe message for an error that badSearchRequest does not explain. This service's own limits
 * (SearchBusyError) are a 429 with the pause to take; the alias gone is a 503 naming it, credentials
 * refused a 502; Elasticsearch refusing a request otherwise (4xx) is the client's doing, but its raw message names indexes and internals; a busy cluster is worth
 * retrying; anything else is "internal error", logged by the caller.
 */
export function searchFailure(error: unknown): SearchFailure {
  if (error instanceof SearchBusyError) return { status: 429, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
  const meta = (error as { meta?: { statusCode?: number; body?: { error?: { type?: unknown; index?: unknown } } } } | null)?.meta;
  const status = meta?.statusCode;
  // Not the client's doing: the alias this service reads is gone (a deleted index, an interrupted
  // reindex), or Elasticsearch refuses this service's credentials. A 5xx, logged by the caller.
  if (status === 404 && meta?.body?.error?.type === 'index_not_found_exception') {
    const index = typeof meta.body.error.index === 'string' ? meta.body.error.index : 'the index';
    return { status: 503, message: `${index} is not in Elasticsearch at the moment; try again later` };
  }
  if (status === 401 || status === 403) return { status: 502, message: 'the search service could not read its index (logged by the server)' };
  if (status === 429 || status === 503) return { status: 503, message: 'the search cluster is busy; try again shortly' };
  if (status !== undefined && status >= 400 && status < 500) return { status: 400, message: 'Elasticsearch refused this search request (check the cursor, sort and filter)' };
  return { status: 500, message: 'internal error' };
}

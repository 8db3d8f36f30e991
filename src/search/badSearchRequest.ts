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
  status: 400 | 429 | 500 | 503;
  message: string;
  /** For a 429: the seconds to send as Retry-After. */
  retryAfterSeconds?: number;
}

/**
 * The safe message for an error that badSearchRequest does not explain. This service's own limits
 * (SearchBusyError) are a 429 with the pause to take; Elasticsearch refusing a request (4xx) is the
 * client's doing, but its raw message names indexes and internals; a busy cluster is worth
 * retrying; anything else is "internal error", logged by the caller.
 */
export function searchFailure(error: unknown): SearchFailure {
  if (error instanceof SearchBusyError) return { status: 429, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
  const status = (error as { meta?: { statusCode?: number } } | null)?.meta?.statusCode;
  if (status === 429 || status === 503) return { status: 503, message: 'the search cluster is busy; try again shortly' };
  if (status !== undefined && status >= 400 && status < 500) return { status: 400, message: 'Elasticsearch refused this search request (check the cursor, sort and filter)' };
  return { status: 500, message: 'internal error' };
}

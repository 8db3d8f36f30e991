import { FilterError } from './filterError.ts';
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

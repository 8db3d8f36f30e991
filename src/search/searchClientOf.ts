import type { Client } from '@elastic/elasticsearch';
import type { SearchTransport } from '../clients/searchTransport.ts';
import type { SearchClient } from './searchService.ts';

/**
 * Searches and suggestions over the SearchTransport (the path every search takes); points in time,
 * opened and closed once per paged search, over the official client. A process that asks for the
 * official client's OpenTelemetry spans (OTEL_ELASTICSEARCH_ENABLED=true, see searchService.ts)
 * keeps it for searches too: only it makes them.
 */
export function searchClientOf(client: Client, transport: SearchTransport): SearchClient {
  if (process.env['OTEL_ELASTICSEARCH_ENABLED']?.toLowerCase() === 'true') return client;
  return {
    search: (request, options) => transport.search(request, options),
    openPointInTime: (request) => client.openPointInTime(request),
    closePointInTime: (request) => client.closePointInTime(request),
  };
}

import { Client } from '@elastic/elasticsearch';
import type { ElasticsearchSettings } from '../config/indexConfig.ts';
import { CA_FILE, readUserFile } from '../readUserFile.ts';
import { ELASTICSEARCH_REQUEST_RETRIES } from '../retryPolicy.ts';

/** The official client for the config's cluster: auth (API key or basic) and an optional CA. */
export function elasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client({
    node: settings.node,
    ...(settings.auth ? { auth: settings.auth } : {}),
    ...(settings.caFile ? { tls: { ca: readUserFile(settings.caFile, CA_FILE) } } : {}),
    requestTimeout: 30_000,
    maxRetries: ELASTICSEARCH_REQUEST_RETRIES,
  });
}

/** True for the client's error when Elasticsearch answered 404 (no such index, alias, document). */
export function isNotFound(error: unknown): boolean {
  return (error as { meta?: { statusCode?: number } }).meta?.statusCode === 404;
}

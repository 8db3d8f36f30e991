import type { GraphQLSchema } from 'graphql';
import type { PipelineSettings } from '../../src/config/indexConfig.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { DEFAULT_DEAD_LETTER_RETRY } from '../../src/config/configSchema.ts';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { validateQueryTemplate, type QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import type { GatewayReply, GatewayTransport } from '../../src/pipeline/gatewayTransport.ts';

/**
 * Fakes for unit tests of the gateway client's parts: a transport scripted by the test (it
 * records what it was sent and answers as the script says), and a movie query template.
 */

const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;

let schema: Promise<GraphQLSchema> | undefined;

/** A template as the pipeline gets it: through the config loader and the template validator. */
export async function movieTemplate(query = 'query Movie($id: ID!) { movie(movieId: $id) { movieId title } }'): Promise<QueryTemplate> {
  schema ??= loadGraphSchema({ schemaFile: SUPERGRAPH });
  // YAML is a superset of JSON, so a config can be written as an object.
  const yaml = JSON.stringify({
    index: 'movies',
    gateway: { url: 'http://127.0.0.1:4000/graphql' },
    query,
    primary: { type: 'Movie', events: [{ topic: 'studio.movie.changes', id: 'after.movieId' }] },
  });
  return validateQueryTemplate(parseIndexConfig(yaml, 'test.yaml', {}), await schema);
}

/**
 * Small settings so failure paths (2 retries, 200 ms → 400 ms backoff, outages not waited out)
 * finish in about a second.
 */
export const FAST: PipelineSettings = {
  batchSize: 25,
  concurrency: 4,
  retries: 2,
  onGraphQLErrors: 'retry-then-dlq',
  outageToleranceSeconds: 0,
  metricsPort: 0,
  retryDeadLetters: DEFAULT_DEAD_LETTER_RETRY,
  maxDocumentBytes: 1_000_000,
  graphCheckSeconds: 10,
  workers: 0,
};

/** One request as the fake transport saw it: the ids asked for, by alias (e0 → its id). */
export interface SentRequest {
  ids: string[];
  variables: Record<string, unknown>;
}

/** What the script answers to the n-th request (1-based): a reply, or an error to throw. */
export type Script = (request: SentRequest, n: number) => GatewayReply | Error;

/** Answers each alias eN with `{ movieId }` of its id, or as `answer(id)` says. */
export const entities = (request: SentRequest, answer: (id: string) => unknown = (id) => ({ movieId: id })): GatewayReply => ({
  data: Object.fromEntries(request.ids.map((id, index) => [`e${index}`, answer(id)])),
  errors: [],
  missing: new Set(),
});

export class FakeTransport implements GatewayTransport {
  readonly sent: SentRequest[] = [];
  closed = false;

  constructor(private readonly script: Script = (request) => entities(request)) {}

  async send(_query: string, variables: Record<string, unknown>): Promise<GatewayReply> {
    // One-field key: $id0, $id1, … in order.
    const ids = Object.keys(variables)
      .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))
      .map((name) => String(variables[name]));
    const request = { ids, variables };
    this.sent.push(request);
    const reply = this.script(request, this.sent.length);
    if (reply instanceof Error) throw reply;
    return reply;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

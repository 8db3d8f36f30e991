import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from '../logger.ts';
import { GATEWAY_SECRET_HEADER, mayUseSubgraph } from './accessToken.ts';
import { corsHeaders, HttpError, sendJson, startListener, type Listener } from '../httpListener.ts';
import { readJsonBody } from './requestBody.ts';
import { startDeadline } from './requestDeadline.ts';
import type { SearchServerOptions } from './searchServer.ts';
import type { SearchSubgraphContext } from './searchSubgraph.ts';

/** The GraphQL error code of each refusal the listener makes itself, before Apollo Server sees the request. */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  500: 'INTERNAL_SERVER_ERROR',
};

/** Where a gateway or client posts its operations (`/` too, where Apollo's standalone server took them). */
const GRAPHQL_PATHS = new Set(['/graphql', '/']);

/**
 * The search subgraph on a listener of our own rather than Apollo's standalone server (whose
 * body parser inflated and parsed up to 50 MB before anyone was asked for a token, answered a
 * malformed body with an HTML page and a stack trace, and allowed every origin): the token or the
 * gateway's secret is checked on the headers, then the body is read within the same bounds as the
 * HTTP API's (readJsonBody), and only then does Apollo Server run the operation — with a deadline
 * every search field of it shares. Every refusal is a GraphQL-shaped JSON error.
 */
export async function startSubgraphListener(apollo: ApolloServer<SearchSubgraphContext>, options: SearchServerOptions, logger: Logger): Promise<Listener> {
  await apollo.start();
  const cors = corsHeaders(options.corsOrigin, ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name']);
  const refuse = (request: IncomingMessage, response: ServerResponse, error: HttpError): void =>
    sendJson(request, response, error.status, { errors: [{ message: error.message, extensions: { code: CODE_OF_STATUS[error.status] ?? 'BAD_REQUEST' } }] }, cors);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'OPTIONS' && options.corsOrigin) return sendJson(request, response, 204, null, cors);
    if (!GRAPHQL_PATHS.has(url.pathname)) throw new HttpError(404, `no such endpoint: ${url.pathname} (operations go to /graphql)`);
    if (!mayUseSubgraph(request.headers, options)) throw new HttpError(401, `missing or wrong bearer token or ${GATEWAY_SECRET_HEADER} header`);
    if (request.method !== 'GET' && request.method !== 'POST') throw new HttpError(405, 'operations take POST (or GET for a query)');
    const body = request.method === 'POST' ? await readJsonBody(request, options.maxBodyBytes) : undefined;
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const deadline = startDeadline(options.requestTimeoutMs);
    try {
      const answer = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method, headers, search: url.search, body },
        context: async () => ({ deadline }),
      });
      for (const [name, value] of answer.headers) response.setHeader(name, value);
      for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
      response.statusCode = answer.status ?? 200;
      if (answer.body.kind === 'complete') {
        response.end(answer.body.string);
        return;
      }
      for await (const chunk of answer.body.asyncIterator) response.write(chunk);
      response.end();
    } finally {
      deadline.dispose();
    }
  }

  let listener: Listener;
  try {
    listener = await startListener(options, (request, response) => {
    void handle(request, response).catch((error: unknown) => {
      // The client went away, or Node already answered 408 and closed the socket: nobody to tell.
      if (response.headersSent || response.destroyed) return;
      if (error instanceof HttpError) return refuse(request, response, error);
      logger.error({ err: error, url: request.url }, 'search subgraph request failed');
      refuse(request, response, new HttpError(500, 'the search subgraph failed to answer'));
    });
  });
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  return {
    url: listener.url,
    async close() {
      await listener.close();
      await apollo.stop();
    },
  };
}

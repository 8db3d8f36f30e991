import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayRequestError } from '../../src/pipeline/gatewayErrors.ts';
import { HttpGatewayTransport } from '../../src/pipeline/httpGatewayTransport.ts';

/**
 * The HTTP transport over undici's MockAgent (a fake of the network: no sockets): what it sends,
 * which redirects it follows with which headers, and how it reads what is not an answer.
 * test/pipeline/gatewayFetcher.int.test.ts runs the same cases against a real HTTP server.
 */
describe('HttpGatewayTransport', () => {
  const agents: MockAgent[] = [];
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
  });

  const GATEWAY = 'http://gateway.test';
  const transportOver = (url = `${GATEWAY}/graphql`): { transport: HttpGatewayTransport; agent: MockAgent } => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    return { transport: new HttpGatewayTransport({ url, headers: { authorization: 'Bearer s3cret' }, timeoutMs: 5_000 }, 1, agent), agent };
  };
  const failure = async (promise: Promise<unknown>): Promise<GatewayRequestError> => {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof GatewayRequestError)) throw new Error(`expected a GatewayRequestError, got ${String(error)}`);
    return error;
  };

  it('POSTs the query and variables as JSON with the configured headers, and returns data and errors', async () => {
    const { transport, agent } = transportOver();
    let sent: { body: unknown; headers: Record<string, string> } | undefined;
    agent
      .get(GATEWAY)
      .intercept({ path: '/graphql', method: 'POST' })
      .reply(200, (options) => {
        sent = { body: JSON.parse(String(options.body)), headers: options.headers as Record<string, string> };
        return { data: { e0: { movieId: 'mov-1' } }, errors: [{ message: 'partial', path: ['e0', 'cast'] }] };
      });
    const reply = await transport.send('query { e0: movie(movieId: $id0) { movieId } }', { id0: 'mov-1' });
    expect(sent?.body).toEqual({ query: 'query { e0: movie(movieId: $id0) { movieId } }', variables: { id0: 'mov-1' } });
    expect(sent?.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer s3cret' });
    expect(reply.data).toEqual({ e0: { movieId: 'mov-1' } });
    expect(reply.errors).toEqual([{ message: 'partial', path: ['e0', 'cast'] }]);
    expect(reply.missing.size).toBe(0);
  });

  it('follows a 307 to another origin with the same request but without the configured headers', async () => {
    const { transport, agent } = transportOver();
    agent.get(GATEWAY).intercept({ path: '/graphql', method: 'POST' }).reply(307, '', { headers: { location: 'http://other.test/v2/graphql' } });
    let headers: Record<string, string> | undefined;
    agent
      .get('http://other.test')
      .intercept({ path: '/v2/graphql', method: 'POST' })
      .reply(200, (options) => {
        headers = options.headers as Record<string, string>;
        return { data: { e0: null } };
      });
    expect((await transport.send('{ e0 }', {})).data).toEqual({ e0: null });
    expect(headers).toMatchObject({ 'content-type': 'application/json' });
    expect(headers?.['authorization']).toBeUndefined();
  });

  it('names where a redirect that would turn the POST into a GET points, and says retrying cannot help', async () => {
    const { transport, agent } = transportOver();
    agent.get(GATEWAY).intercept({ path: '/graphql', method: 'POST' }).reply(301, '', { headers: { location: '/moved' } });
    const error = await failure(transport.send('{ e0 }', {}));
    expect(error.message).toBe('the gateway at http://gateway.test/graphql answered HTTP 301 Moved Permanently: it redirects to http://gateway.test/moved; set gateway.url to that address');
    expect(error.retryReason).toBeNull();
  });

  it('stops following a gateway that keeps redirecting', async () => {
    const { transport, agent } = transportOver();
    agent.get(GATEWAY).intercept({ path: /.*/, method: 'POST' }).reply(308, '', { headers: { location: '/again' } }).persist();
    const error = await failure(transport.send('{ e0 }', {}));
    expect(error.message).toBe('the gateway at http://gateway.test/graphql redirected more than 3 times (the last time to http://gateway.test/again); set gateway.url to where it ends');
    expect(error.retryReason).toBeNull();
  });

  it('says which answers are worth trying again: 429 and 5xx are, a refused request is not', async () => {
    const { transport, agent } = transportOver();
    const pool = agent.get(GATEWAY);
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(429, { errors: [{ message: 'slow down' }] });
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(502, '<html>bad gateway</html>');
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(400, { errors: [{ message: 'Cannot query field "nope"' }] });
    const [busy, broken, refused] = [await failure(transport.send('{}', {})), await failure(transport.send('{}', {})), await failure(transport.send('{}', {}))];
    expect([busy?.retryReason, broken?.retryReason, refused?.retryReason]).toEqual(['http_429', 'http_5xx', null]);
    expect(busy.message).toBe('the gateway at http://gateway.test/graphql answered HTTP 429 Too Many Requests: slow down');
    expect(broken.message).toBe('the gateway at http://gateway.test/graphql answered HTTP 502 Bad Gateway: <html>bad gateway</html>');
    expect(refused.message).toBe('the gateway at http://gateway.test/graphql answered HTTP 400 Bad Request: Cannot query field "nope"');
  });

  it('marks a 400 for a query that no longer validates (a recomposed graph) as the graph refusing it', async () => {
    const { transport, agent } = transportOver();
    const pool = agent.get(GATEWAY);
    const validation = { errors: [{ message: 'Cannot query field "username" on type "User".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] };
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(400, validation);
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(400, { errors: [{ message: 'Variable "$id0" got invalid value 7', extensions: { code: 'BAD_USER_INPUT' } }] });
    const [refused, badInput] = [await failure(transport.send('{}', {})), await failure(transport.send('{}', {}))];
    expect(refused.schemaRejection).toMatchObject({ field: 'User.username', subgraphUrl: null });
    expect(badInput.schemaRejection).toBeNull();
  });

  it('reads an answer without data as one to try again, with the errors it had or what it was', async () => {
    const { transport, agent } = transportOver();
    const pool = agent.get(GATEWAY);
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(200, { errors: [{ message: 'planning failed' }] });
    pool.intercept({ path: '/graphql', method: 'POST' }).reply(200, 'not json');
    const withErrors = await failure(transport.send('{}', {}));
    const notJson = await failure(transport.send('{}', {}));
    expect(withErrors.message).toBe('the gateway at http://gateway.test/graphql answered without data: planning failed');
    expect(notJson.message).toBe('the gateway at http://gateway.test/graphql answered without data (not JSON: not json)');
    expect([withErrors.retryReason, notJson.retryReason]).toEqual(['no_data', 'no_data']);
  });

  it('reports a gateway it cannot reach as a network failure, without the URL’s credentials', async () => {
    const { transport, agent } = transportOver('http://user:pw@gateway.test/graphql');
    agent.get(GATEWAY).intercept({ path: '/graphql', method: 'POST' }).replyWithError(new Error('connect ECONNREFUSED'));
    const error = await failure(transport.send('{}', {}));
    expect(error.retryReason).toBe('network');
    expect(error.message).toBe('cannot reach the gateway at http://gateway.test/graphql (credentials and query hidden): connect ECONNREFUSED');
    expect(error.message).not.toContain('pw');
  });

  it('refuses at once without gateway.url', async () => {
    const agent = new MockAgent();
    agents.push(agent);
    const none = new HttpGatewayTransport({ url: null, headers: {}, timeoutMs: 1_000 }, 1, agent);
    const error = await failure(none.send('{}', {}));
    expect(error.message).toBe('gateway.url is not set: a root-field query is sent to a gateway');
    expect(error.retryReason).toBeNull();
  });
});

// The load an indexing path puts on the graph, counted where the graph sees it: a node:http proxy
// in front of a gateway that forwards every request unchanged (keep-alive) and counts them. The
// indexers under measure are pointed at it instead of the gateway; nothing in src/ knows of it.
import { Agent, createServer, request as httpRequest } from 'node:http';

export interface CountingProxy {
  url: string;
  /** Requests forwarded so far. */
  requests(): number;
  stop(): Promise<void>;
}

/** A counting proxy to the gateway at `gatewayUrl` (its path kept), on a free loopback port. */
export async function startCountingProxy(gatewayUrl: string): Promise<CountingProxy> {
  const target = new URL(gatewayUrl);
  const agent = new Agent({ keepAlive: true });
  let count = 0;
  const server = createServer((incoming, response) => {
    count += 1;
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    incoming.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the counting proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}${target.pathname}`,
    requests: () => count,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

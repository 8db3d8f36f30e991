import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultAnswer, FaultSwitch } from './faultSwitch.ts';

/** Where `fedsearch demo graph fault` finds a demo graph started with the default ports. */
export const DEFAULT_FAULT_ADMIN_PORT = 4005;

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const MAX_BODY_BYTES = 4_096;

/** The admin endpoint's body: a share of `subgraph`'s entities fail for `forSeconds` (0 % or 0 s ends a fault), with an error unless `answer` is null. */
export interface FaultRequest {
  subgraph: string;
  errorPercent: number;
  forSeconds: number;
  answer?: FaultAnswer;
}

/**
 * The demo graph's admin endpoint, on loopback only (and it refuses a peer that is not loopback,
 * should it ever be bound elsewhere): `POST /faults` sets a subgraph's fault, `GET /faults` lists
 * those in effect. It exists so anyone can make the demo fail from the CLI and watch the
 * attribution and the letters; nothing of the product talks to it.
 */
export async function startFaultAdmin(faults: FaultSwitch, subgraphs: readonly string[], port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    void handle(request, response, faults, subgraphs).catch((error: unknown) => answer(response, 500, { error: (error as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, faults: FaultSwitch, subgraphs: readonly string[]): Promise<void> {
  if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) return answer(response, 403, { error: 'the fault switch answers loopback only' });
  if (request.url !== '/faults') return answer(response, 404, { error: 'GET or POST /faults' });
  if (request.method === 'GET') return answer(response, 200, { faults: faults.active() });
  if (request.method !== 'POST') return answer(response, 405, { error: 'GET or POST /faults' });
  let body: Partial<FaultRequest>;
  try {
    body = JSON.parse(await readBody(request)) as Partial<FaultRequest>;
  } catch (error) {
    return answer(response, 400, { error: `the body is not JSON: ${(error as Error).message}` });
  }
  const { subgraph, errorPercent, forSeconds, answer: faultAnswer = 'error' } = body;
  if (typeof subgraph !== 'string' || !subgraphs.includes(subgraph)) {
    return answer(response, 404, { error: `no subgraph ${JSON.stringify(subgraph)} in the demo graph; it has ${subgraphs.join(', ')}` });
  }
  if (typeof errorPercent !== 'number' || !(errorPercent >= 0 && errorPercent <= 100)) return answer(response, 400, { error: 'errorPercent must be a number from 0 to 100' });
  if (typeof forSeconds !== 'number' || !(forSeconds >= 0)) return answer(response, 400, { error: 'forSeconds must be a number of 0 or more' });
  if (faultAnswer !== 'error' && faultAnswer !== 'null') return answer(response, 400, { error: 'answer must be "error" or "null"' });
  const fault = faults.set(subgraph, errorPercent, forSeconds * 1000, faultAnswer);
  return answer(response, 200, { subgraph, fault: fault && { errorPercent: fault.errorPercent, answer: fault.answer, until: new Date(fault.untilMs).toISOString() } });
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new Error(`longer than ${MAX_BODY_BYTES} bytes`);
  }
  return body;
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

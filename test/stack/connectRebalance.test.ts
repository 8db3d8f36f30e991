import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorStatus, isRebalanceRefusal } from '../../stack/debeziumConnectors.ts';

// The REST client's answer to a worker group that is rebalancing. A real worker does this for a
// moment after every connector created or deleted (it failed a CI run's demo on 2026-12-06);
// it cannot be brought about on demand, so a small HTTP server answers the way Connect 4.x does.
const REBALANCE_500 = { error_code: 500, message: 'Request cannot be completed because a rebalance is expected' };
const CONFLICT_409 = { error_code: 409, message: 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)' };
const RUNNING = { name: 'cdc-talent', connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] };

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function connectAnswering(answers: { status: number; body: unknown }[]): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((_request, response) => {
    const answer = answers[Math.min(requests, answers.length - 1)] as { status: number; body: unknown };
    requests += 1;
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

describe('Kafka Connect requests during a worker rebalance', () => {
  it('wait the rebalance out and return the answer that follows it', async () => {
    const connect = await connectAnswering([
      { status: 500, body: REBALANCE_500 },
      { status: 409, body: CONFLICT_409 },
      { status: 200, body: RUNNING },
    ]);
    await expect(connectorStatus(connect.url, 'cdc-talent')).resolves.toEqual({ name: 'cdc-talent', state: 'RUNNING' });
    expect(connect.requests()).toBe(3);
  });

  it('fail at once on a refusal that is not a rebalance, naming the request and Connect\'s reason', async () => {
    const connect = await connectAnswering([{ status: 500, body: { error_code: 500, message: 'Failed to find any class that implements Connector' } }]);
    await expect(connectorStatus(connect.url, 'cdc-talent')).rejects.toThrow(
      /refused GET \/connectors\/cdc-talent\/status \(HTTP 500\): Failed to find any class/,
    );
    expect(connect.requests()).toBe(1);
  });

  it('tell a rebalance from a connector that already exists', () => {
    expect(isRebalanceRefusal(500, REBALANCE_500.message)).toBe(true);
    expect(isRebalanceRefusal(409, CONFLICT_409.message)).toBe(true);
    expect(isRebalanceRefusal(409, 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)')).toBe(true);
    expect(isRebalanceRefusal(409, 'Connector cdc-talent already exists')).toBe(false);
    expect(isRebalanceRefusal(400, 'rebalance')).toBe(false);
  });
});

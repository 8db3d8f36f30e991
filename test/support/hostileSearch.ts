import { connect, type Socket } from 'node:net';
import { inject } from 'vitest';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { createIndexHarness, type IndexHarness } from '../../support/indexHarness.ts';

// What the hostile suites against `fedsearch serve`'s listeners share: a real index, backfilled
// from its own demo graph, served with a token; and a raw connection, for what fetch cannot send.

export const HOSTILE_TOKEN = 'hostile-suite-token';
export const HOSTILE_AUTH = { authorization: `Bearer ${HOSTILE_TOKEN}` };

const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };

/** A private index of `movies` movies on the real stack, backfilled and searchable. */
export async function backfilledIndex(movies: number): Promise<IndexHarness> {
  const h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies });
  await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: true, graceSeconds: 0 }, quiet);
  await h.es.indices.refresh({ index: h.index });
  return h;
}

/**
 * A raw connection to `url`'s port, given to `use` once open, and everything the server sent on
 * it, once the server closed it (the client never does).
 */
export function untilServerCloses(url: string, use: (socket: Socket) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(Number(new URL(url).port), new URL(url).hostname, () => use(socket));
    socket.on('data', (chunk) => void (received += chunk.toString('utf8')));
    socket.on('close', () => resolve(received));
    // A server that closes while the client still writes resets the connection: closed all the same.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
  });
}

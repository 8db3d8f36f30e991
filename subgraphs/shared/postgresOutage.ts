import { setTimeout as sleep } from 'node:timers/promises';

/** How long a read waits for its database to come back before the error reaches the caller. */
export const OUTAGE_PATIENCE_MS = 20_000;

/**
 * Whether `error` says the database is away rather than the query wrong: the server restarting
 * or shutting down (SQLSTATE 57P01–57P03), a connection lost or refused (class 08, or the socket's
 * own error). A team's service rides out such a restart instead of failing every lookup in it.
 */
export function isDatabaseOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^57P0[123]$/.test(code) || /^08/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  }
  return typeof message === 'string' && /Connection terminated|connection is closed/i.test(message);
}

/**
 * Runs a read, again after a growing pause while the database is away, for up to `patienceMs`.
 * Reads only: a write whose connection broke may have committed, so it is not sent twice.
 */
export async function readThroughOutage<T>(read: () => Promise<T>, patienceMs = OUTAGE_PATIENCE_MS): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return await read();
    } catch (error) {
      if (!isDatabaseOutage(error) || Date.now() + pause > deadline) throw error;
      await sleep(pause);
    }
  }
}

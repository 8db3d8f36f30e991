import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What both listeners of `fedsearch serve` (the HTTP API and the search subgraph) are given. */
export interface ListenerOptions {
  host: string;
  port: number;
  /** The whole request, headers and body, must arrive within this (then 408); the work has as long again. */
  requestTimeoutMs: number;
  /** A connection with no request under way (just opened, or kept alive after an answer) is closed after this. */
  idleTimeoutMs?: number;
}

/** Idle connections are cheap for a client and not for us: 5 s is Node's own keep-alive default. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Headers the answer carries besides the listener's own (Retry-After on a 429). */
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

/**
 * On every answer of every listener: nothing may frame it, sniff it into another type, run or load
 * anything from it, or learn from a Referer where the user came from. The search page replaces the
 * policy with one that lets its own inline script and style run (searchPage.ts).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** What lets a page of `origin` call a listener from a browser; nothing unless an origin was configured. */
export function corsHeaders(origin: string | undefined, allowHeaders: readonly string[]): Record<string, string> {
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-headers': allowHeaders.join(', '),
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    vary: 'origin',
  };
}

/**
 * A JSON answer. One sent before the request's body was read (a 401, a 413 on the declared
 * length) closes the connection, so the body is never read or kept: the client learns at once and
 * the rest of its bytes go nowhere.
 *
 * The answer's length is declared: Node then sends the headers and the answer as one piece.
 * Without it (headers written before the body) every answer was chunked, five pieces in one
 * `writev`: the headers, the chunk's size, the answer and two terminators.
 */
export function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = body === null ? undefined : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(text === undefined ? {} : { 'content-length': Buffer.byteLength(text) }),
    ...(hasUnreadBody(request) ? { connection: 'close' } : {}),
    ...headers,
  });
  response.end(text);
}

/** Whether the request came with a body that has not been read (all of it) yet. */
function hasUnreadBody(request: IncomingMessage): boolean {
  const declaresBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  return declaresBody && !request.readableEnded;
}

/** Another process already listens on the port asked for. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
  /** As Node's own error says it, for callers that look at the code. */
  readonly code = 'EADDRINUSE';

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is taken: another process listens there`);
  }
}

export interface Listener {
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTP listener that cuts slow and idle clients: the headers and the body must arrive within
 * the request timeout (Node answers 408 and closes; it checks every second, not every 30 s), and
 * a connection without a request under way — opened and left silent, or kept alive after an
 * answer — is closed after the idle timeout. Every answer carries the SECURITY_HEADERS.
 */
export async function startListener(options: ListenerOptions, handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<Listener> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  // Once closing, every answer says `Connection: close` and its connection is dropped after it: a
  // client sending request after request on a keep-alive connection would otherwise keep the
  // server open for ever.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer(
    {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
      keepAliveTimeout: idleTimeoutMs,
    },
    (request, response) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      if (closing) response.setHeader('connection', 'close');
      inFlight.add(response);
      response.once('close', () => inFlight.delete(response));
      handle(request, response);
    },
  );
  // The request timeout only starts with a request's first byte, and the keep-alive timeout only
  // after an answer: a connection opened and left silent is cut by this (a socket timeout with no
  // listener destroys the socket). Once a request is in, the socket may be silent while the work
  // runs (up to its deadline, one request timeout) but not longer: past that, the client is not
  // reading its answer, and the answer is not kept for it.
  server.on('connection', (socket) => socket.setTimeout(idleTimeoutMs));
  server.on('request', (request: IncomingMessage) => request.socket.setTimeout(2 * options.requestTimeoutMs));
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => reject(error.code === 'EADDRINUSE' ? new PortTakenError(options.host, options.port) : error);
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
        // Bounded: a request in flight has its deadline (one request timeout) to be answered; past
        // that (and a margin to send the answer), what is still open is cut.
        const cut = setTimeout(() => server.closeAllConnections(), 2 * options.requestTimeoutMs);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

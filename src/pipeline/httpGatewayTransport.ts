import { STATUS_CODES } from 'node:http';
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import type { GatewaySettings } from '../config/indexConfig.ts';
import { traceHeaders } from '../tracing/traces.ts';
import { redactUrl, redactUrlsIn } from '../redactUrl.ts';
import { errorMessages, GatewayRequestError, isRecord } from './gatewayErrors.ts';
import { schemaRejection } from './schemaRejection.ts';
import type { GatewayReply, GatewayTransport } from './gatewayTransport.ts';

/** 307/308 redirects followed per request; one more is an error. */
const MAX_REDIRECTS = 3;
/** What every gateway request says of itself; the configured headers go beside these, to the configured origin only. */
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', accept: 'application/json' };

/**
 * POSTs to the gateway at `gateway.url`, following 307/308 redirects, and reads its answer.
 * undici's own request API rather than fetch(): fetch's web streams, resource timing and Response
 * objects cost about 0.35 ms of CPU per request more (half of what a 25-entity request costs the
 * indexer on a fast graph).
 */
export class HttpGatewayTransport implements GatewayTransport {
  /** The gateway's connections, kept alive between requests (a test passes a fake dispatcher). */
  private readonly http: Dispatcher;

  constructor(
    private readonly gateway: Pick<GatewaySettings, 'url' | 'headers' | 'timeoutMs'>,
    connections: number,
    dispatcher?: Dispatcher,
    /** The dispatcher is the process's, shared with other indexes (`run` of many): close() leaves it open. */
    private readonly sharedDispatcher = false,
  ) {
    this.http = dispatcher ?? new Agent({ connections });
  }

  async send(query: string, variables: Record<string, unknown>): Promise<GatewayReply> {
    const { headers, timeoutMs, url } = this.gateway;
    if (url === null) throw new GatewayRequestError('gateway.url is not set: a root-field query is sent to a gateway', null);
    const request = JSON.stringify({ query, variables });
    let status: number;
    let text: string;
    let location: string | undefined;
    let target = url;
    let sentHeaders: Record<string, string> = { ...JSON_HEADERS, ...headers };
    const deadline = AbortSignal.timeout(timeoutMs);
    // The W3C trace context of the fetch span (none when traces are off), to every hop: the
    // gateway's and the subgraphs' spans join the event's trace.
    const traced = traceHeaders();
    const withTrace = (sent: Record<string, string>): Record<string, string> => (traced.traceparent === undefined ? sent : { ...sent, ...traced });
    for (let hops = 0; ; hops++) {
      try {
        const response = await httpRequest(target, { method: 'POST', headers: withTrace(sentHeaders), body: request, dispatcher: this.http, signal: deadline });
        status = response.statusCode;
        const redirect = response.headers['location'];
        location = Array.isArray(redirect) ? redirect[0] : redirect;
        text = await response.body.text();
      } catch (error) {
        throw transportError(error, target, timeoutMs);
      }
      // 307 and 308 keep the method and the body, so the same POST is sent on (as fetch() did) to
      // another http(s) address; any other redirect would turn it into a GET, and is reported by
      // httpError below.
      const next = (status === 307 || status === 308) && location !== undefined ? resolveLocation(location, target) : null;
      if (next === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) break;
      if (hops === MAX_REDIRECTS) {
        throw new GatewayRequestError(`the gateway at ${redactUrl(url)} redirected more than ${MAX_REDIRECTS} times (the last time to ${redactUrl(next.href)}); set gateway.url to where it ends`, null);
      }
      // The configured headers (a token, an API key) are for the configured origin only.
      if (next.origin !== new URL(target).origin) sentHeaders = { ...JSON_HEADERS };
      target = next.href;
    }
    const body = parseBody(text);
    if (status < 200 || status > 299) throw httpError(status, body, text, target, location);
    if (!body || !isRecord(body.data)) {
      const messages = body ? errorMessages(body.errors).join('; ') : '';
      const detail = messages ? `: ${messages}` : body ? ' and without errors' : ` (not JSON: ${snippet(text)})`;
      throw new GatewayRequestError(`the gateway at ${redactUrl(target)} answered without data${detail}`, 'no_data', 'request', rejectionIn(body));
    }
    const errors = Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
    return { data: body.data, errors, missing: NOTHING_MISSING };
  }

  /** Closes the gateway connections. */
  async close(): Promise<void> {
    if (!this.sharedDispatcher) await this.http.close();
  }
}

/** A gateway does not say which ids it lacks beside a null (readAnswer reads those). */
const NOTHING_MISSING: ReadonlySet<string> = new Set();

function transportError(error: unknown, url: string, timeoutMs: number): GatewayRequestError {
  // The deadline's abort reason is a DOMException, not an Error, on Node 20.
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new GatewayRequestError(`the gateway at ${redactUrl(url)} did not answer within ${timeoutMs} ms`, 'timeout');
  }
  // undici's request throws what happened itself (ECONNREFUSED, reset, DNS); an error that wraps
  // another puts it in `cause`.
  const cause = error instanceof Error ? (error.cause as { message?: string; code?: string } | undefined) : undefined;
  const detail = cause?.message || cause?.code || (error as Error).message;
  return new GatewayRequestError(`cannot reach the gateway at ${redactUrl(url)}: ${redactUrlsIn(detail)}`, 'network');
}

function httpError(status: number, body: { errors?: unknown } | null, text: string, url: string, location?: string): GatewayRequestError {
  // A redirect that is not followed (301, 302, 303 turn a POST into a GET; or too many hops).
  const moved = status >= 300 && status < 400 && location ? `it redirects to ${redirectTarget(location, url)}; set gateway.url to that address` : '';
  const detail = moved || (body && errorMessages(body.errors).join('; ')) || snippet(text);
  const message = `the gateway at ${redactUrl(url)} answered HTTP ${status} ${STATUS_CODES[status] ?? ''}${detail ? `: ${detail}` : ''}`;
  if (status === 429) return new GatewayRequestError(message, 'http_429');
  if (status >= 500) return new GatewayRequestError(message, 'http_5xx', 'request', rejectionIn(body));
  return new GatewayRequestError(message, null, 'request', rejectionIn(body));
}

/** Whether the answer's errors say the query no longer validates (a 400 GRAPHQL_VALIDATION_FAILED, mostly). */
function rejectionIn(body: { errors?: unknown } | null): ReturnType<typeof schemaRejection> {
  return Array.isArray(body?.errors) ? schemaRejection(body.errors.filter(isRecord)) : null;
}

/** Where a redirect points, absolute and without credentials. */
function redirectTarget(location: string, url: string): string {
  const resolved = resolveLocation(location, url);
  return resolved === null ? redactUrlsIn(snippet(location)) : redactUrl(resolved.href);
}

function resolveLocation(location: string, url: string): URL | null {
  try {
    return new URL(location, url);
  } catch {
    return null;
  }
}

function parseBody(text: string): { data?: unknown; errors?: unknown } | null {
  try {
    const body: unknown = JSON.parse(text);
    return isRecord(body) ? body : null;
  } catch {
    return null;
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

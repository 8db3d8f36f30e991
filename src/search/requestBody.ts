import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, type ZlibOptions } from 'node:zlib';
import { HttpError } from '../httpListener.ts';

/**
 * Deeper than any request either listener takes (a search request or a GraphQL request with its
 * variables is a few levels deep), and shallow enough that no parse of it is costly.
 */
export const MAX_JSON_DEPTH = 32;

type Inflate = (bytes: Buffer, options: ZlibOptions) => Promise<Buffer>;

/** The Content-Encodings a body may come in; each inflated to at most the body limit. */
const INFLATERS: Readonly<Record<string, Inflate>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/**
 * A request's JSON body, undefined when it has none. Call it only once the caller has checked
 * who is asking: nothing is read before. Bounded at every step so no body costs more than a
 * small one: the bytes on the wire and the inflated bytes are each at most `maxBytes` (inflating
 * stops there), the nesting at most MAX_JSON_DEPTH (checked in one pass before JSON.parse), and
 * the whole must arrive within the listener's request timeout. Each refusal is an HttpError that
 * says what was wrong: 413 too large, 415 an encoding or charset it does not take, 400 a body
 * that is not JSON.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  refuseCharsetOtherThanUtf8(request.headers['content-type']);
  const inflater = inflaterFor(request.headers['content-encoding']);
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  const received = await readBytes(request, maxBytes);
  const bytes = inflater ? await inflateWithin(received, inflater, maxBytes) : received;
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  if (!nestedWithin(text, MAX_JSON_DEPTH)) throw new HttpError(400, `body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
  }
}

function refuseCharsetOtherThanUtf8(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new HttpError(415, `unsupported charset ${JSON.stringify(charset.slice(0, 40))}: send UTF-8`);
  }
}

function inflaterFor(contentEncoding: string | undefined): Inflate | null {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return null;
  // One encoding only: layers of them would multiply what a few bytes inflate to.
  const inflater = Object.hasOwn(INFLATERS, encoding) ? INFLATERS[encoding] : undefined;
  if (!inflater) {
    throw new HttpError(415, `unsupported content-encoding ${JSON.stringify(encoding.slice(0, 40))}: send one of ${Object.keys(INFLATERS).join(', ')} or none`);
  }
  return inflater;
}

async function inflateWithin(bytes: Buffer, inflater: Inflate, maxBytes: number): Promise<Buffer> {
  try {
    return await inflater(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpError(413, `request body inflates to over ${maxBytes} bytes`);
    throw new HttpError(400, 'request body does not inflate: it is not in its content-encoding');
  }
}

/**
 * The body's bytes, at most `limit` of them. Past the limit the request is paused, not destroyed:
 * the caller still answers 413, and that answer closes the connection (see sendJson).
 */
function readBytes(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        stop();
        reject(new HttpError(413, `request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    const onClose = (): void => onError(new Error('the client closed the connection before its request body was read'));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Whether the JSON text's arrays and objects nest at most `maxDepth` deep: one pass, no parse. */
export function nestedWithin(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // a backslash: the next character is escaped, whatever it is
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return false;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return true;
}

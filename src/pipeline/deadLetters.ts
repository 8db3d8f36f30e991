import { createHash } from 'node:crypto';
import type { IHeaders, Message, Producer } from '../clients/kafkajs.ts';
import { header } from './documentCodec.ts';
import type { Attribution } from './subgraphAttribution.ts';

/**
 * What went to the dead-letter topic, and so what `replay` does with it:
 * `event` — a change event that could not be read (re-produced to its source topic);
 * `refetch` — an entity whose fetch kept failing (fetched again);
 * `document` — a document Elasticsearch refused for good (re-produced to the documents topic).
 */
export type DeadLetterKind = 'event' | 'refetch' | 'document';

/** A letter's automatic-retry state, as its headers carry it (set when a retry failed). */
export interface RetryState {
  /** Automatic retries made so far (0 for a letter as the pipeline first wrote it). */
  attempts: number;
  /** When the entity first failed (ISO 8601); unset: when the letter was written. */
  firstFailedAt?: string;
  /** When the next retry is due (ISO 8601); unset: written-at + firstDelaySeconds. */
  nextRetryAt?: string;
  /** Retried for `giveUpAfterHours` without success: left for replay by hand. */
  gaveUp?: boolean;
}

export interface DeadLetter {
  kind: DeadLetterKind;
  stage: 'enrich' | 'sink';
  reason: string;
  entityId: string | null;
  /** Where the failed input was read: topic/partition/offset. */
  source: { topic: string; partition: number; offset: string } | null;
  key: Buffer | string | null;
  value: Buffer | string | null;
  /** Headers of the original message worth keeping (a document's schema and version). */
  headers?: IHeaders;
  /** Whose failure it was, for a failed fetch: the subgraph, the error's path in the document, its code. */
  fault?: Attribution;
  /**
   * Set on a letter read back that is a stand-in (see standInFor): why the letter itself could not
   * be written. Its key, value and headers are cut short; the original is at `source`.
   */
  standIn?: string;
  /** Its automatic retries so far (deadLetterRetry.ts decides with them); unset for a letter as first written. */
  retry?: RetryState;
}

const H = {
  kind: 'fedsearch-dlq-kind',
  stage: 'fedsearch-dlq-stage',
  reason: 'fedsearch-dlq-reason',
  entityId: 'fedsearch-dlq-entity-id',
  topic: 'fedsearch-dlq-source-topic',
  partition: 'fedsearch-dlq-source-partition',
  offset: 'fedsearch-dlq-source-offset',
  at: 'fedsearch-dlq-at',
  standIn: 'fedsearch-dlq-stand-in',
  valueBytes: 'fedsearch-dlq-value-bytes',
  valueSha256: 'fedsearch-dlq-value-sha256',
  keyBytes: 'fedsearch-dlq-key-bytes',
  headersDropped: 'fedsearch-dlq-headers-dropped',
  subgraph: 'fedsearch-dlq-subgraph',
  errorPath: 'fedsearch-dlq-error-path',
  errorCode: 'fedsearch-dlq-error-code',
  attempts: 'fedsearch-dlq-attempts',
  firstFailedAt: 'fedsearch-dlq-first-failed-at',
  nextRetryAt: 'fedsearch-dlq-next-retry-at',
  gaveUp: 'fedsearch-dlq-gave-up',
} as const;

/**
 * The headers of a letter sent back by an automatic retry that failed: its new reason and whose
 * failure it was now, how many retries so far, since when, and when the next is due (or that it
 * gave up). Everything else stays as the letter had it.
 */
export function requeuedHeaders(headers: IHeaders | undefined, reason: string, fault: Attribution | undefined, retry: RetryState): IHeaders {
  const next: IHeaders = {};
  const replaced = new Set<string>([H.reason, H.at, H.subgraph, H.errorPath, H.errorCode, H.attempts, H.firstFailedAt, H.nextRetryAt, H.gaveUp]);
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined && !replaced.has(name)) next[name] = value;
  next[H.reason] = reason.slice(0, 4_000);
  next[H.at] = new Date().toISOString();
  if (fault) Object.assign(next, faultHeaders(fault));
  Object.assign(next, retryHeaders(retry));
  return next;
}

function retryHeaders(retry: RetryState): Record<string, string> {
  return {
    [H.attempts]: String(retry.attempts),
    ...(retry.firstFailedAt === undefined ? {} : { [H.firstFailedAt]: retry.firstFailedAt }),
    ...(retry.nextRetryAt === undefined ? {} : { [H.nextRetryAt]: retry.nextRetryAt }),
    ...(retry.gaveUp ? { [H.gaveUp]: 'true' } : {}),
  };
}

function readRetry(headers: IHeaders | undefined): RetryState | undefined {
  const attempts = header(headers, H.attempts);
  if (attempts === undefined) return undefined;
  const firstFailedAt = header(headers, H.firstFailedAt);
  const nextRetryAt = header(headers, H.nextRetryAt);
  return {
    attempts: Number.isSafeInteger(Number(attempts)) ? Number(attempts) : 0,
    ...(firstFailedAt === undefined ? {} : { firstFailedAt }),
    ...(nextRetryAt === undefined ? {} : { nextRetryAt }),
    ...(header(headers, H.gaveUp) === 'true' ? { gaveUp: true } : {}),
  };
}

/** The headers naming whose a failed fetch was (a letter sent back by replay takes its new failure's). */
export function faultHeaders(fault: Attribution): Record<string, string> {
  return { [H.subgraph]: fault.subgraph, [H.errorPath]: fault.path.slice(0, 1_000), [H.errorCode]: fault.code.slice(0, 200) };
}

/** The header of a letter's reason (replay rewrites it when a letter fails again). */
export const REASON_HEADER = H.reason;

/** When a letter was written (ISO 8601), per its header. */
export function letterWrittenAt(headers: IHeaders | undefined): string | undefined {
  return header(headers, H.at);
}

/**
 * Errors with which Kafka refuses a record as it is: the same letter would be refused on every
 * retry, so it is written as a stand-in instead (anything else — the broker gone, a timeout — is
 * thrown, and the batch is read again later).
 */
const REFUSED_AS_IT_IS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP', 'CORRUPT_MESSAGE', 'POLICY_VIOLATION']);

/** What a stand-in keeps of the letter it stands for (see standInFor). */
export const STAND_IN_LIMITS = { valueBytes: 16 * 1024, keyBytes: 1024, headerValueBytes: 4 * 1024, originalHeadersBytes: 16 * 1024 } as const;

/** An upper bound of a stand-in's key, value and headers, in bytes: far below any topic's limit. */
export const STAND_IN_MAX_BYTES = 128 * 1024;

/** A letter written as a stand-in, for the caller to log. */
export interface StandInWritten {
  letter: DeadLetter;
  /** Why the letter itself was refused. */
  refusal: string;
}

/**
 * Writes dead letters; the caller commits its input only after this resolves (acks from all). A
 * letter the topic refuses as it is (too large for it, most likely: a source message near its own
 * topic's limit, plus headers) is written as a bounded stand-in, so one letter can never stall its
 * partition; only when even that is refused does `send` throw.
 */
export class DeadLetterQueue {
  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    readonly topic: string,
    private readonly onStandIn: (written: StandInWritten) => void = () => {},
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map(toMessage);
    try {
      await this.write(messages);
      return;
    } catch (error) {
      if (!refusedAsItIs(error)) throw error;
    }
    // One refused letter fails the whole request (and several fitting ones can make it too large together): one at a time.
    for (const [position, letter] of letters.entries()) {
      const message = messages[position] as Message;
      try {
        await this.write([message]);
      } catch (error) {
        if (!refusedAsItIs(error)) throw error;
        const refusal = `${this.topic} refused the ${messageBytes(message)}-byte letter: ${(error as Error).message}`;
        try {
          await this.write([standInFor(message, refusal)]);
        } catch (standInError) {
          const where = letter.source ? ` of ${letter.source.topic}/${letter.source.partition}/${letter.source.offset}` : '';
          throw new DeadLetterRefusedError(`the dead letter${where} could not be written, not even as a stand-in: ${refusal}; then ${(standInError as Error).message}`, {
            cause: standInError,
          });
        }
        this.onStandIn({ letter, refusal });
      }
    }
  }

  private async write(messages: Message[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }
}

/**
 * A dead-letter topic that takes not even a stand-in (a limit below any letter, a policy): the
 * batch cannot go on without losing the event. kafkajs retries an error that does not say it is
 * not retriable for minutes, in silence; this one fails the same way every time, so the consumer
 * crashes at once, saying why, and is started again until the topic takes letters.
 */
export class DeadLetterRefusedError extends Error {
  override readonly name = 'DeadLetterRefusedError';
  readonly retriable = false;
}

/**
 * The stand-in of a letter the dead-letter topic refused: its fedsearch-dlq-* headers (reason,
 * kind, where the original was read: `fedsearch replay` and a person can find it there), why it was
 * refused, the first bytes of its value with the whole value's size and sha256, the first bytes of
 * its key, and as many of the original headers as fit a budget (how many were dropped said) — at
 * most STAND_IN_MAX_BYTES in all, whatever the letter held.
 */
export function standInFor(message: Message, refusal: string): Message {
  const { valueBytes, keyBytes, headerValueBytes, originalHeadersBytes } = STAND_IN_LIMITS;
  const value = toBuffer(message.value);
  const key = toBuffer(message.key);
  const headers: IHeaders = {};
  let originalBudget = originalHeadersBytes;
  let dropped = 0;
  const ours = new Set<string>(Object.values(H));
  for (const [name, headerValue] of Object.entries(message.headers ?? {})) {
    if (headerValue === undefined) continue;
    if (ours.has(name)) {
      headers[name] = cut(Buffer.from(header(message.headers, name) ?? ''), headerValueBytes).toString('utf8');
      continue;
    }
    const values = (Array.isArray(headerValue) ? headerValue : [headerValue]).map((one) => toBuffer(one) as Buffer);
    const size = Buffer.byteLength(name) + values.reduce((sum, one) => sum + one.length, 0);
    if (size > originalBudget) {
      dropped++;
      continue;
    }
    originalBudget -= size;
    headers[name] = headerValue;
  }
  headers[H.standIn] = cut(Buffer.from(refusal), headerValueBytes).toString('utf8');
  if (dropped > 0) headers[H.headersDropped] = String(dropped);
  if (value !== null) {
    headers[H.valueBytes] = String(value.length);
    headers[H.valueSha256] = createHash('sha256').update(value).digest('hex');
  }
  if (key !== null && key.length > keyBytes) headers[H.keyBytes] = String(key.length);
  return { key: key === null ? null : cut(key, keyBytes), value: value === null ? null : cut(value, valueBytes), headers };
}

/** The bytes of a message's key, value and headers (what a topic's limit is about, give or take framing). */
export function messageBytes(message: Message): number {
  let bytes = (toBuffer(message.key)?.length ?? 0) + (toBuffer(message.value)?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name);
    for (const one of Array.isArray(value) ? value : [value]) bytes += (toBuffer(one) as Buffer).length;
  }
  return bytes;
}

function refusedAsItIs(error: unknown): boolean {
  // kafkajs wraps the broker's error (KafkaJSNonRetriableError, a retries-exceeded error) in `cause`.
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (REFUSED_AS_IT_IS.has(String((current as { type?: unknown }).type))) return true;
  }
  return false;
}

function toBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** At most `bytes` of `buffer` (a cut UTF-8 character decodes as U+FFFD; the sha256 covers the whole). */
function cut(buffer: Buffer, bytes: number): Buffer {
  return buffer.length <= bytes ? buffer : buffer.subarray(0, bytes);
}

function toMessage(letter: DeadLetter): Message {
  const headers: IHeaders = {
    ...letter.headers,
    [H.kind]: letter.kind,
    [H.stage]: letter.stage,
    [H.reason]: letter.reason.slice(0, 4_000),
    [H.at]: new Date().toISOString(),
  };
  if (letter.entityId !== null) headers[H.entityId] = letter.entityId;
  if (letter.fault) Object.assign(headers, faultHeaders(letter.fault));
  if (letter.retry) Object.assign(headers, retryHeaders(letter.retry));
  if (letter.source) {
    headers[H.topic] = letter.source.topic;
    headers[H.partition] = String(letter.source.partition);
    headers[H.offset] = letter.source.offset;
  }
  return { key: letter.key ?? letter.entityId, value: letter.value, headers };
}

/** A dead-letter message read back (by replay). */
export function readDeadLetter(message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DeadLetter {
  const kind = header(message.headers, H.kind) as DeadLetterKind | undefined;
  const topic = header(message.headers, H.topic);
  const subgraph = header(message.headers, H.subgraph);
  const retry = readRetry(message.headers);
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!name.startsWith('fedsearch-dlq-') && value !== undefined) kept[name] = value;
  }
  return {
    kind: kind ?? 'event',
    stage: header(message.headers, H.stage) === 'sink' ? 'sink' : 'enrich',
    reason: header(message.headers, H.reason) ?? '',
    entityId: header(message.headers, H.entityId) ?? null,
    source: topic
      ? { topic, partition: Number(header(message.headers, H.partition)), offset: header(message.headers, H.offset) ?? '' }
      : null,
    key: message.key,
    value: message.value,
    headers: kept,
    ...(subgraph === undefined
      ? {}
      : { fault: { subgraph, path: header(message.headers, H.errorPath) ?? '', code: header(message.headers, H.errorCode) ?? '' } }),
    ...(header(message.headers, H.standIn) === undefined ? {} : { standIn: header(message.headers, H.standIn) as string }),
    ...(retry === undefined ? {} : { retry }),
  };
}

import type { DeadLetter } from './deadLetters.ts';
import { decodeChangeEvent } from './decodeChangeEvent.ts';
import type { Route } from './enrichSteps.ts';

/** What replay does with one dead letter. */
export type ReplayAction =
  | { kind: 'refetch'; entityId: string }
  | { kind: 'reinject'; topic: string }
  /** Stays in the dead-letter topic (sent back with this reason) and counts as failed again. */
  | { kind: 'keep'; reason: string };

/**
 * Decides a dead letter's fate from the config, never from the letter alone: its headers were
 * written by whoever produced to the dead-letter topic. An event goes back only to one of this
 * index's own event topics, and only if it now decodes there — an event that still cannot be read
 * would fail again and loop through another team's topic; a refused document goes back only to
 * this index's documents topic.
 */
export function replayAction(letter: DeadLetter, routes: ReadonlyMap<string, readonly Route[]>, documentsTopic: string): ReplayAction {
  // Its body is cut short: putting it back would send on a fragment of the original.
  if (letter.standIn !== undefined) return { kind: 'keep', reason: `a stand-in for a letter the dead-letter topic refused (${letter.standIn}); the original is at its source` };
  switch (letter.kind) {
    case 'refetch':
      return letter.entityId ? { kind: 'refetch', entityId: letter.entityId } : { kind: 'keep', reason: 'a refetch letter without an entity id' };
    case 'document':
      return { kind: 'reinject', topic: documentsTopic };
    case 'event': {
      const topic = letter.source?.topic;
      const topicRoutes = topic === undefined ? undefined : routes.get(topic);
      if (topic === undefined || topicRoutes === undefined) {
        return { kind: 'keep', reason: `the event names source topic ${topic ?? '(none)'}, which is not an event topic of this index` };
      }
      const toBuffer = (value: Buffer | string | null): Buffer | null => (value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value));
      const message = { key: toBuffer(letter.key), value: toBuffer(letter.value) };
      for (const route of topicRoutes) {
        const decoded = decodeChangeEvent(message, route.source, route.key);
        if (!decoded.ok) return { kind: 'keep', reason: `still undecodable: ${decoded.reason}` };
      }
      return { kind: 'reinject', topic };
    }
  }
}

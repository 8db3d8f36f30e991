import type { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { retireVersion } from '../../src/backfill/reindex.ts';

describe('the old version after a swap', () => {
  it('is deleted at once when Ctrl-C comes during the grace, instead of being left behind by a second Ctrl-C', async () => {
    const deleted: unknown[] = [];
    const elasticsearch = { indices: { delete: async (request: unknown) => void deleted.push(request) } } as unknown as Client;
    const notes: string[] = [];
    const ctrlC = new AbortController();
    const retiring = retireVersion(elasticsearch, 'movies_v1', { graceSeconds: 600, cleanup: false, signal: ctrlC.signal }, (note) => void notes.push(note));
    ctrlC.abort('SIGINT');
    await retiring;
    expect(deleted).toEqual([{ index: 'movies_v1', ignore_unavailable: true }]);
    expect(notes).toEqual(['keeping movies_v1 for 600s in case searches still hold it…', 'the wait cut short by the stop: deleting movies_v1 now', 'deleted movies_v1']);
  });
});

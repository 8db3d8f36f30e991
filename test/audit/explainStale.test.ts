import { describe, expect, it } from 'vitest';
import type { Difference, IdCheck } from '../../src/audit/auditVerdict.ts';
import { fieldDifferences } from '../../src/audit/documentDifferences.ts';
import { explainStale } from '../../src/audit/runAudit.ts';
import type { FetchResult } from '../../src/pipeline/gatewayFetcher.ts';

const owners = { ownerOf: (path: readonly unknown[]) => (path[0] === 'cast' ? 'talent' : 'movies'), subgraphs: ['movies', 'talent'] };

/** Stale documents explained: the fields that differ and whose, and what the graph changes on every read. */
describe('explainStale', () => {
  const staleCheck = (indexed: Record<string, unknown>, graph: Record<string, unknown>): IdCheck => ({
    class: 'stale',
    graphUpdatedAtMs: null,
    stale: { fields: fieldDifferences(indexed, graph), graph },
  });
  const persistent = (id: string): Difference => ({ id, class: 'stale', persistence: 'persistent', ageSeconds: 60 });
  const graphAnswers = (documents: Record<string, Record<string, unknown>>) => ({
    fetch: async (ids: readonly string[]) => new Map(ids.map((id): [string, FetchResult] => [id, { kind: 'found', document: documents[id] as Record<string, unknown>, version: 1 }])),
  });

  it('sets a document apart as volatile when only fields the graph changed between two reads differ, with the line to exclude them', async () => {
    const lost = persistent('mov-1');
    const random = persistent('mov-2');
    const last = new Map([
      ['mov-1', staleCheck({ title: 'Old', views: 1 }, { title: 'New', views: 2 })],
      ['mov-2', staleCheck({ title: 'Same', views: 5 }, { title: 'Same', views: 6 })],
    ]);
    const again = graphAnswers({ 'mov-1': { title: 'New', views: 3 }, 'mov-2': { title: 'Same', views: 7 } });
    const explained = await explainStale([lost, random], last, again, owners, []);
    expect(explained.documents).toEqual([random]);
    expect(explained.fields).toEqual([{ fieldPath: 'views', subgraph: 'movies', exclude: 'fields.views: { audit: false }' }]);
    expect(lost.fields).toEqual([
      { path: 'title', fieldPath: 'title', indexed: '"Old"', graph: '"New"', truncated: false, subgraph: 'movies', volatile: false },
      { path: 'views', fieldPath: 'views', indexed: '1', graph: '2', truncated: false, subgraph: 'movies', volatile: true },
    ]);
  });

  it('names the owner of a nested field', async () => {
    const difference = persistent('mov-3');
    const last = new Map([['mov-3', staleCheck({ cast: [{ talent: { name: 'Bo' } }] }, { cast: [{ talent: { name: 'Bob' } }] })]]);
    await explainStale([difference], last, graphAnswers({ 'mov-3': { cast: [{ talent: { name: 'Bob' } }] } }), owners, []);
    expect(difference.fields).toEqual([
      { path: 'cast.0.talent.name', fieldPath: 'cast.talent.name', indexed: '"Bo"', graph: '"Bob"', truncated: false, subgraph: 'talent', volatile: false },
    ]);
  });
});

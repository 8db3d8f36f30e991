import { beforeAll, describe, expect, it } from 'vitest';
import type { QueryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { batchedQuery } from '../../src/pipeline/batchedQuery.ts';
import type { GatewayReply } from '../../src/pipeline/gatewayTransport.ts';
import { readAnswer } from '../../src/pipeline/readAnswer.ts';
import { NO_OWNERS } from '../../src/graph/responsePathOwners.ts';
import { movieTemplate } from './gatewayFakes.ts';

/** One answer read entity by entity: per-entity errors apart from failures of the whole request. */
describe('readAnswer', () => {
  let template: QueryTemplate;
  beforeAll(async () => {
    template = await movieTemplate();
  });

  const ids = ['mov-1', 'mov-2', 'mov-3'];
  const read = (reply: Partial<GatewayReply>) =>
    readAnswer({ data: {}, errors: [], missing: new Set(), ...reply }, 42, batchedQuery(template, ids.length), ids, template.key, NO_OWNERS);

  it('reads each alias as its entity: a document, or null for one the graph no longer has', () => {
    const answer = read({ data: { e0: { movieId: 'mov-1', title: 'A' }, e1: null, e2: { movieId: 'mov-3' } } });
    expect(answer.requestErrors).toEqual([]);
    expect(answer.failedEntities.size).toBe(0);
    expect([...answer.settled]).toEqual([
      ['mov-1', { kind: 'found', document: { movieId: 'mov-1', title: 'A' }, version: 42 }],
      ['mov-2', { kind: 'missing', version: 42, subgraph: '(gateway)' }],
      ['mov-3', { kind: 'found', document: { movieId: 'mov-3' }, version: 42 }],
    ]);
  });

  it('gives an error whose path starts at an alias to that entity alone, with where and from which subgraph', () => {
    const answer = read({
      data: { e0: { movieId: 'mov-1' }, e1: { movieId: 'mov-2', cast: null }, e2: { movieId: 'mov-3' } },
      errors: [{ message: 'timed out', path: ['e1', 'cast', 0], extensions: { code: 'TIMEOUT', serviceName: 'talent' } }],
    });
    expect([...answer.failedEntities]).toEqual([
      ['mov-2', { reason: 'gateway returned GraphQL errors for mov-2: timed out (at cast.0; TIMEOUT from talent)', fault: { subgraph: 'talent', path: 'cast.0', code: 'TIMEOUT' } }],
    ]);
    expect(answer.faults).toEqual([{ subgraph: 'talent', path: 'cast.0', code: 'TIMEOUT' }]);
    expect([...answer.settled.keys()]).toEqual(['mov-1', 'mov-3']);
  });

  it('treats an error without an entity’s path as a failure of the whole request, never reading its nulls as deletions', () => {
    const answer = read({ data: { e0: null, e1: null, e2: null }, errors: [{ message: 'subgraph talent unreachable' }] });
    expect(answer.requestErrors).toEqual(['subgraph talent unreachable']);
    expect(answer.faults).toEqual([{ subgraph: '(gateway)', path: '', code: 'GRAPHQL_ERROR' }]);
    expect(answer.settled.size).toBe(0);
  });

  it('reads an id the graph said it lacks as missing, and an alias it left out as a failure', () => {
    const answer = read({ data: { e0: { movieId: 'mov-1' }, e1: { movieId: 'mov-2' } }, missing: new Set(['mov-1']) });
    expect(answer.settled.get('mov-1')).toEqual({ kind: 'missing', version: 42, subgraph: '(gateway)' });
    expect(answer.failedEntities.get('mov-3')?.reason).toBe('gateway answer has no e2 for mov-3');
  });

  it('fails a document of another entity than the one asked for, naming both', () => {
    const answer = read({ data: { e0: { movieId: 'mov-9' }, e1: { movieId: 'mov-2' }, e2: { movieId: 'mov-3' } } });
    expect(answer.settled.get('mov-1')).toEqual({
      kind: 'failed',
      reason: 'the graph returned another entity (asked for movieId mov-1, got mov-9)',
      fault: { subgraph: '(gateway)', path: '', code: 'WRONG_ENTITY' },
    });
  });
});

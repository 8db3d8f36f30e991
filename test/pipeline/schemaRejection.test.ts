import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/pipeline/gatewayErrors.ts';
import { rejectionCause } from '../../src/pipeline/graphWatch.ts';
import { schemaRejection } from '../../src/pipeline/schemaRejection.ts';
import { supergraphFromSdl } from '../../src/graph/supergraph.ts';

/** What Apollo Gateway answers when a subgraph refuses a field it still plans for (captured from the demo graph). */
const subgraphRefusal = {
  message: '400: Bad Request',
  extensions: {
    code: 'INTERNAL_SERVER_ERROR',
    response: {
      url: 'http://127.0.0.1:4003/graphql',
      status: 400,
      statusText: 'Bad Request',
      body: { errors: [{ message: 'Cannot query field "name" on type "Talent".', locations: [{ line: 1, column: 116 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
    },
  },
};

describe('a gateway failure classified as the graph refusing the query', () => {
  it('finds a subgraph’s refusal inside the gateway’s 400, with the field and the subgraph’s URL', () => {
    expect(schemaRejection([subgraphRefusal])).toEqual({
      message: '400: Bad Request: Cannot query field "name" on type "Talent". (INTERNAL_SERVER_ERROR from http://127.0.0.1:4003/graphql)',
      field: 'Talent.name',
      subgraphUrl: 'http://127.0.0.1:4003/graphql',
    });
  });

  it('takes the gateway’s own validation failure (a recomposed graph), by code or by graphql-js’s wording', () => {
    const coded = { message: 'Cannot query field "username" on type "User".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    expect(schemaRejection([coded])).toMatchObject({ field: 'User.username', subgraphUrl: null });
    expect(schemaRejection([{ message: 'Unknown argument "first" on field "Movie.cast".' }])).toMatchObject({ field: 'Movie.cast' });
    expect(schemaRejection([{ message: 'Unknown type "Talent".' }])).toMatchObject({ field: null });
  });

  it('leaves outages and resolver failures alone (retried as before)', () => {
    const down = { message: '503: Service Unavailable', extensions: { code: 'INTERNAL_SERVER_ERROR', response: { url: 'http://127.0.0.1:4003/graphql', status: 503, body: { errors: [{ message: 'subgraph talent is down' }] } } } };
    expect(schemaRejection([down])).toBeNull();
    expect(schemaRejection([{ message: 'talent timed out', path: ['e1', 'cast'] }])).toBeNull();
    expect(schemaRejection([])).toBeNull();
  });

  it('gives a dead letter the subgraph’s own message, not only the gateway’s "400: Bad Request"', () => {
    expect(describeError(subgraphRefusal, undefined)).toContain('Cannot query field "name" on type "Talent"');
  });

  it('names the subgraph that owns the field when the supergraph is known, else the URL the gateway reported', () => {
    const file = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
    const supergraph = supergraphFromSdl(readFileSync(file, 'utf8'), file);
    const rejection = schemaRejection([subgraphRefusal]);
    if (rejection === null) throw new Error('no rejection');
    expect(rejectionCause(rejection, supergraph)).toMatchObject({ reason: 'subgraph_rejects', field: 'Talent.name', subgraph: 'talent' });
    expect(rejectionCause(rejection, null)).toMatchObject({ reason: 'subgraph_rejects', subgraph: 'http://127.0.0.1:4003/graphql' });
    expect(rejectionCause({ ...rejection, subgraphUrl: null }, null)).toMatchObject({ reason: 'breaks', subgraph: null });
  });
});

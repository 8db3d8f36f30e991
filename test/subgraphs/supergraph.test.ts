import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, DEMO_SUPERGRAPH_SUBGRAPHS, defaultSubgraphUrl } from '../../subgraphs/composeSupergraph.ts';

describe('shipped supergraph', () => {
  it('is what composing the three subgraph schemas gives (run `npm run compose` after a schema change)', () => {
    const shipped = readFileSync(new URL('../../subgraphs/supergraph.graphql', import.meta.url), 'utf8');
    const composed = composeSupergraph(
      DEMO_SUPERGRAPH_SUBGRAPHS.map((subgraph) => ({ ...subgraph, url: defaultSubgraphUrl(subgraph.name) })),
    );
    expect(shipped.trimEnd()).toBe(composed.trimEnd());
  });

  it('joins Movie across all three subgraphs by its key', () => {
    const shipped = readFileSync(new URL('../../subgraphs/supergraph.graphql', import.meta.url), 'utf8');
    const movieType = /type Movie\n([\s\S]*?)\{/.exec(shipped)?.[1] ?? '';
    for (const graph of ['MOVIES', 'PRODUCTIONS', 'TALENT']) {
      expect(movieType).toContain(`@join__type(graph: ${graph}, key: "movieId")`);
    }
  });
});

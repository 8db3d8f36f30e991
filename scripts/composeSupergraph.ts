// Writes subgraphs/supergraph.graphql: the demo supergraph composed for the default ports.
// `npm run compose` after changing a subgraph schema; a test fails while the file is stale.
import { writeFileSync } from 'node:fs';
import { composeSupergraph, DEMO_SUPERGRAPH_SUBGRAPHS, defaultSubgraphUrl } from '../subgraphs/composeSupergraph.ts';

const target = new URL('../subgraphs/supergraph.graphql', import.meta.url);
const sdl = composeSupergraph(DEMO_SUPERGRAPH_SUBGRAPHS.map((subgraph) => ({ ...subgraph, url: defaultSubgraphUrl(subgraph.name) })));
writeFileSync(target, sdl.endsWith('\n') ? sdl : `${sdl}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);

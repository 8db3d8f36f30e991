// Writes the demo supergraphs composed for the default ports: subgraphs/supergraph.graphql (the
// studio) and subgraphs/shop/supergraph.graphql (the shop). `npm run compose` after changing a
// subgraph schema; a test fails while a file is stale.
import { writeFileSync } from 'node:fs';
import { composeSupergraph, DEMO_SUPERGRAPH_SUBGRAPHS, defaultSubgraphUrl } from '../subgraphs/composeSupergraph.ts';
import { composeShopSupergraph, defaultShopUrls } from '../subgraphs/shop/shopGraph.ts';

const write = (target: URL, sdl: string): void => {
  writeFileSync(target, sdl.endsWith('\n') ? sdl : `${sdl}\n`);
  process.stdout.write(`wrote ${target.pathname}\n`);
};
write(new URL('../subgraphs/supergraph.graphql', import.meta.url), composeSupergraph(DEMO_SUPERGRAPH_SUBGRAPHS.map((subgraph) => ({ ...subgraph, url: defaultSubgraphUrl(subgraph.name) }))));
write(new URL('../subgraphs/shop/supergraph.graphql', import.meta.url), composeShopSupergraph(defaultShopUrls()));

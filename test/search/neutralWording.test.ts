// What fedsearch writes into another team's graph and shows in its help carries no example from
// the movies demo: the search field's doc comment quotes a filter on the index's own fields.
import { Command } from 'commander';
import { buildSchema, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { addBackfillCommands } from '../../cli/backfillCommands.ts';
import { addIndexCommands, addInitCommand } from '../../cli/indexCommands.ts';
import { addPipelineCommands } from '../../cli/pipelineCommands.ts';
import { addSearchCommands } from '../../cli/searchCommands.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from '../../src/search/searchSubgraph.ts';

/** Words of the movies demo's graph and its examples. */
const MOVIES_VOCABULARY = /\b(movies?|movieId|genres?|comedy|drama|cast|talent|actors?|production\.status|releaseYear|Ryan|Reynolds|harbor|PHOTOGRAPHY)\b/i;

const GRAPH = `
  type Query { order(orderId: ID!): Order }
  enum OrderStatus { PLACED SHIPPED DELIVERED }
  type Order { orderId: ID! status: OrderStatus! customer: Customer! items: [Item!]! }
  type Customer { name: String! }
  type Item { title: String! quantity: Int! }
`;

function ordersIndex(): ReturnType<typeof checkIndexAgainstSchema> {
  const text = `index: orders
gateway: { url: http://127.0.0.1:4000/graphql }
query: |
  query ($orderId: ID!) { order(orderId: $orderId) { orderId status customer { name } items { title quantity } } }
primary:
  type: Order
  events:
    - { topic: shop.order.changes, id: after.orderId }
fields:
  customer.name: { facet: true }
  items: { nested: true }
`;
  return checkIndexAgainstSchema(parseIndexConfig(text, 'orders.yaml', {}), buildSchema(GRAPH));
}

describe('wording outside the movies demo', () => {
  it('the search subgraph of an orders index documents a filter on its own fields, and nothing of the movies demo', () => {
    const loaded = ordersIndex();
    const sdl = print(searchSubgraphTypeDefs([searchSubgraphNames(loaded.query, loaded.config.search, loaded.fields)]));
    expect(sdl).toContain('e.g. status == "PLACED"');
    const docComments = [...sdl.matchAll(/"""([\s\S]*?)"""/g)].map((match) => match[1]).join('\n');
    expect(docComments).not.toBe('');
    expect(docComments).not.toMatch(MOVIES_VOCABULARY);
    expect(sdl).not.toMatch(MOVIES_VOCABULARY);
  });

  it('the help of the commands a team runs on its own graph has no example from the movies demo', () => {
    const program = new Command('fedsearch');
    for (const add of [addIndexCommands, addInitCommand, addPipelineCommands, addBackfillCommands, addSearchCommands]) add(program);
    const helps = [program, ...program.commands.flatMap((command) => [command, ...command.commands])].map((command) => command.helpInformation());
    expect(helps.length).toBeGreaterThan(8);
    for (const help of helps) expect(help).not.toMatch(MOVIES_VOCABULARY);
  });
});

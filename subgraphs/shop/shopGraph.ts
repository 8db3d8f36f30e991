// A second demo graph, shaped nothing like the studio: a small shop of four Federation 2
// subgraphs, each its own team with its own change topic. What makes it a test of "any graph":
// - User (@key "email") has no root field at all: it is reachable only by reference;
// - Product has two composite keys, "sku package" and "sku variation { id }", and the inventory
//   and reviews teams know it only by "sku package";
// - Review is keyed by an Int;
// - product(sku, package) returns an interface, ProductItf (a Product or a Bundle of products),
//   and every item of the catalog has a union list, media (Image | Video);
// - the products team has a search of its own, Query.searchProducts: the very name fedsearch would
//   derive for a Product index, which must therefore name its field (search.field);
// - User.name is nullable, so a user the users team does not know comes back from the gateway as
//   `{ email, name: null, … }`, not null: only the users subgraph's null answer says it is missing.
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { apolloServerOptions } from '../../src/apolloServerOptions.ts';
import { composeSupergraph } from '../composeSupergraph.ts';
import { DiscardChangeEvents, KafkaChangeEventSink, type ChangeEvent, type ChangeEventSink } from '../shared/changeEvents.ts';

export const SHOP_TOPICS = {
  user: 'shop.user.changes',
  product: 'shop.product.changes',
  inventory: 'shop.inventory.changes',
  review: 'shop.review.changes',
} as const;

export const SHOP_PORTS = { gateway: 4100, users: 4101, products: 4102, inventory: 4103, reviews: 4104 } as const;
export type ShopSubgraph = Exclude<keyof typeof SHOP_PORTS, 'gateway'>;

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

export const SHOP_TYPE_DEFS: Record<ShopSubgraph, DocumentNode> = {
  users: parse(`${FEDERATION}
    type User @key(fields: "email") { email: ID! name: String }
    type Mutation { renameUser(email: ID!, name: String!): User }`),
  products: parse(`${FEDERATION}
    type Query {
      allProducts: [Product!]!  product(sku: String!, package: String!): ProductItf  catalog: [ProductItf!]!
      "The products team's own search: products whose name contains the text."
      searchProducts(name: String!): [Product!]!
    }
    "What the catalog sells: a product, or a bundle of products."
    interface ProductItf { sku: String! package: String! name: String! createdBy: User media: [Media!]! }
    union Media = Image | Video
    type Image { url: String! alt: String }
    type Video { url: String! seconds: Int! }
    type Product implements ProductItf @key(fields: "sku package") @key(fields: "sku variation { id }") {
      sku: String! package: String! name: String! variation: ProductVariation createdBy: User media: [Media!]!
    }
    type Bundle implements ProductItf @key(fields: "sku package") {
      sku: String! package: String! name: String! createdBy: User media: [Media!]! items: [Product!]!
    }
    type ProductVariation { id: ID! }
    type User @key(fields: "email") { email: ID! totalProductsCreated: Int! }
    type Mutation { renameProduct(sku: String!, package: String!, name: String!): Product  deleteProduct(sku: String!, package: String!): Boolean }`),
  inventory: parse(`${FEDERATION}
    type Product @key(fields: "sku package") { sku: String! package: String! inStock: Int! }
    type Mutation { setStock(sku: String!, package: String!, inStock: Int!): Product }`),
  reviews: parse(`${FEDERATION}
    type Query { review(id: Int!): Review  reviews(offset: Int): [Review!]! }
    type Review @key(fields: "id") { id: Int! body: String! stars: Int! product: Product author: User }
    type Product @key(fields: "sku package") { sku: String! package: String! reviews: [Review!]! }
    type User @key(fields: "email") { email: ID! reviews: [Review!]! }
    type Mutation { rateReview(id: Int!, stars: Int!): Review }`),
};

interface UserRow { email: string; name: string }
type MediaRow = { url: string; alt: string | null } | { url: string; seconds: number };
interface ProductRow {
  kind: 'Product' | 'Bundle';
  sku: string;
  package: string;
  name: string;
  variation: { id: string };
  createdBy: string;
  media: MediaRow[];
  /** A bundle's products, by key. */
  items: Array<{ sku: string; package: string }>;
}
interface StockRow { sku: string; package: string; inStock: number }
interface ReviewRow { id: number; body: string; stars: number; sku: string; package: string; author: string }

/**
 * The shop's rows, the same on every start: three users, four products and a bundle of two of
 * them (the catalog), their stock and reviews.
 */
export function shopRows(): { users: UserRow[]; products: ProductRow[]; stock: StockRow[]; reviews: ReviewRow[] } {
  const product = (sku: string, pkg: string, name: string, variation: string, createdBy: string, media: MediaRow[]): ProductRow =>
    ({ kind: 'Product', sku, package: pkg, name, variation: { id: variation }, createdBy, media, items: [] });
  const catalog: ProductRow[] = [
    product('federation', '@apollo/federation', 'Federation', 'OSS', 'support@apollographql.com', [{ url: 'https://example.com/federation.png', alt: 'Federation logo' }]),
    product('federation', '@apollo/gateway', 'Gateway', 'OSS', 'support@apollographql.com', [{ url: 'https://example.com/gateway.mp4', seconds: 95 }]),
    product('studio', '@apollo/studio', 'Studio', 'platform', 'ada@example.com', []),
    product('rover', '@apollo/rover', 'Rover', 'cli', 'ada@example.com', [{ url: 'https://example.com/rover.png', alt: null }, { url: 'https://example.com/rover.mp4', seconds: 30 }]),
    {
      kind: 'Bundle', sku: 'starter', package: '@apollo/starter-kit', name: 'Starter Kit', variation: { id: 'kit' }, createdBy: 'grace@example.com',
      media: [{ url: 'https://example.com/starter.mp4', seconds: 240 }],
      items: [{ sku: 'federation', package: '@apollo/federation' }, { sku: 'rover', package: '@apollo/rover' }],
    },
  ];
  const products = catalog.filter((row) => row.kind === 'Product');
  return {
    users: [
      { email: 'support@apollographql.com', name: 'Apollo Studio Support' },
      { email: 'ada@example.com', name: 'Ada Lovelace' },
      { email: 'grace@example.com', name: 'Grace Hopper' },
    ],
    products: catalog,
    stock: products.map((product, index) => ({ sku: product.sku, package: product.package, inStock: 10 * (index + 1) })),
    reviews: [
      { id: 1, body: 'Composes every graph we have', stars: 5, sku: 'federation', package: '@apollo/federation', author: 'grace@example.com' },
      { id: 2, body: 'Query plans are a delight', stars: 4, sku: 'federation', package: '@apollo/gateway', author: 'grace@example.com' },
      { id: 3, body: 'Checks caught a breaking change', stars: 5, sku: 'rover', package: '@apollo/rover', author: 'support@apollographql.com' },
    ],
  };
}

const productKey = (row: { sku: string; package: string }): string => JSON.stringify([row.sku, row.package]);

/** The four subgraph schemas over one set of rows; each mutation publishes a change event (CDC-shaped) to its team's topic. */
export function shopSchemas(sink: ChangeEventSink): Record<ShopSubgraph, GraphQLSchema> {
  const rows = shopRows();
  const users = new Map(rows.users.map((row) => [row.email, row]));
  const products = new Map(rows.products.map((row) => [productKey(row), row]));
  const stock = new Map(rows.stock.map((row) => [productKey(row), row]));
  const reviews = new Map(rows.reviews.map((row) => [row.id, row]));
  const publish = async <T>(topic: string, key: string, before: T | null, after: T | null, entity: string): Promise<void> => {
    const event: ChangeEvent<T> = { op: before === null ? 'c' : after === null ? 'd' : 'u', before, after, ts_ms: Date.now(), source: { service: 'shop', entity } };
    await sink.publish(topic, key, event);
  };
  const notFound = (what: string): GraphQLError => new GraphQLError(`no ${what}`, { extensions: { code: 'NOT_FOUND' } });
  /** A team's update of one of its rows: applied, published on its topic (keyed by the row's key), and returned; an unknown row is NOT_FOUND. */
  const update = async <K, T extends object>(rows: Map<K, T>, key: K, patch: Partial<T>, change: { what: string; topic: string; entity: string }): Promise<T> => {
    const before = rows.get(key);
    if (!before) throw notFound(change.what);
    const after = { ...before, ...patch };
    rows.set(key, after);
    await publish(change.topic, String(key), before, after, change.entity);
    return after;
  };
  type ProductRef = { sku: string; package?: string; variation?: { id: string } };
  const catalogRow = (ref: ProductRef): ProductRow | undefined =>
    ref.package !== undefined ? products.get(productKey(ref as { sku: string; package: string })) : [...products.values()].find((row) => row.sku === ref.sku && row.variation.id === ref.variation?.id);
  const ofKind = (kind: ProductRow['kind']) => (ref: ProductRef): ProductRow | null => {
    const row = catalogRow(ref);
    return row?.kind === kind ? row : null;
  };

  return {
    users: buildSubgraphSchema({
      typeDefs: SHOP_TYPE_DEFS.users,
      resolvers: {
        User: { __resolveReference: (ref: { email: string }) => users.get(ref.email) ?? null },
        Mutation: {
          renameUser: (_: unknown, args: { email: string; name: string }) =>
            update(users, args.email, { name: args.name }, { what: `user ${args.email}`, topic: SHOP_TOPICS.user, entity: 'User' }),
        },
      },
    }),
    products: buildSubgraphSchema({
      typeDefs: SHOP_TYPE_DEFS.products,
      resolvers: {
        Query: {
          allProducts: () => [...products.values()].filter((row) => row.kind === 'Product'),
          product: (_: unknown, args: { sku: string; package: string }) => products.get(productKey(args)) ?? null,
          catalog: () => [...products.values()],
          searchProducts: (_: unknown, args: { name: string }) =>
            [...products.values()].filter((row) => row.kind === 'Product' && row.name.toLowerCase().includes(args.name.toLowerCase())),
        },
        ProductItf: { __resolveType: (row: ProductRow) => row.kind },
        Media: { __resolveType: (row: MediaRow) => ('seconds' in row ? 'Video' : 'Image') },
        Product: {
          __resolveReference: ofKind('Product'),
          createdBy: (row: ProductRow) => ({ email: row.createdBy }),
        },
        Bundle: {
          __resolveReference: ofKind('Bundle'),
          createdBy: (row: ProductRow) => ({ email: row.createdBy }),
          items: (row: ProductRow) => row.items.flatMap((item) => products.get(productKey(item)) ?? []),
        },
        User: {
          __resolveReference: (ref: { email: string }) => ({ email: ref.email }),
          totalProductsCreated: (ref: { email: string }) => [...products.values()].filter((row) => row.kind === 'Product' && row.createdBy === ref.email).length,
        },
        Mutation: {
          renameProduct: (_: unknown, args: { sku: string; package: string; name: string }) =>
            update(products, productKey(args), { name: args.name }, { what: `product ${args.sku} ${args.package}`, topic: SHOP_TOPICS.product, entity: 'Product' }),
          deleteProduct: async (_: unknown, args: { sku: string; package: string }) => {
            const before = products.get(productKey(args));
            if (!before) return false;
            products.delete(productKey(args));
            await publish(SHOP_TOPICS.product, productKey(before), before, null, 'Product');
            return true;
          },
        },
      },
    }),
    inventory: buildSubgraphSchema({
      typeDefs: SHOP_TYPE_DEFS.inventory,
      resolvers: {
        Product: { __resolveReference: (ref: { sku: string; package: string }) => stock.get(productKey(ref)) ?? null },
        Mutation: {
          setStock: async (_: unknown, args: StockRow) => {
            const before = stock.get(productKey(args)) ?? null;
            const after = { sku: args.sku, package: args.package, inStock: args.inStock };
            stock.set(productKey(after), after);
            await publish(SHOP_TOPICS.inventory, productKey(after), before, after, 'Stock');
            return after;
          },
        },
      },
    }),
    reviews: buildSubgraphSchema({
      typeDefs: SHOP_TYPE_DEFS.reviews,
      resolvers: {
        Query: {
          review: (_: unknown, args: { id: number }) => reviews.get(args.id) ?? null,
          reviews: (_: unknown, args: { offset?: number | null }) => [...reviews.values()].slice(args.offset ?? 0, (args.offset ?? 0) + 2),
        },
        Review: {
          __resolveReference: (ref: { id: number }) => reviews.get(ref.id) ?? null,
          product: (row: ReviewRow) => ({ sku: row.sku, package: row.package }),
          author: (row: ReviewRow) => ({ email: row.author }),
        },
        Product: {
          __resolveReference: (ref: { sku: string; package: string }) => ({ sku: ref.sku, package: ref.package }),
          reviews: (ref: { sku: string; package: string }) => [...reviews.values()].filter((row) => row.sku === ref.sku && row.package === ref.package),
        },
        User: {
          __resolveReference: (ref: { email: string }) => ({ email: ref.email }),
          reviews: (ref: { email: string }) => [...reviews.values()].filter((row) => row.author === ref.email),
        },
        Mutation: {
          rateReview: (_: unknown, args: { id: number; stars: number }) =>
            update(reviews, args.id, { stars: args.stars }, { what: `review ${args.id}`, topic: SHOP_TOPICS.review, entity: 'Review' }),
        },
      },
    }),
  };
}

/** The shop's supergraph with its subgraphs at these URLs. */
export function composeShopSupergraph(urls: Record<ShopSubgraph, string>): string {
  return composeSupergraph((Object.keys(SHOP_TYPE_DEFS) as ShopSubgraph[]).map((name) => ({ name, typeDefs: SHOP_TYPE_DEFS[name], url: urls[name] })));
}

/** Subgraph URLs on the default ports (what subgraphs/shop/supergraph.graphql names). */
export function defaultShopUrls(): Record<ShopSubgraph, string> {
  return { users: 'http://127.0.0.1:4101/graphql', products: 'http://127.0.0.1:4102/graphql', inventory: 'http://127.0.0.1:4103/graphql', reviews: 'http://127.0.0.1:4104/graphql' };
}

export interface ShopGraph {
  gatewayUrl: string;
  subgraphUrls: Record<ShopSubgraph, string>;
  supergraphSdl: string;
  stop(): Promise<void>;
}

/** Starts the four subgraphs and a gateway over them on loopback (port 0: any free one). */
export async function startShopGraph(options: {
  kafkaBrokers: string[] | null;
  ports?: Partial<typeof SHOP_PORTS> | Record<keyof typeof SHOP_PORTS, number>;
  /** Plugins of each subgraph's server besides its own (a test reads the requests they receive). */
  subgraphPlugins?: ApolloServerPlugin[];
}): Promise<ShopGraph> {
  const ports: Record<keyof typeof SHOP_PORTS, number> = { ...SHOP_PORTS, ...options.ports };
  const sink: ChangeEventSink = options.kafkaBrokers ? await KafkaChangeEventSink.connect(options.kafkaBrokers, 'fedsearch-shop', Object.values(SHOP_TOPICS)) : new DiscardChangeEvents();
  const servers: ApolloServer[] = [];
  const serve = async (server: ApolloServer, port: number): Promise<string> => {
    servers.push(server);
    const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port } });
    return new URL('/graphql', url).toString();
  };
  try {
    const schemas = shopSchemas(sink);
    const subgraphUrls = {} as Record<ShopSubgraph, string>;
    for (const name of Object.keys(schemas) as ShopSubgraph[]) {
      const plugins = [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), ...(options.subgraphPlugins ?? [])];
      subgraphUrls[name] = await serve(new ApolloServer({ ...apolloServerOptions(plugins), schema: schemas[name] }), ports[name]);
    }
    const supergraphSdl = composeShopSupergraph(subgraphUrls);
    const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher: fetch }) });
    const gatewayUrl = await serve(new ApolloServer({ ...apolloServerOptions(), gateway }), ports.gateway);
    return {
      gatewayUrl,
      subgraphUrls,
      supergraphSdl,
      stop: async () => {
        for (const server of [...servers].reverse()) await server.stop();
        await sink.close();
      },
    };
  } catch (error) {
    for (const server of [...servers].reverse()) await server.stop();
    await sink.close();
    throw error;
  }
}

import { buildSchema } from 'graphql';

/** A small graph whose entities are keyed by an Int (Review) and by a custom scalar (Product). */
export const OTHER_KEYS_SCHEMA = buildSchema(`
  scalar Sku
  type Query { review(id: Int!): Review  product(sku: Sku!): Product }
  type Review { id: Int! body: String }
  type Product { sku: Sku! name: String }
`);

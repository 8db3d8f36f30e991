import { buildSchema } from 'graphql';

/** A small graph whose entities are keyed by an Int (Review), by a custom scalar (Product), and by two fields (Parcel). */
export const OTHER_KEYS_SCHEMA = buildSchema(`
  scalar Sku
  type Query { review(id: Int!): Review  product(sku: Sku!): Product  parcel(sku: Sku!, box: Int!): Parcel }
  type Parcel { sku: Sku! box: Int! weight: Float }
  type Review { id: Int! body: String }
  type Product { sku: Sku! name: String }
`);

import { buildSchema } from 'graphql';

/**
 * A small graph whose entities are keyed by an Int (Review), by a custom scalar (Product), and by
 * two fields (Parcel, Letter), with a root field returning a union of the last two.
 */
export const OTHER_KEYS_SCHEMA = buildSchema(`
  scalar Sku
  type Query { review(id: Int!): Review  product(sku: Sku!): Product  parcel(sku: Sku!, box: Int!): Parcel  shipment(sku: Sku!, box: Int!): Shipment }
  type Parcel { sku: Sku! box: Int! weight: Float }
  type Letter { sku: Sku! box: Int! stamp: String }
  union Shipment = Parcel | Letter
  type Review { id: Int! body: String }
  type Product { sku: Sku! name: String }
`);

// What the search page shows of a hit, derived from an index's fields or taken from its display:
// section — checked here on an orders index, shaped nothing like the movies demo.
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { ConfigError } from '../../src/config/configError.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';

const ORDERS = buildSchema(`
  type Query { order(orderId: ID!): Order }
  type Order { orderId: ID! status: String! note: String customer: User! items: [Item!]! }
  type User { userId: ID! name: String! }
  type Item { quantity: Int! product: Product! }
  type Product { sku: ID! title: String! }
`);

function ordersIndex(extra: string): ReturnType<typeof checkIndexAgainstSchema> {
  const text = `index: orders
gateway: { url: http://127.0.0.1:4000/graphql }
query: |
  query ($orderId: ID!) { order(orderId: $orderId) { orderId status note customer { userId name } items { quantity product { sku title } } } }
primary:
  type: Order
  events:
    - { topic: shop.order.changes, id: after.orderId }
${extra}`;
  return checkIndexAgainstSchema(parseIndexConfig(text, 'orders.yaml', {}), ORDERS);
}

describe('hitDisplay', () => {
  it('never shows the title field again in the subtitle or the detail, and never a key field', () => {
    // The customer's name is the suggested field (the title) and a facet: shown once.
    const { display } = ordersIndex(`fields:
  customer.name: { suggest: true, facet: true }
  status: { facet: true }
  orderId: { facet: true }
  items.product.title: { suggest: true }
`);
    expect(display.title).toBe('customer.name');
    expect(display.subtitle).toEqual(['status']);
    expect(display.detail).not.toContain('customer.name');
    expect([display.title, ...display.subtitle, ...display.detail]).not.toContain('orderId');
    const all = [display.title, ...display.subtitle, ...display.detail];
    expect(new Set(all).size).toBe(all.length);
  });

  it('takes a configured display with each path once, the title not repeated below it', () => {
    const { display } = ordersIndex(`display:
  title: customer.name
  subtitle: [status, customer.name, status]
  detail: [note, status, items.product.title]
`);
    expect(display).toEqual({ title: 'customer.name', subtitle: ['status'], detail: ['note', 'items.product.title'] });
  });

  it('names, at its line, a display path that is not a field of the document', () => {
    let error: unknown;
    try {
      ordersIndex(`display:
  title: customer.nam
`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toMatchObject([{ field: 'display.title', position: { line: 10 }, message: 'customer.nam is not a field of the document (did you mean customer.name?)' }]);
  });
});

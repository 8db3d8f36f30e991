import type { ApolloServerPlugin } from '@apollo/server';

/** A server plugin that keeps the `traceparent` header of each request its server receives. */
export function traceparentsSeen(): { plugin: ApolloServerPlugin; traceparents: string[] } {
  const traceparents: string[] = [];
  const plugin: ApolloServerPlugin = {
    async requestDidStart({ request }) {
      const traceparent = request.http?.headers.get('traceparent');
      if (traceparent) traceparents.push(traceparent);
    },
  };
  return { plugin, traceparents };
}

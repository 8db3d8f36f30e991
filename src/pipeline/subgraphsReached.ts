import type { ResponsePathOwners } from '../graph/responsePathOwners.ts';
import type { GatewayReply } from './gatewayTransport.ts';

/**
 * Whether answering a request asked a subgraph: true or false when the answer says, null when
 * it cannot (no supergraph to name the owners of the template's paths, or a name it does not
 * know, e.g. a subgraph's URL). A fetch by key lists the subgraph requests it made. Through a
 * gateway, a subgraph was asked when the answer holds a field at a path it owns: the gateway
 * writes every field of an object it fetched (null included), and none of an object that is not
 * there (a movie with no cast asks the talent subgraph nothing about its cast's talent). The
 * answer is walked at the first question only: every answer that gets through is handed over, and
 * only one that could end a pause is asked about.
 */
export function subgraphsReached(answer: GatewayReply, responseKeys: readonly string[], owners: ResponsePathOwners): (subgraph: string) => boolean | null {
  if (answer.subgraphFetches) {
    const fetched = new Set(answer.subgraphFetches.map((fetch) => fetch.subgraph));
    return (subgraph) => (fetched.has(subgraph) ? true : owners.subgraphs.includes(subgraph) ? false : null);
  }
  if (owners.subgraphs.length === 0) return () => null;
  let asked: Set<string> | undefined;
  return (subgraph) => {
    asked ??= askedThroughGateway(answer, responseKeys, owners);
    return asked.has(subgraph) ? true : owners.subgraphs.includes(subgraph) ? false : null;
  };
}

/** The owners of the fields the answer holds under `responseKeys` (the root field's owner included). */
function askedThroughGateway(answer: GatewayReply, responseKeys: readonly string[], owners: ResponsePathOwners): Set<string> {
  const asked = new Set<string>();
  const visit = (value: unknown, path: unknown[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, field] of Object.entries(value)) {
        if (key === '__typename') continue;
        const owner = owners.ownerOf([...path, key]);
        if (owner !== null) asked.add(owner);
        visit(field, [...path, key]);
      }
    }
  };
  for (const key of responseKeys) {
    if (!(key in answer.data)) continue;
    // The root field itself is its owner's to answer, even with null.
    const root = owners.ownerOf([]);
    if (root !== null) asked.add(root);
    visit(answer.data[key], []);
  }
  return asked;
}

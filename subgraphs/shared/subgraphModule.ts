import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { GraphQLScalarType, visit, type DocumentNode, type FieldDefinitionNode, type GraphQLSchema } from 'graphql';

/**
 * A demo team's service before it is built: its SDL and its resolvers, which close over the
 * team's tables. Built again with a field left out, it is the same service redeployed without
 * that field, its data intact (startDemoGraph's restartSubgraph).
 */
export interface SubgraphModule {
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<unknown>;
}

/** The executable subgraph schema, without the `Type.field`s named (each must exist). */
export function buildSubgraph(module: SubgraphModule, withoutFields: readonly string[] = []): GraphQLSchema {
  if (withoutFields.length === 0) return buildSubgraphSchema(module);
  const removed = new Set(withoutFields);
  const found = new Set<string>();
  let typeName = '';
  const typeDefs = visit(module.typeDefs, {
    ObjectTypeDefinition: { enter: (node) => void (typeName = node.name.value), leave: () => void (typeName = '') },
    ObjectTypeExtension: { enter: (node) => void (typeName = node.name.value), leave: () => void (typeName = '') },
    FieldDefinition(node: FieldDefinitionNode) {
      const name = `${typeName}.${node.name.value}`;
      if (!removed.has(name)) return undefined;
      found.add(name);
      return null;
    },
  });
  const unknown = withoutFields.filter((name) => !found.has(name));
  if (unknown.length > 0) throw new Error(`the subgraph has no field ${unknown.join(', ')} to leave out`);
  // A resolver for a field the schema no longer has would be refused by buildSubgraphSchema.
  const resolvers: GraphQLResolverMap<unknown> = {};
  for (const [type, fields] of Object.entries(module.resolvers)) {
    resolvers[type] =
      fields instanceof GraphQLScalarType ? fields : Object.fromEntries(Object.entries(fields).filter(([field]) => !removed.has(`${type}.${field}`)));
  }
  return buildSubgraphSchema({ typeDefs, resolvers });
}

import { getNamedType, isAbstractType, Kind, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FieldNode, type GraphQLSchema } from 'graphql';

/**
 * The query with `__typename` selected on every field of an interface or union type that does not
 * select it already, so each document records which concrete type each abstract value is
 * (`{ "__typename": "Bundle", … }`): a search can filter and facet on it, and the search subgraph
 * can return a hit as a reference to its concrete entity type. Only the field's own selection set
 * counts: a `__typename` inside `... on Image { }` says nothing of the other member types.
 */
export function withTypenamesOfAbstractValues(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(field): FieldNode | undefined {
          const type = typeInfo.getType();
          if (type == null || field.selectionSet === undefined || !isAbstractType(getNamedType(type))) return undefined;
          const selectsTypename = field.selectionSet.selections.some(
            (selection) => selection.kind === Kind.FIELD && selection.name.value === '__typename' && selection.alias === undefined,
          );
          if (selectsTypename) return undefined;
          const typename: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
          return { ...field, selectionSet: { ...field.selectionSet, selections: [typename, ...field.selectionSet.selections] } };
        },
      },
    }),
  );
}

import { getNamedType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';

/** One schema field a query selects (`Movie.title`), at a 1-based line and column of the query text. */
export interface UsedField {
  typeName: string;
  fieldName: string;
  /** The named type it returns (`String`, `TalentRole`). */
  returnType: string;
  line: number;
  column: number;
}

/** Every schema field the query selects, in document order (meta fields such as __typename left out). */
export function usedFields(schema: GraphQLSchema, document: DocumentNode): UsedField[] {
  const found: UsedField[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const definition = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!definition || !parent || node.name.value.startsWith('__')) return;
        const at = node.loc?.startToken ?? { line: 1, column: 1 };
        found.push({ typeName: parent.name, fieldName: definition.name, returnType: getNamedType(definition.type).name, line: at.line, column: at.column });
      },
    }),
  );
  return found;
}

/** The named types a query reaches: every selected field's parent type and return type. */
export function usedTypeNames(fields: readonly UsedField[]): Set<string> {
  return new Set(fields.flatMap((field) => [field.typeName, field.returnType]));
}

import { Kind, parse, type DirectiveNode, type DocumentNode, type EnumTypeDefinitionNode } from 'graphql';

/**
 * Which subgraphs own what, read from a composed supergraph's join__ directives: the graph a
 * `@join__field(graph:)` names, or, for a field without one, every graph its type's
 * `@join__type(graph:)` names. Subgraphs are named as `@join__graph(name:)` spells them.
 */
export interface FieldOwners {
  /** The subgraphs that resolve `Type.field`; [] when the supergraph does not have it. */
  ofField(typeName: string, fieldName: string): string[];
  /** The subgraphs that define `Type`, with the `@key` each declares (null: none). */
  ofType(typeName: string): Array<{ subgraph: string; key: string | null }>;
}

export function fieldOwners(supergraphSdl: string): FieldOwners {
  const document = parse(supergraphSdl);
  const graphNames = joinGraphNames(document);
  const graphOf = (directive: DirectiveNode): string | undefined => {
    const graph = argumentValue(directive, 'graph');
    return graph === undefined ? undefined : (graphNames.get(graph) ?? graph);
  };
  const definitionOf = (typeName: string): (typeof document.definitions)[number] | undefined =>
    document.definitions.find((definition) => 'name' in definition && definition.name?.value === typeName);

  const ofType = (typeName: string): Array<{ subgraph: string; key: string | null }> => {
    const definition = definitionOf(typeName);
    if (!definition || !('directives' in definition)) return [];
    return (definition.directives ?? [])
      .filter((directive) => directive.name.value === 'join__type')
      .flatMap((directive) => {
        const subgraph = graphOf(directive);
        return subgraph === undefined ? [] : [{ subgraph, key: argumentValue(directive, 'key') ?? null }];
      });
  };

  return {
    ofType,
    ofField(typeName, fieldName) {
      const definition = definitionOf(typeName);
      if (!definition || !('fields' in definition)) return [];
      const field = (definition.fields ?? []).find((candidate) => candidate.name.value === fieldName);
      if (!field) return [];
      const joined = (field.directives ?? []).filter((directive) => directive.name.value === 'join__field').flatMap((directive) => graphOf(directive) ?? []);
      const owners = joined.length > 0 ? joined : ofType(typeName).map((type) => type.subgraph);
      return [...new Set(owners)];
    },
  };
}

/** `MOVIES` → `movies`: the enum values of join__Graph and the names their @join__graph gives. */
function joinGraphNames(document: DocumentNode): Map<string, string> {
  const names = new Map<string, string>();
  const graphs = document.definitions.find(
    (definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  for (const value of graphs?.values ?? []) {
    const directive = value.directives?.find((candidate) => candidate.name.value === 'join__graph');
    const name = directive ? argumentValue(directive, 'name') : undefined;
    if (name !== undefined) names.set(value.name.value, name);
  }
  return names;
}

/** A string or enum argument's value. */
function argumentValue(directive: DirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
}

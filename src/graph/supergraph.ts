import { Kind, parse, print, type DefinitionNode, type DocumentNode, type SelectionSetNode, type StringValueNode } from 'graphql';
import { UserError } from '../errors.ts';
import { readUserTextFile, SCHEMA_FILE } from '../readUserFile.ts';
import { federationInternals } from './federationLibraries.ts';

/** One subgraph of a composed supergraph: its name, where it is served, and its own SDL. */
export interface SubgraphSource {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

/** A composed supergraph (Federation 2), read once: its SDL and the subgraphs it was composed from. */
export interface SupergraphSource {
  file: string;
  sdl: string;
  subgraphs: SubgraphSource[];
}

/** One `@key` of an entity type, as one subgraph declares it. */
export interface EntityKeyDeclaration {
  /** The field set as written in `@key(fields:)`, e.g. `sku variation { id }`. */
  fields: string;
  resolvable: boolean;
  subgraph: string;
}

/** True when an SDL text is a composed supergraph (it links the join spec). */
export function isSupergraphSdl(sdl: string): boolean {
  return /specs\.apollo\.dev\/join\//.test(sdl);
}

/**
 * Reads a supergraph SDL file and extracts its subgraphs (SDL and `join__graph(url:)`). A subgraph
 * SDL where a supergraph is expected is refused with how to make one.
 */
export function readSupergraph(file: string): SupergraphSource {
  return supergraphFromSdl(readUserTextFile(file, { ...SCHEMA_FILE, what: 'supergraph' }), file);
}

export function supergraphFromSdl(sdl: string, file: string): SupergraphSource {
  if (!isSupergraphSdl(sdl)) {
    throw new UserError(
      `${file} is not a composed supergraph (it does not link https://specs.apollo.dev/join): compose your subgraphs first ` +
        '(`rover supergraph compose`, or @apollo/composition) and give the result',
    );
  }
  try {
    const subgraphs = federationInternals().Supergraph.build(sdl).subgraphs();
    return {
      file,
      sdl,
      // Printed and re-parsed with our own graphql: federation-internals may load another copy.
      subgraphs: subgraphs.values().map((subgraph) => ({ name: subgraph.name, url: subgraph.url, typeDefs: withDefinedRoots(parse(subgraph.toString())) })),
    };
  } catch (error) {
    throw new UserError(`${file} is not a valid supergraph: ${(error as Error).message}`);
  }
}

/**
 * An extracted subgraph that defines no Query type (a team that only extends entities) prints
 * `schema { query: Query }` all the same, which composition then refuses: roots naming a type the
 * document does not define are dropped.
 */
function withDefinedRoots(document: DocumentNode): DocumentNode {
  const defined = new Set(document.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
  const definitions: DefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) {
      definitions.push(definition);
      continue;
    }
    const operationTypes = (definition.operationTypes ?? []).filter((root) => defined.has(root.type.name.value));
    if (operationTypes.length > 0 || (definition.directives ?? []).length > 0) definitions.push({ ...definition, operationTypes } as DefinitionNode);
  }
  return { ...document, definitions };
}

/** Every `@key` each subgraph declares on `typeName`, in subgraph order. */
export function entityKeys(supergraph: SupergraphSource, typeName: string): EntityKeyDeclaration[] {
  const keys: EntityKeyDeclaration[] = [];
  for (const subgraph of supergraph.subgraphs) {
    for (const definition of subgraph.typeDefs.definitions) {
      if (!('name' in definition) || definition.name?.value !== typeName || !('directives' in definition)) continue;
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== 'key' && directive.name.value !== 'federation__key') continue;
        const fields = directive.arguments?.find((argument) => argument.name.value === 'fields')?.value;
        const resolvable = directive.arguments?.find((argument) => argument.name.value === 'resolvable')?.value;
        if (fields?.kind !== Kind.STRING) continue;
        keys.push({
          fields: normalizeFieldSet((fields as StringValueNode).value),
          resolvable: !(resolvable?.kind === Kind.BOOLEAN && !resolvable.value),
          subgraph: subgraph.name,
        });
      }
    }
  }
  return keys;
}

/** A field set in one canonical spelling (`sku  variation{id}` → `sku variation { id }`), to compare keys. */
export function normalizeFieldSet(fields: string): string {
  try {
    const printed = print(parse(`{ ${fields} }`));
    return printed.replace(/^\{\s*|\s*\}$/g, '').replace(/\s+/g, ' ');
  } catch {
    return fields.trim().replace(/\s+/g, ' ');
  }
}

/** The leaf paths of a field set, in order (`sku variation { id }` → `sku`, `variation.id`). */
export function fieldSetPaths(fields: string): string[] {
  const paths: string[] = [];
  const walk = (set: SelectionSetNode, prefix: string): void => {
    for (const node of set.selections) {
      if (node.kind !== Kind.FIELD) continue;
      const path = prefix === '' ? node.name.value : `${prefix}.${node.name.value}`;
      if (node.selectionSet) walk(node.selectionSet, path);
      else paths.push(path);
    }
  };
  const operation = parse(`{ ${fields} }`).definitions[0];
  if (operation?.kind === Kind.OPERATION_DEFINITION) walk(operation.selectionSet, '');
  return paths;
}

import yaml from 'js-yaml';
import type { SourcePosition } from './indexConfig.ts';

/** One step of a path into a YAML document: a mapping key or a sequence index. */
export type PathSegment = string | number;

export interface PositionedYaml {
  value: unknown;
  /**
   * Where the entry at `path` starts (its key, for a mapping entry). For a path that does not
   * exist, the nearest existing ancestor: an error about a missing field points at its parent.
   */
  positionOf(path: readonly PathSegment[]): SourcePosition;
}

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
}

interface ComposedNode {
  kind: string | null;
  result: unknown;
  /** Offset just after the node's text. */
  end: number;
  children: ComposedNode[];
}

/**
 * Parses YAML with js-yaml and records where every mapping entry and sequence item is, using
 * js-yaml's composition listener (it reports each node as it closes, with its end offset).
 * Aliases (`*name`) are refused where they appear: a config has no need of them, and nested ones
 * expand exponentially ("billion laughs") in everything that walks the value.
 */
export function loadYamlWithPositions(text: string): PositionedYaml {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const stack: ComposedNode[][] = [];
  let root: ComposedNode | undefined;
  let value: unknown;
  try {
    value = yaml.load(text, {
      listener(event, state) {
        if (event === 'open') {
          stack.push([]);
          return;
        }
        // js-yaml closes an alias as a node of no kind whose value is the anchored one.
        if (state.kind === null && state.result !== null && state.result !== undefined) {
          const start = text.lastIndexOf('*', state.position);
          throw new YamlSyntaxError('aliases (*name) are not allowed in a fedsearch config; write the value out', toPosition(start >= 0 ? start : state.position));
        }
        const node: ComposedNode = {
          kind: state.kind,
          result: state.result,
          end: state.position,
          children: stack.pop() ?? [],
        };
        const parent = stack.at(-1);
        if (parent) parent.push(node);
        else root = node;
      },
    });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      throw new YamlSyntaxError(error.reason, { line: error.mark.line + 1, col: error.mark.column + 1 });
    }
    throw error;
  }

  const positions = new Map<string, number>();
  if (root) index(unwrap(root), [], 0);

  function index(node: ComposedNode, path: PathSegment[], start: number): void {
    positions.set(pathKey(path), start);
    if (node.kind === 'mapping') {
      for (let i = 0; i + 1 < node.children.length; i += 2) {
        const key = node.children[i] as ComposedNode;
        const child = unwrap(node.children[i + 1] as ComposedNode);
        index(child, [...path, String(key.result)], scalarStart(key));
      }
    } else if (node.kind === 'sequence') {
      node.children.forEach((item, i) => {
        const child = unwrap(item);
        index(child, [...path, i], startOf(child));
      });
    }
  }

  function startOf(node: ComposedNode): number {
    const first = node.children[0];
    if ((node.kind === 'mapping' || node.kind === 'sequence') && first) return startOf(unwrap(first));
    return scalarStart(node);
  }

  /**
   * A plain or quoted scalar ends at `end` (a quoted one one character later); find where its text
   * begins. Only the two places it can start are looked at, so a file of many scalars whose text
   * differs from their value (escapes) costs linear time, not a search back through the file each.
   */
  function scalarStart(node: ComposedNode): number {
    const raw = String(node.result);
    for (const found of [node.end - raw.length, node.end - raw.length - 1]) {
      if (found >= 0 && text.startsWith(raw, found)) return text[found - 1] === '"' || text[found - 1] === "'" ? found - 1 : found;
    }
    return Math.max(0, node.end - raw.length);
  }

  function toPosition(offset: number): SourcePosition {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if ((lineStarts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: offset - (lineStarts[low] as number) + 1 };
  }

  return {
    value,
    positionOf(path) {
      for (let length = path.length; length >= 0; length--) {
        const offset = positions.get(pathKey(path.slice(0, length)));
        if (offset !== undefined) return toPosition(offset);
      }
      return { line: 1, col: 1 };
    },
  };
}

/** js-yaml wraps a flow collection inside a block sequence in one extra node; skip it. */
function unwrap(node: ComposedNode): ComposedNode {
  let current = node;
  while (current.children.length === 1 && current.kind !== 'scalar' && current.children[0]?.result === current.result) {
    current = current.children[0] as ComposedNode;
  }
  return current;
}

function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

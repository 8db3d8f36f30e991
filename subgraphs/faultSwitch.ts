import { createHash } from 'node:crypto';
import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/** How a faulty entity answers: a GraphQL error, or null as if it did not exist (a lagging replica, a bad join). */
export type FaultAnswer = 'error' | 'null';

/** A fault one subgraph is told to have: `errorPercent` of its entities answer `answer` until `untilMs`. */
export interface SubgraphFault {
  errorPercent: number;
  answer: FaultAnswer;
  /** Epoch ms when the fault ends by itself. */
  untilMs: number;
}

/** What a faulty entity resolves to: the error to answer with, or null. */
type FaultyAnswer = { error: GraphQLError } | { error: null };

/** The code the injected errors carry, so a reader can tell them from real ones. */
export const INJECTED_FAULT_CODE = 'FAULT_INJECTED';

/**
 * Faults injected into the demo subgraphs' entity resolution: per subgraph, a share of its
 * entities answer with a GraphQL error for a while. Which entities is decided by a hash of the
 * entity's type and key, not by chance: the same entities fail for the whole fault (as a bad row
 * would), so a retry does not hide it and its end is what makes them succeed again.
 */
export class FaultSwitch {
  private readonly faults = new Map<string, SubgraphFault>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Sets a subgraph's fault; 0 % or a duration of 0 clears it. */
  set(subgraph: string, errorPercent: number, forMs: number, answer: FaultAnswer = 'error'): SubgraphFault | null {
    if (!(errorPercent >= 0 && errorPercent <= 100)) throw new RangeError(`errorPercent must be 0–100, not ${errorPercent}`);
    if (errorPercent === 0 || forMs <= 0) {
      this.faults.delete(subgraph);
      return null;
    }
    const fault = { errorPercent, answer, untilMs: this.now() + forMs };
    this.faults.set(subgraph, fault);
    return fault;
  }

  /** The faults still in effect, by subgraph. */
  active(): Record<string, SubgraphFault> {
    const now = this.now();
    const active: Record<string, SubgraphFault> = {};
    for (const [subgraph, fault] of this.faults) {
      if (fault.untilMs > now) active[subgraph] = fault;
      else this.faults.delete(subgraph);
    }
    return active;
  }

  /** What an entity answers under its subgraph's fault, or null when it resolves as usual. */
  faultFor(subgraph: string, typeName: string, key: Record<string, unknown>): FaultyAnswer | null {
    const fault = this.faults.get(subgraph);
    if (!fault) return null;
    if (fault.untilMs <= this.now()) {
      this.faults.delete(subgraph);
      return null;
    }
    const identity = `${typeName}:${stableKey(key)}`;
    if (bucketOf(identity) >= fault.errorPercent) return null;
    if (fault.answer === 'null') return { error: null };
    return { error: new GraphQLError(`${subgraph} failed to resolve ${identity} (fault injected)`, { extensions: { code: INJECTED_FAULT_CODE } }) };
  }
}

/**
 * Puts a subgraph's entity resolution under the switch: `_entities` (what the gateway asks the
 * subgraph by reference) item by item, and each root field that looks an entity up by its
 * arguments (`movie(movieId:)`), keyed the same way so one entity fails through either.
 */
export function underFaultSwitch(schema: GraphQLSchema, subgraph: string, faults: FaultSwitch): GraphQLSchema {
  const query = schema.getQueryType();
  // Read by name, not instanceof: @apollo/subgraph may build the schema with another copy of graphql (CJS vs ESM).
  const entityUnion = schema.getType('_Entity') as { getTypes?: () => ReadonlyArray<{ name: string }> } | undefined;
  const entityTypes = new Set((entityUnion?.getTypes?.() ?? []).map((type) => type.name));
  for (const field of Object.values(query?.getFields() ?? {})) {
    const original: GraphQLFieldResolver<unknown, unknown> | undefined = field.resolve;
    if (!original) continue;
    if (field.name === '_entities') {
      field.resolve = async (source, args: { representations?: Array<Record<string, unknown>> }, context, info) => {
        const answered: unknown = await original(source, args, context, info);
        if (!Array.isArray(answered)) return answered;
        return answered.map((value: unknown, index) => {
          const { __typename, ...key } = args.representations?.[index] ?? {};
          const fault = faults.faultFor(subgraph, String(__typename), key);
          return fault === null ? value : fault.error;
        });
      };
      continue;
    }
    // `Movie` or `Movie!`: one entity looked up by its arguments (a list, `[Movie]`, is not one).
    const typeName = String(field.type).replace(/!$/, '');
    if (!entityTypes.has(typeName) || field.args.length === 0) continue;
    field.resolve = (source, args: Record<string, unknown>, context, info) => {
      const fault = faults.faultFor(subgraph, typeName, args);
      return fault === null ? original(source, args, context, info) : fault.error;
    };
  }
  return schema;
}

/** 0–99 from an entity's identity. */
function bucketOf(identity: string): number {
  return createHash('sha256').update(identity).digest().readUInt32BE(0) % 100;
}

function stableKey(key: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(key).sort().map((name) => [name, key[name]]));
}

import { GraphQLError } from 'graphql';

/**
 * A row with a patch applied: fields the patch names are set (null clears a nullable field),
 * fields it leaves out keep their value. Null on a field the row requires is a user error.
 */
export function applyPatch<T extends object>(row: T, patch: Partial<T>, required: ReadonlyArray<keyof T>): T {
  for (const key of required) {
    if (key in patch && patch[key] === null) {
      throw new GraphQLError(`${String(key)} cannot be null`, { extensions: { code: 'BAD_USER_INPUT' } });
    }
  }
  const provided = Object.entries(patch).filter(([, value]) => value !== undefined);
  return { ...row, ...Object.fromEntries(provided) };
}

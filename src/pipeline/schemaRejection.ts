import { redactUrl } from '../redactUrl.ts';
import { describeError, isRecord, subgraphErrors, type GraphQLResponseError, type SchemaRejection } from './gatewayErrors.ts';

export type { SchemaRejection } from './gatewayErrors.ts';

/** Codes servers give a query that does not validate against their schema. */
const VALIDATION_CODES = new Set(['GRAPHQL_VALIDATION_FAILED']);

/** graphql-js's wording for the refusals a schema change causes; a server without codes still says these. */
const VALIDATION_MESSAGES = [
  /Cannot query field "(?<field>\w+)" on type "(?<type>\w+)"/,
  /Unknown argument "\w+" on field "(?<type>\w+)\.(?<field>\w+)"/,
  /Field "(?<field>\w+)" argument "\w+" of type "[^"]+" is required/,
  /Unknown type "\w+"/,
  /Variable "\$\w+" of type "[^"]+" used in position expecting type/,
  /Field "(?<field>\w+)" must not have a selection since type/,
  /Field "(?<field>\w+)" of type "[^"]+" must have a selection of subfields/,
];

/**
 * The first error of a gateway answer that says the query does not validate — the gateway's own
 * or a subgraph's it passes on in `extensions.response.body` — or null when none does (an outage,
 * a resolver failing: retried as before).
 */
export function schemaRejection(errors: readonly GraphQLResponseError[]): SchemaRejection | null {
  for (const error of errors) {
    const fromSubgraph = subgraphErrors(error).find(isValidationError);
    if (fromSubgraph) {
      const response = error.extensions?.['response'];
      const url = isRecord(response) && typeof response['url'] === 'string' ? response['url'] : null;
      return { message: describeError(error, error.path), field: fieldNamed(fromSubgraph), subgraphUrl: url === null ? null : redactUrl(url) };
    }
    if (isValidationError(error as Record<string, unknown>)) {
      return { message: describeError(error, error.path), field: fieldNamed(error as Record<string, unknown>), subgraphUrl: null };
    }
  }
  return null;
}

function isValidationError(error: Record<string, unknown>): boolean {
  const extensions = error['extensions'];
  const code = isRecord(extensions) ? extensions['code'] : undefined;
  if (typeof code === 'string' && VALIDATION_CODES.has(code)) return true;
  const message = error['message'];
  return typeof message === 'string' && VALIDATION_MESSAGES.some((pattern) => pattern.test(message));
}

/** `Type.field` when the message names both; the field alone is not enough to say whose it is. */
function fieldNamed(error: Record<string, unknown>): string | null {
  const message = typeof error['message'] === 'string' ? error['message'] : '';
  for (const pattern of VALIDATION_MESSAGES) {
    const groups = pattern.exec(message)?.groups;
    if (groups?.['type'] && groups['field']) return `${groups['type']}.${groups['field']}`;
  }
  return null;
}

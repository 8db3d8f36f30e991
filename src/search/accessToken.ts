import { createHash, timingSafeEqual } from 'node:crypto';
import { readUserTextFile, SECRET_FILE } from '../readUserFile.ts';
import { UserError } from '../errors.ts';

/** Who may call the listeners `serve` starts; both fields unset: anyone who can reach them. */
export interface SearchAccess {
  /** `Authorization: Bearer <token>`, for the HTTP API and the search subgraph. */
  authToken?: string;
  /** The gateway's own secret for the subgraph, in the GATEWAY_SECRET_HEADER (instead of the token). */
  gatewaySecret?: string;
}

export const GATEWAY_SECRET_HEADER = 'x-fedsearch-gateway-secret';

/**
 * Equal in constant time, neither the secret nor its length leaking: both sides are hashed to
 * digests of one length before the comparison.
 */
export function secretMatches(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function bearerToken(authorization: string | string[] | undefined): string {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  // The scheme is case-insensitive (RFC 9110 §11.1): `bearer`, `BEARER` are the same scheme.
  return /^Bearer +(.+)$/i.exec(header ?? '')?.[1] ?? '';
}

/** Whether a request with these headers may search the HTTP API. */
export function mayUseApi(headers: Record<string, string | string[] | undefined>, access: SearchAccess): boolean {
  return access.authToken === undefined || secretMatches(bearerToken(headers.authorization), access.authToken);
}

/** Whether a request with these headers may query the search subgraph: the token, or the gateway's secret. */
export function mayUseSubgraph(headers: Record<string, string | string[] | undefined>, access: SearchAccess): boolean {
  if (access.authToken === undefined && access.gatewaySecret === undefined) return true;
  if (access.authToken !== undefined && secretMatches(bearerToken(headers.authorization), access.authToken)) return true;
  const secret = headers[GATEWAY_SECRET_HEADER];
  return access.gatewaySecret !== undefined && secretMatches((Array.isArray(secret) ? secret[0] : secret) ?? '', access.gatewaySecret);
}

/**
 * A secret from a file (its first line), so it never appears on a command line (`ps` shows those
 * to every user of the machine) or in shell history.
 */
export function readSecretFile(path: string, what: string): string {
  // Bounded and regular files only: a token file of /dev/zero or a FIFO must not hang or eat memory.
  const text = readUserTextFile(path, { ...SECRET_FILE, what: `${what} file` });
  const secret = secretText(text);
  if (secret === '') throw new UserError(`the ${what} file ${path} is empty`);
  return secret;
}

/** A secret as written in a file or a variable: its first line, trimmed (a trailing newline is not part of it). */
function secretText(text: string): string {
  return text.split(/\r?\n/)[0]?.trim() ?? '';
}

/**
 * A secret from an environment variable, read as its file variant is (a Kubernetes secret made
 * from a file ends with a newline); undefined when unset or blank.
 */
export function secretFromEnvironment(value: string | undefined): string | undefined {
  return secretText(value ?? '') || undefined;
}

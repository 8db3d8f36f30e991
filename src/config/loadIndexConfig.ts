import { dirname, resolve } from 'node:path';
import { hideValue } from '../hiddenValues.ts';
import { CA_FILE, CONFIG_FILE, readUserFile, readUserTextFile, SCHEMA_FILE, UnreadableFileError, type FileLimit } from '../readUserFile.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import { valueAt } from '../valueAt.ts';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './configError.ts';
import { indexConfigSchema, type RawIndexConfig } from './configSchema.ts';
import type { EventSource, IndexConfig, SourcePosition } from './indexConfig.ts';
import { loadYamlWithPositions, YamlSyntaxError, type PathSegment, type PositionedYaml } from './loadYamlWithPositions.ts';

/**
 * Reads, checks and types one index configuration file. Every problem in the file is reported at
 * once, each as `file:line:col: field: message`; `${VAR}` references are filled from `env`.
 * This checks the file on its own; checks against the graph's schema are in src/graph/.
 */
export interface LoadConfigOptions {
  /**
   * Settings (dotted paths, e.g. `gateway.headers`) a command never reads, where a `${VAR}` that
   * is not set is left out (the setting's default, or none) instead of being a problem: `check`
   * runs in a subgraph team's CI, which has none of the index owner's secrets. A config still
   * invalid without them is reported as when nothing is tolerated.
   */
  unsetVariablesAllowedIn?: readonly string[];
}

export function loadIndexConfig(file: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): IndexConfig {
  let text: string;
  try {
    text = readUserTextFile(file, CONFIG_FILE);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw new ConfigError([{ file, position: { line: 1, col: 1 }, field: '', message: `cannot read the file (${error.reason})` }]);
  }
  return parseIndexConfig(text, file, env, options);
}

export function parseIndexConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): IndexConfig {
  let yaml: PositionedYaml;
  try {
    yaml = loadYamlWithPositions(text);
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      throw new ConfigError([{ file, position: error.position, field: '', message: `YAML syntax error: ${error.message}` }]);
    }
    throw error;
  }
  if (yaml.value === null || typeof yaml.value !== 'object' || Array.isArray(yaml.value)) {
    throw new ConfigError([{ file, position: { line: 1, col: 1 }, field: '', message: 'expected a mapping of settings (index, gateway, query, primary, …)' }]);
  }

  const problems: ConfigProblem[] = [];
  const at = (path: readonly PathSegment[], message: string, field = fieldName(path)): void =>
    void problems.push({ file, position: yaml.positionOf(path), field, message });

  // Paths whose value came (in part) from the environment: a `${VAR}` may hold a secret, so no
  // message prints such a value.
  const fromEnv = new Set<string>();
  const allowed = options.unsetVariablesAllowedIn ?? [];
  const tolerated: PathSegment[][] = [];
  const unset = (path: readonly PathSegment[], message: string): void => {
    const name = fieldName(path);
    if (allowed.some((prefix) => name === prefix || name.startsWith(`${prefix}.`) || name.startsWith(`${prefix}[`))) tolerated.push([...path]);
    else at(path, message);
  };
  const substituted = withoutPaths(substituteEnv(yaml.value, [], env, unset, fromEnv), tolerated);
  hideCredentials(substituted, []);
  const hidden = (path: readonly PathSegment[]): boolean => isSecret(path) || fromEnv.has(fieldName(path));
  const parsed = indexConfigSchema.safeParse(substituted);
  if (!parsed.success) {
    // A value whose variable is missing was already reported; its emptiness says nothing more.
    const envProblems = new Set(problems.map((problem) => problem.field));
    for (const issue of withoutEchoes(parsed.error.issues)) {
      if (!envProblems.has(fieldName(issue.path.filter((s): s is PathSegment => typeof s !== 'symbol')))) {
        reportIssue(issue, substituted, at, hidden);
      }
    }
  }
  if (parsed.success) checkFiles(parsed.data, file, at);
  // Invalid with the tolerated settings left out (gateway.url and no supergraph): the problems
  // as when nothing is tolerated, which name the unset variable.
  if ((problems.length > 0 || !parsed.success) && tolerated.length > 0) return parseIndexConfig(text, file, env);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return toIndexConfig(parsed.data, file, text, yaml);
}

/**
 * Drops "X is required" where the same mapping has an unknown key whose did-you-mean is X: the
 * misspelling is the one problem, reported once with its fix.
 */
function withoutEchoes(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const misspelt = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    const allowed = allowedKeys(path);
    for (const key of issue.keys) {
      const [suggestion] = suggestionList(key, allowed);
      if (suggestion) misspelt.add(JSON.stringify([...path, suggestion]));
    }
  }
  return issues.filter(
    (issue) =>
      !(issue.code === 'invalid_type' && issue.input === undefined && misspelt.has(JSON.stringify(issue.path))),
  );
}

/**
 * The value with each of `paths` left out: a mapping's key deleted, a list's item dropped (a list
 * left empty deleted too, so the setting's default applies).
 */
function withoutPaths(value: unknown, paths: readonly PathSegment[][]): unknown {
  if (paths.length === 0 || value === null || typeof value !== 'object') return value;
  if (paths.some((path) => path.length === 0)) return undefined;
  const below = (segment: PathSegment): PathSegment[][] => paths.filter((path) => path[0] === segment).map((path) => path.slice(1));
  if (Array.isArray(value)) {
    const items = value.map((item, i) => withoutPaths(item, below(i))).filter((item) => item !== undefined);
    return items.length === 0 && value.length > 0 ? undefined : items;
  }
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => [key, withoutPaths(item, below(key))]);
  return Object.fromEntries(entries.filter(([, item]) => item !== undefined));
}

/** `${NAME}` or `${NAME:-default}` in any string value. A missing variable is a problem. */
function substituteEnv(
  value: unknown,
  path: PathSegment[],
  env: NodeJS.ProcessEnv,
  at: (path: readonly PathSegment[], message: string) => void,
  fromEnv: Set<string>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined) {
        fromEnv.add(fieldName(path));
        hideValue(found, `$${name}`);
        return found;
      }
      if (fallback === undefined) {
        at(path, `environment variable ${name} is not set`);
        return '';
      }
      return fallback;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, at, fromEnv));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, at, fromEnv)]),
    );
  }
  return value;
}

function reportIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  at: (path: readonly PathSegment[], message: string, field?: string) => void,
  hidden: (path: readonly PathSegment[]) => boolean,
): void {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(path);
      for (const key of issue.keys) {
        const [suggestion] = suggestionList(key, allowed);
        const hint = suggestion ? didYouMean([`"${suggestion}"`]) : ` (allowed: ${allowed.join(', ')})`;
        at([...path, key], `unknown field "${key}"${hint}`);
      }
      return;
    }
    case 'invalid_type': {
      const present = valueAt(input, path) !== undefined;
      at(path, present ? `must be ${article(issue.expected)}, not ${describe(valueAt(input, path), hidden(path))}` : 'is required');
      return;
    }
    case 'invalid_value':
      at(path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${hidden(path) ? 'the value given (hidden)' : JSON.stringify(valueAt(input, path))}`);
      return;
    case 'invalid_key':
      // A record's key (a header name) failed its own check: say what that check wants.
      at(path, issue.issues[0]?.message ?? issue.message);
      return;
    case 'too_small':
      at(path, issue.origin === 'array' ? `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}` : issue.origin === 'string' ? 'must not be empty' : `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`);
      return;
    default:
      at(path, issue.message);
  }
}

function toIndexConfig(raw: RawIndexConfig, file: string, text: string, yaml: PositionedYaml): IndexConfig {
  const events = (sources: RawIndexConfig['primary']['events'], path: PathSegment[]): EventSource[] =>
    sources.map((source, i) => ({
      topic: source.topic,
      format: source.format ?? null,
      idPath: typeof source.id === 'string' ? source.id : null,
      idPaths: typeof source.id === 'object' ? source.id : null,
      idFromKey: source.idFromKey === true,
      position: yaml.positionOf([...path, i]),
    }));
  const es = raw.elasticsearch;
  return {
    sourceFile: file,
    index: raw.index,
    gateway: {
      url: raw.gateway.url ?? null,
      headers: raw.gateway.headers,
      timeoutMs: raw.gateway.timeoutMs,
      supergraph: raw.gateway.supergraph ?? null,
      subgraphs: Object.fromEntries(Object.entries(raw.gateway.subgraphs).map(([name, subgraph]) => [name, { url: subgraph.url ?? null, headers: subgraph.headers }])),
    },
    query: { text: raw.query, position: blockScalarStart(text, yaml.positionOf(['query'])) },
    primary: {
      type: raw.primary.type,
      typePosition: yaml.positionOf(['primary', 'type']),
      key: raw.primary.key ?? null,
      keyPosition: yaml.positionOf(['primary', 'key']),
      events: events(raw.primary.events, ['primary', 'events']),
    },
    related: raw.related.map((related, i) => ({
      type: related.type,
      lookup: typeof related.lookup === 'string' ? related.lookup : `{ ${Object.entries(related.lookup).map(([field, path]) => `${field}: ${path}`).join(', ')} }`,
      lookupPaths: typeof related.lookup === 'string' ? null : related.lookup,
      events: events(related.events, ['related', i, 'events']),
      position: yaml.positionOf(['related', i]),
      lookupPosition: yaml.positionOf(['related', i, 'lookup']),
    })),
    fields: raw.fields,
    fieldPositions: Object.fromEntries(Object.keys(raw.fields).map((path) => [path, yaml.positionOf(['fields', path])])),
    scalars: { DateTime: 'date', Date: 'date', ...raw.scalars },
    elasticsearch: {
      node: es.node,
      ...(es.apiKey ? { auth: { apiKey: es.apiKey } } : {}),
      ...(es.username && es.password ? { auth: { username: es.username, password: es.password } } : {}),
      ...(es.caFile ? { caFile: es.caFile } : {}),
      shards: es.shards,
      replicas: es.replicas,
      ...(es.refreshInterval === undefined ? {} : { refreshInterval: es.refreshInterval }),
    },
    kafka: {
      brokers: raw.kafka.brokers,
      clientId: raw.kafka.clientId ?? `fedsearch-${raw.index}`,
      clientIdConfigured: raw.kafka.clientId !== undefined,
      ssl: raw.kafka.ssl,
      ...(raw.kafka.caFile ? { caFile: raw.kafka.caFile } : {}),
      ...(raw.kafka.sasl ? { sasl: raw.kafka.sasl } : {}),
      partitions: raw.kafka.partitions,
    },
    pipeline: {
      batchSize: raw.pipeline.batchSize,
      concurrency: raw.pipeline.concurrency,
      ...(raw.pipeline.maxRequestsPerSecond ? { maxRequestsPerSecond: raw.pipeline.maxRequestsPerSecond } : {}),
      retries: raw.pipeline.retries,
      onGraphQLErrors: raw.pipeline.onGraphQLErrors,
      outageToleranceSeconds: raw.pipeline.outageToleranceSeconds,
      metricsPort: raw.pipeline.metricsPort ?? null,
      maxDocumentBytes: raw.pipeline.maxDocumentBytes,
      graphCheckSeconds: raw.pipeline.graphCheckSeconds,
      workers: raw.pipeline.workers,
      retryDeadLetters: raw.pipeline.retryDeadLetters,
    },
    display: {
      title: raw.display?.title ?? null,
      subtitle: raw.display?.subtitle ?? null,
      detail: raw.display?.detail ?? null,
      positions: Object.fromEntries([
        ...(raw.display?.title ? [['title', yaml.positionOf(['display', 'title'])]] : []),
        ...(['subtitle', 'detail'] as const).flatMap((list) => (raw.display?.[list] ?? []).map((_, i) => [`${list}[${i}]`, yaml.positionOf(['display', list, i])])),
      ]),
    },
    search: {
      field: raw.search?.field ?? null,
      typePrefix: raw.search?.typePrefix ?? null,
      positions: {
        ...(raw.search?.field ? { field: yaml.positionOf(['search', 'field']) } : {}),
        ...(raw.search?.typePrefix ? { typePrefix: yaml.positionOf(['search', 'typePrefix']) } : {}),
      },
    },
    backfill: {
      query: raw.backfill.query ?? null,
      queryPosition: blockScalarStart(text, yaml.positionOf(['backfill', 'query'])),
      rate: raw.backfill.rate,
      concurrency: raw.backfill.concurrency,
    },
    audit: {
      settleSeconds: raw.audit.settleSeconds,
      rounds: raw.audit.rounds,
      slaSeconds: raw.audit.sla,
      updatedAtField: raw.audit.updatedAtField ?? null,
      metricsPort: raw.audit.metricsPort ?? null,
    },
  };
}

/**
 * Where the query's first line sits in the file: for `query: |` the line after the key at the
 * block's indentation, for an inline string right after the colon. Errors the GraphQL parser or
 * validator report inside the query are shifted by this.
 */
function blockScalarStart(text: string, key: SourcePosition): SourcePosition {
  const lines = text.split('\n');
  const keyLine = lines[key.line - 1] ?? '';
  const afterColon = keyLine.slice(keyLine.indexOf(':', key.col - 1) + 1);
  if (/^\s*[|>]/.test(afterColon)) {
    for (let n = key.line; n < lines.length; n++) {
      const line = lines[n] as string;
      if (line.trim() !== '') return { line: n + 1, col: line.length - line.trimStart().length + 1 };
    }
  }
  const valueCol = keyLine.length - afterColon.trimStart().length + 1;
  return { line: key.line, col: afterColon.trimStart().startsWith('"') || afterColon.trimStart().startsWith("'") ? valueCol + 1 : valueCol };
}

/** The keys a strict object allows at `path` in the schema, for did-you-mean suggestions. */
function allowedKeys(path: readonly PathSegment[]): string[] {
  let schema: z.ZodType = indexConfigSchema;
  for (const segment of path) {
    schema = unwrapSchema(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[segment as string] ?? z.never();
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
  }
  schema = unwrapSchema(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** `primary.events[0].topic` */
export function fieldName(path: readonly PathSegment[]): string {
  return path.reduce<string>((name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment), '');
}

function article(type: string): string {
  const noun = type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : `a ${type}`;
  return noun;
}

/**
 * Files the config names (`caFile`s, `gateway.supergraph`) must be readable; a relative path is
 * taken from the config file's folder (not from wherever the command runs), and the resolved path
 * is what is read later.
 */
function checkFiles(raw: RawIndexConfig, file: string, at: (path: readonly PathSegment[], message: string) => void): void {
  const readable = (given: string, path: PathSegment[], limit: FileLimit): string | undefined => {
    const resolved = resolve(dirname(file), given);
    try {
      readUserFile(resolved, limit);
      return resolved;
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      at(path, `cannot read ${resolved}: ${error.reason}`);
      return undefined;
    }
  };
  for (const section of ['elasticsearch', 'kafka'] as const) {
    const given = raw[section].caFile;
    if (given !== undefined) raw[section].caFile = readable(given, [section, 'caFile'], CA_FILE) ?? given;
  }
  if (raw.gateway.supergraph !== undefined) raw.gateway.supergraph = readable(raw.gateway.supergraph, ['gateway', 'supergraph'], SCHEMA_FILE) ?? raw.gateway.supergraph;
}

/** Values under these keys are credentials: messages name the field, never its value. */
const SECRET_KEYS = new Set(['password', 'apiKey', 'headers', 'sasl']);

function isSecret(path: readonly PathSegment[]): boolean {
  return path.some((segment) => typeof segment === 'string' && SECRET_KEYS.has(segment));
}

/**
 * Credentials written in the file itself (a header value, a password, an API key) are hidden from
 * every later message too, as values from the environment are: a client library that refuses one
 * quotes it. (Not every string under `sasl`: its mechanism is a word such as "plain".)
 */
function hideCredentials(value: unknown, path: PathSegment[]): void {
  if (typeof value === 'string') {
    const [parent, key] = path.slice(-2);
    if (parent === 'headers' || key === 'password' || key === 'apiKey') hideValue(value, fieldName(path));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => hideCredentials(item, [...path, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) hideCredentials(item, [...path, key]);
  }
}

function describe(value: unknown, hidden: boolean): string {
  if (value === null) return 'null';
  if (hidden && typeof value !== 'object') return `a ${typeof value} (value hidden)`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

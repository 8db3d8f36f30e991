import type { ModuleImport } from './readImports.ts';

/**
 * The units of the repository, lowest layer first: `src` is src/'s own files (errors, logger,
 * suggestions, valueAt), used by every layer; `src/<folder>` each folder of src/; then the
 * top-level folders that stand on src/. A file may import its own unit and units of lower layers
 * only; units on one line are peers and import neither each other nor anything above. A folder
 * of src/ in no layer is an error (so a new one gets a place); a top-level folder in no layer
 * (test/, bench/, subgraphs/, …) is bound by RULES instead. A unit with no files costs nothing.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['src'],
  // Spans through the OpenTelemetry API, and the SDK started when the OTEL_* variables ask for it.
  ['src/tracing'],
  ['src/config'],
  ['src/clients'],
  ['src/graph'],
  ['src/index'],
  ['src/generate'],
  ['src/provision'],
  // Checks a proposed graph change against index configs: reads the generators and provisioning's comparisons.
  ['src/evolution'],
  ['src/pipeline'],
  ['src/backfill'],
  // Reconciles a directory of configs: provisioning's plan, backfill's reindex.
  ['src/apply'],
  ['src/audit'],
  ['src/search'],
  ['src/demo'],
  // The local development stack, once outside src/: the CLI starts it; the product never imports it.
  ['stack'],
  // Only parses arguments and calls into src/.
  ['cli'],
];

/**
 * One thing no file may import. Paths are repository paths: a folder ends in `/` (`src/`), a file
 * does not, and `''` is every file.
 */
export interface ImportRule {
  /** What the rule keeps; the message when it is broken. */
  rule: string;
  /** The importing files it binds. */
  from: readonly string[];
  /** Importing files it leaves free. */
  except?: readonly string[];
  /** Files and folders of the repository they may not import… */
  files?: readonly string[];
  /** …and packages, by name (any subpath of one counts). */
  packages?: readonly string[];
  /** Only imports that load something at run time count (an `import type` is erased). */
  valuesOnly?: boolean;
}

export const RULES: readonly ImportRule[] = [
  { rule: 'src/ is the product: it never imports cli/, test/, bench/, support/ or scripts/', from: ['src/'], files: ['cli/', 'test/', 'bench/', 'support/', 'scripts/'] },
  { rule: 'src/ never imports the local development stack (stack/), not even its types', from: ['src/'], files: ['stack/'] },
  { rule: 'in src/, only the demo runs the demo graph (subgraphs/)', from: ['src/'], except: ['src/demo/'], files: ['subgraphs/'] },
  { rule: 'cli/ only parses arguments and calls src/: it never imports test/, bench/, support/, scripts/ or subgraphs/', from: ['cli/'], files: ['test/', 'bench/', 'support/', 'scripts/', 'subgraphs/'] },
  { rule: 'the demo graph (subgraphs/) never imports cli/, test/, bench/, support/ or scripts/', from: ['subgraphs/'], files: ['cli/', 'test/', 'bench/', 'support/', 'scripts/'] },
  { rule: 'only tests import test/', from: [''], except: ['test/'], files: ['test/'] },
  { rule: 'only the benchmarks and their tests import bench/', from: [''], except: ['bench/', 'test/'], files: ['bench/'] },
  { rule: 'support/ serves the tests and benchmarks only', from: [''], except: ['support/', 'test/', 'bench/'], files: ['support/'] },
  {
    rule: 'the OpenTelemetry SDK is loaded by src/tracing/tracingSdk.ts only, which startTracing imports when traces are on: a run without them never pays for it',
    from: [''],
    except: ['src/tracing/tracingSdk.ts', 'test/', 'support/'],
    packages: ['@opentelemetry/sdk-trace-node', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources', '@opentelemetry/core'],
    valuesOnly: true,
  },
  {
    rule: "kafkajs's values and types come from src/clients/kafkajs.ts, which applies fedsearch's fixes before it loads",
    from: [''],
    // kafkajsInternals.ts is that module's reach into kafkajs's own files, to patch them.
    except: ['src/clients/kafkajs.ts', 'src/clients/kafkajsInternals.ts'],
    packages: ['kafkajs'],
  },
];

/**
 * The files whose module is computed at run time, which no checker can follow, each with why that
 * is safe; any other is reported, so a new one is looked at.
 */
export const COMPUTED_LOADS: Readonly<Record<string, string>> = {
  'src/lazyRequire.ts': 'loads the specifier its callers give, and the reader counts every lazyRequire() call',
  'src/clients/kafkajsInternals.ts': "reaches kafkajs's internal modules by path, to patch them",
  'cli/fedsearch.js': 'runs the compiled CLI in dist/, the same code as cli/main.ts',
};

/** The unit a file belongs to: `src/pipeline/sinkStage.ts` → `src/pipeline`, `src/errors.ts` → `src`, `cli/main.ts` → `cli`. */
export function unitOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1] as string}` : 'src';
  return parts.length > 1 ? (parts[0] as string) : '.';
}

/** Every import that breaks a rule, as `file:line imports target: rule`. */
export function ruleViolations(imports: readonly ModuleImport[], rules: readonly ImportRule[] = RULES): string[] {
  const violations: string[] = [];
  for (const found of imports) {
    const target = found.target.kind === 'file' ? found.target.path : found.target.kind === 'package' ? found.target.name : null;
    if (target === null) continue;
    for (const rule of rules) {
      if (rule.valuesOnly === true && found.typeOnly) continue;
      if (!rule.from.some((place) => within(found.from, place)) || rule.except?.some((place) => within(found.from, place))) continue;
      const forbidden = found.target.kind === 'file' ? (rule.files ?? []).some((place) => within(target, place)) : (rule.packages ?? []).includes(target);
      if (forbidden) violations.push(`${found.from}:${found.line} imports ${found.specifier}: ${rule.rule}`);
    }
  }
  return violations;
}

/** Every import between units that goes sideways or up the layers, and every folder of src/ in no layer. */
export function layerViolations(imports: readonly ModuleImport[], layers: readonly (readonly string[])[] = LAYERS): string[] {
  const rank = new Map(layers.flatMap((peers, index) => peers.map((unit) => [unit, index] as const)));
  const violations: string[] = [];
  for (const { from, to, line } of fileEdges(imports)) {
    const source = unitOf(from);
    const target = unitOf(to);
    if (source === target) continue;
    const sourceRank = rank.get(source);
    const targetRank = rank.get(target);
    const unplaced = [source, target].find((unit) => unit.startsWith('src/') && !rank.has(unit));
    if (unplaced !== undefined) violations.push(`${unplaced}/ is in no layer: add it to LAYERS (${unplaced === source ? from : to})`);
    else if (sourceRank !== undefined && targetRank !== undefined && targetRank >= sourceRank) {
      violations.push(`${from}:${line} imports ${to}: ${source} may not depend on ${target}`);
    }
  }
  return [...new Set(violations)];
}

/** Each import cycle among files, as the files on it (first file repeated at the end). */
export function fileCycles(imports: readonly ModuleImport[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of fileEdges(imports)) next.set(from, [...(next.get(from) ?? []), to]);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of next.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target]);
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/** Imports naming a relative path that resolves to no file: a typo, or a file since moved. */
export function unresolvedImports(imports: readonly ModuleImport[]): string[] {
  return imports.filter((found) => found.target.kind === 'unresolved').map((found) => `${found.from}:${found.line} imports ${found.specifier}, which is no file`);
}

/** Files of the repository importing files of the repository (types too: they are dependencies of the design). */
function fileEdges(imports: readonly ModuleImport[]): { from: string; to: string; line: number }[] {
  return imports.flatMap((found) => (found.target.kind === 'file' ? [{ from: found.from, to: found.target.path, line: found.line }] : []));
}

function within(path: string, place: string): boolean {
  return place === '' || (place.endsWith('/') ? path.startsWith(place) : path === place);
}

import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPUTED_LOADS, fileCycles, layerViolations, RULES, ruleViolations, unresolvedImports, type ImportRule } from './importRules.ts';
import { readImports } from './readImports.ts';
import { withTree } from './treeFixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// stack/ may or may not be there (the local development stack, once it leaves src/).
const FOLDERS = ['src', 'cli', 'subgraphs', 'bench', 'support', 'scripts', 'test', 'stack'];

describe('the imports of the repository', () => {
  const { imports, computed } = readImports(root, FOLDERS);
  const edge = (from: string, to: string) => imports.some((found) => found.from === from && found.target.kind === 'file' && found.target.path === to);

  it('are read from every folder (a checker that reads nothing passes anything)', () => {
    expect(imports.length).toBeGreaterThan(1000);
    expect(edge('src/pipeline/runPipeline.ts', 'src/index/loadIndex.ts')).toBe(true);
    // cli/ loads src/ through import() with a literal; subgraphs/, bench/ and scripts/ are read too.
    expect(edge('cli/indexCommands.ts', 'src/index/pipelineTopology.ts')).toBe(true);
    expect(edge('subgraphs/shared/changeEvents.ts', 'src/clients/kafkajs.ts')).toBe(true);
    expect(edge('bench/run.ts', 'support/indexHarness.ts')).toBe(true);
    expect(edge('scripts/composeSupergraph.ts', 'subgraphs/composeSupergraph.ts')).toBe(true);
    expect(imports.some((found) => found.from === 'src/clients/kafkajs.ts' && found.form === 'require' && found.specifier === 'kafkajs')).toBe(true);
  });

  it('keep every rule', () => {
    expect(ruleViolations(imports)).toEqual([]);
  });

  it('go down the layers only: src/config → src/graph → src/index → … → src/demo → cli/', () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  it('make no cycle between files', () => {
    expect(fileCycles(imports)).toEqual([]);
  });

  it('each name a file that exists', () => {
    expect(unresolvedImports(imports)).toEqual([]);
  });

  it('compute a module at run time only where that is known to be safe (tests aside)', () => {
    const unknown = computed.filter((load) => !load.from.startsWith('test/') && COMPUTED_LOADS[load.from] === undefined);
    expect(unknown).toEqual([]);
  });
});

/** A repository path that `place` (a folder, a file or '' for every file) binds and `except` does not. */
function fileIn(place: string, except: readonly string[] = [], name = 'ruleFixture.ts'): string {
  const path = place === '' ? name : place.endsWith('/') ? `${place}${name}` : place;
  if (except.some((exempt) => exempt === '' || (exempt.endsWith('/') ? path.startsWith(exempt) : path === exempt))) {
    throw new Error(`no fixture for ${place}: ${path} is exempted`);
  }
  return path;
}

/** The specifier that file `from` imports `to` with. */
function relativeSpecifier(from: string, to: string): string {
  const path = posix.relative(posix.dirname(from), to);
  return path.startsWith('.') ? path : `./${path}`;
}

describe('each rule', () => {
  // A fixture per rule and per thing it forbids, built from the rule itself: a rule added in one
  // line is tested by the same line.
  const cases = RULES.flatMap((rule) => [
    ...(rule.files ?? []).map((place) => ({ rule, target: fileIn(place, [], 'target.ts') })),
    ...(rule.packages ?? []).map((name) => ({ rule, target: name })),
  ]);

  it.each(cases.map((c) => [c.rule.rule, c.target, c] as const))('fails on an import that breaks it: %s (%s)', (_, __, { rule, target }) => {
    const importer = fileIn(rule.from[0] as string, rule.except);
    const isFile = (rule.files ?? []).length > 0 && !(rule.packages ?? []).includes(target);
    const specifier = isFile ? relativeSpecifier(importer, target) : target;
    const files: Record<string, string> = { [importer]: `import { value } from '${specifier}';\nexport const used = value;` };
    if (isFile) files[target] = 'export const value = 1;';
    const violations = withTree(files, (fixture) => ruleViolations(readImports(fixture, ['.']).imports, [rule]));
    expect(violations).toEqual([`${importer}:1 imports ${specifier}: ${rule.rule}`]);
  });

  it('leaves alone the files it exempts, and a type-only import under valuesOnly', () => {
    const kafkajs = RULES.find((rule) => rule.packages?.includes('kafkajs')) as ImportRule;
    const files = {
      'src/clients/kafkajs.ts': "import { createRequire } from 'node:module';\nconst kafkajs = createRequire(import.meta.url)('kafkajs');\nrequire('kafkajs');",
      'src/pipeline/stage.ts': "import type { Consumer } from '../clients/kafkajs.ts';\nimport { Kafka } from '../clients/kafkajs.ts';",
      'src/demo/runDemo.ts': "import '../../subgraphs/startDemoGraph.ts';",
      'subgraphs/startDemoGraph.ts': '',
    };
    expect(withTree(files, (fixture) => ruleViolations(readImports(fixture, ['src']).imports, [kafkajs, ...RULES]))).toEqual([]);
    // A rule for values only lets a type-only import through; the kafkajs rule itself does not.
    const typeOnly = { 'src/pipeline/stage.ts': "import type { Consumer } from 'kafkajs';" };
    expect(withTree(typeOnly, (fixture) => ruleViolations(readImports(fixture, ['src']).imports, [{ ...kafkajs, valuesOnly: true }]))).toEqual([]);
    expect(withTree(typeOnly, (fixture) => ruleViolations(readImports(fixture, ['src']).imports, [kafkajs]))).toEqual([`src/pipeline/stage.ts:1 imports kafkajs: ${kafkajs.rule}`]);
  });
});

describe('the layers', () => {
  const layers = [['src'], ['src/config'], ['src/index'], ['src/search', 'src/stack'], ['stack'], ['cli']];
  const read = (files: Record<string, string>) => withTree(files, (fixture) => readImports(fixture, ['src', 'cli', 'stack', 'test']).imports);

  it('flag an import up the layers, between peers, from src/ into stack/ or cli/, and a folder of src/ in no layer', () => {
    const imports = read({
      'src/errors.ts': 'export const e = 1;',
      'src/config/loadIndexConfig.ts': "import '../index/loadIndex.ts';",
      'src/index/loadIndex.ts': "import '../config/loadIndexConfig.ts';\nimport '../errors.ts';",
      'src/search/searchService.ts': "import '../stack/stack.ts';",
      'src/stack/stack.ts': '',
      'src/extra/thing.ts': "import '../errors.ts';",
      'src/search/cli.ts': "import '../../cli/main.ts';\nimport '../../stack/launch.ts';",
      'stack/launch.ts': "import '../src/errors.ts';",
      'cli/main.ts': "import '../src/search/searchService.ts';\nimport '../stack/launch.ts';",
      'test/anything.ts': "import '../cli/main.ts';\nimport '../src/config/loadIndexConfig.ts';",
    });
    expect(layerViolations(imports, layers)).toEqual([
      'src/config/loadIndexConfig.ts:1 imports src/index/loadIndex.ts: src/config may not depend on src/index',
      'src/extra/ is in no layer: add it to LAYERS (src/extra/thing.ts)',
      'src/search/cli.ts:1 imports cli/main.ts: src/search may not depend on cli',
      'src/search/cli.ts:2 imports stack/launch.ts: src/search may not depend on stack',
      'src/search/searchService.ts:1 imports src/stack/stack.ts: src/search may not depend on src/stack',
    ]);
  });

  it('find a cycle through three files', () => {
    const imports = read({ 'src/a.ts': "import './b.ts';", 'src/b.ts': "import './c.ts';", 'src/c.ts': "import './a.ts';\nimport './d.ts';", 'src/d.ts': '' });
    expect(fileCycles(imports)).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']]);
  });
});

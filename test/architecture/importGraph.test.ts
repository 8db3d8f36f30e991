import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileCycles, importEdges, layerViolations, valueImportsOf } from './importGraph.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the import graph of src/ and cli/', () => {
  const edges = [...importEdges(root, 'src'), ...importEdges(root, 'cli')];

  it('sees the imports (a checker that reads nothing passes anything)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'src/pipeline/runPipeline.ts', to: 'src/index/loadIndex.ts' });
  });

  it('imports down the layers only: config → graph → index → generate / provision / pipeline / … → cli', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(fileCycles(edges)).toEqual([]);
  });

  it('src/ never imports cli/, test/ or bench/', () => {
    const outward = edges.filter(({ from, to }) => from.startsWith('src/') && /^(cli|test|bench)\//.test(to));
    expect(outward).toEqual([]);
  });
});

describe('kafkajs', () => {
  it('is loaded only through src/clients/kafkajs.ts, which applies fedsearch\'s fixes before it loads', () => {
    const files = ['src', 'cli', 'bench', 'test', 'support', 'subgraphs', 'scripts'].flatMap((dir) => valueImportsOf(root, dir, 'kafkajs'));
    expect(files).toEqual(['src/clients/kafkajs.ts']);
  });
});

describe('the checker', () => {
  it('tells a file that loads a package for its values from one that takes only its types', () => {
    const root = mkdtempSync(join(tmpdir(), 'fedsearch-imports-'));
    // Written with the name in a variable, so this file does not read as importing it itself.
    const pkg = 'kafkajs';
    const files: Record<string, string> = {
      'named.ts': `import { Kafka, type Consumer } from '${pkg}';`,
      'default.ts': `import kafkajs from '${pkg}';`,
      'namespace.ts': `import * as k from '${pkg}';`,
      'multiline.ts': `import {\n  Kafka,\n} from '${pkg}';`,
      'reexport.ts': `export { Kafka } from '${pkg}';`,
      'star.ts': `export * from '${pkg}';`,
      'bare.ts': `import '${pkg}';`,
      'required.mjs': `const k = require(\`${pkg}\`);`,
      'dynamic.js': `const k = await import("${pkg}");`,
      'sameLine.ts': `import { a } from './a.ts'; import { Kafka } from '${pkg}';`,
      'typeOnly.ts': `import type { Kafka } from '${pkg}';\nimport { type Consumer, type Producer } from '${pkg}';\nexport type { Kafka } from '${pkg}';`,
      'other.ts': `import { Kafka } from '${pkg}-other';\n// import { Kafka } from '${pkg}' in a comment is not a statement`,
    };
    try {
      mkdirSync(join(root, 'src'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'src', name), text);
      expect(valueImportsOf(root, 'src', pkg).sort()).toEqual(
        ['named.ts', 'default.ts', 'namespace.ts', 'multiline.ts', 'reexport.ts', 'star.ts', 'bare.ts', 'required.mjs', 'dynamic.js', 'sameLine.ts'].map((name) => `src/${name}`).sort(),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const layers = [['(root)'], ['config'], ['index'], ['search', 'stack']];

  it('flags an import up the layers, between peers, and from a folder in no layer', () => {
    expect(
      layerViolations(
        [
          { from: 'src/config/loadIndexConfig.ts', to: 'src/index/loadIndex.ts' },
          { from: 'src/search/searchService.ts', to: 'src/stack/stack.ts' },
          { from: 'src/extra/thing.ts', to: 'src/errors.ts' },
          { from: 'src/index/loadIndex.ts', to: 'src/config/indexConfig.ts' },
        ],
        layers,
      ),
    ).toEqual([
      'src/config/loadIndexConfig.ts imports src/index/loadIndex.ts: config may not depend on index',
      'src/search/searchService.ts imports src/stack/stack.ts: search may not depend on stack',
      'src/extra/ is in no layer: add it to LAYERS (src/extra/thing.ts)',
    ]);
  });

  it('finds a cycle through three files', () => {
    const cycles = fileCycles([
      { from: 'src/a.ts', to: 'src/b.ts' },
      { from: 'src/b.ts', to: 'src/c.ts' },
      { from: 'src/c.ts', to: 'src/a.ts' },
      { from: 'src/c.ts', to: 'src/d.ts' },
    ]);
    expect(cycles).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']]);
  });
});

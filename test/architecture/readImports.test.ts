import { describe, expect, it } from 'vitest';
import { packageName, readImports, type ModuleImport } from './readImports.ts';
import { withTree } from './treeFixture.ts';

// Written with the name in a variable, so this file does not read as importing it itself.
const pkg = 'kafkajs';

/** `file form → target`, with `(type)` for an import the compiler erases. */
function described(found: ModuleImport): string {
  const target = found.target.kind === 'file' ? found.target.path : found.target.kind === 'unresolved' ? `unresolved ${found.specifier}` : `${found.target.kind} ${found.target.name}`;
  return `${found.from} ${found.form}${found.typeOnly ? ' (type)' : ''} → ${target}`;
}

const readTree = (files: Record<string, string>) => withTree(files, (root) => readImports(root, ['src']));

describe('readImports', () => {
  it('finds every form that loads a package, wherever it stands on a line', () => {
    const { imports } = readTree({
      'src/named.ts': `import { Kafka, type Consumer } from '${pkg}';`,
      'src/default.ts': `import kafkajs from '${pkg}';`,
      'src/namespace.ts': `import * as k from '${pkg}';`,
      'src/multiline.ts': `import {\n  Kafka,\n} from '${pkg}';`,
      'src/reexport.ts': `export { Kafka } from '${pkg}';`,
      'src/star.ts': `export * from '${pkg}';`,
      'src/bare.ts': `import '${pkg}';`,
      'src/required.mjs': `const k = require(\`${pkg}\`);`,
      'src/dynamic.js': `const k = await import("${pkg}");`,
      'src/dynamicTemplate.ts': `const k = await import(\`${pkg}\`);`,
      'src/lazy.ts': `const k = lazyRequire<unknown>('${pkg}');`,
      'src/createRequire.js': `const k = createRequire(import.meta.url)('${pkg}');`,
      'src/importEquals.cts': `import k = require('${pkg}');`,
      'src/sameLine.ts': `const a = 1; import { Kafka } from '${pkg}';`,
      'src/insideCall.ts': `export const load = () => Promise.all([import('node:fs'), import('${pkg}')]);`,
    });
    expect(imports.filter((found) => found.target.kind !== 'builtin').map(described)).toEqual([
      'src/bare.ts bare → package kafkajs',
      'src/createRequire.js require → package kafkajs',
      'src/default.ts import → package kafkajs',
      'src/dynamic.js dynamic → package kafkajs',
      'src/dynamicTemplate.ts dynamic → package kafkajs',
      'src/importEquals.cts import-equals → package kafkajs',
      'src/insideCall.ts dynamic → package kafkajs',
      'src/lazy.ts require → package kafkajs',
      'src/multiline.ts import → package kafkajs',
      'src/named.ts import → package kafkajs',
      'src/namespace.ts import → package kafkajs',
      'src/reexport.ts export-from → package kafkajs',
      'src/required.mjs require → package kafkajs',
      'src/sameLine.ts import → package kafkajs',
      'src/star.ts export-from → package kafkajs',
    ]);
    expect(imports.find((found) => found.from === 'src/multiline.ts')?.line).toBe(1);
  });

  it('tells an import the compiler erases from one that loads the module, under verbatimModuleSyntax', () => {
    const { imports } = readTree({
      'src/types.ts': `import type { Kafka } from '${pkg}';\nexport type { Consumer } from '${pkg}';\nlet k: typeof import('${pkg}');`,
      // `import { type A } from 'a'` is compiled to `import {} from 'a'`: it still loads 'a'.
      'src/typeSpecifiers.ts': `import { type Consumer, type Producer } from '${pkg}';`,
      'src/prose.ts': `// import { Kafka } from '${pkg}' in a comment\nconst text = "import { Kafka } from '${pkg}'";\nimport { Kafka } from '${pkg}-other';`,
    });
    expect(imports.map(described)).toEqual([
      'src/prose.ts import → package kafkajs-other',
      'src/typeSpecifiers.ts import → package kafkajs',
      'src/types.ts import (type) → package kafkajs',
      'src/types.ts export-from (type) → package kafkajs',
    ]);
  });

  it('reads the root tsconfig.json: without verbatimModuleSyntax an import of types alone is erased', () => {
    const tsconfig = JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } });
    const { imports } = withTree({ 'tsconfig.json': tsconfig, 'src/typeSpecifiers.ts': `import { type Consumer } from '${pkg}';\nimport { Kafka, type Producer } from '${pkg}';` }, (root) => readImports(root, ['src']));
    expect(imports.map(described)).toEqual(['src/typeSpecifiers.ts import (type) → package kafkajs', 'src/typeSpecifiers.ts import → package kafkajs']);
  });

  it('resolves relative specifiers to files as TypeScript does, and says which resolve to none', () => {
    const { imports } = readTree({
      'src/a.ts': `import { b } from './lib/b.js';\nimport { c } from './lib/c.ts';\nimport './lib/missing.ts';\nimport data from './lib/data.json' with { type: 'json' };`,
      'src/lib/b.ts': 'export const b = 1;',
      'src/lib/c.ts': `export const c = 1;\nimport { readFileSync } from 'node:fs';\nimport { z } from '@scope/name/sub';`,
      'src/lib/data.json': '{}',
      'src/lib/types.d.ts': `import '${pkg}';`,
    });
    expect(imports.map(described)).toEqual([
      'src/a.ts import → src/lib/b.ts',
      'src/a.ts import → src/lib/c.ts',
      'src/a.ts bare → unresolved ./lib/missing.ts',
      'src/a.ts import → src/lib/data.json',
      'src/lib/c.ts import → builtin node:fs',
      'src/lib/c.ts import → package @scope/name',
    ]);
  });

  it('lists the loads whose module is computed at run time, and reads nothing from a folder that is not there', () => {
    const reading = readTree({ 'src/computed.ts': 'const name = "x";\nrequire(name);\nawait import(`./${name}.ts`);\nrequire.resolve(name);' });
    expect(reading.imports).toEqual([]);
    expect(reading.computed).toEqual([
      { from: 'src/computed.ts', line: 2, call: 'require(name)' },
      { from: 'src/computed.ts', line: 3, call: 'import(`./${name}.ts`)' },
    ]);
    expect(withTree({}, (root) => readImports(root, ['stack']))).toEqual({ imports: [], computed: [] });
  });

  it('names the package of a bare specifier', () => {
    expect(['kafkajs', 'kafkajs/package.json', '@elastic/elasticsearch', '@apollo/server/standalone'].map(packageName)).toEqual([
      'kafkajs',
      'kafkajs',
      '@elastic/elasticsearch',
      '@apollo/server',
    ]);
  });
});

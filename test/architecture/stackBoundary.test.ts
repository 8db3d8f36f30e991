import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The product (src/) never imports the local development stack (stack/): the published package
// leaves stack/ out, so such an import would crash an installed fedsearch. A rule of its own,
// apart from the layer check in importGraph.test.ts: stack/ is outside src/, not a layer of it.

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const STACK = join(root, 'stack');
const RESOLUTION: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
};

/** What `source` (the text of the file at `file`) imports from stack/, as TypeScript resolves it: every form with a literal specifier, types included. */
function stackImportsOf(file: string, source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.flatMap(({ fileName: specifier }) => {
    const resolved =
      ts.resolveModuleName(specifier, file, RESOLUTION, ts.sys).resolvedModule?.resolvedFileName ??
      // A relative path that resolves to no file (yet) still names where it points.
      (specifier.startsWith('.') ? resolve(dirname(file), specifier) : undefined);
    return resolved !== undefined && (resolved === STACK || resolved.startsWith(`${STACK}/`)) ? [`${specifier} (${relative(root, resolved)})`] : [];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs|cjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('src/ and the local development stack', () => {
  it('no file under src/ imports anything under stack/', () => {
    const violations = sourceFiles(join(root, 'src')).flatMap((file) =>
      stackImportsOf(file, readFileSync(file, 'utf8')).map((target) => `${relative(root, file)} imports ${target}`),
    );
    expect(violations).toEqual([]);
  });

  it('finds each way of importing (the check above can fail)', () => {
    const file = join(root, 'src/search/example.ts');
    const source = [
      "import { stackUp } from '../../stack/stack.ts';",
      "import type { LocalService } from '../../stack/localService.ts'; export { kafkaBrokers } from '../../stack/kafkaService.ts';",
      "import '../../stack/java.ts';",
      "const demo = await import('../../stack/demo/runDemo.ts');",
      "import { UserError } from '../errors.ts';",
      "import { Client } from '@elastic/elasticsearch';",
    ].join('\n');
    expect(stackImportsOf(file, source)).toEqual([
      '../../stack/stack.ts (stack/stack.ts)',
      '../../stack/localService.ts (stack/localService.ts)',
      '../../stack/kafkaService.ts (stack/kafkaService.ts)',
      '../../stack/java.ts (stack/java.ts)',
      '../../stack/demo/runDemo.ts (stack/demo/runDemo.ts)',
    ]);
  });
});

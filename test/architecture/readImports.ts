import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** How a file names the module it loads. */
export type ImportForm = 'import' | 'bare' | 'export-from' | 'dynamic' | 'require' | 'import-equals';

/** One module a source file loads, as TypeScript reads and resolves it. */
export interface ModuleImport {
  /** The importing file, relative to the repository root (`src/pipeline/sinkStage.ts`). */
  from: string;
  line: number;
  specifier: string;
  form: ImportForm;
  /** `import type` / `export type`: erased by the compiler, so nothing loads at run time. */
  typeOnly: boolean;
  /**
   * What it names: a file of the repository (its path from the root), a package (its name, without
   * a subpath), a Node built-in, or a relative specifier that resolves to no file.
   */
  target: { kind: 'file'; path: string } | { kind: 'package'; name: string } | { kind: 'builtin'; name: string } | { kind: 'unresolved' };
}

/** A load whose module is computed at run time (`require(specifier)`), which no checker can read. */
export interface ComputedLoad {
  from: string;
  line: number;
  /** The call as written. */
  call: string;
}

export interface ImportReading {
  imports: ModuleImport[];
  computed: ComputedLoad[];
}

/**
 * Functions called with a module specifier that load it. `lazyRequire` (src/lazyRequire.ts) defers
 * a CommonJS require to first use; a package taken through it is loaded all the same.
 */
const LOADERS = new Set(['require', 'lazyRequire']);

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'target']);

/**
 * Every module the source files under `dirs` load (recursively; declaration files and
 * node_modules/, dist/ and Maven target/ folders left out): static imports, `export … from`, bare
 * imports, `import()` and `require()` (and `lazyRequire()`) with a string or a template without
 * substitutions. Parsed by the TypeScript compiler, so comments, strings and several statements on
 * one line read as they run; relative specifiers resolved by TypeScript's own module resolution
 * under the root's tsconfig.json (`.js` for `.ts`, a folder's index). A missing folder has nothing.
 */
export function readImports(root: string, dirs: readonly string[]): ImportReading {
  const options = compilerOptions(root);
  const host: ts.ModuleResolutionHost = {
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    directoryExists: ts.sys.directoryExists,
    // No realpath: node_modules may be a symlink, and a package is told by where it resolves from here.
    getCurrentDirectory: () => root,
  };
  const cache = ts.createModuleResolutionCache(root, (name) => name, options);
  const reading: ImportReading = { imports: [], computed: [] };
  for (const path of dirs.flatMap((dir) => sourceFiles(root, dir))) {
    const file = join(root, path);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, scriptKind(path));
    const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const add = (node: ts.Node, specifier: string, form: ImportForm, typeOnly: boolean): void => {
      const mode = form === 'require' || form === 'import-equals' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext;
      reading.imports.push({ from: path, line: lineOf(node), specifier, form, typeOnly, target: targetOf(root, file, specifier, options, host, cache, mode) });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        add(node, node.moduleSpecifier.text, clause === undefined ? 'bare' : 'import', clause !== undefined && erased(clause, options));
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node, node.moduleSpecifier.text, 'export-from', node.isTypeOnly || (!keepsTypeOnlySpecifiers(options) && allTypeOnly(node.exportClause)));
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
        add(node, node.moduleReference.expression.text, 'import-equals', node.isTypeOnly);
      } else if (ts.isCallExpression(node) && isLoad(node)) {
        const [argument] = node.arguments;
        const form = node.expression.kind === ts.SyntaxKind.ImportKeyword ? 'dynamic' : 'require';
        if (argument !== undefined && ts.isStringLiteralLike(argument)) add(node, argument.text, form, false);
        else reading.computed.push({ from: path, line: lineOf(node), call: node.getText(source) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return reading;
}

/** The package a bare specifier names: `kafkajs/package.json` → `kafkajs`, `@scope/name/x` → `@scope/name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function targetOf(
  root: string,
  file: string,
  specifier: string,
  options: ts.CompilerOptions,
  host: ts.ModuleResolutionHost,
  cache: ts.ModuleResolutionCache,
  mode: ts.ResolutionMode,
): ModuleImport['target'] {
  if (isBuiltin(specifier)) return { kind: 'builtin', name: specifier };
  if (!/^\.{0,2}\//.test(specifier)) return { kind: 'package', name: packageName(specifier) };
  const resolved = ts.resolveModuleName(specifier, file, options, host, cache, undefined, mode).resolvedModule;
  if (resolved === undefined) return { kind: 'unresolved' };
  const path = relative(root, resolved.resolvedFileName).split(sep).join('/');
  // A relative specifier can still reach into node_modules (`../node_modules/x`): that is the package.
  const inPackages = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return inPackages?.[1] !== undefined ? { kind: 'package', name: inPackages[1] } : { kind: 'file', path };
}

/**
 * `import(…)`, `require(…)`, `lazyRequire(…)` or `createRequire(…)(…)`; not `require.resolve`
 * (which loads nothing).
 */
function isLoad(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return LOADERS.has(callee.text);
  return ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'createRequire';
}

/**
 * Whether the compiler drops the import entirely. `import type` always; under verbatimModuleSyntax
 * nothing else (`import { type A } from 'a'` becomes `import {} from 'a'`, which loads `a`); without
 * it, also an import whose every binding is a type.
 */
function erased(clause: ts.ImportClause, options: ts.CompilerOptions): boolean {
  if (clause.isTypeOnly) return true;
  if (keepsTypeOnlySpecifiers(options)) return false;
  return clause.name === undefined && clause.namedBindings !== undefined && allTypeOnly(clause.namedBindings);
}

function allTypeOnly(bindings: ts.NamedImportBindings | ts.NamedExportBindings | undefined): boolean {
  if (bindings === undefined || ts.isNamespaceImport(bindings) || ts.isNamespaceExport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function keepsTypeOnlySpecifiers(options: ts.CompilerOptions): boolean {
  return options.verbatimModuleSyntax === true;
}

/** The root's tsconfig.json options (the project's own), or NodeNext ESM with .ts specifiers. */
function compilerOptions(root: string): ts.CompilerOptions {
  const path = join(root, 'tsconfig.json');
  const defaults: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
  };
  if (!existsSync(path)) return { ...defaults, allowJs: true };
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error !== undefined) throw new Error(`${path}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  // allowJs so that a .ts file importing a .mjs script (and scripts importing each other) resolve.
  return { ...ts.parseJsonConfigFileContent(config, ts.sys, root).options, allowJs: true };
}

function scriptKind(path: string): ts.ScriptKind {
  return /\.[mc]?ts$/.test(path) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
}

function sourceFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = folder === '.' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(path);
      } else if (SOURCE.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name)) files.push(path);
    }
  };
  walk(dir);
  return files.sort();
}

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/configError.ts';
import { loadIndexConfig, parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { loadYamlWithPositions, YamlSyntaxError } from '../../src/config/loadYamlWithPositions.ts';

const moviesYaml = readFileSync(new URL('../../index-configs/movies.yaml', import.meta.url), 'utf8');

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
};

describe('configs built to hurt', () => {
  it('a config of nested aliases (billion laughs) is refused at its first alias, before anything expands it', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const text = laughs.join('\n');
    expect(text.length).toBeLessThan(600);
    let thrown: unknown;
    try {
      loadYamlWithPositions(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(YamlSyntaxError);
    expect(thrown).toMatchObject({ position: { line: 2, col: 8 }, message: expect.stringContaining('aliases (*name) are not allowed') });
  });

  it('a 500 KiB config full of escaped strings loads, with the position of every key right', () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `k${i}: "${'\\u00e9\\t'.repeat(8)}${i}"`);
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(500_000 / 4);
    const big = `${text}\n${lines.map((line) => line.replace(/^k/, 'm')).join('\n')}\n${lines.map((line) => line.replace(/^k/, 'n')).join('\n')}\n${lines.map((line) => line.replace(/^k/, 'p')).join('\n')}`;
    expect(big.length).toBeGreaterThan(500_000);
    const yaml = loadYamlWithPositions(big);
    expect((yaml.value as Record<string, string>).k4999).toBe(`${'é\t'.repeat(8)}4999`);
    expect(yaml.positionOf(['p4999'])).toEqual({ line: 20_000, col: 1 });
    expect(yaml.positionOf(['k17'])).toEqual({ line: 18, col: 1 });
  });

  it('a missing caFile is a problem at its line, looked for beside the config file', () => {
    const text = moviesYaml.replace('  shards: 1\n', '  caFile: certs/ca.pem\n  shards: 1\n');
    expect(problemsOf(() => parseIndexConfig(text, '/etc/fedsearch/movies.yaml', {}))).toEqual([
      '/etc/fedsearch/movies.yaml:75:3: elasticsearch.caFile: cannot read /etc/fedsearch/certs/ca.pem: no such file',
    ]);
  });

  it('a caFile beside the config file is found from any working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-ca-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(join(dir, 'movies.yaml'), moviesYaml.replace('  shards: 1\n', '  caFile: ca.pem\n  shards: 1\n'));
    expect(loadIndexConfig(join(dir, 'movies.yaml'), {}).elasticsearch.caFile).toBe(join(dir, 'ca.pem'));
  });

  it('any text, and any edit of the shipped config, is a config or a list of problems, never a crash', () => {
    const token = fc.constantFrom('&a ', '*a', '- ', ': ', '{', '}', '[', ']', ',', '"', "'", '\\', '\n', '  ', '#', '|', '>', '!!str ', '${X}', '${', '\t', 'index', 'query', 'é', '\u0000');
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.array(token, { maxLength: 60 }).map((t) => t.join('')));
    const edit = fc.tuple(fc.nat({ max: moviesYaml.length }), fc.nat({ max: 40 }), text).map(([at, cut, inserted]) => moviesYaml.slice(0, at) + inserted + moviesYaml.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(text, edit), (yamlText) => {
        try {
          parseIndexConfig(yamlText, 'fuzz.yaml', { X: 'x' });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          for (const problem of (error as ConfigError).problems) expect(formatProblem(problem)).toMatch(/^fuzz\.yaml:\d+:\d+: /);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

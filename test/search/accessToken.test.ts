import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSecretFile } from '../../src/search/accessToken.ts';

describe('readSecretFile (serve --token-file, --gateway-secret-file)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'fedsearch-secret-'));

  it('takes the first line of a small file', () => {
    const file = join(folder, 'token');
    writeFileSync(file, 's3cret-token\nignored\n');
    expect(readSecretFile(file, 'token')).toBe('s3cret-token');
  });

  it('refuses /dev/zero at once instead of reading it forever', () => {
    expect(() => readSecretFile('/dev/zero', 'token')).toThrow(/cannot read the token file \/dev\/zero: it is .*not a regular file/);
  });

  it('refuses a token file over its size limit, naming the file', () => {
    const file = join(folder, 'huge');
    writeFileSync(file, 'x'.repeat(65 * 1024));
    expect(() => readSecretFile(file, 'token')).toThrow(new RegExp(`cannot read the token file ${file}: larger than the .* limit`));
  });

  it('says a missing file is missing', () => {
    expect(() => readSecretFile(join(folder, 'nope'), 'token')).toThrow(/cannot read the token file .*nope/);
  });
});

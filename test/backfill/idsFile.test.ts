import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idsFromFile, requireIdSource } from '../../src/backfill/enumerateIds.ts';

const folder = mkdtempSync(join(tmpdir(), 'fedsearch-ids-'));
const config = { sourceFile: 'movies.yaml', primary: { type: 'Movie' }, backfill: { query: undefined } } as unknown as Parameters<typeof requireIdSource>[0];

async function allPages(file: string, skipLines = 0): Promise<Array<{ ids: string[]; endCursor: string | null }>> {
  const pages = [];
  for await (const page of idsFromFile(file, skipLines)) pages.push({ ids: page.ids, endCursor: page.endCursor });
  return pages;
}

describe('backfill --ids-file', () => {
  it('reads one id a line in pages of 500, skipping blanks, #comments and CRLF endings; a cursor skips the lines done', async () => {
    const file = join(folder, 'ids.txt');
    const ids = Array.from({ length: 600 }, (_, i) => `mov-${String(i).padStart(7, '0')}`);
    writeFileSync(file, `# movies\r\n\r\n${ids.join('\r\n')}`);
    const pages = await allPages(file);
    expect(pages.map((page) => page.ids.length)).toEqual([500, 100]);
    expect(pages.flatMap((page) => page.ids)).toEqual(ids);
    const resumed = await allPages(file, Number(pages[0]?.endCursor));
    expect(resumed.flatMap((page) => page.ids)).toEqual(ids.slice(500));
  });

  it('refuses /dev/zero and a FIFO before the backfill starts anything', () => {
    expect(() => requireIdSource(config, '/dev/zero')).toThrow('cannot read the ids file /dev/zero: it is not a regular file');
    const fifo = join(folder, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => requireIdSource(config, fifo)).toThrow(`cannot read the ids file ${fifo}: it is not a regular file`);
  });

  it('refuses a line too long to be an id instead of buffering it whole', async () => {
    const file = join(folder, 'one-long-line.txt');
    writeFileSync(file, `mov-1\n${'x'.repeat(1024 * 1024)}\n`);
    await expect(allPages(file)).rejects.toThrow(`cannot read the ids file ${file}: line 2 is longer than 64 KiB`);
  });
});

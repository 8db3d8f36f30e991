import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApply } from '../../src/apply/runApply.ts';
import { UserError } from '../../src/errors.ts';

describe('apply --prune given only directories whose last config was removed', () => {
  it('is refused before reaching any service: no config names a cluster to look in, and the message says what to pass', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fedsearch-apply-emptied-'));
    const printed: string[] = [];
    const refused = runApply([directory], { dryRun: false, prune: true, graceSeconds: 0, createSourceTopics: false }, {
      print: (line) => void printed.push(line),
      progress: () => {
        throw new Error('no backfill is expected');
      },
    });
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(refused).rejects.toThrow(
      `no config given names an Elasticsearch cluster, so apply cannot look for the indexes ${directory} made: ` +
        'pass a config of the cluster they are in along with the directory (`fedsearch apply <directory> <a config of that cluster>.yaml --prune`)',
    );
    expect(printed).toEqual([]);
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../stack/processControl.ts';

const run = promisify(execFile);
const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;

// A second stack on other ports with its own cache folder, so the one the other tests use is
// untouched. Jars come from the same ~/.m2, so this costs a start, not a download.
const cache = mkdtempSync(join(tmpdir(), 'fedsearch-stack-test-'));
const env = {
  ...process.env,
  FEDSEARCH_CACHE: cache,
  FEDSEARCH_KAFKA_PORT: '19092',
  FEDSEARCH_ES_PORT: '19200',
  FEDSEARCH_PG_PORT: '19432',
  FEDSEARCH_CONNECT_PORT: '19083',
};

async function fedsearch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env, timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const pidsIn = (text: string): number[] => [...text.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));

describe('fedsearch stack up / status / down', () => {
  afterAll(async () => {
    await fedsearch('stack', 'down');
    // As root, the PostgreSQL cluster lives in the postgres user's home; run/<state>/data links to it.
    const pgData = join(cache, 'run', 'postgres-19432', 'data');
    if (existsSync(pgData)) rmSync(realpathSync(pgData), { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it('starts the four services, is idempotent, and stops exactly what it started', async () => {
    const up = await fedsearch('stack', 'up');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Apache Kafka 3\.9\.2: running \(pid \d+\) at 127\.0\.0\.1:19092/);
    expect(up.stdout).toMatch(/Elasticsearch 9\.5\.3: running \(pid \d+\) at http:\/\/127\.0\.0\.1:19200/);
    expect(up.stdout).toMatch(/PostgreSQL \d+: running \(pid \d+\) at postgresql:\/\/postgres@127\.0\.0\.1:19432/);
    expect(up.stdout).toMatch(/Kafka Connect 4\.3\.0: running \(pid \d+\) at http:\/\/127\.0\.0\.1:19083/);
    const pids = pidsIn(up.stdout);
    expect(pids).toHaveLength(4);

    const banner = (await (await fetch('http://127.0.0.1:19200/')).json()) as { tagline: string };
    expect(banner.tagline).toBe('You Know, for Search');

    const again = await fedsearch('stack', 'up');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already running');
    expect(pidsIn(again.stdout)).toEqual(pids);

    const down = await fedsearch('stack', 'down');
    expect(down.code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);

    const status = await fedsearch('stack', 'status');
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('Apache Kafka 3.9.2: stopped');
    expect(status.stdout).toContain('Elasticsearch 9.5.3: stopped');
    expect(status.stdout).toMatch(/PostgreSQL \d+: stopped/);
    expect(status.stdout).toContain('Kafka Connect 4.3.0: stopped');
    // The first `up` resolves the Maven projects into the fresh cache folder and builds the
    // Elasticsearch launcher before starting anything: well over a minute on a busy 2-core machine.
  }, 600_000);

  it('says which port is taken and exits 2 instead of starting on top of another process', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(19200, '127.0.0.1', resolve));
    try {
      const up = await fedsearch('stack', 'up');
      expect(up.code).toBe(2);
      expect(up.stderr).toContain('Elasticsearch 9.5.3 needs 127.0.0.1:19200, but another process is listening there');
    } finally {
      squatter.close();
      await fedsearch('stack', 'down');
    }
  }, 300_000);
});

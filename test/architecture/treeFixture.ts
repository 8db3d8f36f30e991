import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs `read` on a temporary tree of the given files (path → text), removed afterwards. */
export function withTree<T>(files: Record<string, string>, read: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'fedsearch-imports-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return read(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

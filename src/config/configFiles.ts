import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * The config files a command was given: a file as it is, a directory as every `.yaml`/`.yml` file
 * in it, by name — so `serve index-configs/`, `check index-configs/` and `apply index-configs/`
 * all mean every index there. A directory with none is refused, unless the command allows it (apply
 * --prune: its last config removed, the indexes its configs made are still to delete), or said with
 * the command's hint. A path that does not exist is returned as it is: reading it reports
 * it with its reason, as for any config file.
 */
export function configFilesOf(paths: readonly string[], options: { emptyDirectory?: { allowed: true } | { hint: string } } = {}): string[] {
  return paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return [path];
    }
    if (!isDirectory) return [path];
    const files = readdirSync(path)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0 && !(options.emptyDirectory !== undefined && 'allowed' in options.emptyDirectory)) {
      const hint = options.emptyDirectory !== undefined && 'hint' in options.emptyDirectory ? ` ${options.emptyDirectory.hint}` : '';
      throw new UserError(`${path} holds no index configuration (.yaml or .yml file)${hint}`);
    }
    return files;
  });
}

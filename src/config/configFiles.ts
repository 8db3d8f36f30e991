import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * The config files a command was given: a file as it is, a directory as every `.yaml`/`.yml` file
 * in it, by name — so `serve index-configs/`, `check index-configs/` and `apply index-configs/`
 * all mean every index there. A path that does not exist is returned as it is: reading it reports
 * it with its reason, as for any config file.
 */
export function configFilesOf(paths: readonly string[]): string[] {
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
    if (files.length === 0) throw new UserError(`${path} holds no index configuration (.yaml or .yml file)`);
    return files;
  });
}

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded the first time it is used rather than when the importing module is.
 * For the heavy libraries only some configurations need (Apollo's federation libraries when a
 * supergraph is given, composition, the readable log format): `fedsearch run` on an index read
 * through gateway introspection never pays their memory. Synchronous, so callers stay synchronous.
 */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}

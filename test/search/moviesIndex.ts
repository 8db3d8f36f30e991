import { readFileSync } from 'node:fs';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { apiSchema } from '../generate/demoMovies.ts';

// The demo movie index (index-configs/movies.yaml) checked against the demo graph, without a
// gateway: text, keyword, numeric and nested fields, facets (cast.role nested), sortable fields.

const CONFIG_FILE = new URL('../../index-configs/movies.yaml', import.meta.url).pathname;

export function moviesIndex(): LoadedIndex {
  return checkIndexAgainstSchema(parseIndexConfig(readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE, {}), apiSchema);
}

import type { ConfigProblem } from '../config/configError.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import type { DocumentField } from './documentFields.ts';

/** What the search page shows of a hit: document paths (values along lists are joined). */
export interface HitDisplay {
  /** The heading; null shows the id. */
  title: string | null;
  /** A line of short values under it (`2024 · shipped · express`). */
  subtitle: string[];
  /** Longer text below (a synopsis, the names in a list). */
  detail: string[];
}

/**
 * The config's `display:` checked against the document's fields, each path named where it is in
 * the file; where the config says nothing, a default from `fields:` — the title is the first
 * suggested single field (else the first single text field), the subtitle up to three facets,
 * the detail a text field shown nowhere else (a single one, else one inside a list) and the first
 * suggested field inside a list.
 */
export function hitDisplay(config: Pick<IndexConfig, 'display' | 'sourceFile'>, fields: readonly DocumentField[], keyPaths: readonly string[]): { display: HitDisplay; problems: ConfigProblem[] } {
  const paths = fields.map((field) => field.path);
  const problems: ConfigProblem[] = [];
  const checked = (path: string, entry: string): boolean => {
    if (paths.includes(path)) return true;
    problems.push({
      file: config.sourceFile,
      position: config.display.positions[entry] ?? { line: 1, col: 1 },
      field: `display.${entry}`,
      message: `${path} is not a field of the document${didYouMean(suggestionList(path, paths).slice(0, 1))}`,
    });
    return false;
  };
  const given = config.display;
  const single = fields.filter((field) => !field.multiValued && !keyPaths.includes(field.path));
  const text = single.filter((field) => field.textField !== null);
  const title = given.title !== null ? (checked(given.title, 'title') ? given.title : null) : (single.find((field) => field.suggestField !== null) ?? text[0])?.path ?? null;
  const subtitle =
    given.subtitle !== null
      ? given.subtitle.filter((path, i) => checked(path, `subtitle[${i}]`))
      : [...fields.filter((field) => field.facet && !field.nested), ...fields.filter((field) => field.facet && field.nested)].slice(0, 3).map((field) => field.path);
  const detail =
    given.detail !== null
      ? given.detail.filter((path, i) => checked(path, `detail[${i}]`))
      : defaultDetail(fields, text, [title, ...subtitle]);
  return { display: { title, subtitle, detail }, problems };
}

function defaultDetail(fields: readonly DocumentField[], singleText: readonly DocumentField[], shown: ReadonlyArray<string | null>): string[] {
  const unshown = (field: DocumentField): boolean => !shown.includes(field.path);
  const text = singleText.find(unshown) ?? fields.find((field) => field.multiValued && field.textField !== null && unshown(field));
  const suggested = fields.find((field) => field.multiValued && field.suggestField !== null && unshown(field));
  return [...new Set([text?.path, suggested?.path].filter((path): path is string => path !== undefined))];
}

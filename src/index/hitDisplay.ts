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
 * suggested field inside a list. No path is shown twice (a facet that is the title is not the
 * subtitle too), and a derived display never shows a key field: the page shows the id itself.
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
  const notKey = (field: DocumentField): boolean => !keyPaths.includes(field.path);
  const single = fields.filter((field) => !field.multiValued && notKey(field));
  const text = single.filter((field) => field.textField !== null);
  const title = given.title !== null ? (checked(given.title, 'title') ? given.title : null) : (single.find((field) => field.suggestField !== null) ?? text[0])?.path ?? null;
  const notTitle = (path: string): boolean => path !== title;
  const facets = fields.filter((field) => field.facet && notKey(field) && notTitle(field.path));
  const subtitle = unique(
    given.subtitle !== null
      ? given.subtitle.filter((path, i) => checked(path, `subtitle[${i}]`)).filter(notTitle)
      : [...facets.filter((field) => !field.nested), ...facets.filter((field) => field.nested)].slice(0, 3).map((field) => field.path),
  );
  const shown = [title, ...subtitle];
  const detail = unique(
    given.detail !== null
      ? given.detail.filter((path, i) => checked(path, `detail[${i}]`)).filter((path) => !shown.includes(path))
      : defaultDetail(fields.filter(notKey), text, shown),
  );
  return { display: { title, subtitle, detail }, problems };
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}

function defaultDetail(fields: readonly DocumentField[], singleText: readonly DocumentField[], shown: ReadonlyArray<string | null>): string[] {
  const unshown = (field: DocumentField): boolean => !shown.includes(field.path);
  const text = singleText.find(unshown) ?? fields.find((field) => field.multiValued && field.textField !== null && unshown(field));
  const suggested = fields.find((field) => field.multiValued && field.suggestField !== null && unshown(field));
  return unique([text?.path, suggested?.path].filter((path): path is string => path !== undefined));
}

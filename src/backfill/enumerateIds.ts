import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pagingOf, type Paging } from '../config/backfillPaging.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import { InfrastructureError, UserError } from '../errors.ts';
import { redactUrl, redactUrlsIn } from '../redactUrl.ts';

export interface IdPage {
  ids: string[];
  /** Cursor to resume after this page; null at the end. */
  endCursor: string | null;
  /** The connection's totalCount when it has one. */
  total: number | null;
}

/**
 * Every primary id, page by page, through the config's `backfill.query`, whose single root field
 * is either a Relay connection paged by `$after: String` (`edges { node { id } }` or `nodes { id }`,
 * plus `pageInfo { endCursor hasNextPage }`), a list paged by `$offset: Int` (it ends at an empty
 * page), or a plain list read in one page. The id is the first scalar each item selects.
 */
export async function* enumerateIds(config: IndexConfig, startAfter: string | null = null): AsyncGenerator<IdPage> {
  const query = config.backfill.query;
  if (!query) {
    throw new UserError(`${config.sourceFile}: backfill.query is not set; it lists every ${config.primary.type} id page by page (or give \`backfill --ids-file <file>\`, one id a line)`);
  }
  const paging = pagingOf(query);
  let after = startAfter;
  for (;;) {
    const variables = paging === 'cursor' ? { after } : paging === 'offset' ? { offset: Number(after ?? 0) } : {};
    const response = await fetch(config.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...config.gateway.headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(config.gateway.timeoutMs),
    }).catch((error: unknown) => {
      throw new InfrastructureError(`cannot reach the gateway at ${redactUrl(config.gateway.url)} to list ids: ${redactUrlsIn((error as Error).message)}`);
    });
    const body = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
    if (!response.ok || !body.data || body.errors) {
      const detail = body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`;
      throw new InfrastructureError(`the gateway refused the backfill query (after ${after ?? 'the start'}): ${detail}`);
    }
    const page = readPage(body.data, paging, Number(after ?? 0), config.sourceFile);
    yield page;
    if (page.endCursor === null) return;
    after = page.endCursor;
  }
}

function readPage(data: Record<string, unknown>, paging: Paging, offset: number, file: string): IdPage {
  const value = Object.values(data)[0];
  if (paging !== 'cursor') {
    if (!Array.isArray(value)) throw new UserError(`${file}: backfill.query without $after must return a list (one page, or paged by $offset)`);
    const ids = idsOf(value as Array<Record<string, unknown>>, file);
    const endCursor = paging === 'offset' && ids.length > 0 ? String(offset + ids.length) : null;
    return { ids, endCursor, total: null };
  }
  const connection = value as
    | { edges?: Array<{ node?: Record<string, unknown> }>; nodes?: Array<Record<string, unknown>>; pageInfo?: { endCursor?: string | null; hasNextPage?: boolean }; totalCount?: number }
    | null
    | undefined;
  const items = connection?.edges?.map((edge) => edge.node ?? {}) ?? connection?.nodes;
  if (!connection || !items || !connection.pageInfo) {
    throw new UserError(`${file}: backfill.query must return a connection with edges { node { <id> } } (or nodes) and pageInfo { endCursor hasNextPage }`);
  }
  return {
    ids: idsOf(items, file),
    endCursor: connection.pageInfo.hasNextPage ? (connection.pageInfo.endCursor ?? null) : null,
    total: typeof connection.totalCount === 'number' ? connection.totalCount : null,
  };
}

function idsOf(items: Array<Record<string, unknown>>, file: string): string[] {
  return items.map((item) => {
    const id = Object.values(item ?? {}).find((value) => typeof value === 'string' || typeof value === 'number');
    if (id === undefined) throw new UserError(`${file}: each item of backfill.query must select the entity id`);
    return String(id);
  });
}

/**
 * Ids from a file, one per line (blank lines and #comments skipped), in pages of 500; each page's
 * cursor is the line it ends on, so a checkpoint skips exactly the lines already done.
 */
export async function* idsFromFile(file: string, skipLines = 0): AsyncGenerator<IdPage> {
  if (!existsSync(file)) throw new UserError(`cannot read the ids file ${file}: no such file`);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let page: string[] = [];
  let line = 0;
  for await (const text of lines) {
    line++;
    if (line <= skipLines) continue;
    const id = text.trim();
    if (id === '' || id.startsWith('#')) continue;
    page.push(id);
    if (page.length === 500) {
      yield { ids: page, endCursor: String(line), total: null };
      page = [];
    }
  }
  if (page.length > 0) yield { ids: page, endCursor: String(line), total: null };
}

import { createReadStream, existsSync, statSync } from 'node:fs';
import { pagingOf, type Paging } from '../config/backfillPaging.ts';
import { idOfDocument, type KeyPart } from '../graph/entityKey.ts';
import { FetchByKeyGateway } from '../graph/fetchByKeyGateway.ts';
import type { IndexConfig } from '../config/indexConfig.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
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
 * page), or a plain list read in one page. The id is each item's key fields, or for a one-field
 * key the first scalar it selects.
 */
export async function* enumerateIds(loaded: Pick<LoadedIndex, 'config' | 'query'>, startAfter: string | null = null): AsyncGenerator<IdPage> {
  const { config } = loaded;
  const query = config.backfill.query;
  if (!query) throw noBackfillQuery(config);
  const paging = pagingOf(query);
  const list = await listQueryRunner(loaded);
  let after = startAfter;
  try {
    for (;;) {
      const variables = paging === 'cursor' ? { after } : paging === 'offset' ? { offset: Number(after ?? 0) } : {};
      const data = await list.run(query, variables, after);
      const page = readPage(data, paging, Number(after ?? 0), config.sourceFile, loaded.query.key);
      yield page;
      if (page.endCursor === null) return;
      after = page.endCursor;
    }
  } finally {
    await list.close();
  }
}

/**
 * Where a backfill's ids come from, checked before it starts anything: the ids file must exist,
 * or without one the config must have a backfill.query.
 */
export function requireIdSource(config: Pick<IndexConfig, 'sourceFile' | 'primary' | 'backfill'>, idsFile: string | undefined): void {
  if (idsFile !== undefined) {
    checkIdsFile(idsFile);
  } else if (!config.backfill.query) {
    throw noBackfillQuery(config);
  }
}

const noBackfillQuery = (config: Pick<IndexConfig, 'sourceFile' | 'primary'>): UserError =>
  new UserError(`${config.sourceFile}: backfill.query is not set; it lists every ${config.primary.type} id page by page (or give \`backfill --ids-file <file>\`, one id a line)`);

const noIdsFile = (file: string): UserError => new UserError(`cannot read the ids file ${file}: no such file`);

/** An id longer than this is no id: a line past it means the file is not an ids file (or is /dev/zero's like). */
const MAX_ID_LINE_BYTES = 64 * 1024;

/** The ids file must be a regular file: a device or a FIFO would be read forever or hang the backfill. */
function checkIdsFile(file: string): void {
  if (!existsSync(file)) throw noIdsFile(file);
  if (!statSync(file).isFile()) throw new UserError(`cannot read the ids file ${file}: it is not a regular file`);
}

/** The lines of a file, each at most MAX_ID_LINE_BYTES (readline's lines are unbounded). */
async function* boundedLines(file: string): AsyncGenerator<string> {
  let pending = '';
  let line = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8' }) as AsyncIterable<string>) {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      line++;
      yield part.endsWith('\r') ? part.slice(0, -1) : part;
    }
    if (Buffer.byteLength(pending) > MAX_ID_LINE_BYTES) {
      throw new UserError(`cannot read the ids file ${file}: line ${line + 1} is longer than ${MAX_ID_LINE_BYTES / 1024} KiB (one id a line)`);
    }
  }
  if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}

interface ListQueryRunner {
  run(query: string, variables: Record<string, unknown>, after: string | null): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Where backfill.query runs: the gateway at gateway.url; with only a supergraph (a fetch by key),
 * an in-process gateway over its subgraphs.
 */
async function listQueryRunner(loaded: Pick<LoadedIndex, 'config' | 'query'>): Promise<ListQueryRunner> {
  const { gateway } = loaded.config;
  const refused = (after: string | null, detail: string): InfrastructureError =>
    new InfrastructureError(`the graph refused the backfill query (after ${after ?? 'the start'}): ${detail}`);
  if (gateway.url === null) {
    const plan = loaded.query.fetchByKey;
    if (!plan) throw new UserError(`${loaded.config.sourceFile}: gateway.url is needed to run backfill.query`);
    const inProcess = await FetchByKeyGateway.start(plan, gateway);
    return {
      run: async (query, variables, after) => {
        const { body } = await inProcess.execute(query, variables);
        if (!body.data || body.errors) throw refused(after, body.errors?.map((e) => String(e['message'])).join('; ') ?? 'no data');
        return body.data;
      },
      close: () => inProcess.stop(),
    };
  }
  const url = gateway.url;
  return {
    run: async (query, variables, after) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...gateway.headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(gateway.timeoutMs),
      }).catch((error: unknown) => {
        throw new InfrastructureError(`cannot reach the gateway at ${redactUrl(url)} to list ids: ${redactUrlsIn((error as Error).message)}`);
      });
      const body = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
      if (!response.ok || !body.data || body.errors) throw refused(after, body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
      return body.data;
    },
    close: async () => {},
  };
}

function readPage(data: Record<string, unknown>, paging: Paging, offset: number, file: string, key: readonly KeyPart[]): IdPage {
  const value = Object.values(data)[0];
  if (paging !== 'cursor') {
    if (!Array.isArray(value)) throw new UserError(`${file}: backfill.query without $after must return a list (one page, or paged by $offset)`);
    const ids = idsOf(value as Array<Record<string, unknown>>, file, key);
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
    ids: idsOf(items, file, key),
    endCursor: connection.pageInfo.hasNextPage ? (connection.pageInfo.endCursor ?? null) : null,
    total: typeof connection.totalCount === 'number' ? connection.totalCount : null,
  };
}

/** Each item's id: its key fields when it selects them all (a composite key needs them), else its first scalar. */
function idsOf(items: Array<Record<string, unknown>>, file: string, key: readonly KeyPart[]): string[] {
  return items.map((item) => {
    const id = idOfDocument(key, item ?? {}) ?? (key.length === 1 ? Object.values(item ?? {}).find((value) => typeof value === 'string' || typeof value === 'number') : undefined);
    if (id === undefined || id === null) {
      throw new UserError(`${file}: each item of backfill.query must select the entity's key (${key.map((part) => part.documentPath).join(', ')})`);
    }
    return String(id);
  });
}

/**
 * Ids from a file, one per line (blank lines and #comments skipped), in pages of 500; each page's
 * cursor is the line it ends on, so a checkpoint skips exactly the lines already done.
 */
export async function* idsFromFile(file: string, skipLines = 0): AsyncGenerator<IdPage> {
  checkIdsFile(file);
  const lines = boundedLines(file);
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

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError } from './errors.ts';

/** What a file is for (named in messages) and the most fedsearch reads of it. */
export interface FileLimit {
  what: string;
  maxBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

// Generous for any real file of the kind, small enough that a wrong path (a disk image, a log)
// is refused before it costs memory.
export const CONFIG_FILE: FileLimit = { what: 'config file', maxBytes: 4 * MiB };
export const CA_FILE: FileLimit = { what: 'CA file', maxBytes: 1 * MiB };
/** An SDL file or a composed supergraph (`--schema`, `gateway.supergraph`). */
export const SCHEMA_FILE: FileLimit = { what: 'schema file', maxBytes: 32 * MiB };
/** A token or secret kept in a file (its first line is used). */
export const SECRET_FILE: FileLimit = { what: 'secret file', maxBytes: 64 * KiB };

/** A file the user named that cannot be used: `reason` says why without the path, for messages that name the field instead. */
export class UnreadableFileError extends UserError {
  override readonly name = 'UnreadableFileError';

  constructor(
    readonly file: string,
    readonly reason: string,
    what: string,
  ) {
    super(`cannot read the ${what} ${file}: ${reason}`);
  }
}

/**
 * The whole of a file a user named, at most `limit.maxBytes`. Only a regular file is read: a
 * device (/dev/zero), a FIFO or a directory is refused at once — it is opened without blocking,
 * so a FIFO with no writer cannot hang the command — and a file over the limit is refused by its
 * size before any byte is read (and, should it grow meanwhile, when the read passes the limit).
 */
export function readUserFile(file: string, limit: FileLimit): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer. (Windows has no FIFOs.)
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new UnreadableFileError(file, openFailure(error as NodeJS.ErrnoException), limit.what);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UnreadableFileError(file, `it is ${fileKind(stats)}, not a regular file`, limit.what);
    const overLimit = (): UnreadableFileError =>
      new UnreadableFileError(file, `larger than the ${formatBytes(limit.maxBytes)} limit for a ${limit.what}`, limit.what);
    if (stats.size > limit.maxBytes) throw overLimit();
    // Read in chunks up to one byte past the limit: /proc files say size 0, and a file may grow.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stats.size - total, 64 * KiB), limit.maxBytes + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      total += read;
      if (total > limit.maxBytes) throw overLimit();
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    throw new UnreadableFileError(file, (error as Error).message, limit.what);
  } finally {
    closeSync(fd);
  }
}

/** readUserFile as UTF-8 text. */
export function readUserTextFile(file: string, limit: FileLimit): string {
  return readUserFile(file, limit).toString('utf8');
}

function openFailure(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EACCES') return 'permission denied';
  return error.message;
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'something else';
}

function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

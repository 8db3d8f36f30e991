/**
 * How long `backfill --new-version` waits by default for every running sink to acknowledge the new
 * version before fetching (then it goes on with a warning). Its own module: the CLI shows it in
 * `--help` without loading the reindex machinery.
 */
export const SINK_ACK_TIMEOUT_MS = 30_000;

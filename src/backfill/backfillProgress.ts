import cliProgress from 'cli-progress';

export interface ProgressStats {
  done: number;
  total: number | null;
  failed: number;
  /** Entities per second over the run so far. */
  rate: number;
  /** The cap in force now (lower than configured while slowed down). */
  cap: number;
}

/** How a long backfill shows where it is. */
export interface BackfillProgress {
  update(stats: ProgressStats): void;
  note(message: string): void;
  stop(): void;
}

/** A progress bar on a terminal; plain log lines every few seconds otherwise (CI, pipes). */
export function backfillProgress(stream: NodeJS.WriteStream = process.stderr): BackfillProgress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements BackfillProgress {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'backfill [{bar}] {percentage}% | {value}/{total} | {rate}/s (cap {cap}) | ETA {etaText} | failed {failed}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(stats: ProgressStats): void {
    // Our own ETA from the run's rate: the bar's restarts (around notes) would reset its estimate.
    const etaText = stats.total !== null && stats.rate > 0 ? `${Math.round((stats.total - stats.done) / stats.rate)}s` : '?';
    const payload = { rate: Math.round(stats.rate), cap: formatCap(stats.cap), failed: stats.failed, etaText };
    if (!this.started) {
      this.bar.start(stats.total ?? stats.done, stats.done, payload);
      this.started = true;
    }
    if (stats.total !== null) this.bar.setTotal(stats.total);
    else this.bar.setTotal(Math.max(stats.done, 1));
    this.bar.update(stats.done, payload);
  }

  note(message: string): void {
    if (this.started) this.bar.stop();
    process.stderr.write(`${message}\n`);
    this.started = false;
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

class LineProgress implements BackfillProgress {
  private lastLine = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(stats: ProgressStats): void {
    const now = Date.now();
    if (now - this.lastLine < 5_000 && stats.done !== stats.total) return;
    this.lastLine = now;
    const of = stats.total === null ? '' : `/${stats.total}`;
    const eta = stats.total !== null && stats.rate > 0 ? `, ETA ${Math.round((stats.total - stats.done) / stats.rate)}s` : '';
    this.stream.write(`backfill: ${stats.done}${of} entities, ${Math.round(stats.rate)}/s (cap ${formatCap(stats.cap)}), ${stats.failed} failed${eta}\n`);
  }

  note(message: string): void {
    this.stream.write(`${message}\n`);
  }

  stop(): void {}
}

function formatCap(cap: number): string {
  return Number.isFinite(cap) ? String(Math.round(cap)) : 'none';
}

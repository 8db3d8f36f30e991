import type { ChangeRecord } from './liveChanges.ts';
import { percentile } from './percentile.ts';

/** Time windows ([from, to) on performance.now()) of each phase; a change belongs to the phase its mutation was sent in. */
export interface PhaseWindows {
  quiet: Array<[number, number]>;
  during: Array<[number, number]>;
  after: Array<[number, number]>;
}

export interface PhaseFigures {
  changes: number;
  retitles: number;
  renames: number;
  p50: number;
  p95: number;
  p99: number;
  /** Never searchable before the bench ended. */
  lost: number;
  /** Renames not in every crediting movie within 5 s of the mutation. */
  renamesIncompleteAt5s: number;
  /** p99 against the quiet phase's. */
  p99VsQuiet: number;
}

type Phase = keyof PhaseWindows;
const PHASES: Phase[] = ['quiet', 'during', 'after'];

/** Each phase's changes, their freshness percentiles (every change, a rename counted when it shows in all its movies) and ratios to quiet. */
export function phaseTable(records: readonly ChangeRecord[], windows: PhaseWindows): { phases: Record<Phase, PhaseFigures>; lines: string[] } {
  const inPhase = (phase: Phase) => records.filter((r) => windows[phase].some(([from, to]) => r.sentAt >= from && r.sentAt < to));
  const figures = (phase: Phase): Omit<PhaseFigures, 'p99VsQuiet'> => {
    const changes = inPhase(phase);
    const latencies = changes.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])).sort((a, b) => a - b);
    return {
      changes: changes.length,
      retitles: changes.filter((r) => r.kind === 'retitle').length,
      renames: changes.filter((r) => r.kind === 'rename').length,
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      p99: Math.round(percentile(latencies, 99)),
      lost: changes.filter((r) => r.latencyMs === null).length,
      renamesIncompleteAt5s: changes.filter((r) => r.kind === 'rename' && r.within5s < r.documents).length,
    };
  };
  const quiet = figures('quiet');
  const phases = Object.fromEntries(
    PHASES.map((phase) => {
      const f = phase === 'quiet' ? quiet : figures(phase);
      return [phase, { ...f, p99VsQuiet: Number((f.p99 / quiet.p99).toFixed(2)) }];
    }),
  ) as Record<Phase, PhaseFigures>;
  const lines = [
    '| phase | changes (retitles / renames) | p50 ms | p95 ms | p99 ms | p99 vs quiet | renames not in every movie within 5 s | never searchable |',
    '|---|---|---|---|---|---|---|---|',
    ...PHASES.map((phase) => {
      const f = phases[phase];
      return `| ${phase} | ${f.changes} (${f.retitles} / ${f.renames}) | ${f.p50} | ${f.p95} | ${f.p99} | ${f.p99VsQuiet}× | ${f.renamesIncompleteAt5s} | ${f.lost} |`;
    }),
  ];
  return { phases, lines };
}

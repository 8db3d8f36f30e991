/** Why an index's pipeline is paused; low cardinality on purpose (a metric label). */
export const PAUSE_REASONS = ['breaks', 'subgraph_rejects', 'needs_reindex'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

#!/usr/bin/env bash
# Interleaved runs of bench/profileIndexer.ts (fast graph, no profiler) in another checkout — the
# baseline, built with `npm run build` — and in this one, PAIRS times: what one change did to
# fedsearch's own CPU per document, each pair close in time on a shared, noisy machine.
#   git worktree add ../baseline <commit> && (cd ../baseline && npm ci && npm run build)
#   npm run build && N=6000 PAIRS=3 bench/compareBuilds.sh ../baseline
set -euo pipefail
baseline=${1:?usage: bench/compareBuilds.sh <baseline checkout>}
here=$(cd "$(dirname "$0")/.." && pwd)
for i in $(seq 1 "${PAIRS:-3}"); do
  for tree in "$baseline" "$here"; do
    line=$(cd "$tree" && FEDSEARCH_PROFILE=0 N="${N:-6000}" npx tsx bench/profileIndexer.ts 2>/dev/null | grep -E '^rate')
    echo "pair $i $([ "$tree" = "$here" ] && echo this || echo baseline): $line"
  done
done

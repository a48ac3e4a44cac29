#!/usr/bin/env bash
# The recipe studies, in order, each a resumable `neurodyn sweep` store (rerun to continue):
# the tuning sweep behind neurodyn.train.MODEL_RECIPES, the Sparse Combo Net sizes, the comparison
# at two budgets, the Lipschitz ablation, long memory, gradient flossing.
# Usage: bash benchmarks/recipes/run.sh [STORE_ROOT]   (default runs/; ~2 h + ~3 h + ~2 h on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="${1:-runs}"
nd="${NEURODYN:-.venv/bin/neurodyn}"
for study in tune scn_sizes compare lipschitz_ablation long_memory flossing; do
    "$nd" sweep "benchmarks/recipes/$study.yaml" --out "$root/$study" --workers 2 --no-progress
done

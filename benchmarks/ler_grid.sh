#!/usr/bin/env bash
# The accuracy grid of BENCHMARKS.md: d = 5..17 x p in {0.002, 0.003, 0.004, 0.006, 0.008}, memory X,
# rounds = d, every decoder on the same shots (5,000 per point up to d = 9, 2,000 above).
#   bash benchmarks/ler_grid.sh default > benchmarks/results/ler_grid_default_residual.jsonl  (_default_depth6: default-plain; ler_grid_default.jsonl: default-d5)
#   python benchmarks/ratio_grid.py benchmarks/results/ler_grid_default_residual.jsonl
# DISTANCES="15 17" bash benchmarks/ler_grid.sh accurate   # a part of the grid (e.g. one job per core)
# PRECISION=bfloat16 bash benchmarks/ler_grid.sh accurate   # the network in bfloat16 (default: the device's)
set -euo pipefail
model=${1:-default}
for d in ${DISTANCES:-5 7 9 11 13 15 17}; do
  shots=$([ "$d" -le 9 ] && echo 5000 || echo 2000)
  for p in 0.002 0.003 0.004 0.006 0.008; do
    qec ler --distance "$d" --rounds "$d" --basis x --noise "uniform:$p" --shots "$shots" --seed $((100 + d)) \
      --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted \
      --model "$model" ${PRECISION:+--precision "$PRECISION"} --json --no-progress
  done
done

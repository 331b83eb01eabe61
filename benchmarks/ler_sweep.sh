#!/usr/bin/env bash
# LER against p for the README figure: d = 5, 7, 9; memory X; rounds = d; 10,000 paired shots per point.
#   bash benchmarks/ler_sweep.sh > benchmarks/results/ler_sweep.jsonl
#   python benchmarks/plot_ler.py benchmarks/results/ler_sweep.jsonl docs/ler_vs_p.png
set -euo pipefail
for d in 5 7 9; do
  for p in 0.002 0.003 0.004 0.006 0.008; do
    qec ler --distance "$d" --rounds "$d" --basis x --noise "uniform:$p" --shots 10000 --seed 7 \
      --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated --json --no-progress
  done
done

#!/usr/bin/env bash
# The correlated pipeline at the shipped correlated threshold (8 since 2026-11-28), on the same shots as
# benchmarks/pipeline_ler.sh (p = 0.006, seed = d, 20,000 shots) and pipeline_ler_low_noise.sh (d = 9, p = 0.003,
# seed 309, 300,000 shots):
#   bash benchmarks/pipeline_ler_correlated.sh high > benchmarks/results/pipeline_ler_correlated_p006.jsonl
#   bash benchmarks/pipeline_ler_correlated.sh low  > benchmarks/results/pipeline_ler_correlated_p003.jsonl
#   MODEL=fast DISTANCES=9 bash benchmarks/pipeline_ler_correlated.sh high > benchmarks/results/pipeline_ler_correlated_fast.jsonl
set -euo pipefail
decoders=pymatching-correlated,pipeline-correlated
model=${MODEL:-default}
if [ "${1:-high}" = high ]; then
  for d in ${DISTANCES:-9 13}; do for basis in x z; do
    qec ler --distance "$d" --rounds "$d" --basis "$basis" --noise uniform:0.006 --shots 20000 --seed "$d" \
      --decoders "$decoders" --model "$model" --json --no-progress
  done; done
else
  for basis in x z; do
    qec ler --distance 9 --rounds 9 --basis "$basis" --noise uniform:0.003 --shots 300000 --seed 309 \
      --decoders "$decoders" --model "$model" --json --no-progress
  done
fi

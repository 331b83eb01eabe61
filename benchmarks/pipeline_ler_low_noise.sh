#!/usr/bin/env bash
# The pipeline at p = 0.003, where errors are rare: d = 9, memory X and Z, 100,000 paired shots per point.
#   bash benchmarks/pipeline_ler_low_noise.sh [MODEL] > benchmarks/results/pipeline_ler_d9_p003.jsonl
#   BASES=x bash benchmarks/pipeline_ler_low_noise.sh   (one basis)
set -euo pipefail
model=${1:-default}
for basis in ${BASES:-x z}; do
  qec ler --distance 9 --rounds 9 --basis "$basis" --noise uniform:0.003 --shots 100000 --seed 309 \
    --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted,pipeline-reweighted-correlated \
    --model "$model" --json --no-progress
done

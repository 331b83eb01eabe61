#!/usr/bin/env bash
# The pipeline at p = 0.003, where errors are rare: d = 9, memory X and Z, 300,000 paired shots per point
# (the rows carry McNemar's paired counts against PyMatching / correlated PyMatching).
#   bash benchmarks/pipeline_ler_low_noise.sh [MODEL] > benchmarks/results/pipeline_ler_d9_p003_300k.jsonl
#   BASES=x bash benchmarks/pipeline_ler_low_noise.sh   (one basis; run the two bases as two jobs on two cores)
set -euo pipefail
model=${1:-default}
for basis in ${BASES:-x z}; do
  qec ler --distance 9 --rounds 9 --basis "$basis" --noise uniform:0.003 --shots "${SHOTS:-300000}" --seed 309 \
    --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted,pipeline-reweighted-correlated \
    --model "$model" --json --no-progress
done

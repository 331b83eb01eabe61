#!/usr/bin/env bash
# The pipeline's accuracy table: d = 9, 13; memory X and Z; uniform p = 0.006; 20,000 paired shots per point.
#   bash benchmarks/pipeline_ler.sh [MODEL] > benchmarks/results/pipeline_ler_default_residual.jsonl  (_default_depth6: default-plain; pipeline_ler.jsonl: default-d5)
#   DISTANCES=9 bash benchmarks/pipeline_ler.sh fast > benchmarks/results/pipeline_ler_fast.jsonl
#   PRECISION=bfloat16 DISTANCES=9 bash benchmarks/pipeline_ler.sh accurate  (the network in bfloat16)
set -euo pipefail
model=${1:-default}
for d in ${DISTANCES:-9 13}; do
  for basis in x z; do
    qec ler --distance "$d" --rounds "$d" --basis "$basis" --noise uniform:0.006 --shots 20000 --seed "$d" \
      --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted,pipeline-reweighted-correlated \
      --model "$model" ${PRECISION:+--precision "$PRECISION"} --json --no-progress
  done
done

#!/usr/bin/env bash
# CPU timing table: d = 9, 13, 17; p = 0.003, 0.006; the same shots for every stage.
#   bash benchmarks/bench_cpu.sh > benchmarks/results/bench_cpu_default_residual.jsonl  (_default_depth6: default-plain; bench_cpu.jsonl: default-d5)
#   bash benchmarks/bench_cpu.sh --precision bfloat16 > benchmarks/results/bench_cpu_default_residual_bf16.jsonl  (extra args go to qec bench)
set -euo pipefail
for p in 0.003 0.006; do
  for d in 9 13 17; do
    shots=2000; [ "$d" = 17 ] && shots=1000
    qec bench --distance "$d" --rounds "$d" --noise "uniform:$p" --shots "$shots" --device cpu --repeats 3 --json "$@"
  done
done

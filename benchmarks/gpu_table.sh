#!/usr/bin/env bash
# The GPU table of BENCHMARKS.md: d = 13, 21, 31 at p = 0.003 and 0.006, every stage timed on the
# same shots (qec bench), plus the CPU/GPU decision disagreement; sized to finish in about 5 minutes
# on one H100/H200 (estimated from the 2026-11-28 run, which used more shots).
#
# Prepared here, run on the device machine (torch is there; stim, pymatching and sinter travel as
# cp312 wheels). Once, in the repo root on the CPU machine:
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 -d .whl \
#     stim==1.16.0 PyMatching==2.4.0 sinter==1.15.0
# then run (carry .whl):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \
#     PYTHONPATH=/tmp/site:. bash benchmarks/gpu_table.sh cuda $OUT
# Dry run on a CPU (tiny sizes, same code path): PYTHONPATH=. bash benchmarks/gpu_table.sh cpu /tmp/gpu_dry
# The d = 13 rows also time the stream (--stream: pipeline-stream and pymatching-stream, windows of 4 + 4 rounds).
# COMPILE=1 adds --compile (torch.compile with CUDA graphs; each run compiles first, untimed, so it takes longer).
set -euo pipefail
device=${1:-cuda}
out=${2:-.}
mkdir -p "$out"
if [ "$device" = cuda ]; then
  # distance:shots:batch. PyMatching's own time grows as d^3 per shot: on an H200 host the first four rows took
  # 240 s with 4,000 shots at d = 21, and d = 31, p = 0.006 with 1,000 shots ran past 110 s.
  runs="13:10000:2000 21:2000:1000 31:500:500"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/gpu.txt"
else
  runs="5:200:100 7:200:100"
fi
# The pipeline matches in 8 worker processes beside the network (qec.MatchingPool); PyMatching alone is timed on one
# core (pymatching_us_per_round) and on the same 8 processes (pymatching_parallel_us_per_round).
workers=8
[ "$device" = cuda ] || workers=1
for run in $runs; do
  IFS=: read -r d shots batch <<< "$run"
  for p in 0.003 0.006; do
    timeout 150 python3 -m qec bench --distance "$d" --rounds "$d" --noise "uniform:$p" --shots "$shots" \
      --device "$device" --batch-size "$batch" --matching-workers "$workers" --model models/default.pt --json ${COMPILE:+--compile} \
      $([ "$d" = 13 ] || [ "$device" != cuda ] && echo --stream) \
      | tee -a "$out/gpu_table.jsonl"
  done
done
# CPU and GPU decisions on the same shots (bf16 autocast on CUDA vs float32 on the CPU).
python3 benchmarks/device_agreement.py --device "$device" --distance 13 --shots 2000 | tee "$out/agreement.json"

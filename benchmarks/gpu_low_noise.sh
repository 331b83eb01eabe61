#!/usr/bin/env bash
# d = 13, p = 0.003 on 10^6 paired shots per basis (issue #6's low-noise line, which a CPU cannot reach: PyMatching
# fails about once in 20,000 shots there). The network runs on the GPU; the shots are split into SHARDS consecutive
# parts of one seed (qec ler --skip-shots), decoded by that many processes at once, and joined by merge_ler.py.
# Reweighted matching uses the shortcut matcher (the graph-per-shot one would need about 7 ms per shot here).
# Sized for one device call (timeout_s 600) on an H100/H200 host with 16 cores: about 0.5 ms of CPU per shot
# (sampling, three matchers, the shortcut matcher's ~0.4 ms), so 10^6 shots over 14 processes take about a
# minute per basis, plus the skipped shots' sampling (estimated from the 2-core CPU's timings; not yet run there).
#
# On the device machine (stim, pymatching and sinter as cp312 wheels in .whl/, see gpu_table.sh), carry .whl:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && ln -sfn ../models qec/models && \
#     PYTHONPATH=/tmp/site:. bash benchmarks/gpu_low_noise.sh $OUT
# Dry run on a CPU (same code path, tiny sizes):
#   DEVICE=cpu DISTANCE=5 SHOTS=20000 SHARDS=3 PYTHONPATH=. bash benchmarks/gpu_low_noise.sh /tmp/low_noise_dry
set -euo pipefail
out=${1:?usage: gpu_low_noise.sh OUT_DIR}
device=${DEVICE:-cuda}
shots=${SHOTS:-1000000}
shards=${SHARDS:-14}
d=${DISTANCE:-13}
model=${MODEL:-accurate}
chunk=5000  # qec ler samples in chunks of 5,000 shots; a shard must start on a chunk
per_shard=$(( (shots / shards + chunk - 1) / chunk * chunk ))
mkdir -p "$out/shards"
export OMP_NUM_THREADS=1
for basis in x z; do
  pids=()
  for (( i = 0; i * per_shard < shots; i++ )); do
    skip=$(( i * per_shard ))
    n=$(( shots - skip < per_shard ? shots - skip : per_shard ))
    python3 -m qec ler --distance "$d" --rounds "$d" --basis "$basis" --noise uniform:0.003 --shots "$n" \
      --skip-shots "$skip" --seed 1313 --model "$model" --device "$device" --batch-size 1000 \
      --decoders pymatching,pymatching-correlated,pipeline,pipeline-reweighted-shortcut --json --no-progress \
      > "$out/shards/${basis}_$i.jsonl" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  echo "== basis $basis done at ${SECONDS} s"
done
python3 benchmarks/merge_ler.py "$out"/shards/x_*.jsonl --json > "$out/ler_low_noise.jsonl"
python3 benchmarks/merge_ler.py "$out"/shards/z_*.jsonl --json >> "$out/ler_low_noise.jsonl"
python3 benchmarks/merge_ler.py "$out"/shards/x_*.jsonl "$out"/shards/z_*.jsonl

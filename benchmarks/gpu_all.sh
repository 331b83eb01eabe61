#!/usr/bin/env bash
# Every GPU check of the project in one device run, sized for one 10-minute call (timeout_s 600) on an H100/H200:
#   1. the CUDA tests (tests/cuda_test.py: block-wise = whole volume, cupy/torch inputs, CPU/GPU agreement,
#      overlapped matching, the on-GPU sampler);
#   2. the GPU table (benchmarks/gpu_table.sh, about 5 minutes, cut off at 330 s);
#   3. training/train_gpu.sh in the time left (TOTAL_SECONDS in all, default 560: about 2 minutes of training),
#      checkpoints in /tmp. The full 7-minute training fits one call of its own: bash training/train_gpu.sh $OUT.
#      CONFIG=training/configs/gpu_wide.json (passed through) trains the width-64 network instead.
# At most 8 files come back from the device: gpu.txt, gpu_table.jsonl, agreement.json, train.log, gpu.pt,
# ler.jsonl, gpu.md and stderr.txt. The low-noise accuracy run (d = 13, p = 0.003, 10^6 shots per basis) is a call
# of its own: bash benchmarks/gpu_low_noise.sh $OUT.
#
# On the device machine (stim, pymatching and sinter as cp312 wheels in .whl/, see gpu_table.sh), carry .whl:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && ln -sfn ../models qec/models && \
#     PYTHONPATH=/tmp/site:. bash benchmarks/gpu_all.sh $OUT
# Dry run on a CPU: DRY_RUN=1 TOTAL_SECONDS=200 PYTHONPATH=. bash benchmarks/gpu_all.sh /tmp/gpu_all_dry
set -uo pipefail
out=${1:?usage: gpu_all.sh OUT_DIR}
total=${TOTAL_SECONDS:-560}
mkdir -p "$out"
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
exec 2> >(tee -a "$out/stderr.txt" >&2)

if [ -n "${DRY_RUN:-}" ]; then
  device=cpu; train_args=(--device=cpu --steps=4 --batch_size=16 --label_workers=2 --eval_every=2 --eval_shots=200)
  export LER_SHOTS=200
else
  device=cuda; train_args=(--steps=6000 --eval_every=500)
  export LER_SHOTS=${LER_SHOTS:-2000}  # a first look; the model's real measurements are made afterwards on paired shots
  python3 -m pytest -q -p no:cacheprovider tests/cuda_test.py 2>&1 | tail -n 15
fi
echo "== cuda tests done at $(elapsed) s"

timeout 330 bash benchmarks/gpu_table.sh "$device" "$out"
echo "== GPU table done at $(elapsed) s"

# Training gets what is left, less about 80 s for start-up, export, the quick LER check and the card.
minutes=$(python3 -c "print(max(0.5, round(($total - $(elapsed) - 80) / 60, 2)))")
echo "== training for $minutes minutes"
RUN_DIR=/tmp/qec_gpu_run timeout $(( total - $(elapsed) + 60 )) \
  bash training/train_gpu.sh "$out" "${train_args[@]}" --max_minutes="$minutes" 2>/dev/null
rc=$?
echo "== all done at $(elapsed) s (training rc $rc)"

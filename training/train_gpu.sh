#!/usr/bin/env bash
# Trains the default network on one GPU within 7 minutes of training time (the budget is 8 minutes on
# one H100), then exports it with its card. The shots are sampled on the GPU (TorchSampler); the teacher labels
# (correlated PyMatching, CPU-bound) come from 14 worker processes (label_workers), so the GPU is not held up by
# one CPU core. Every step's shots follow from the seed and the step: a stopped run resumes with
# --init_from=resume and repeats an uninterrupted one.
#
# On the device machine (torch is there; stim, pymatching and sinter travel as the cp312 wheels of
# benchmarks/gpu_table.sh, in .whl/):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \
#     PYTHONPATH=/tmp/site:. bash training/train_gpu.sh $OUT
# RUN_DIR puts the checkpoints elsewhere (default: $out/run). CONFIG picks the config (default
# training/configs/gpu.json: the shipped default's network and recipe, depth 6 (R = 13) with skip connections,
# bfloat16 and an EMA of the weights, which trained the default in 19 CPU minutes; dry-run on the CPU only, never on
# a GPU).
# CONFIG=training/configs/gpu_depth5.json is the depth-5 network that was the default until 2026-11-29, the one run made
# on a GPU so far (BENCHMARKS.md, "On one GPU": 28 steps of 1,024 shots per second on an H200, bound by the teacher
# labels). CONFIG=training/configs/gpu_wide.json trains models/accurate.pt's network and recipe (the default's at
# width 64, on d = 13 volumes, 160 per step: the same detectors per step as 1,024 d = 7 volumes; 87 minutes on one CPU
# thread at 20 per step; never run on a GPU), the next run to make. Extra arguments go to train.py, e.g.
# `bash training/train_gpu.sh OUT --distance=7 --rounds=7 --batch_size=1024` for d = 7 volumes, which lost to d = 13
# volumes on the CPU (BENCHMARKS.md, "Larger training volumes" and "... at width 64"). `--mlp=2` adds a per-voxel MLP
# after each convolution: on the CPU it learned about twice as much per training shot (BENCHMARKS.md, "A per-voxel MLP
# after each convolution"; with gpu_wide.json it is models/accurate-mlp.pt's network and recipe), and shots are what a
# GPU run is short of; the first variant to try.
# Dry run on a CPU (a few tiny steps, same code path):
#   LER_SHOTS=200 PYTHONPATH=. bash training/train_gpu.sh /tmp/gpu_train_dry --device=cpu --steps=4 --batch_size=16 \
#     --label_workers=2 --eval_every=2 --eval_shots=200 --max_minutes=1
set -euo pipefail
out=${1:-.}
shift || true
mkdir -p "$out"
config=${CONFIG:-training/configs/gpu.json}
start=$(date +%s)
python3 training/train.py --config "$config" --out_dir="${RUN_DIR:-$out/run}" "$@" 2> >(tee "$out/train.log" >&2)
seconds=$(( $(date +%s) - start ))
echo "training wall time: $seconds s" | tee -a "$out/train.log"
machine=$(python3 -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU (dry run)")')
# The decision settings other than the trained threshold are the shipped default's (same network, same training noise);
# re-tune them with benchmarks/tune_threshold.py and benchmarks/tune_reweighting.py before shipping.
python3 training/export.py "${RUN_DIR:-$out/run}/best.pt" "$out/gpu.pt" --name gpu --minutes "$(( (seconds + 59) / 60 ))" \
  --machine "$machine" --decision-settings-from models/default.pt
# The new model against PyMatching on paired shots (the same command as the default model's card row).
python3 -m qec ler --distance 9 --rounds 9 --basis x --noise uniform:0.006 --shots "${LER_SHOTS:-20000}" --seed 9 \
  --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted \
  --model "$out/gpu.pt" --json --no-progress | tee "$out/ler.jsonl"
python3 benchmarks/model_card.py "$out/gpu.pt" --ler "$out/ler.jsonl" --log "$out/train.log" \
  --config "$config" --note "trained by training/train_gpu.sh on $machine" > "$out/gpu.md"

"""Write a shipped model's card from its checkpoint and the benchmark results measured with it.

    python benchmarks/model_card.py models/default.pt --ler benchmarks/results/pipeline_ler_default_residual.jsonl \
        --bench benchmarks/results/bench_cpu_default_residual.jsonl --note ... --reproduce ... > models/default.md

The validation history comes from the checkpoint's metadata, or else from the training log(s).
"""

import argparse
import json
import re

import qec
from qec._predecoder import load_checkpoint_file


def history_from_log(path):
    """The validation lines that `qec.train` prints, as history dicts."""
    out = []
    for line in open(path):
        m = re.match(r"step (\d+) loss ([\d.]+) \| pymatching (\d+) errors.*thr:errors/density (.*) \| best thr", line)
        if m:
            cells = dict(c.split(":", 1) for c in m.group(4).split())
            out.append({"step": int(m.group(1)), "loss": float(m.group(2)), "pymatching_errors": int(m.group(3)),
                        "by_threshold": {k: [int(v.split("/")[0]), float(v.split("/")[1])] for k, v in cells.items()}})
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--ler", required=True, help="qec ler --json lines measured with this model")
    parser.add_argument("--ler-command", default="bash benchmarks/pipeline_ler.sh")
    parser.add_argument("--bench", default=None, help="qec bench --json lines measured with this model")
    parser.add_argument("--log", action="append", default=[], help="training log(s), in order")
    parser.add_argument("--config", default="training/configs/default.json")
    parser.add_argument("--reproduce", default=None, help="how to reproduce the training, when not one plain run")
    parser.add_argument("--note", action="append", default=[], help="an extra line for the architecture list")
    args = parser.parse_args()
    model_path = args.model
    ckpt = load_checkpoint_file(model_path)
    model = qec.PreDecoder.from_checkpoint_dict(ckpt)
    meta, cfg, net = model.metadata, ckpt.get("train_config") or {}, model.net.config
    ler = [json.loads(line) for line in open(args.ler) if line.strip()]
    bench = [json.loads(line) for line in open(args.bench) if line.strip()] if args.bench else []
    print(f"# Model card: `{meta.get('name')}`\n")
    print(f"`models/{meta.get('name')}.pt`, loaded by `qec.Decoder.from_circuit(circuit, model=\"{meta.get('name')}\")`"
          f" and `qec ler --model {meta.get('name')}`.\n")
    print("## Architecture\n")
    kind = "3D CNN with skip connections (layers 2 on add their input)" if net.residual else "Plain 3D CNN"
    print(f"- {kind}: {net.depth} same-padded Conv3d layers (kernel {net.kernel}, width {net.width}) with GELU, "
          + (f"each followed by a per-voxel MLP ({net.mlp * net.width} hidden channels, added to its input), "
             if net.mlp else "")
          + f"then a 1×1×1 head with {net.num_classes} outputs (one per edge class) per voxel.")
    print(f"- Parameters: {model.net.num_parameters:,}. Receptive field R = {net.receptive_field} voxels "
          f"(halo {(net.receptive_field - 1) // 2} for block-wise and streaming inference).")
    print("- Input channels: detection events, detector present, detector of the memory's basis; grid (rounds + 1) × (d + 1) × (d + 1).")
    print(f"- Edge classes: {model.classes} ((is_boundary, dt, drow, dcol)).")
    print(f"- Decision policy `{model.policy}`; threshold {model.threshold:g} for uncorrelated residual matching, "
          f"{model.threshold_correlated:g} (with correlation-safe commits) for correlated residual matching, chosen on "
          f"shots no benchmark uses (BENCHMARKS.md, 'Choosing the shipped thresholds').")
    if model.threshold_by_density:
        rule = ", ".join(f"{thr:g} below {rho:g}" for rho, thr in model.threshold_by_density)
        print(f"- Hard threshold by the circuit's noise (its DEM's expected detection events per detector): {rule}; "
              f"{model.threshold:g} above (BENCHMARKS.md, 'A threshold by the circuit's noise').")
    if model.threshold_by_timelike_ratio:
        rule = "; ".join(f"from {ratio:g}, {thr:g}" + "".join(f", {t:g} below density {rho:g}" for rho, t in pairs)
                         for ratio, thr, pairs in model.threshold_by_timelike_ratio)
        print(f"- Hard threshold by the kind of noise (its DEM's time-like ratio, `DecodingGraph.timelike_ratio`: "
              f"2.4-2.9 under SI1000, 1.6-2.15 under uniform noise), instead of the rule by density: {rule} "
              f"(BENCHMARKS.md, 'A threshold by the kind of noise').")
    if model.threshold_floor_by_noise_spread:
        rule = ", ".join(f"at least {floor:g} from {spread:g}" for spread, floor in model.threshold_floor_by_noise_spread)
        print(f"- A floor under either rule where the noise varies across qubits (its DEM's noise spread, "
              f"`DecodingGraph.noise_spread`: 0 under uniform noise, about 0.67 σ under per-qubit log-normal "
              f"factors of spread σ): {rule} (BENCHMARKS.md, 'A floor by how much the noise varies').")
    print(f"- Reweighted matching (`pipeline-reweighted`, `Decoder(reweight=True)`): commits above "
          f"{model.threshold_reweighted:g}, then weights move by {model.reweight_scale:g} × logit on edges between "
          f"events; the two-pass correlated variant commits "
          + ("nothing first" if model.threshold_reweighted_correlated == float("inf") else
             f"above {model.threshold_reweighted_correlated:g} (correlation-safe)")
          + f" and moves weights by {model.reweight_scale_correlated:g} × logit (BENCHMARKS.md, "
          f"'Reweighting the matching graph').")
    if args.note:
        print("\n".join(f"- {n}" for n in args.note))
    print()
    print("## Training\n")
    print(f"- Config (`{args.config}`, resolved): `{json.dumps(cfg)}`")
    print(f"- Steps: {meta.get('steps')}; shots seen: {meta.get('shots_seen'):,} "
          f"(batch {cfg.get('batch_size')} × steps); labels: `{cfg.get('labels')}` on `{cfg.get('loss_on')}` edges.")
    if meta.get("fine_tuned_from"):
        origin = meta["fine_tuned_from"]
        print(f"- Fine-tuned from `{origin['model']}` (weights sha256 {origin['weights_sha256'][:16]}…, "
              f"{origin.get('shots_seen') or 0:,} training shots before): the steps and shots above are the "
              "fine-tuning's alone.")
    print(f"- Wall time: {meta.get('train_minutes'):.0f} minutes on {meta.get('machine')}.")
    print("- Reproduce: " + (args.reproduce or (
        f"`python training/train.py --config {args.config} --max_minutes=0 --pause_at={meta.get('steps')}` (every "
        "step's shots follow from the seed and the step, so the run stops where this one did; `--init_from=resume` "
        "continues it), then `python training/export.py`.")) + "\n")
    hist = meta.get("history") or [h for path in args.log for h in history_from_log(path)]
    if hist:
        source = "the checkpoint" if meta.get("history") else ", ".join(f"`{p}`" for p in args.log)
        print(f"Validation during training, from {source} (fixed shots: d = {cfg.get('eval_distance')}, memory X, "
              f"{cfg.get('eval_noise')}, {cfg.get('eval_shots')} shots; PyMatching alone makes "
              f"{hist[-1]['pymatching_errors']} errors there):\n")
        keys = list(hist[-1]["by_threshold"])
        print("| step | loss | " + " | ".join(f"thr {float(k):g}: errors / density" for k in keys) + " |")
        print("|---|---|" + "---|" * len(keys))
        stride = max(1, len(hist) // 8)
        for h in [h for i, h in enumerate(hist) if i % stride == 0 or i == len(hist) - 1]:
            cells = " | ".join(f"{h['by_threshold'][k][0]} / {h['by_threshold'][k][1]:.4f}" for k in keys)
            print(f"| {h['step']} | {h['loss']:.4f} | {cells} |")
        print()
    print("## Measured (paired shots; machine: 2-core CPU, no GPU)\n")
    print(f"Command: `{args.ler_command}` (each row group decodes the same shots).\n")
    print("| basis | d | noise | shots | decoder | errors | LER/round (95% CI) | vs matcher alone | density in → residual |")
    print("|---|---|---|---|---|---|---|---|---|")
    groups = {}
    for r in ler:
        groups.setdefault((r["basis"], r["distance"], r["noise"]), {})[r["decoder"]] = r
    for (basis, d, noise), by in groups.items():
        for name, r in by.items():
            base = by.get("pymatching-correlated" if name.endswith("-correlated") else "pymatching")
            ratio = f"{r['errors'] / base['errors']:.2f}×" if name.startswith("pipeline") and base["errors"] else ""
            dens = (f"{r['density_in']:.4f}" if r["density_residual"] is None
                    else f"{r['density_in']:.4f} → {r['density_residual']:.4f} ({r['density_in'] / r['density_residual']:.1f}×)")
            print(f"| {basis.upper()} | {d} | {noise} | {r['shots']} | {name} | {r['errors']} | {r['ler_round']:.2e} "
                  f"[{r['ler_round_low']:.2e}, {r['ler_round_high']:.2e}] | {ratio} | {dens} |")
    if bench:
        print("\nCPU timings (`bash benchmarks/bench_cpu.sh`; µs per round per shot, median of 3):\n")
        print("| d | noise | PyMatching | pre-decoder | residual matching | residual / raw matching | pipeline |")
        print("|---|---|---|---|---|---|---|")
    for r in bench:
        print(f"| {r['distance']} | {r['noise']} | {r['pymatching_us_per_round']:.2f} | {r['predecoder_us_per_round']:.0f} | "
              f"{r['residual_matching_us_per_round']:.2f} | {r['residual_to_raw_matching_ratio']:.2f} | "
              f"{r['pipeline_us_per_round']:.0f} |")
    print("\nNo GPU timing has been measured for this model.")


if __name__ == "__main__":
    main()

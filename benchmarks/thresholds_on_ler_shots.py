"""Hard-pipeline errors and residual density at several thresholds, on exactly the shots of a `qec ler`
run, so that the rows pair with it shard by shard.

The shots are drawn as `qec ler --seed S --skip-shots K` draws them (one Stim sampler seeded with S,
5,000 shots per call, the first K skipped); the network runs once per chunk and every threshold
decides on the same logits. One JSON line per shard, with PyMatching's errors on the same shots
and, per threshold, errors, the paired counts against PyMatching and the residual density.
`--rules` adds thresholds per edge class, one per class in the model's order (`PreDecoder.classes`;
the graph's classes are listed in each line), scored the same way:

    python benchmarks/thresholds_on_ler_shots.py accurate --distance 13 --noise uniform:0.003 --seed 1313 \\
        --shard-shots 50000 --shards 0,2,4 --thresholds 3,2,1 --precision bfloat16 \\
        --rules 3,3,2,3,2,2,2,2,3
"""

import argparse
import json
import time

import numpy as np
import torch

import qec
from qec._command._main_ler import CHUNK, skip_shots
from qec._stats import discordant_counts

from _paired_shots import rule_thresholds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a shipped model's name or a checkpoint path")
    parser.add_argument("--distance", type=int, default=13)
    parser.add_argument("--basis", default="x")
    parser.add_argument("--noise", default="uniform:0.003")
    parser.add_argument("--seed", type=int, default=1313)
    parser.add_argument("--shard-shots", type=int, default=50_000, help="shots per shard (a multiple of 5,000)")
    parser.add_argument("--shards", default="0", help="comma-separated shard indices: shard i skips i * shard-shots")
    parser.add_argument("--thresholds", default="3,2,1")
    parser.add_argument("--rules", nargs="*", default=[], help="per-class thresholds, comma-separated in the model's class order")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None)
    args = parser.parse_args()
    if args.shard_shots % CHUNK:
        parser.error(f"--shard-shots must be a multiple of {CHUNK}")
    circuit = qec.generate_circuit(args.distance, args.distance, basis=args.basis, noise=args.noise)
    graph = qec.DecodingGraph.from_circuit(circuit)
    model = qec.PreDecoder.load(args.model)
    bound = model.bind(graph, precision=args.precision)
    matcher = qec.Matcher(graph.dem)
    # Uniform thresholds as numbers, per-class rules as one threshold per edge: decide takes both.
    thresholds = {("by_threshold", f"{float(t):g}"): float(t) for t in args.thresholds.split(",") if t}
    thresholds.update({("by_rule", rule): rule_thresholds(bound, rule) for rule in args.rules})
    sampler = circuit.compile_detector_sampler(seed=args.seed)
    position = 0  # shots drawn so far; the shards go in ascending order, skipping the gaps between them
    for shard in sorted(set(map(int, args.shards.split(",")))):
        start = time.perf_counter()
        skip_shots(sampler, shard * args.shard_shots - position)
        position = (shard + 1) * args.shard_shots
        dets, obs = zip(*(sampler.sample(CHUNK, separate_observables=True)
                          for _ in range(args.shard_shots // CHUNK)))
        dets, obs = np.concatenate(dets), np.concatenate(obs)
        baseline = np.any(matcher.decode_batch(dets) != obs, axis=1)
        fails = {key: np.zeros(len(dets), dtype=bool) for key in thresholds}
        events_left = dict.fromkeys(thresholds, 0)
        for begin in range(0, len(dets), CHUNK):
            part = slice(begin, begin + CHUNK)
            dets_t = torch.as_tensor(dets[part])
            logits = bound.edge_logits(dets_t, batch_size=512)
            for key, threshold in thresholds.items():
                residual, flip = (x.numpy() for x in bound.apply(bound.decide(logits, dets_t, threshold=threshold), dets_t))
                fails[key][part] = np.any((matcher.decode_batch(residual) ^ flip) != obs[part], axis=1)
                events_left[key] += int(residual.sum())
        scores = {"by_threshold": {}, "by_rule": {}}
        for (table, name), failed in fails.items():
            only_pipeline, only_pymatching = discordant_counts(failed, baseline)
            scores[table][name] = {"errors": int(failed.sum()), "density_residual": events_left[table, name] / dets.size,
                                   "only_pipeline_fails": only_pipeline, "only_pymatching_fails": only_pymatching}
        print(json.dumps({"model": args.model, "distance": args.distance, "rounds": args.distance,
                          "basis": args.basis, "noise": args.noise, "seed": args.seed,
                          "skip_shots": shard * args.shard_shots, "shots": args.shard_shots,
                          "precision": args.precision or "float32", "pymatching_errors": int(baseline.sum()),
                          "density_in": float(dets.mean()), **scores, "classes": graph.classes,
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()

"""A model's hard threshold at several noise levels, from shot-by-shot failures.

One pass per noise setting records, per shot, its detection-event density and whether PyMatching
and the pipeline at each candidate threshold fail; the printed counts per setting choose a
threshold per noise level (`qec.PreDecoder.threshold_by_density`, keyed by the circuit's expected
density). `--score` replays a rule on each shot's own density instead, from the record alone (a
shot's decisions at a fixed threshold do not depend on the other shots).

    # shots no benchmark uses (seed 1000 + d); `accurate`'s rule came from these two runs:
    python benchmarks/tune_threshold_by_density.py models/accurate.pt --distance 9 --bases x,z \
        --noise uniform:0.003,uniform:0.004 --shots 100000 --thresholds 2,3,4,5 --precision bfloat16 \
        --out runs/bd_low.npz
    python benchmarks/tune_threshold_by_density.py models/accurate.pt --distance 9 --bases x,z \
        --noise uniform:0.005,uniform:0.006 --shots 40000 --thresholds 2,3,4,5 --precision bfloat16 \
        --out runs/bd_high.npz
    python benchmarks/tune_threshold_by_density.py --score runs/bd_low.npz runs/bd_high.npz --rule 0.055:4,0.0695:3

`--against` compares two models' records of the same shots, pooled over every setting they share: at each
fixed threshold, the shots only the first model's pipeline fails and those only the second's fails.

    python benchmarks/tune_threshold_by_density.py --score runs/new_*.npz --against runs/bd_low.npz runs/bd_high.npz
"""

import argparse
import json

import numpy as np

import qec
from qec._predecoder import parse_threshold_pairs, threshold_for_density


def record(model, distance: int, basis: str, noise: str, shots: int, thresholds: list[float],
           precision: str | None) -> dict:
    """Per-shot density, PyMatching's failures and the pipeline's failures at each threshold."""
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(distance, distance, basis=basis, noise=noise))
    batch = qec.StimSampler(graph, seed=1000 + distance).sample(shots)
    matcher = qec.Matcher(graph.dem)
    pymatching = np.any(matcher.decode_batch(batch.dets) != batch.obs, axis=1)
    result = qec.evaluate(model, graph, batch.dets, batch.obs, thresholds=thresholds, matcher=matcher,
                          baseline_errors=int(pymatching.sum()), precision=precision)
    return {"density": batch.dets.mean(axis=1), "pymatching": pymatching,
            "pipeline": np.stack([result["by_threshold_failures"][thr] for thr in thresholds])}


def score(data, rule: list[tuple[float, float]], default: float) -> dict:
    """Errors of the rule (threshold ``default`` above every density of the rule) per noise setting."""
    thresholds = list(data["thresholds"])
    out = {}
    for setting in data["settings"]:
        density, pm, fails = data[f"{setting}/density"], data[f"{setting}/pymatching"], data[f"{setting}/pipeline"]
        chosen = np.array([thresholds.index(threshold_for_density(rule, rho, default)) for rho in density])
        out[setting] = {"pymatching": int(pm.sum()), "rule": int(fails[chosen, np.arange(len(density))].sum()),
                        **{f"fixed {t:g}": int(fails[k].sum()) for k, t in enumerate(thresholds)}}
    return out


def against(records, others) -> dict:
    """Pooled discordant shots per fixed threshold: (only ``records`` fail, only ``others`` fail, exact p)."""
    theirs, their_density = {}, {}
    for other in others:
        for setting in other["settings"]:
            theirs[setting] = dict(zip(other["thresholds"], other[f"{setting}/pipeline"]))
            their_density[setting] = other[f"{setting}/density"]
    counts = {}
    for data in records:
        for setting in data["settings"]:
            if setting not in theirs:
                continue
            if not np.array_equal(data[f"{setting}/density"], their_density[setting]):
                raise SystemExit(f"{setting}: the two records are not of the same shots (their densities differ)")
            for threshold, fails in zip(data["thresholds"], data[f"{setting}/pipeline"]):
                if threshold in theirs[setting]:
                    pair = counts.setdefault(float(threshold), [0, 0])
                    pair[0] += int((fails & ~theirs[setting][threshold]).sum())
                    pair[1] += int((theirs[setting][threshold] & ~fails).sum())
    if not counts:
        raise SystemExit("the records share no setting and threshold")
    return {t: (a, b, qec.paired_sign_test(a, b)) for t, (a, b) in sorted(counts.items())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?")
    parser.add_argument("--distance", type=int, default=9)
    parser.add_argument("--bases", default="x,z")
    parser.add_argument("--noise", default="uniform:0.003,uniform:0.006", help="comma-separated noise settings")
    parser.add_argument("--shots", type=int, default=50_000)
    parser.add_argument("--thresholds", default="2,3,4,5")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None)
    parser.add_argument("--out", help="where to write the shot-by-shot record (.npz)")
    parser.add_argument("--score", metavar="NPZ", nargs="+", help="score --rule on records instead of making one")
    parser.add_argument("--rule", default="", help="DENSITY:THRESHOLD,... ascending (empty: the default threshold alone)")
    parser.add_argument("--default-threshold", type=float, default=2.0, help="the threshold above every density of the rule")
    parser.add_argument("--against", metavar="NPZ", nargs="+", help="with --score: another model's records of the same shots")
    args = parser.parse_args()
    if args.against:
        if not args.score:
            parser.error("--against compares the --score records with another model's")
        for threshold, (only_this, only_other, p) in against([np.load(path) for path in args.score],
                                                             [np.load(path) for path in args.against]).items():
            print(json.dumps({"threshold": threshold, "only_this_fails": only_this, "only_other_fails": only_other,
                              "p": p}))
        return
    if args.score:
        rule = parse_threshold_pairs(args.rule)
        for path in args.score:
            for setting, counts in score(np.load(path), rule, args.default_threshold).items():
                print(json.dumps({"setting": setting, "rule_pairs": args.rule, **counts}))  # counts["rule"]: its errors
        return
    if not args.model or not args.out:
        parser.error("give a model and --out to make a record, or --score NPZ to score one")
    model = qec.PreDecoder.load(args.model)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    arrays, settings = {"thresholds": np.array(thresholds)}, []
    for noise in args.noise.split(","):
        for basis in args.bases.split(","):
            setting = f"d{args.distance} {basis} {noise}"
            part = record(model, args.distance, basis, noise, args.shots, thresholds, args.precision)
            settings.append(setting)
            arrays.update({f"{setting}/{key}": value for key, value in part.items()})
            print(json.dumps({"setting": setting, "shots": args.shots, "density_in": float(part["density"].mean()),
                              "pymatching": int(part["pymatching"].sum()),
                              **{f"fixed {t:g}": int(f.sum()) for t, f in zip(thresholds, part["pipeline"])}}), flush=True)
            np.savez_compressed(args.out, settings=np.array(settings), **arrays)


if __name__ == "__main__":
    main()

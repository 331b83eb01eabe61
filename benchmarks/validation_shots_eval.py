"""Models on the training runs' own validation shots, so that a model is comparable line for line with a log.

The shots are those `qec train` validates on with the shipped configs (d = 9, memory X, uniform:0.006,
10,000 shots, `StimSampler(graph, seed=10_000 + seed)` with seed 0; PyMatching makes 207 errors).

    python benchmarks/validation_shots_eval.py default accurate-mlp runs/mine/ckpt.pt --precision bfloat16
"""

import argparse
import json

import qec

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="shipped names or checkpoint paths")
    parser.add_argument("--thresholds", default="0,1,2,3,4,5")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default="float32")
    args = parser.parse_args()
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(9, 9, basis="x", noise="uniform:0.006"))
    batch = qec.StimSampler(graph, seed=10_000).sample(10_000)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    for name in args.models:
        result = qec.evaluate(qec.PreDecoder.load(name), graph, batch.dets, batch.obs, thresholds=thresholds,
                              precision=args.precision)
        print(json.dumps({"model": name, "precision": args.precision, "pymatching_errors": result["pymatching_errors"],
                          "by_threshold": {f"{t:g}": [e, round(d, 4)] for t, (e, d) in result["by_threshold"].items()}}))

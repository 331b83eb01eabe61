"""Pipeline errors and residual density at each decision threshold, against PyMatching on the same shots.

Used to pick a shipped model's threshold on shots that no benchmark uses (seeds 1000 + d):
    python benchmarks/tune_threshold.py runs/default/best.pt --distances 9,13 --shots 10000 --thresholds 1,2,3,4,5
"""

import argparse
import json

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--distances", default="9,13")
    parser.add_argument("--bases", default="x,z")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=10_000)
    parser.add_argument("--thresholds", default="1,2,3,4,5")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None,
                        help="the network's arithmetic (default: float32 on a CPU)")
    args = parser.parse_args()
    model = qec.PreDecoder.load(args.model)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    for d in map(int, args.distances.split(",")):
        for basis in args.bases.split(","):
            graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, d, basis=basis, noise=args.noise))
            batch = qec.StimSampler(graph, seed=1000 + d).sample(args.shots)
            result = qec.evaluate(model, graph, batch.dets, batch.obs, thresholds=thresholds, correlated=True,
                                   precision=args.precision)
            print(json.dumps({"distance": d, "basis": basis, "noise": args.noise, "shots": args.shots,
                              "precision": args.precision or "float32",
                              "pymatching_errors": result["pymatching_errors"],
                              "pymatching_correlated_errors": result["pymatching_correlated_errors"],
                              "density_in": result["density_in"],
                              "by_threshold": {str(k): v for k, v in result["by_threshold"].items()},
                              "by_threshold_correlated": {str(k): v for k, v in
                                                          result["by_threshold_correlated"].items()}}), flush=True)


if __name__ == "__main__":
    main()

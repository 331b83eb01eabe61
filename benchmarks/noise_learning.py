"""PyMatching with the true, the nominal and the learned DEM, on the same evaluation shots.

Noise: uniform circuit noise of strength P with a log-normal per-qubit factor (median 1, sigma S).
The learner sees TRAIN shots of detection events and the nominal (uniform) DEM's structure only.

    python benchmarks/noise_learning.py --distances 5,7,9 --p 0.003 --sigma 1 --train-shots 100000 \
        --eval-shots 200000 > benchmarks/results/noise_learning.jsonl
"""

import argparse
import json
import time

import numpy as np
import pymatching

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", default="5,7,9")
    parser.add_argument("--p", type=float, default=0.003)
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--train-shots", type=int, default=100_000)
    parser.add_argument("--eval-shots", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", action="store_true")
    args = parser.parse_args()
    for d in (int(x) for x in args.distances.split(",")):
        nominal_circuit = qec.generate_circuit(d, d, basis="x", noise=f"uniform:{args.p}")
        circuit = qec.generate_circuit(d, d, basis="x", noise=qec.NoiseModel("uniform", args.p,
                                                                             lognormal=(args.sigma, args.seed + d)))
        train = circuit.compile_detector_sampler(seed=args.seed + 1000 + d).sample(args.train_shots)
        t0 = time.perf_counter()
        learned = qec.learn_noise(train, nominal_circuit, pool=args.pool)
        learn_seconds = time.perf_counter() - t0
        dets, obs = circuit.compile_detector_sampler(seed=args.seed + 2000 + d).sample(args.eval_shots,
                                                                                       separate_observables=True)
        dems = {"true": circuit.detector_error_model(decompose_errors=True),
                "nominal": nominal_circuit.detector_error_model(decompose_errors=True),
                "learned": learned.to_dem()}
        row = {"distance": d, "rounds": d, "p": args.p, "sigma": args.sigma, "train_shots": args.train_shots,
               "eval_shots": args.eval_shots, "learn_seconds": learn_seconds, "clipped": learned.clipped,
               "pool": args.pool}
        for name, dem in dems.items():
            for correlated in (False, True):
                m = pymatching.Matching.from_detector_error_model(dem, enable_correlations=correlated)
                pred = m.decode_batch(dets, enable_correlations=correlated)
                row[f"{name}{'_correlated' if correlated else ''}_errors"] = int(np.any(pred != obs, axis=1).sum())
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

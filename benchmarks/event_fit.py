"""How well the events-fit-the-circuit check (``qec._event_fit``) tells shots of a circuit from shots
of another one read with its detector count: one JSON line per case.

    python benchmarks/event_fit.py --seeds 20 > benchmarks/results/event_fit.jsonl

"Fits" cases: shots of the circuit whose noise differs from the circuit's (strength, kind, spread
across qubits), each on ``--seeds`` seeds; the warning must never fire. "Misread" cases: shots of
another distance, number of rounds or basis cut into shots of the circuit's detector count, as a
b8 file read with the wrong circuit is; the warning must fire.
"""

import argparse
import json

import numpy as np

import qec
from qec._event_fit import MIN_RESOLUTION, event_fit

FITS = [  # (distance, rounds, basis, circuit noise, shots' noise, shots)
    (3, 3, "x", "uniform:0.003", "uniform:0.003", 6000),
    (5, 5, "z", "uniform:0.005", "uniform:0.005", 1000),
    (5, 50, "x", "uniform:0.003", "uniform:0.003", 6000),
    (5, 5, "x", "uniform:0.001", "uniform:0.01", 6000),
    (5, 5, "x", "uniform:0.003", "uniform:0.001", 6000),
    (7, 20, "z", "uniform:0.002", "uniform:0.002", 6000),
    (9, 9, "x", "uniform:0.006", "uniform:0.006", 2000),
    (9, 9, "x", "uniform:0.004", "si1000:0.004", 6000),
    (9, 9, "x", "uniform:0.004", "uniform:0.004+lognormal:1:3", 6000),
    (13, 13, "z", "uniform:0.003", "uniform:0.003", 6000),
]
MISREAD = [  # (recorded distance, rounds, basis), (circuit distance, rounds, basis)
    ((5, 5, "z"), (7, 5, "z")), ((7, 5, "z"), (5, 5, "z")), ((5, 5, "z"), (5, 10, "z")),
    ((5, 10, "z"), (5, 5, "z")), ((5, 15, "z"), (5, 5, "z")), ((5, 5, "z"), (5, 6, "z")),
    ((5, 6, "z"), (5, 5, "z")), ((5, 5, "x"), (5, 5, "z")), ((9, 9, "x"), (9, 9, "z")),
    ((9, 9, "x"), (9, 10, "x")), ((9, 18, "x"), (9, 9, "x")), ((13, 13, "x"), (13, 12, "x")),
    ((3, 3, "x"), (3, 4, "x")), ((3, 3, "x"), (3, 3, "z")),
]


def worst_judged(fit) -> float | None:
    judged = fit.round_resolution >= MIN_RESOLUTION
    return float(np.min(fit.round_ratios[judged])) if judged.any() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20, help="seeds per fits case")
    args = parser.parse_args()
    for d, r, basis, circuit_noise, shot_noise, shots in FITS:
        graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, r, basis=basis, noise=circuit_noise))
        sampler = qec.generate_circuit(d, r, basis=basis, noise=shot_noise).compile_detector_sampler
        fits = [event_fit(graph, sampler(seed=100 + s).sample(shots)) for s in range(args.seeds)]
        worst = [w for w in map(worst_judged, fits) if w is not None]
        print(json.dumps({"case": "fits", "distance": d, "rounds": r, "basis": basis, "circuit_noise": circuit_noise,
                          "shot_noise": shot_noise, "shots": shots, "runs": len(fits),
                          "warned": sum(not f.fits for f in fits), "worst_judged_ratio": min(worst, default=None)}),
              flush=True)
    for recorded, read_with in MISREAD:
        for p in (0.002, 0.006):
            graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(*read_with[:2], basis=read_with[2],
                                                                        noise=f"uniform:{p}"))
            bits = qec.generate_circuit(*recorded[:2], basis=recorded[2], noise=f"uniform:{p}").compile_detector_sampler(
                seed=1).sample(6000).reshape(-1)
            whole = len(bits) // graph.num_detectors
            fit = event_fit(graph, bits[:whole * graph.num_detectors].reshape(whole, graph.num_detectors))
            print(json.dumps({"case": "misread", "recorded": recorded, "read_with": read_with, "noise": f"uniform:{p}",
                              "shots": fit.shots, "warned": not fit.fits, "worst_judged_ratio": worst_judged(fit)}),
                  flush=True)


if __name__ == "__main__":
    main()

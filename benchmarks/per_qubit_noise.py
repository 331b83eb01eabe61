"""The pipeline under per-qubit noise: does the model's threshold by the circuit's noise, tuned on
noise that is the same on every qubit, still beat PyMatching when qubits differ?

Each setting draws log-normal per-qubit factors (median 1, `qec.qubit_factors_lognormal`) on top
of a base noise model (the noise `BASE+lognormal:SIGMA:FACTOR_SEED`), samples shots, and decodes
them with PyMatching, correlated PyMatching, the hard pipeline at the model's own threshold for
that circuit and at fixed thresholds, and the reweighted pipeline, all on the same shots. One JSON
line per setting.

    python benchmarks/per_qubit_noise.py accurate --distance 9 --basis x --noise uniform:0.003 \
        --sigmas 0.5,1.0 --shots 30000 --thresholds 2,3,4,5,6 --precision bfloat16
"""

import argparse
import json

import numpy as np

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--distance", type=int, default=9)
    parser.add_argument("--basis", default="x")
    parser.add_argument("--noise", default="uniform:0.003", help="the base noise model the factors scale")
    parser.add_argument("--sigmas", default="0.5,1.0", help="log-normal spreads of the per-qubit factors")
    parser.add_argument("--factor-seed", type=int, default=0, help="seed of the per-qubit factors")
    parser.add_argument("--shots", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=4009, help="seed of the shots")
    parser.add_argument("--thresholds", default="2,3,4,5,6")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None)
    args = parser.parse_args()
    model = qec.PreDecoder.load(args.model)
    for sigma in map(float, args.sigmas.split(",")):
        circuit = qec.generate_circuit(args.distance, args.distance, basis=args.basis,
                                       noise=f"{args.noise}+lognormal:{sigma:g}:{args.factor_seed}")
        factors = qec.qubit_factors_lognormal(circuit, sigma=sigma, seed=args.factor_seed)
        graph = qec.DecodingGraph.from_circuit(circuit)
        dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
        own = model.bind(graph).threshold
        thresholds = sorted({own, *map(float, args.thresholds.split(","))})
        result = qec.evaluate(model, graph, dets, obs, thresholds=thresholds, precision=args.precision)
        pymatching = result["pymatching_errors"]
        correlated = int(np.any(qec.Matcher(graph.dem).decode_batch(dets, correlated=True) != obs, axis=1).sum())
        reweighted = qec.Decoder(graph, model=model, reweight=True, precision=args.precision, device="cpu")
        reweighted_errors = int(np.any(reweighted.decode_batch(dets) != obs, axis=1).sum())
        line = {"model": args.model, "distance": args.distance, "basis": args.basis, "noise": args.noise,
                "sigma": sigma, "factor_seed": args.factor_seed, "seed": args.seed, "shots": args.shots,
                "density_in": float(dets.mean()), "expected_density": graph.expected_density,
                "timelike_ratio": graph.timelike_ratio, "factor_range": [min(factors.values()), max(factors.values())],
                "pymatching": pymatching, "pymatching_correlated": correlated, "own_threshold": own,
                "pipeline": {f"{t:g}": list(result["by_threshold"][t]) for t in thresholds},
                "pipeline_reweighted": reweighted_errors}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()

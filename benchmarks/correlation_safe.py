"""Plain vs correlation-safe commits, then uncorrelated and correlated matching of the residual.

    python benchmarks/correlation_safe.py MODEL --distance 7 --shots 10000 --seed 5 --thresholds 2,3,4
"""

import numpy as np
import torch

import qec

from _paired_shots import experiment_circuit, experiment_parser


def main():
    parser = experiment_parser(__doc__, distance=7, seed=5)
    parser.add_argument("--thresholds", default="2,3,4")
    args = parser.parse_args()
    circuit = experiment_circuit(args)
    graph = qec.DecodingGraph.from_circuit(circuit)
    bound = qec.PreDecoder.load(args.model).bind(graph)
    dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
    dets_t = torch.as_tensor(dets)
    logits = bound.edge_logits(dets_t, batch_size=500)
    matcher = qec.Matcher(graph.dem)
    print(f"memory {args.basis.upper()}, d = {args.distance}, {args.noise}:",
          "pymatching", int(np.any(matcher.decode_batch(dets) != obs, axis=1).sum()),
          "correlated", int(np.any(matcher.decode_batch(dets, correlated=True) != obs, axis=1).sum()))
    for thr in map(float, args.thresholds.split(",")):
        plain = bound.decide(logits, dets_t, threshold=thr)
        for name, chosen in (("plain", plain), ("safe", bound.correlation_safe(plain, dets_t))):
            residual, flip = (x.numpy() for x in bound.apply(chosen, dets_t))
            uncorrelated = int(np.any((matcher.decode_batch(residual) ^ flip) != obs, axis=1).sum())
            correlated = int(np.any((matcher.decode_batch(residual, correlated=True) ^ flip) != obs, axis=1).sum())
            print(thr, name, "uncorrelated", uncorrelated, "correlated", correlated, f"density {residual.mean():.4f}")


if __name__ == "__main__":
    main()

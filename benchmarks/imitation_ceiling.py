"""The imitation ceiling: commit exactly the edges correlated PyMatching chooses among the eligible ones
(both detectors hold an event), then match the residual. What a perfect student of the teacher would reach.

    python benchmarks/imitation_ceiling.py --distances 7,9 --shots 5000
"""

import argparse

import numpy as np
import pymatching
import torch

import qec
from qec._labels import teacher_labels


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", default="7,9")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for d in map(int, args.distances.split(",")):
        circuit = qec.generate_circuit(d, d, basis="x", noise=args.noise)
        graph = qec.DecodingGraph.from_circuit(circuit)
        bound = qec.PreDecoder.untrained(classes=graph.classes, width=4, depth=1).bind(graph)  # only its tables
        dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
        teacher = pymatching.Matching.from_detector_error_model(graph.dem, enable_correlations=True)
        chosen = torch.as_tensor(teacher_labels(graph, teacher, dets)) & bound.eligible(torch.as_tensor(dets))
        residual, flip = (x.numpy() for x in bound.apply(chosen, torch.as_tensor(dets)))
        matcher = qec.Matcher(graph.dem)
        errors = {name: int(np.any(pred != obs, axis=1).sum()) for name, pred in (
            ("pymatching", matcher.decode_batch(dets)),
            ("pymatching_correlated", matcher.decode_batch(dets, correlated=True)),
            ("ceiling", matcher.decode_batch(residual) ^ flip),
            ("ceiling_correlated", matcher.decode_batch(residual, correlated=True) ^ flip))}
        print(d, errors, f"density {dets.mean():.4f} -> {residual.mean():.4f}")


if __name__ == "__main__":
    main()

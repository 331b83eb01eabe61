"""Per-edge thresholds moved by each edge's prior under per-qubit noise (did not help; BENCHMARKS.md,
"Per-qubit noise").

A network trained on uniform noise judges every edge as if its prior were the uniform one. Under
per-qubit factors, Bayes' rule says an edge whose prior log-odds exceed the uniform twin's by s
(`qec.DecodingGraph.noise_spread`'s per-edge deviation, its median taken out) deserves a logit
higher by s. This commits above ``threshold - alpha * s`` on each edge ("all": every edge;
"hot": only edges above their uniform prior, s clipped at 0), on the shots of
`benchmarks/per_qubit_noise.py` (same seeds), one JSON line per factor draw.

    python benchmarks/prior_shift_thresholds.py accurate --basis z --noise uniform:0.005 --sigma 1.0 \
        --factor-seed 0 --alphas 0,0.5,1,1.5 --thresholds 2,3,4,5
"""

import json

import numpy as np
import torch

import qec
from qec._graph import _log_odds, _uniform_twin_probabilities

from _paired_shots import experiment_parser


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.005", shots=30_000, seed=4009)  # --noise: the base the factors scale
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--factor-seed", type=int, default=0)
    parser.add_argument("--alphas", default="0,0.5,1,1.5", help="negative: raise thresholds of likelier edges")
    parser.add_argument("--thresholds", default="2,3,4,5")
    args = parser.parse_args()
    circuit = qec.generate_circuit(args.distance, args.distance, basis=args.basis,
                                   noise=f"{args.noise}+lognormal:{args.sigma:g}:{args.factor_seed}")
    graph = qec.DecodingGraph.from_circuit(circuit)
    shift = _log_odds(graph.edge_probabilities) - _log_odds(_uniform_twin_probabilities(graph))
    shift = torch.as_tensor(shift - np.median(shift), dtype=torch.float32)
    bound = qec.PreDecoder.load(args.model).bind(graph, precision="bfloat16")
    dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
    matcher = qec.Matcher(graph.dem)
    dets_t = torch.as_tensor(dets)
    logits = bound.edge_logits(dets_t, batch_size=512)
    line = {**vars(args), "noise_spread": graph.noise_spread,
            "pymatching": int(np.any(matcher.decode_batch(dets) != obs, axis=1).sum())}
    for alpha in map(float, args.alphas.split(",")):
        for edges, offset in (("all", shift), ("hot", shift.clamp(min=0))):
            for threshold in map(float, args.thresholds.split(",")):
                chosen = bound.decide(logits, dets_t, threshold=threshold - alpha * offset)
                residual, flip = bound.apply(chosen, dets_t)
                prediction = matcher.decode_batch(residual.numpy()) ^ flip.numpy()
                line[f"{edges} alpha {alpha:g} threshold {threshold:g}"] = [
                    int(np.any(prediction != obs, axis=1).sum()), float(residual.numpy().mean())]
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()

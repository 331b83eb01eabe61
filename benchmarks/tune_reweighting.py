"""Posterior reweighting: errors at each (scale, hard threshold) pair, against PyMatching on the same shots.

The pipeline first commits the edges above the hard threshold (none with 'inf'), then matches the
residual on a graph whose judged edges are reweighted by ``scale * logit`` (qec.PosteriorMatcher);
with --correlated the commits are correlation-safe and the matching is two-pass correlated.
Shots come from seeds 2000 + d, which no benchmark uses:
    python benchmarks/tune_reweighting.py default --distances 9 --shots 10000 --scales 0.2,0.25,0.3 --thresholds inf,8,6
"""

import argparse
import json
import math

import numpy as np
import torch

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--distances", default="9")
    parser.add_argument("--bases", default="x")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=10_000)
    parser.add_argument("--scales", default="0.2,0.25,0.3")
    parser.add_argument("--thresholds", default="inf,8,6")
    parser.add_argument("--correlated", action="store_true")
    args = parser.parse_args()
    model = qec.PreDecoder.load(args.model)
    for d in map(int, args.distances.split(",")):
        for basis in args.bases.split(","):
            graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, d, basis=basis, noise=args.noise))
            batch = qec.StimSampler(graph, seed=2000 + d).sample(args.shots)
            dets = torch.as_tensor(batch.dets)
            bound = model.bind(graph)
            logits = torch.cat([bound.edge_logits(dets[i:i + 512]) for i in range(0, len(dets), 512)])
            matcher = qec.Matcher(graph.dem)
            row = {"distance": d, "basis": basis, "noise": args.noise, "shots": args.shots,
                   "pymatching_errors": _errors(matcher.decode_batch(batch.dets), batch.obs),
                   "pymatching_correlated_errors": _errors(matcher.decode_batch(batch.dets, correlated=True), batch.obs),
                   "density_in": float(batch.dets.mean()), "correlated": args.correlated,
                   "by_scale_threshold": {}}
            for thr in (float(t) for t in args.thresholds.split(",")):
                chosen = bound.decide(logits, dets, threshold=thr) if math.isfinite(thr) else torch.zeros_like(logits, dtype=torch.bool)
                if args.correlated:
                    chosen = bound.correlation_safe(chosen, dets)
                residual, flip = (x.numpy() for x in bound.apply(chosen, dets))
                for scale in (float(s) for s in args.scales.split(",")):
                    pred = qec.PosteriorMatcher(graph, scale=scale, correlated=args.correlated).decode_batch(residual, logits.numpy()) ^ flip
                    row["by_scale_threshold"][f"{scale:g},{thr:g}"] = [_errors(pred, batch.obs), float(residual.mean())]
                    print(json.dumps({"scale": scale, "threshold": thr, "correlated": args.correlated,
                                      "errors": _errors(pred, batch.obs),
                                      "pymatching_errors": row["pymatching_errors"]}), flush=True)
            print(json.dumps(row), flush=True)


def _errors(pred: np.ndarray, obs: np.ndarray) -> int:
    return int(np.any(pred != obs, axis=1).sum())


if __name__ == "__main__":
    main()

"""Posterior reweighting: errors at each (scale, hard threshold) pair, against PyMatching on the same shots.

The pipeline first commits the edges above the hard threshold (none with 'inf'), then matches the
residual on a graph whose judged edges are reweighted by ``scale * logit`` (qec.PosteriorMatcher);
with --correlated the commits are correlation-safe and the matching is two-pass correlated.
--negative-scales moves the weights of doubted edges (negative logits) by a scale of their own.
--oracle adds the ceiling of the method: the logits replaced by +-8 on the edges correlated
PyMatching chooses (the network's training target), on the judged edges only and on all edges.
Every line carries the paired counts against its matcher alone (PyMatching, or correlated
PyMatching with --correlated). Shots come from seeds 2000 + d (or --seed), which no benchmark uses:
    python benchmarks/tune_reweighting.py default --distances 9 --shots 10000 --scales 0.2,0.25,0.3 --thresholds inf,8,6
"""

import argparse
import json
import math

import numpy as np
import pymatching
import torch

import qec
from qec._labels import teacher_labels
from qec._stats import discordant_counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--distances", default="9")
    parser.add_argument("--bases", default="x")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=10_000)
    parser.add_argument("--scales", default="0.2,0.25,0.3")
    parser.add_argument("--thresholds", default="inf,8,6")
    parser.add_argument("--negative-scales", default=None,
                        help="scales for negative logits (default: the same as --scales)")
    parser.add_argument("--seed", type=int, default=None, help="default: 2000 + d")
    parser.add_argument("--correlated", action="store_true")
    parser.add_argument("--oracle", action="store_true", help="also the teacher-posterior ceiling")
    parser.add_argument("--average-with", default=None, metavar="MODEL",
                        help="use the mean of the two models' logits (a two-model ensemble)")
    args = parser.parse_args()
    model = qec.PreDecoder.load(args.model)
    for d in map(int, args.distances.split(",")):
        for basis in args.bases.split(","):
            graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, d, basis=basis, noise=args.noise))
            batch = qec.StimSampler(graph, seed=2000 + d if args.seed is None else args.seed).sample(args.shots)
            dets = torch.as_tensor(batch.dets)
            bound = model.bind(graph)
            logits = bound.edge_logits(dets, batch_size=512)
            if args.average_with:
                other = qec.PreDecoder.load(args.average_with).bind(graph)
                logits = 0.5 * (logits + other.edge_logits(dets, batch_size=512))
            matcher = qec.Matcher(graph.dem)
            failed_reference = _failed(matcher.decode_batch(batch.dets, correlated=args.correlated), batch.obs)
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
                    for negative in ([scale] if args.negative_scales is None
                                     else [float(s) for s in args.negative_scales.split(",")]):
                        matcher_rw = _AsymmetricMatcher(graph, scale=scale, negative_scale=negative, correlated=args.correlated)
                        pred = matcher_rw.decode_batch(residual, logits.numpy()) ^ flip
                        key = f"{scale:g},{thr:g}" if negative == scale else f"{scale:g}/{negative:g},{thr:g}"
                        row["by_scale_threshold"][key] = [_errors(pred, batch.obs), float(residual.mean())]
                        print(json.dumps({"scale": scale, "negative_scale": negative, "threshold": thr,
                                          "correlated": args.correlated, "errors": _errors(pred, batch.obs),
                                          "pymatching_errors": row["pymatching_errors"],
                                          "pymatching_correlated_errors": row["pymatching_correlated_errors"],
                                          **_paired(_failed(pred, batch.obs), failed_reference)}), flush=True)
            if args.oracle:
                teacher = pymatching.Matching.from_detector_error_model(graph.dem, enable_correlations=True)
                posterior = np.where(teacher_labels(graph, teacher, batch.dets), 8.0, -8.0).astype(np.float32)
                for scope, cls in (("judged edges", qec.PosteriorMatcher), ("all edges", _AllEdgesMatcher)):
                    pred = cls(graph, scale=0.25, correlated=args.correlated).decode_batch(batch.dets, posterior)
                    row[f"oracle_{scope.replace(' ', '_')}"] = _errors(pred, batch.obs)
                    print(json.dumps({"oracle": scope, "scale": 0.25, "correlated": args.correlated,
                                      "errors": _errors(pred, batch.obs),
                                      **_paired(_failed(pred, batch.obs), failed_reference)}), flush=True)
            print(json.dumps(row), flush=True)


class _AsymmetricMatcher(qec.PosteriorMatcher):
    """Positive logits move the weights by ``scale``, negative ones by ``negative_scale``."""

    def __init__(self, graph, *, scale, negative_scale, correlated):
        super().__init__(graph, scale=scale, correlated=correlated)
        self.negative_scale = negative_scale

    def weights(self, dets, logits):
        judged = self.judged(dets)
        w = self.prior_weights.copy()
        x = logits[judged].astype(np.float64)
        w[judged] = np.maximum(0.0, w[judged] - self.scale * np.maximum(x, 0) - self.negative_scale * np.minimum(x, 0))
        return w


class _AllEdgesMatcher(qec.PosteriorMatcher):
    """Reweights every edge, not only those between two events (for the oracle)."""

    def weights(self, dets, logits):
        return np.maximum(0.0, self.prior_weights - self.scale * logits.astype(np.float64))


def _failed(pred: np.ndarray, obs: np.ndarray) -> np.ndarray:
    return np.any(pred != obs, axis=1)


def _paired(failed: np.ndarray, failed_reference: np.ndarray) -> dict:
    only_this, only_reference = discordant_counts(failed, failed_reference)
    return {"only_this_fails": only_this, "only_reference_fails": only_reference,
            "paired_p_value": qec.paired_sign_test(only_this, only_reference)}


def _errors(pred: np.ndarray, obs: np.ndarray) -> int:
    return int(np.any(pred != obs, axis=1).sum())


if __name__ == "__main__":
    main()

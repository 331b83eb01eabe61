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
import collections
import json
import math
import sys

import numpy as np
import pymatching
import torch
from tqdm import tqdm

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
    parser.add_argument("--chunk", type=int, default=20_000, help="shots decoded at a time (bounds the memory)")
    args = parser.parse_args()
    model = qec.PreDecoder.load(args.model)
    other = None if args.average_with is None else qec.PreDecoder.load(args.average_with)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    scales = [float(s) for s in args.scales.split(",")]
    negative_scales = None if args.negative_scales is None else [float(s) for s in args.negative_scales.split(",")]
    for d in map(int, args.distances.split(",")):
        for basis in args.bases.split(","):
            graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, d, basis=basis, noise=args.noise))
            batch = qec.StimSampler(graph, seed=2000 + d if args.seed is None else args.seed).sample(args.shots)
            bound = model.bind(graph)
            bound_other = None if other is None else other.bind(graph)
            matcher = qec.Matcher(graph.dem)
            failed_pm = _failed(matcher.decode_batch(batch.dets), batch.obs)
            failed_pm_correlated = _failed(matcher.decode_batch(batch.dets, correlated=True), batch.obs)
            failed_reference = failed_pm_correlated if args.correlated else failed_pm
            # The logits of every shot at once would take ~0.1 MB per shot at d = 9: decode in chunks.
            failed, residual_events = collections.defaultdict(list), collections.defaultdict(int)
            # Every matcher is built once per experiment, not once per chunk.
            reweighted = {(scale, negative): _AsymmetricMatcher(graph, scale=scale, negative_scale=negative,
                                                                correlated=args.correlated)
                          for scale in scales for negative in (negative_scales or [scale])}
            if args.oracle:
                teacher = pymatching.Matching.from_detector_error_model(graph.dem, enable_correlations=True)
                oracles = {"judged edges": qec.PosteriorMatcher(graph, scale=0.25, correlated=args.correlated),
                           "all edges": _AllEdgesMatcher(graph, scale=0.25, correlated=args.correlated)}
            for begin in tqdm(range(0, args.shots, args.chunk), desc=f"d={d} {basis}", file=sys.stderr):
                dets_np, obs = batch.dets[begin:begin + args.chunk], batch.obs[begin:begin + args.chunk]
                dets = torch.as_tensor(dets_np)
                logits = bound.edge_logits(dets, batch_size=512)
                if other is not None:
                    logits = 0.5 * (logits + bound_other.edge_logits(dets, batch_size=512))
                for thr in thresholds:
                    chosen = (bound.decide(logits, dets, threshold=thr) if math.isfinite(thr)
                              else torch.zeros_like(logits, dtype=torch.bool))
                    if args.correlated:
                        chosen = bound.correlation_safe(chosen, dets)
                    residual, flip = (x.numpy() for x in bound.apply(chosen, dets))
                    residual_events[thr] += int(residual.sum())
                    for (scale, negative), matcher_rw in reweighted.items():
                        pred = matcher_rw.decode_batch(residual, logits.numpy()) ^ flip
                        failed[(scale, negative, thr)].append(_failed(pred, obs))
                if args.oracle:
                    posterior = np.where(teacher_labels(graph, teacher, dets_np), 8.0, -8.0).astype(np.float32)
                    for scope, matcher_oracle in oracles.items():
                        failed[scope].append(_failed(matcher_oracle.decode_batch(dets_np, posterior), obs))
            row = {"distance": d, "basis": basis, "noise": args.noise, "shots": args.shots,
                   "pymatching_errors": int(failed_pm.sum()),
                   "pymatching_correlated_errors": int(failed_pm_correlated.sum()),
                   "density_in": float(batch.dets.mean()), "correlated": args.correlated, "by_scale_threshold": {}}
            for key, parts in failed.items():
                this = np.concatenate(parts)
                if isinstance(key, str):  # the oracle
                    row[f"oracle_{key.replace(' ', '_')}"] = int(this.sum())
                    print(json.dumps({"oracle": key, "scale": 0.25, "correlated": args.correlated,
                                      "errors": int(this.sum()), **_paired(this, failed_reference)}), flush=True)
                    continue
                scale, negative, thr = key
                density = residual_events[thr] / batch.dets.size
                name = f"{scale:g},{thr:g}" if negative == scale else f"{scale:g}/{negative:g},{thr:g}"
                row["by_scale_threshold"][name] = [int(this.sum()), density]
                print(json.dumps({"scale": scale, "negative_scale": negative, "threshold": thr,
                                  "correlated": args.correlated, "errors": int(this.sum()),
                                  "pymatching_errors": row["pymatching_errors"],
                                  "pymatching_correlated_errors": row["pymatching_correlated_errors"],
                                  **_paired(this, failed_reference)}), flush=True)
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


if __name__ == "__main__":
    main()

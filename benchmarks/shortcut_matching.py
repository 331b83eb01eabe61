"""Reweighted matching with a graph per shot (qec.PosteriorMatcher) against one prebuilt graph with
shortcut gadgets (qec.ShortcutMatcher, the shipped "reweighted" matcher), on the same shots and logits.

The model's hard commits (its threshold_reweighted) come first, as in the pipeline; both matchers
then match the same residual with the model's reweight_scale. Lines: errors, paired counts against
PyMatching alone and against the graph-per-shot matcher, and matching time per shot (the network's
time excluded). --settings lists ShortcutMatcher's (step, levels, slack) to try; --lowering-only adds
the graph-per-shot matcher that ignores negative logits (what gadgets alone could do, without lifts);
--lifted-unrounded adds a graph per shot with the shortcut rule's weights before rounding to steps.
Shots come from seed 2009 unless --seed says otherwise (no benchmark table uses it):
    python benchmarks/shortcut_matching.py accurate --distance 9 --noise uniform:0.006 --shots 30000 --settings 1,6,6
"""

import json
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

import qec
from qec._stats import discordant_counts

from _paired_shots import experiment_parser, graph_and_shots


def main():
    parser = experiment_parser(__doc__)
    parser.add_argument("--settings", nargs="+", default=["1,6,6"], metavar="STEP,LEVELS,SLACK")
    parser.add_argument("--lowering-only", action="store_true")
    parser.add_argument("--lifted-unrounded", action="store_true")
    parser.add_argument("--chunk", type=int, default=5_000, help="shots decoded at a time (bounds the memory)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = qec.PreDecoder.load(args.model)
    d = args.distance
    graph, batch = graph_and_shots(args)
    bound = model.bind(graph)
    scale = model.reweight_scale
    matchers = {"graph per shot": qec.PosteriorMatcher(graph, scale=scale)}
    if args.lowering_only:
        matchers["graph per shot, lowering only"] = _LoweringOnly(graph, scale=scale)
    if args.lifted_unrounded:
        matchers["graph per shot, lifted, unrounded"] = _LiftedUnrounded(graph, scale=scale)
    for setting in args.settings:
        step, levels, slack = (float(x) for x in setting.split(","))
        matchers[f"shortcut {setting}"] = qec.ShortcutMatcher(graph, scale=scale, step=step, levels=int(levels), slack=slack)
    failed = {name: [] for name in matchers}
    seconds = dict.fromkeys(matchers, 0.0)
    for begin in tqdm(range(0, args.shots, args.chunk), desc=f"d={d} {args.basis} {args.noise}", file=sys.stderr):
        dets = torch.as_tensor(batch.dets[begin:begin + args.chunk])
        obs = batch.obs[begin:begin + args.chunk]
        logits = bound.edge_logits(dets, batch_size=512)
        residual, flip = (x.numpy() for x in bound.apply(bound.decide(logits, dets, threshold=model.threshold_reweighted), dets))
        for name, matcher in matchers.items():
            start = time.perf_counter()
            pred = matcher.decode_batch(residual, logits.numpy())
            seconds[name] += time.perf_counter() - start
            failed[name].append(np.any((pred ^ flip) != obs, axis=1))
    failed_pm = np.any(qec.Matcher(graph.dem).decode_batch(batch.dets) != batch.obs, axis=1)
    per_shot = np.concatenate(failed["graph per shot"])
    for name, parts in failed.items():
        this = np.concatenate(parts)
        vs_pm, vs_per_shot = discordant_counts(this, failed_pm), discordant_counts(this, per_shot)
        print(json.dumps({"model": args.model, "distance": d, "basis": args.basis, "noise": args.noise, "shots": args.shots,
                          "seed": args.seed, "matcher": name, "errors": int(this.sum()), "pymatching_errors": int(failed_pm.sum()),
                          "paired_vs_pymatching": vs_pm, "paired_vs_graph_per_shot": vs_per_shot,
                          "matching_us_per_shot": round(1e6 * seconds[name] / args.shots, 1)}), flush=True)


class _LoweringOnly(qec.PosteriorMatcher):
    """The graph-per-shot rule with negative logits ignored."""

    def weights(self, dets, logits):
        return super().weights(dets, np.maximum(logits, 0))


class _LiftedUnrounded(qec.PosteriorMatcher):
    """A graph per shot whose weights are the shortcut rule's (raises turned into lifts), not rounded to steps."""

    def __init__(self, graph, *, scale):
        super().__init__(graph, scale=scale)
        self._rule = qec.ShortcutMatcher(graph, scale=scale)

    def weights(self, dets, logits):
        _, edge, lowered = self._rule.lowerings(dets[None], logits[None])
        w = self.prior_weights.copy()
        w[edge] -= lowered
        return w


if __name__ == "__main__":
    main()

"""Soft commits: the reweighted pipeline's hard threshold lowered, with a cheap way back for each commit.

The reweighted pipeline commits the edges above its hard threshold (6), then matches the residual on
a graph whose edges between two events are reweighted (qec.PosteriorMatcher). A committed edge keeps
its prior weight in that graph, so undoing a wrong commit costs as much as any unlikely edge: a low
threshold would cut the residual's density but lose accuracy. Here each configuration
``THRESHOLD:UNDO:JUDGED`` commits above THRESHOLD and gives every committed edge the weight
``min(prior, UNDO * logit)`` in the residual's graph (UNDO ``prior``: the prior weight, as
shipped). JUDGED says on which events the other edges' reweighting is decided: ``residual`` (as
shipped) or ``original`` (the shot's own events, so a commit does not change its neighbours'
weights). A committed edge of weight ``u`` is the same as an edge of weight ``-u`` in the shot's own
graph: this is matching with signed weights, written so that the matcher sees a sparse residual.
Lines: errors, paired counts against PyMatching and against the first configuration, residual
density. Shots come from seed 2009 unless --seed says otherwise (no benchmark table uses it):
    python benchmarks/soft_commits.py accurate --distance 9 --noise uniform:0.006 --shots 20000 --configs 6:prior:residual 2:0.5:original
"""

import json
import sys

import numpy as np
import torch
from tqdm import tqdm

import qec
from qec._stats import discordant_counts

from _paired_shots import experiment_parser, graph_and_shots


def main():
    parser = experiment_parser(__doc__)
    parser.add_argument("--scale", type=float, default=0.25, help="the reweighting scale of uncommitted edges")
    parser.add_argument("--configs", nargs="+", default=["6:prior:residual"], metavar="THRESHOLD:UNDO:JUDGED")
    parser.add_argument("--chunk", type=int, default=5_000, help="shots decoded at a time (bounds the memory)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    configs = [_parse(c) for c in args.configs]
    graph, batch = graph_and_shots(args)
    bound = qec.PreDecoder.load(args.model).bind(graph)
    matcher = SoftCommitMatcher(graph, scale=args.scale)
    failed_pm = _failed(qec.Matcher(graph.dem).decode_batch(batch.dets), batch.obs)
    failed = {c: [] for c in configs}
    events = dict.fromkeys(configs, 0)
    for begin in tqdm(range(0, args.shots, args.chunk), desc="chunks", file=sys.stderr):
        dets_np, obs = batch.dets[begin:begin + args.chunk], batch.obs[begin:begin + args.chunk]
        dets = torch.as_tensor(dets_np)
        logits = bound.edge_logits(dets, batch_size=256)
        commits = {}  # threshold → (chosen, residual, flip), shared by the configurations that commit alike
        for threshold in {config[0] for config in configs}:
            chosen = bound.decide(logits, dets, threshold=threshold)
            commits[threshold] = (chosen.numpy(), *(x.numpy() for x in bound.apply(chosen, dets)))
        for config in configs:
            threshold, undo, judged_on = config
            chosen, residual, flip = commits[threshold]
            events[config] += int(residual.sum())
            pred = matcher.decode_batch(residual, logits.numpy(), committed=chosen, undo=undo,
                                        judged_on=dets_np if judged_on == "original" else residual)
            failed[config].append(_failed(pred ^ flip, obs))
    first = np.concatenate(failed[configs[0]])
    for config in configs:
        this = np.concatenate(failed[config])
        threshold, undo, judged_on = config
        only_pm = discordant_counts(this, failed_pm)
        only_first = discordant_counts(this, first)
        print(json.dumps({
            "model": args.model, "distance": args.distance, "basis": args.basis, "noise": args.noise,
            "shots": args.shots, "seed": args.seed, "scale": args.scale, "threshold": threshold,
            "undo": undo, "judged_on": judged_on, "errors": int(this.sum()), "pymatching_errors": int(failed_pm.sum()),
            "only_this_vs_pymatching": only_pm, "only_this_vs_first": only_first,
            "density_in": float(batch.dets.mean()), "density_residual": events[config] / batch.dets.size,
        }), flush=True)


class SoftCommitMatcher(qec.PosteriorMatcher):
    """PosteriorMatcher whose committed edges have a weight of their own in the residual's graph."""

    def decode_batch(self, dets, logits, *, committed, undo, judged_on):
        out = np.zeros((len(dets), self.graph.num_observables), dtype=bool)
        for s in range(len(dets)):
            if not dets[s].any():
                continue
            w = self.weights(judged_on[s], logits[s])
            c = committed[s]
            if undo != "prior":
                w[c] = np.minimum(self.prior_weights[c], np.maximum(0.0, undo * logits[s][c].astype(np.float64)))
            else:
                w[c] = self.prior_weights[c]
            out[s] = self._matching(w).decode(dets[s].astype(np.uint8)).astype(bool)
        return out


def _parse(text: str) -> tuple:
    threshold, undo, judged_on = text.split(":")
    if judged_on not in ("residual", "original"):
        raise SystemExit(f"{text}: JUDGED must be 'residual' or 'original'")
    return float(threshold), (undo if undo == "prior" else float(undo)), judged_on


def _failed(pred: np.ndarray, obs: np.ndarray) -> np.ndarray:
    return np.any(pred != obs, axis=1)


if __name__ == "__main__":
    main()

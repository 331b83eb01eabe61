"""Where do the hard pipeline's extra failures come from? The commits that PyMatching would not make.

On the shots where the pipeline fails and PyMatching alone does not (and the other way round),
this compares the network's commits (threshold T, the model's policy) with the edges PyMatching
matches on the raw events (`Matching.decode_to_edges_array`): a commit outside PyMatching's
matching is a *disagreement*. It prints how many such shots hold a disagreement, and, for the
disagreeing commits there and on all shots, their edge classes, their logits and whether their
neighbourhood is clean (no other event within one edge of either end).

    python benchmarks/commit_failures.py accurate --distance 9 --noise uniform:0.003 --shots 100000 \
        --seed 1009 --threshold 2 --precision bfloat16
"""

import collections

import numpy as np
import pymatching
import scipy.sparse
import torch

from _paired_shots import PairedTally, experiment_parser, experiment_setup
from isolated_commits import hop_matrices


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.003", shots=100_000, seed=1009, network=True)
    parser.add_argument("--threshold", type=float, default=2.0)
    args = parser.parse_args()
    circuit, graph, bound, matcher = experiment_setup(args)
    matching = pymatching.Matching.from_detector_error_model(graph.dem)
    ends = graph.edge_detectors
    edge_of = {(int(a), int(b)) if b >= 0 else (int(a), -1): e for e, (a, b) in enumerate(ends)}
    edge_of.update({(int(b), int(a)) if b >= 0 else (-1, int(a)): e for e, (a, b) in enumerate(ends)})
    second = np.where(ends[:, 1] >= 0, ends[:, 1], ends[:, 0])
    own = np.where(ends[:, 1] >= 0, 2, 1)
    hop1 = hop_matrices(graph, 1)[1]
    kinds = {"pipeline only": collections.Counter(), "PyMatching only": collections.Counter(), "all shots": collections.Counter()}
    logits_of = {k: [] for k in kinds}
    shots_of = collections.Counter()
    tally = PairedTally(circuit, matcher)
    for dets, obs in tally.chunks(args.shots, seed=args.seed, chunk=args.chunk):
        dt = torch.as_tensor(dets)
        logits = bound.edge_logits(dt, batch_size=500)
        chosen = bound.decide(logits, dt, threshold=args.threshold)
        residual, flip = (x.numpy() for x in bound.apply(chosen, dt))
        pipeline_fails = np.any((matcher.decode_batch(residual) ^ flip) != obs, axis=1)
        pm_fails = tally.baseline[-1]
        near = np.asarray((scipy.sparse.csr_matrix(dets.astype(np.float32)) @ hop1).todense())
        clean = (near[:, ends[:, 0]] <= own) & (near[:, second] <= own)
        groups = {"pipeline only": np.flatnonzero(pipeline_fails & ~pm_fails),
                  "PyMatching only": np.flatnonzero(pm_fails & ~pipeline_fails),
                  "all shots": np.arange(min(len(dets), 200))}  # a sample: the first 200 shots of each chunk
        for name, shots in groups.items():
            for s in shots:
                pairs = matching.decode_to_edges_array(dets[s])
                matched = {edge_of.get((int(a), int(b))) for a, b in pairs}
                committed = np.flatnonzero(chosen[s].numpy())
                disagreeing = [e for e in committed if e not in matched]
                shots_of[(name, "shots")] += 1
                shots_of[(name, "with a disagreement")] += bool(disagreeing)
                shots_of[(name, "commits")] += len(committed)
                for e in disagreeing:
                    c = graph.classes[graph.edge_classes[e]]
                    kind = "boundary" if c[0] else "time-like" if c[1:] == (1, 0, 0) else "space-like" if c[1] == 0 else "space-time"
                    kinds[name][(kind, "clean" if clean[s, e] else "crowded")] += 1
                    logits_of[name].append(float(logits[s, e]))
    print(f"{args.model}, d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} shots "
          f"(seed {args.seed}), threshold {args.threshold:g}")
    for name in kinds:
        n, d = shots_of[(name, "shots")], shots_of[(name, "with a disagreement")]
        disagreeing = sum(kinds[name].values())
        print(f" {name}: {n} shots, {d} with a commit PyMatching does not make; {shots_of[(name, 'commits')]} commits, "
              f"{disagreeing} of them disagreeing (median logit "
              f"{np.median(logits_of[name]) if logits_of[name] else float('nan'):.2f})")
        for (kind, hood), count in sorted(kinds[name].items(), key=lambda x: -x[1]):
            print(f"    {kind:<11} {hood:<8} {count:>6} ({count / max(disagreeing, 1):.0%})")


if __name__ == "__main__":
    main()

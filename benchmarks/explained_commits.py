"""Commit an edge only where the network explains the whole neighbourhood.

A wrong commit tends to sit in a cluster the network explains only in part: some event nearby
stays in the residual, and the chain that really caused the cluster may run through it. This
keeps a commit (threshold T, the model's policy) only if no residual event lies within k edges
of its ends, repeating until no commit is dropped (a dropped commit leaves its events behind,
which may unsettle its neighbours). Unlike committing only isolated pairs
(benchmarks/isolated_commits.py), a crowded neighbourhood stays committable when the network
accounts for every event in it. Prints errors (PyMatching on the residual) and residual density
per rule, on the same shots, with plain thresholds for comparison.

    python benchmarks/explained_commits.py accurate --distance 9 --noise uniform:0.006 --shots 20000 \
        --seed 2009 --thresholds 0,1,2,3 --hops 1,2 --uniform 2,3,4 --precision bfloat16
"""

import numpy as np
import scipy.sparse
import torch

from _paired_shots import PairedTally, experiment_parser, experiment_setup
from isolated_commits import hop_matrices


def explained(bound, decisions: torch.Tensor, dets: torch.Tensor, hops: scipy.sparse.csr_matrix,
              ends: np.ndarray) -> torch.Tensor:
    """The subset of ``decisions`` with no residual event within ``hops`` of either end, to a fixed point."""
    inner = ends[:, 1] >= 0
    second = np.where(inner, ends[:, 1], ends[:, 0])
    kept = decisions
    for _ in range(20):
        residual, _ = bound.apply(kept, dets)
        near = np.asarray((scipy.sparse.csr_matrix(residual.numpy().astype(np.float32)) @ hops).todense()) > 0
        clean = torch.as_tensor(~near[:, ends[:, 0]] & ~near[:, second])
        new = kept & clean
        if torch.equal(new, kept):
            return kept
        kept = new
    return kept


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.006", shots=20_000, seed=2009, network=True)
    parser.add_argument("--thresholds", default="0,1,2,3", help="thresholds of the commits the rule filters")
    parser.add_argument("--hops", default="1,2")
    parser.add_argument("--uniform", default="2,3,4", help="plain thresholds to compare with")
    args = parser.parse_args()
    circuit, graph, bound, matcher = experiment_setup(args)
    hop_list = [int(k) for k in args.hops.split(",")]
    hops = hop_matrices(graph, max(hop_list))
    rules = [("plain", float(t), 0) for t in args.uniform.split(",")]
    rules += [("explained", float(t), k) for t in args.thresholds.split(",") for k in hop_list]
    tally = PairedTally(circuit, matcher)
    for dets, obs in tally.chunks(args.shots, seed=args.seed, chunk=args.chunk):
        dt = torch.as_tensor(dets)
        logits = bound.edge_logits(dt, batch_size=500)
        for rule in rules:
            kind, t, k = rule
            chosen = bound.decide(logits, dt, threshold=t)
            if kind == "explained":
                chosen = explained(bound, chosen, dt, hops[k], graph.edge_detectors)
            residual, flip = (x.numpy() for x in bound.apply(chosen, dt))
            tally.add(rule, residual, matcher.decode_batch(residual) ^ flip)
    names = {rule: f"threshold {rule[1]:g}" + (f", explained within {rule[2]}" if rule[0] == "explained" else "")
             for rule in rules}
    tally.print_summary(f"{args.model}, d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} "
                        f"shots (seed {args.seed}, {args.precision or 'float32'})", names)

if __name__ == "__main__":
    main()

"""Hard commits only where the neighbourhood is clean: how many events does that leave?

A commit between two events is only risky where other events are near (a chain may run
elsewhere). This restricts the network's commits (threshold T, the mutual policy) to *isolated*
pairs: no event other than the edge's own within k hops of either end in the detector graph.
Also shown: every isolated pair committed with no network at all. Prints errors (PyMatching on
the residual) and residual density per rule, on the same shots.

    python benchmarks/isolated_commits.py default --distance 9 --noise uniform:0.003 --shots 5000 --seed 1009
"""

import numpy as np
import scipy.sparse
import torch

import qec

from _paired_shots import experiment_circuit, experiment_parser


def hop_matrices(graph: qec.DecodingGraph, max_hops: int) -> dict:
    """``{k: (D, D) 0/1 sparse}``: detectors within k edges of each other (self included)."""
    ends = graph.edge_detectors
    inner = ends[:, 1] >= 0
    D = graph.num_detectors
    a = scipy.sparse.coo_matrix((np.ones(inner.sum()), (ends[inner, 0], ends[inner, 1])), shape=(D, D)).tocsr()
    a = ((a + a.T + scipy.sparse.identity(D)) > 0).astype(np.float32)
    hops = {1: a}
    for k in range(2, max_hops + 1):
        hops[k] = ((hops[k - 1] @ a) > 0).astype(np.float32)
    return hops


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.003", shots=5000, seed=1009)
    parser.add_argument("--thresholds", default="2,4")
    parser.add_argument("--hops", default="1,2")
    args = parser.parse_args()
    d = args.distance
    circuit = experiment_circuit(args)
    graph = qec.DecodingGraph.from_circuit(circuit)
    bound = qec.PreDecoder.load(args.model).bind(graph)
    matcher = qec.Matcher(graph.dem)
    hop_list = [int(k) for k in args.hops.split(",")]
    hops = hop_matrices(graph, max(hop_list))
    ends = graph.edge_detectors
    inner = torch.as_tensor(ends[:, 1] >= 0)
    first, second = torch.as_tensor(ends[:, 0]), torch.as_tensor(np.where(ends[:, 1] >= 0, ends[:, 1], ends[:, 0]))
    own = torch.where(inner, 2.0, 1.0)  # the edge's own events within reach of each end
    dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
    dt = torch.as_tensor(dets)
    logits = bound.edge_logits(dt, batch_size=500)
    rules = {f"threshold {t:g}": bound.decide(logits, dt, threshold=t) for t in map(float, args.thresholds.split(","))}
    every_pair = bound.decide(torch.zeros_like(logits), dt, threshold=-1.0)
    for k in hop_list:
        near = torch.as_tensor(np.asarray((scipy.sparse.csr_matrix(dets.astype(np.float32)) @ hops[k]).todense()))
        isolated = (near[:, first] <= own) & (near[:, second] <= own)
        for t in map(float, args.thresholds.split(",")):
            rules[f"threshold {t:g}, isolated within {k}"] = rules[f"threshold {t:g}"] & isolated
        rules[f"every isolated pair within {k}, no network"] = every_pair & isolated
    print(f"{args.model}, d = {d}, memory {args.basis.upper()}, {args.noise}, {args.shots} shots (seed {args.seed}): PyMatching "
          f"{int(np.any(matcher.decode_batch(dets) != obs, axis=1).sum())} errors, density {dets.mean():.4f}")
    for name, chosen in rules.items():
        residual, flip = (x.numpy() for x in bound.apply(chosen, dt))
        errors = int(np.any((matcher.decode_batch(residual) ^ flip) != obs, axis=1).sum())
        print(f"  {name:<42} {errors:>5} errors, density {residual.mean():.4f} ({dets.mean() / residual.mean():.1f}x)")


if __name__ == "__main__":
    main()

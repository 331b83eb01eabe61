"""Run the network a second time on its own residual: does a second pass cut more events, safely?

The first pass commits the edges it is sure of (threshold T1, the model's policy); the residual
is sparser, and a crowded neighbourhood may have become a clean one. The second pass reads that
residual and commits above T2; matching decodes what is left. Prints errors (PyMatching on the
residual, the passes' observable flips XOR'd in) and residual density for each rule, one pass
at each threshold first, with paired counts against PyMatching alone, on the same shots.

    python benchmarks/two_pass_commits.py accurate --distance 9 --noise uniform:0.003 --shots 100000 \
        --seed 1009 --first 4 --second 4,6 --single 2,3 --precision bfloat16
"""

import torch

from _paired_shots import PairedTally, experiment_parser, experiment_setup


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.003", shots=20_000, seed=1009, network=True)
    parser.add_argument("--first", default="4", help="first-pass thresholds, comma-separated")
    parser.add_argument("--second", default="2,3,4", help="second-pass thresholds, comma-separated")
    parser.add_argument("--single", default="", help="more one-pass thresholds to compare with, comma-separated")
    args = parser.parse_args()
    circuit, graph, bound, matcher = experiment_setup(args)
    firsts = [float(t) for t in args.first.split(",")]
    seconds = [float(t) for t in args.second.split(",")]
    singles = [float(t) for t in args.single.split(",") if t]
    rules = [(t, None) for t in sorted(set(firsts + seconds + singles))] + [(t1, t2) for t1 in firsts for t2 in seconds]
    tally = PairedTally(circuit, matcher)
    for dets, obs in tally.chunks(args.shots, seed=args.seed, chunk=args.chunk):
        dt = torch.as_tensor(dets)
        logits = bound.edge_logits(dt, batch_size=500)
        for t1 in sorted({rule[0] for rule in rules}):
            residual, flip = bound.apply(bound.decide(logits, dt, threshold=t1), dt)
            later = [rule for rule in rules if rule[0] == t1]
            if any(t2 is not None for _, t2 in later):
                logits2 = bound.edge_logits(residual, batch_size=500)
            for rule in later:
                rest, rest_flip = residual, flip
                if rule[1] is not None:
                    rest, flip2 = bound.apply(bound.decide(logits2, residual, threshold=rule[1]), residual)
                    rest_flip = flip ^ flip2
                rest, rest_flip = rest.numpy(), rest_flip.numpy()
                tally.add(rule, rest, matcher.decode_batch(rest) ^ rest_flip)
    names = {rule: f"one pass at {rule[0]:g}" if rule[1] is None else f"{rule[0]:g}, then {rule[1]:g} on the residual"
             for rule in rules}
    tally.print_summary(f"{args.model}, d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} "
                        f"shots (seed {args.seed}, {args.precision or 'float32'})", names)

if __name__ == "__main__":
    main()

"""A hard threshold per edge class: are some kinds of edge safer to commit than others?

The network judges every edge class (space-like, time-like, space-time diagonal, boundary) with
one threshold. If its logits are better calibrated for some classes, a lower threshold there
and a higher one elsewhere cuts more events for the same errors. From one network pass, this
prints for each class: the edges it commits at a base threshold, and the errors and residual
density when that class alone moves to another threshold. With --search it then walks greedily
down from the base (each step lowers the class whose step costs the fewest errors per event
removed) and prints the path, so it can be compared, at equal density, with uniform thresholds.

    python benchmarks/class_thresholds.py accurate --distance 9 --noise uniform:0.006 --shots 20000 \
        --seed 2009 --base 4 --moves 2,3,5,6 --precision bfloat16 --search 1
"""

import numpy as np
import torch

from _paired_shots import experiment_parser, experiment_setup


def main():
    parser = experiment_parser(__doc__, noise="uniform:0.006", shots=20_000, seed=2009, network=True)
    parser.add_argument("--base", type=float, default=4.0, help="the threshold every other class keeps")
    parser.add_argument("--moves", default="2,3,5,6", help="thresholds one class at a time moves to ('' for none)")
    parser.add_argument("--uniform", default="1,2,3,4,5,6", help="uniform thresholds to compare with")
    parser.add_argument("--search", type=float, default=None,
                        help="walk greedily down to this threshold, one class and one step at a time")
    parser.add_argument("--rules", nargs="*", default=[],
                        help="per-class rules to score, CLASS:THRESHOLD,...; unnamed classes keep --base")
    args = parser.parse_args()
    circuit, graph, bound, matcher = experiment_setup(args)
    dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
    dt = torch.as_tensor(dets)
    logits = bound.edge_logits(dt, batch_size=500)
    baseline = np.any(matcher.decode_batch(dets) != obs, axis=1)
    classes = torch.as_tensor(graph.edge_classes)
    events_in = int(dets.sum())

    def score(per_class: np.ndarray) -> tuple[int, float, np.ndarray]:
        threshold = torch.as_tensor(per_class, dtype=torch.float32)[classes]
        fails, events_left = [], 0
        for begin in range(0, len(dt), args.chunk):  # bounded memory: decide's keys are 8 bytes per edge and shot
            part = slice(begin, begin + args.chunk)
            chosen = bound.decide(logits[part], dt[part], threshold=threshold)
            residual, flip = (x.numpy() for x in bound.apply(chosen, dt[part]))
            fails.append(np.any((matcher.decode_batch(residual) ^ flip) != obs[part], axis=1))
            events_left += int(residual.sum())
        fails = np.concatenate(fails)
        return int(fails.sum()), events_in / max(events_left, 1), fails

    def line(name: str, per_class: np.ndarray) -> tuple[int, float]:
        errors, cut, fails = score(per_class)
        print(f"  {name:<44} {errors:>5} errors (paired vs PyMatching {int((fails & ~baseline).sum())} / "
              f"{int((baseline & ~fails).sum())}), density cut {cut:.2f}x", flush=True)
        return errors, cut

    K = len(graph.classes)
    print(f"{args.model}, d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} shots "
          f"(seed {args.seed}, {args.precision or 'float32'}): PyMatching {int(baseline.sum())} errors, "
          f"density {dets.mean():.4f}, {K} edge classes")
    for t in map(float, args.uniform.split(",")):
        line(f"uniform {t:g}", np.full(K, t))
    base = np.full(K, args.base)
    committed = bound.decide(logits, dt, threshold=args.base)
    edges_per_class = np.bincount(graph.edge_classes, minlength=K)
    for k, c in enumerate(graph.classes):
        n = int(committed[:, classes == k].sum())
        print(f" class {k} {c} ({edges_per_class[k]} edges): {n} commits at {args.base:g}")
        for t in [float(t) for t in args.moves.split(",") if t]:
            rule = base.copy()
            rule[k] = t
            line(f"class {k} at {t:g}, the rest at {args.base:g}", rule)
    for text in args.rules:
        rule = base.copy()
        for pair in text.split(","):
            k, t = pair.split(":")
            rule[int(k)] = float(t)
        line(f"rule {text}", rule)
    if args.search is not None:
        rule, (errors, cut) = base.copy(), line(f"search start: uniform {args.base:g}", base)
        while True:
            best = None
            for k in np.flatnonzero(rule > args.search):
                trial = rule.copy()
                trial[k] -= 1
                e, c, _ = score(trial)
                removed = events_in / c - events_in / cut  # negative: events the step removes
                cost = (e - errors) / max(-removed, 1)
                if best is None or cost < best[0]:
                    best = (cost, k, trial)
            if best is None:
                break
            rule = best[2]
            errors, cut = line("search: " + ",".join(f"{k}:{t:g}" for k, t in enumerate(rule)), rule)


if __name__ == "__main__":
    main()

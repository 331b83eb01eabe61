"""Average two networks' logits: is the shipped model's error its variance, or what it can represent?

Two independently trained networks make partly independent mistakes; the mean of their logits
is the cheapest ensemble. If it beats each network by a wide margin, more capacity or more
training shots should too; if not, the mistakes are shared (the labels or the formulation).
Prints, for each logit source (each model, then the mean), the hard pipeline's errors and density
cut at each threshold, and the reweighted pipeline's errors (commits above --reweight-threshold,
the weights moved by --scale times the logits), with paired counts against PyMatching; then each
model's paired counts against the last one at each rule.

    python benchmarks/ensemble_logits.py accurate default --distance 9 --noise uniform:0.006 --shots 20000 \
        --seed 2009 --thresholds 2,3,4 --precision bfloat16
"""

import torch

import qec

from _paired_shots import PairedTally, experiment_circuit, experiment_parser


def main():
    parser = experiment_parser(__doc__, shots=20_000, network=True, models=True)
    parser.add_argument("--thresholds", default="2,3,4")
    parser.add_argument("--reweight-threshold", type=float, default=6.0)
    parser.add_argument("--scale", type=float, default=0.25)
    args = parser.parse_args()
    circuit = experiment_circuit(args)
    graph = qec.DecodingGraph.from_circuit(circuit)
    bounds = [qec.PreDecoder.load(m).bind(graph, precision=args.precision) for m in args.models]
    matcher = qec.Matcher(graph.dem)
    reweighted = qec.PosteriorMatcher(graph, scale=args.scale)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    sources = list(args.models) + ["mean of " + " and ".join(args.models)]
    rules = [(s, t) for s in sources for t in thresholds] + [(s, "reweighted") for s in sources]
    tally = PairedTally(circuit, matcher)
    for dets, obs in tally.chunks(args.shots, seed=args.seed, chunk=args.chunk):
        dt = torch.as_tensor(dets)
        logits = [b.edge_logits(dt, batch_size=500) for b in bounds]
        logits.append(torch.stack(logits).mean(dim=0))
        for source, source_logits in zip(sources, logits):
            for t in thresholds + ["reweighted"]:
                cut = args.reweight_threshold if t == "reweighted" else t
                residual, flip = (x.numpy() for x in bounds[0].apply(bounds[0].decide(source_logits, dt, threshold=cut), dt))
                if t == "reweighted":
                    prediction = reweighted.decode_batch(residual, source_logits.numpy())
                else:
                    prediction = matcher.decode_batch(residual)
                tally.add((source, t), residual, prediction ^ flip)
    labels = {t: f"threshold {t:g}" for t in thresholds} | {"reweighted": "reweighted"}
    settings = f" (commits above {args.reweight_threshold:g}, scale {args.scale:g})"
    names = {(source, t): f"{source}, {labels[t]}" + (settings if t == "reweighted" else "") for source, t in rules}
    tally.print_summary(f"d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} shots "
                        f"(seed {args.seed}, {args.precision or 'float32'})", names)
    reference = args.models[-1]
    for model in args.models[:-1]:
        for t in thresholds + ["reweighted"]:
            only_model, only_reference = tally.discordant((model, t), (reference, t))
            print(f"  {model} vs {reference}, {labels[t]}: "
                  f"only {model} fails {only_model}, only {reference} {only_reference}")

if __name__ == "__main__":
    main()

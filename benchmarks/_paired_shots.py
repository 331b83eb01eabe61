"""What the paired-shot experiment scripts share: their common arguments, and their shots.

    parser = experiment_parser(__doc__, noise="uniform:0.003", seed=1009)
    parser.add_argument("--thresholds", default="2,4")
    args = parser.parse_args()
    graph, batch = graph_and_shots(args)
"""

import argparse

import qec


def experiment_parser(doc: str, *, distance: int = 9, noise: str = "uniform:0.006", shots: int = 10_000,
                      seed: int = 2009) -> argparse.ArgumentParser:
    """A parser with MODEL, --distance, --basis, --noise, --shots and --seed (rounds = distance)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a shipped model's name or a checkpoint path")
    parser.add_argument("--distance", type=int, default=distance)
    parser.add_argument("--basis", default="x")
    parser.add_argument("--noise", default=noise)
    parser.add_argument("--shots", type=int, default=shots)
    parser.add_argument("--seed", type=int, default=seed)
    return parser


def experiment_circuit(args: argparse.Namespace):
    """The memory experiment the arguments name: ``distance`` rounds of ``basis`` under ``noise``."""
    return qec.generate_circuit(args.distance, args.distance, basis=args.basis, noise=args.noise)


def graph_and_shots(args: argparse.Namespace) -> tuple[qec.DecodingGraph, qec.SyndromeBatch]:
    """The experiment's decoding graph and ``--shots`` shots sampled by qec.StimSampler from ``--seed``."""
    graph = qec.DecodingGraph.from_circuit(experiment_circuit(args))
    return graph, qec.StimSampler(graph, seed=args.seed).sample(args.shots)

"""What the paired-shot experiment scripts share: their common arguments, their shots, and a tally.

    parser = experiment_parser(__doc__, noise="uniform:0.003", seed=1009)
    parser.add_argument("--thresholds", default="2,4")
    args = parser.parse_args()
    graph, batch = graph_and_shots(args)

    tally = PairedTally(circuit, matcher)
    for dets, obs in tally.chunks(args.shots, seed=args.seed, chunk=5000):
        tally.add("threshold 2", residual, prediction)  # prediction: the pre-decoder's flips XOR'd in
    tally.print_summary(header)
"""

import argparse

import numpy as np
import torch

import qec
from qec._stats import discordant_counts


def experiment_parser(doc: str, *, distance: int = 9, noise: str = "uniform:0.006", shots: int = 10_000,
                      seed: int = 2009, network: bool = False, models: bool = False) -> argparse.ArgumentParser:
    """A parser with MODEL, --distance, --basis, --noise, --shots and --seed (rounds = distance); with
    ``network``, also --precision and --chunk (for :func:`experiment_setup` and :class:`PairedTally`);
    with ``models``, MODELS (one or more) instead of MODEL."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if models:
        parser.add_argument("models", nargs="+", help="shipped model names or checkpoint paths")
    else:
        parser.add_argument("model", help="a shipped model's name or a checkpoint path")
    parser.add_argument("--distance", type=int, default=distance)
    parser.add_argument("--basis", default="x")
    parser.add_argument("--noise", default=noise)
    parser.add_argument("--shots", type=int, default=shots)
    parser.add_argument("--seed", type=int, default=seed)
    if network:
        parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None)
        parser.add_argument("--chunk", type=int, default=5000, help="shots per network call")
    return parser


def experiment_circuit(args: argparse.Namespace):
    """The memory experiment the arguments name: ``distance`` rounds of ``basis`` under ``noise``."""
    return qec.generate_circuit(args.distance, args.distance, basis=args.basis, noise=args.noise)


def experiment_setup(args: argparse.Namespace) -> tuple:
    """``(circuit, graph, bound, matcher)``: the experiment, its decoding graph, MODEL bound to it at
    ``--precision``, and PyMatching on its DEM."""
    circuit = experiment_circuit(args)
    graph = qec.DecodingGraph.from_circuit(circuit)
    return circuit, graph, qec.PreDecoder.load(args.model).bind(graph, precision=args.precision), qec.Matcher(graph.dem)


def rule_thresholds(bound: qec.BoundPreDecoder, rule: str) -> torch.Tensor:
    """``float (num_edges,)``: a per-class rule's threshold on each of ``bound``'s edges; the rule lists
    one threshold per edge class, comma-separated, in the model's class order
    (``"3,3,1.5,3,1.5,1.5,1.5,1.5,3"``, as ``--threshold`` takes it)."""
    by_class = [float(t) for t in rule.split(",")]
    return bound.predecoder.with_threshold(by_class).bind(bound.graph).edge_thresholds


def graph_and_shots(args: argparse.Namespace) -> tuple[qec.DecodingGraph, qec.SyndromeBatch]:
    """The experiment's decoding graph and ``--shots`` shots sampled by qec.StimSampler from ``--seed``."""
    graph = qec.DecodingGraph.from_circuit(experiment_circuit(args))
    return graph, qec.StimSampler(graph, seed=args.seed).sample(args.shots)


class PairedTally:
    """Per-rule failures and residual events on shots sampled chunk by chunk, against PyMatching on the same shots."""

    def __init__(self, circuit, matcher: qec.Matcher):
        self.circuit, self.matcher = circuit, matcher
        self.failures: dict = {}
        self.events: dict = {}
        self.baseline: list = []
        self.events_in = 0
        self.num_shots = 0
        self._obs = None

    def chunks(self, shots: int, *, seed: int, chunk: int):
        """Yields ``(dets, obs)`` of ``shots`` shots in chunks of ``chunk``, one sampler seeded with ``seed``."""
        sampler = self.circuit.compile_detector_sampler(seed=seed)
        for begin in range(0, shots, chunk):
            dets, obs = sampler.sample(min(chunk, shots - begin), separate_observables=True)
            self.baseline.append(np.any(self.matcher.decode_batch(dets) != obs, axis=1))
            self.events_in += int(dets.sum())
            self.num_shots += len(dets)
            self._obs = obs
            yield dets, obs
            print(f"  {begin + len(dets)} shots done", flush=True)

    def add(self, rule, residual: np.ndarray, prediction: np.ndarray) -> None:
        """Records a rule's residual and final prediction on the current chunk."""
        self.failures.setdefault(rule, []).append(np.any(prediction != self._obs, axis=1))
        self.events[rule] = self.events.get(rule, 0) + int(residual.sum())

    def discordant(self, rule_a, rule_b) -> tuple[int, int]:
        """Shots only ``rule_a`` fails and shots only ``rule_b`` fails: the paired comparison of two rules."""
        return discordant_counts(*(np.concatenate(self.failures[r]) for r in (rule_a, rule_b)))

    def print_summary(self, header: str, names: dict | None = None) -> None:
        """One line per rule (in the order of ``names`` when given): errors, paired counts against PyMatching,
        residual density and cut."""
        baseline = np.concatenate(self.baseline)
        num_detectors = self.circuit.num_detectors
        print(f"{header}: PyMatching {int(baseline.sum())} errors, density "
              f"{self.events_in / (self.num_shots * num_detectors):.4f}")
        for rule in names or self.failures:
            fails = np.concatenate(self.failures[rule])
            name = names[rule] if names else str(rule)
            only_rule, only_baseline = discordant_counts(fails, baseline)
            print(f"  {name:<44} {int(fails.sum()):>5} errors (paired {only_rule} / {only_baseline}), density {self.events[rule] / (self.num_shots * num_detectors):.4f} "
                  f"({self.events_in / max(self.events[rule], 1):.1f}x)")

"""`qec models`: the shipped pre-decoders, their size and training, and the threshold each takes on a circuit."""

from __future__ import annotations

import argparse
import importlib.resources
import json

from qec._predecoder import SHIPPED_MODELS

ROLES = {  # the README's "what it is for", in short
    "default": "the demo and most uses",
    "fast": "the least network time per round; about level with PyMatching with hard commits, so use reweight=True",
    "accurate": "few errors and a large density cut, at about 3x the default's network time",
    "accurate-mlp": "the fewest errors and the largest density cut measured, at about 2x accurate's network time",
}

EXAMPLES = """examples:
  qec models
  qec models --distance 13 --rounds 13 --noise uniform:0.003     # each model's hard threshold on that circuit
  qec models --circuit mine.stim                                  # ... on your own circuit
  qec models --json
"""


def describe(name: str, graph=None) -> dict:
    """One shipped model's facts, as ``qec models --json`` prints them.

    Examples:
        >>> describe("fast")["parameters"]
        22249
    """
    import qec
    model = qec.PreDecoder.load(name)
    config, meta = model.net.config, model.metadata
    row = {"model": name, "role": ROLES[name], "parameters": sum(p.numel() for p in model.net.parameters()),
           "receptive_field": config.receptive_field, "width": config.width, "depth": config.depth,
           "residual": config.residual, "mlp": config.mlp, "training_shots": meta.get("shots_seen"),
           "training_minutes": meta.get("train_minutes"), "training_machine": meta.get("machine"),
           "training_noise": meta.get("training_noise"),
           "card": str(importlib.resources.files("qec.models") / f"{name}.md")}
    if graph is not None:
        row["threshold"] = model.bind(graph).threshold
    return row


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec models", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distance", type=int, default=None, help="with --rounds: a circuit to show thresholds on")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--basis", choices=("x", "z"), default="x")
    parser.add_argument("--noise", default="uniform:0.006",
                        help="uniform:P or si1000:P, optionally +lognormal:SIGMA:SEED")
    parser.add_argument("--circuit", default=None, help="a Stim circuit file to show thresholds on, instead of "
                                                        "--distance/--rounds/--basis/--noise")
    parser.add_argument("--json", action="store_true", help="one JSON object per model per line")
    args = parser.parse_args(command_line_args)
    graph = None
    if (args.distance is None) != (args.rounds is None):
        raise SystemExit("qec models: give --distance and --rounds together (the circuit to show thresholds on)")
    if args.circuit is not None and args.distance is not None:
        raise SystemExit("qec models: give --circuit or --distance/--rounds, not both")
    if args.distance is not None or args.circuit is not None:
        import qec
        from qec._command._input_files import load_circuit
        try:
            circuit = (load_circuit(args.circuit, "qec models") if args.circuit is not None else
                       qec.generate_circuit(args.distance, args.rounds, basis=args.basis, noise=args.noise))
            graph = qec.DecodingGraph.from_circuit(circuit)
        except ValueError as e:
            raise SystemExit(f"qec models: {e}") from None
    rows = [describe(name, graph) for name in SHIPPED_MODELS]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    here = ("" if graph is None else f"  threshold on {args.circuit}" if args.circuit is not None
            else f"  threshold at d={args.distance}, r={args.rounds}, {args.basis}, {args.noise}")
    print(f"{'model':<14}{'parameters':>11}{'R':>4}  {'trained on':<32}{here}".rstrip())
    for row in rows:
        trained = f"{row['training_shots']:,} shots, {row['training_minutes']:.0f} min"
        line = f"{row['model']:<14}{row['parameters']:>11,}{row['receptive_field']:>4}  {trained:<32}"
        if graph is not None:
            threshold = row["threshold"]
            line += "  " + (",".join(f"{t:g}" for t in threshold) if isinstance(threshold, list) else f"{threshold:g}")
        print(line.rstrip())
        print(f"{'':<14}{row['role']}; card: {row['card']}")
    return 0

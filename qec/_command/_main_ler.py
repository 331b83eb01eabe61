"""`qec ler`: sample shots once, decode the same shots with each decoder, report logical error rates."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from qec._predecoder import SHIPPED_MODELS

if TYPE_CHECKING:
    from qec._circuits import NoiseModel

MODEL_HELP = f"a checkpoint path, or a shipped model: {', '.join(SHIPPED_MODELS)}"
DECODERS = ("pymatching", "pymatching-correlated", "pipeline", "pipeline-correlated", "pipeline-reweighted",
            "pipeline-reweighted-shortcut", "pipeline-reweighted-correlated", "pymatching-stream", "pipeline-stream")

# Each one-pass pipeline decoder and the pre-decoder variant it matches (see qec.BoundPreDecoder.run).
PIPELINES = {"pipeline": False, "pipeline-correlated": True, "pipeline-reweighted": "reweighted",
             "pipeline-reweighted-shortcut": "reweighted-shortcut", "pipeline-reweighted-correlated": "reweighted-correlated"}


def paired_reference(name: str) -> str | None:
    """The matcher alone that a decoder is compared with on paired shots (None for the matchers themselves)."""
    if name in ("pymatching", "pymatching-correlated"):
        return None
    return "pymatching-correlated" if name.endswith("-correlated") else "pymatching"

# Shots are sampled in chunks of this size; a run's shots depend on it, so it never changes.
CHUNK = 5_000


def threshold_argument(text: str) -> float | list[float]:
    """``--threshold``: one number, or comma-separated numbers, one per edge class in the model's order.

    Examples:
        >>> threshold_argument("2.5"), threshold_argument("3,3,1.5")
        (2.5, [3.0, 3.0, 1.5])
    """
    try:
        values = [float(value) for value in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number, or one number per edge class "
                                         "separated by commas") from None
    return values[0] if len(values) == 1 else values

EXAMPLES = """examples:
  qec ler --distance 9 --rounds 9 --basis x --noise uniform:0.006 --shots 20000 --seed 1 \\
      --decoders pymatching,pymatching-correlated,pipeline,pipeline-correlated --json
  qec ler --distance 5 --rounds 10 --basis z --noise si1000:0.002 --shots 5000 --model runs/mine/best.pt
  # until every decoder has made 100 errors, at most 10^6 shots
  qec ler --distance 9 --rounds 9 --basis x --noise uniform:0.003 --shots 1000000 --max-errors 100 --seed 1
  # 20,000 more shots after the first example's (together: the first 40,000 shots of seed 1)
  qec ler --distance 9 --rounds 9 --basis x --noise uniform:0.006 --shots 20000 --seed 1 --skip-shots 20000 --json
"""


def _default_help(defaults: dict, key: str, fallback=None) -> str:
    value = defaults.get(key, fallback)
    return "required unless --circuit is given" if value is None else f"default: {value}"


def add_experiment_arguments(parser: argparse.ArgumentParser, *, defaults: dict | None = None) -> None:
    d = defaults or {}
    # None marks "not given": --circuit excludes these, and run() fills in the generated experiment's defaults.
    experiment = {key: d[key] for key in ("distance", "rounds", "basis", "noise") if key in d}
    parser.set_defaults(experiment_defaults={"basis": "x", "noise": "uniform:0.006", **experiment})
    parser.add_argument("--distance", type=int, default=None, help=_default_help(experiment, "distance"))
    parser.add_argument("--rounds", type=int, default=None, help=_default_help(experiment, "rounds"))
    parser.add_argument("--basis", choices=("x", "z"), default=None, help=_default_help(experiment, "basis", "x"))
    parser.add_argument("--noise", default=None, help="uniform:P or si1000:P, optionally +lognormal:SIGMA:SEED (per-qubit "
                                                      "factors of spread SIGMA, draw SEED); "
                                                      + _default_help(experiment, "noise", "uniform:0.006"))
    parser.add_argument("--circuit", default=None,
                        help="sample your own Stim circuit file (.stim, a rotated surface-code memory with (x, y, t) "
                             "detector coordinates) instead of --distance/--basis/--noise; --rounds then only sets the "
                             "rate per round (default: from the detector coordinates)")
    parser.add_argument("--shots", type=int, required="shots" not in d, default=d.get("shots"))
    parser.add_argument("--seed", type=int, default=d.get("seed", 0))
    parser.add_argument("--skip-shots", type=int, default=0,
                        help=f"sample and drop this many shots first (a multiple of {CHUNK}): extends an "
                             "earlier run with the same seed by new shots")
    parser.add_argument("--max-errors", type=int, default=None,
                        help=f"stop once every decoder has made this many errors (checked every {CHUNK} shots); "
                             "--shots is then the most shots to take")
    parser.add_argument("--decoders", default=d.get("decoders", "pymatching,pipeline"),
                        help=f"comma-separated, from: {', '.join(DECODERS)}")
    parser.add_argument("--model", default="default", help=MODEL_HELP)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--batch-size", type=int, default=512, help="shots per pre-decoder batch")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None,
                        help="the network's arithmetic (default: bfloat16 on cuda, float32 on cpu)")
    parser.add_argument("--threshold", type=threshold_argument, default=None,
                        help="the hard pipeline's decision threshold at every noise level, or one per edge class "
                             "in the model's class order, comma-separated (default: the model's threshold for the "
                             "circuit's noise); the correlated and reweighted ones stay the model's")
    parser.add_argument("--commit-rounds", type=int, default=4, help="stream decoders: rounds committed per window")
    parser.add_argument("--buffer-rounds", type=int, default=4, help="stream decoders: look-ahead rounds per window")
    parser.add_argument("--decoder-dem", default=None,
                        help="build every matcher from this DEM file (e.g. from qec learn-noise) instead of the circuit's")
    parser.add_argument("--json", action="store_true", help="one JSON object per decoder per line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec ler", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_experiment_arguments(parser)
    args = parser.parse_args(command_line_args)
    rows = run(args)
    print_rows(rows, as_json=args.json)
    return 0


def run(args) -> list[dict]:
    """Samples once and decodes the same shots with every requested decoder; returns one row each."""
    import numpy as np

    from qec._decoder import Decoder
    from qec._graph import check_matching_dem
    from qec._matching import Matcher
    from qec._stats import DecodeStats, discordant_counts

    decoders = [name.strip() for name in args.decoders.split(",") if name.strip()]
    unknown = [name for name in decoders if name not in DECODERS]
    if unknown or not decoders:
        raise SystemExit(f"qec ler: unknown decoder(s) {unknown}; available: {', '.join(DECODERS)}")
    if args.shots < 1:
        raise SystemExit(f"qec ler: --shots={args.shots}; expected >= 1")
    if args.max_errors is not None and args.max_errors < 1:
        raise SystemExit(f"qec ler: --max-errors={args.max_errors}; expected >= 1")
    if args.skip_shots < 0 or args.skip_shots % CHUNK:
        raise SystemExit(f"qec ler: --skip-shots={args.skip_shots}; expected a non-negative multiple of {CHUNK}")
    circuit, graph, noise, experiment = build_experiment(args)
    matching_dem = graph.dem
    if args.decoder_dem:
        from qec._command._input_files import load_reference
        matching_dem = load_reference(args.decoder_dem, "qec ler")
        try:
            check_matching_dem(matching_dem, graph)
        except ValueError as e:
            raise SystemExit(f"qec ler: --decoder-dem: {e}")
    matcher = Matcher(matching_dem)
    needs_model = any(name.startswith("pipeline") for name in decoders)
    plain = Decoder(graph, model=None, matching_dem=matching_dem) if "pymatching-stream" in decoders else None
    try:
        piped = (Decoder(graph, model=args.model, device=args.device, batch_size=args.batch_size,
                         matching_dem=matching_dem, precision=args.precision, threshold=args.threshold)
                 if needs_model else None)
    except ValueError as e:
        raise SystemExit(f"qec ler: {e}")
    if piped is not None and noise is not None and args.threshold is None and {"pipeline", "pipeline-stream"} & set(decoders):
        note = noise_mismatch_note(piped.predecoder, noise, graph.timelike_ratio)
        if note:
            print(f"qec ler: note: {note}", file=sys.stderr)
    sampler = circuit.compile_detector_sampler(seed=args.seed)
    skip_shots(sampler, args.skip_shots)
    errors = {name: 0 for name in decoders}
    # Paired counts against each decoder's reference matcher: (shots only it fails, shots only the reference fails).
    discordant = {name: [0, 0] for name in decoders if paired_reference(name) in decoders}
    stats = {name: DecodeStats() for name in decoders}
    from tqdm import tqdm
    bar = tqdm(total=args.shots, desc="ler", unit="shot", file=sys.stderr, disable=args.no_progress)
    done = 0
    while done < args.shots:
        n = min(CHUNK, args.shots - done)
        dets, obs = sampler.sample(n, separate_observables=True)
        events = int(dets.sum())
        predecoded = None
        failed = {}
        for name in decoders:
            correlated = name.endswith("-correlated")
            if name.endswith("-stream"):
                t0 = time.perf_counter()
                stream = (piped if name == "pipeline-stream" else plain).stream(
                    n, commit_rounds=args.commit_rounds, buffer_rounds=args.buffer_rounds)
                for layer in stream.layer_detectors:
                    stream.push(dets[:, layer])
                prediction = stream.finish()
                s = DecodeStats(shots=n, detectors=graph.num_detectors, events_in=events, events_residual=events,
                                seconds_matching=time.perf_counter() - t0)
            elif name.startswith("pipeline"):
                if predecoded is None:  # one network pass serves every residual matcher
                    variants = tuple(PIPELINES[d] for d in decoders if d in PIPELINES)
                    t0 = time.perf_counter()
                    predecoded = piped.predecode_variants(dets, variants=variants)
                    pre_seconds = time.perf_counter() - t0
                parts = predecoded[PIPELINES[name]]
                t0 = time.perf_counter()
                prediction = piped.match_residual(parts, PIPELINES[name]) ^ parts[1]
                s = DecodeStats(shots=n, detectors=graph.num_detectors, events_in=events,
                                events_residual=int(parts[0].sum()), seconds_predecoder=pre_seconds,
                                seconds_matching=time.perf_counter() - t0)
            else:
                t0 = time.perf_counter()
                prediction = matcher.decode_batch(dets, correlated=correlated)
                s = DecodeStats(shots=n, detectors=graph.num_detectors, events_in=events, events_residual=events,
                                seconds_matching=time.perf_counter() - t0)
            failed[name] = np.any(prediction != obs, axis=1)
            errors[name] += int(failed[name].sum())
            stats[name] = stats[name] + s
        for name, counts in discordant.items():
            only_this, only_reference = discordant_counts(failed[name], failed[paired_reference(name)])
            counts[0] += only_this
            counts[1] += only_reference
        done += n
        bar.update(n)
        if args.max_errors is not None and min(errors.values()) >= args.max_errors:
            break
    bar.close()

    rows = []
    for name in decoders:
        s = stats[name]
        rows.append(with_rates({
            "decoder": name, **experiment, "shots": done, "errors": errors[name],
            "seconds": s.seconds, "density_in": s.density_in,
            "density_residual": s.density_residual if name in PIPELINES else None,
            "model": (piped.predecoder.metadata.get("name", args.model) if name.startswith("pipeline") else None),
            "precision": piped.precision if name.startswith("pipeline") else None,
            "device": str(piped.device) if name.startswith("pipeline") else None,
            "threshold": piped.threshold if name in ("pipeline", "pipeline-stream") else None,
            "seed": args.seed, "skip_shots": args.skip_shots, "decoder_dem": args.decoder_dem,
            "max_errors": args.max_errors,
            **({"paired_reference": paired_reference(name), "only_this_fails": discordant[name][0],
                "only_reference_fails": discordant[name][1]} if name in discordant else {}),
            **({"commit_rounds": args.commit_rounds, "buffer_rounds": args.buffer_rounds} if name.endswith("-stream") else {}),
        }))
    return rows


def build_experiment(args):
    """The experiment ``qec ler`` samples: ``(circuit, graph, noise, row_fields)``; ``noise`` is None for ``--circuit``.

    Fills the generated experiment's defaults into ``args`` (``--circuit`` excludes ``--distance/--basis/--noise``).
    """
    from qec._circuits import NoiseModel, generate_circuit
    from qec._command._input_files import load_circuit

    if args.circuit is not None:
        given = [f"--{k}" for k in ("distance", "basis", "noise") if getattr(args, k) is not None]
        if given:
            raise SystemExit(f"qec ler: --circuit names the experiment; {', '.join(given)} "
                             f"{'does' if len(given) == 1 else 'do'} not apply to it")
        circuit = load_circuit(args.circuit, "qec ler")
        graph = _decoding_graph(circuit)
        return circuit, graph, None, {"distance": None, "rounds": rounds_for_rate(graph, args.rounds, "qec ler"),
                                      "basis": None, "noise": None, "circuit": args.circuit}
    for key, value in args.experiment_defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    missing = [f"--{k}" for k in ("distance", "rounds") if getattr(args, k) is None]
    if missing:
        raise SystemExit(f"qec ler: give {' and '.join(missing)} (or --circuit FILE)")
    try:
        noise = NoiseModel.parse(args.noise)
        circuit = generate_circuit(args.distance, args.rounds, basis=args.basis, noise=noise)
    except ValueError as e:
        raise SystemExit(f"qec ler: {e}")
    return circuit, _decoding_graph(circuit), noise, {"distance": args.distance, "rounds": args.rounds,
                                                      "basis": args.basis, "noise": str(noise), "circuit": None}


def _decoding_graph(circuit):
    from qec._graph import DecodingGraph
    try:
        return DecodingGraph.from_circuit(circuit)
    except ValueError as e:
        raise SystemExit(f"qec ler: {e}")


def rounds_for_rate(graph, given: int | None, prog: str) -> int:
    """The rounds for the error rate per round: ``given``, or those the detector coordinates show (with
    a note on stderr when the two differ).

    Examples:
        >>> from qec import DecodingGraph, generate_circuit
        >>> rounds_for_rate(DecodingGraph.from_circuit(generate_circuit(3, 4, noise="uniform:0.01")), None, "qec ler")
        4
    """
    coordinate_rounds = max(graph.grid_shape[0] - 1, 1)
    rounds = given if given is not None else coordinate_rounds
    if rounds != coordinate_rounds:
        print(f"{prog}: note: --rounds {rounds}, but the detector coordinates show {coordinate_rounds} rounds; "
              f"the rate per round uses {rounds}", file=sys.stderr)
    return rounds


def noise_mismatch_note(predecoder, noise: "NoiseModel", timelike_ratio: float = float("nan")) -> str | None:
    """A warning when the hard pipeline's threshold, tuned on the model's training noise, meets another
    kind of noise; None when the kinds match, the model does not say what kind it was trained on, or
    it has a threshold for this circuit's :attr:`qec.DecodingGraph.timelike_ratio` (tuned on that kind).

    Examples:
        >>> from qec import PreDecoder
        >>> from qec._circuits import NoiseModel
        >>> pre = PreDecoder.untrained(classes=[(0, 0, 0, 1)], width=4, depth=1)
        >>> pre.metadata["training_noise"] = "uniform:0.004,uniform:0.006"
        >>> noise_mismatch_note(pre, NoiseModel.parse("uniform:0.003")) is None
        True
        >>> noise_mismatch_note(pre, NoiseModel.parse("si1000:0.003"), 2.7)[:50]
        'the model was trained on uniform noise, not si1000'
        >>> pre.threshold_by_timelike_ratio = [(2.3, 5.0)]
        >>> noise_mismatch_note(pre, NoiseModel.parse("si1000:0.003"), 2.7) is None
        True
    """
    kinds = predecoder.training_noise_kinds
    if not kinds or "dem" in kinds or noise.kind in kinds:  # a DEM file's noise may be of any kind
        return None
    if predecoder.timelike_rule(timelike_ratio) is not None:
        return None
    return (f"the model was trained on {' and '.join(sorted(kinds))} noise, not {noise.kind}: its hard threshold may "
            "over-commit (BENCHMARKS.md, 'SI1000 noise'); set one with --threshold, or use pipeline-reweighted")


def skip_shots(sampler, shots: int) -> None:
    """Advances a Stim detector sampler past ``shots`` shots (a multiple of ``CHUNK``) with the calls
    ``qec ler`` makes, so that the next shots are those of ``qec ler --skip-shots shots``."""
    for _ in range(shots // CHUNK):
        sampler.sample(CHUNK, separate_observables=True)


def with_rates(row: dict) -> dict:
    """A row with its rates, 95% intervals, time per round and paired p-value computed from its counts."""
    from qec._stats import binomial_interval, ler_per_round, paired_sign_test
    shots, rounds = row["shots"], row["rounds"]
    ler_shot = row["errors"] / shots
    low, high = binomial_interval(row["errors"], shots)
    rates = {"ler_shot": ler_shot, "ler_shot_low": low, "ler_shot_high": high,
             "ler_round": ler_per_round(ler_shot, rounds),
             "ler_round_low": ler_per_round(low, rounds), "ler_round_high": ler_per_round(high, rounds),
             "us_per_round": 1e6 * row["seconds"] / (shots * rounds)}
    if "only_this_fails" in row:
        rates["paired_p_value"] = paired_sign_test(row["only_this_fails"], row["only_reference_fails"])
    return {**row, **rates}


# What must agree for two rows to be parts of one run (the shots are told apart by skip_shots).
SAME_RUN = ("decoder", "distance", "rounds", "basis", "noise", "circuit", "seed", "model", "precision", "threshold",
            "decoder_dem", "commit_rounds", "buffer_rounds")


def merge_rows(rows: list[dict]) -> list[dict]:
    """Joins the rows of runs that extend each other (``--skip-shots``) into one row per decoder.

    Errors, shots, seconds and paired counts add; densities are averaged over the shots; rates,
    intervals and p-values are computed again. The parts of a decoder must cover consecutive shots
    of one seed with nothing missing or counted twice.

    Examples:
        >>> part = {"decoder": "pymatching", "distance": 3, "rounds": 3, "basis": "x", "noise": "uniform:0.01",
        ...         "seed": 1, "model": None, "shots": 5000, "errors": 10, "seconds": 1.0, "density_in": 0.1,
        ...         "density_residual": None, "skip_shots": 0}
        >>> [(r["shots"], r["errors"]) for r in merge_rows([part, {**part, "skip_shots": 5000, "errors": 14}])]
        [(10000, 24)]
    """
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        # As JSON text, so that a threshold per edge class (a list) can be part of the key.
        groups.setdefault(tuple(json.dumps(row.get(key)) for key in SAME_RUN), []).append(row)
    def first_shot(row: dict) -> int:  # rows written before --skip-shots existed start at 0
        return row.get("skip_shots", 0)

    merged = []
    for parts in groups.values():
        parts = sorted(parts, key=first_shot)
        for a, b in zip(parts, parts[1:]):
            if first_shot(a) + a["shots"] != first_shot(b):
                raise ValueError(f"{a['decoder']}: shots {first_shot(a)}..{first_shot(a) + a['shots']} are followed by "
                                 f"a part that skips {first_shot(b)}; the parts must be consecutive")
        shots = sum(r["shots"] for r in parts)
        row = {**parts[0], "skip_shots": first_shot(parts[0]), "shots": shots,
               "errors": sum(r["errors"] for r in parts),
               "seconds": sum(r["seconds"] for r in parts),
               "density_in": sum(r["density_in"] * r["shots"] for r in parts) / shots}
        if parts[0]["density_residual"] is not None:
            row["density_residual"] = sum(r["density_residual"] * r["shots"] for r in parts) / shots
        if "only_this_fails" in row:
            row["only_this_fails"] = sum(r["only_this_fails"] for r in parts)
            row["only_reference_fails"] = sum(r["only_reference_fails"] for r in parts)
        merged.append(with_rates(row))
    return merged


def print_rows(rows: list[dict], *, as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    first = rows[0]
    experiment = (f"{first['circuit']}, {first['rounds']} rounds" if first.get("circuit") else
                  f"rotated surface code, memory {first['basis'].upper()}, d={first['distance']}, "
                  f"{first['rounds']} rounds, noise {first['noise']}")
    print(f"{experiment}, {first['shots']} shots (the same shots for every decoder"
          + (f"; --max-errors {first['max_errors']}" if first.get("max_errors") else "") + ")")
    print(f"{'decoder':<30} {'errors':>7} {'LER/shot (95% CI)':>30} {'LER/round':>10} {'density':>17} {'µs/round':>9}"
          f"  {'paired: only this / only ref (p)':<34}")
    for r in rows:
        ci = f"{r['ler_shot']:.2e} [{r['ler_shot_low']:.1e},{r['ler_shot_high']:.1e}]"
        density = (f"{r['density_in']:.4f}" if r["density_residual"] is None
                   else f"{r['density_in']:.4f}→{r['density_residual']:.4f}")
        paired = (f"{r['only_this_fails']} / {r['only_reference_fails']} vs {r['paired_reference']} "
                  f"(p={r['paired_p_value']:.2g})" if "paired_reference" in r else "")
        print(f"{r['decoder']:<30} {r['errors']:>7} {ci:>30} {r['ler_round']:>10.2e} {density:>17} {r['us_per_round']:>9.1f}"
              f"  {paired}")

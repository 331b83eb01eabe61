"""`qec decode`: decode recorded detection events from a file and write the observable predictions.

With the observables that actually flipped (`--obs`), it also counts the logical errors, and those
of the matcher alone on the same shots (PyMatching, or correlated PyMatching for a correlated
decoder), with paired counts: how your experiment's own shots fare with each.
"""

from __future__ import annotations

import argparse
import sys
import time

from qec._command._main_ler import (MODEL_HELP, paired_reference, print_rows, rounds_for_rate, threshold_argument,
                                   with_rates)
from qec._decoder import DECODER_KINDS
from qec._shot_files import FORMATS

EXAMPLES = """examples:
  qec decode --circuit circuit.stim --events dets.b8 --out predictions.01
  qec decode --circuit circuit.stim --events dets.b8 --obs obs.b8 --out predictions.b8 \\
      --decoder pipeline-reweighted --model accurate --json
  # a circuit and its shots from Stim's command line:
  stim sample_dem --in circuit.dem --shots 10000 --out dets.b8 --out_format b8 --obs_out obs.b8 --obs_out_format b8
"""

CHUNK = 10_000  # shots per call: a progress bar on large files


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec decode", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circuit", required=True,
                        help="the experiment: a Stim circuit (.stim) or its decomposed detector error model (.dem) "
                             "with (x, y, t) detector coordinates")
    parser.add_argument("--events", required=True, help="detection events: .npy (shots x detectors) or a Stim "
                                                         "result file (.01, .b8, .r8, .ptb64, .hits, .dets)")
    parser.add_argument("--format", choices=FORMATS, default=None, help="the events' format (default: from the extension)")
    parser.add_argument("--out", default=None, help="where to write the predicted observable flips (optional)")
    parser.add_argument("--out-format", choices=FORMATS, default=None, help="default: from the extension")
    parser.add_argument("--obs", default=None, help="the observable flips that happened, to count logical errors")
    parser.add_argument("--obs-format", choices=FORMATS, default=None, help="default: from the extension")
    parser.add_argument("--decoder", choices=tuple(DECODER_KINDS), default="pipeline")
    parser.add_argument("--model", default="default", help=MODEL_HELP)
    parser.add_argument("--decoder-dem", default=None,
                        help="build the matcher from this DEM file (e.g. from qec learn-noise) instead of the circuit's")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds, for the error rate per round (default: from the detector coordinates)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--batch-size", type=int, default=512, help="shots per pre-decoder batch")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None,
                        help="the network's arithmetic (default: bfloat16 on cuda, float32 on cpu)")
    parser.add_argument("--threshold", type=threshold_argument, default=None,
                        help="the hard pipeline's decision threshold (default: the model's for the circuit's noise)")
    parser.add_argument("--json", action="store_true", help="one JSON object per decoder per line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    args = parser.parse_args(command_line_args)
    if args.out is None and args.obs is None:
        raise SystemExit("qec decode: nothing to do: give --out (write the predictions), --obs (count errors), or both")
    if args.threshold is not None and args.decoder != "pipeline":
        raise SystemExit(f"qec decode: --threshold is the hard pipeline's decision threshold (--decoder pipeline); "
                         f"it does not apply to {args.decoder}")
    rows = run(args)
    print_summary(rows, as_json=args.json)
    return 0


def run(args) -> list[dict]:
    """Decodes the file's shots with the chosen decoder (and, given ``--obs``, the matcher alone); one row each."""
    import numpy as np
    from tqdm import tqdm

    from qec._command._input_files import load_reference
    from qec._decoder import Decoder
    from qec._event_fit import warn_if_events_do_not_fit
    from qec._graph import DecodingGraph
    from qec._shot_files import ShotFile, file_format, read_observables, write_observables
    from qec._stats import discordant_counts

    dem = load_reference(args.circuit, "qec decode")
    try:
        if args.out:
            file_format(args.out, args.out_format)  # a bad name fails now, not after the decoding
        graph = DecodingGraph.from_dem(dem)
        matching_dem = load_reference(args.decoder_dem, "qec decode") if args.decoder_dem else None
        decoder = Decoder(graph, **{"model": args.model, **DECODER_KINDS[args.decoder]}, device=args.device,
                          batch_size=args.batch_size, matching_dem=matching_dem, precision=args.precision,
                          threshold=args.threshold)
        events = ShotFile(args.events, width=graph.num_detectors, format=args.format)  # read a chunk at a time
        obs = (read_observables(args.obs, num_observables=dem.num_observables, format=args.obs_format)
               if args.obs else None)
    except ValueError as e:
        raise SystemExit(f"qec decode: {e}")
    if obs is not None and len(obs) != events.num_shots:
        raise SystemExit(f"qec decode: {args.obs} holds {len(obs)} shots; {args.events} holds {events.num_shots}")
    names = [args.decoder]
    reference = paired_reference(args.decoder)
    if obs is not None and reference is not None:
        names.append(reference)
    decoders = {args.decoder: decoder}
    if len(names) == 2:
        decoders[reference] = Decoder(graph, model=None, correlated=reference.endswith("-correlated"),
                                      matching_dem=matching_dem)
    try:
        warn_if_events_do_not_fit(graph, next(events.chunks(6_000)), what=f"the events in {args.events}")
    except ValueError as e:
        raise SystemExit(f"qec decode: {e}")
    predictions = {name: [] for name in names}
    seconds = {name: 0.0 for name in names}
    residual_events = events_in = 0
    with tqdm(total=events.num_shots, desc="decode", unit="shot", file=sys.stderr, disable=args.no_progress) as bar:
        try:
            for chunk in events.chunks(CHUNK):
                for name in names:
                    t0 = time.perf_counter()
                    predictions[name].append(decoders[name].decode_batch(chunk))
                    seconds[name] += time.perf_counter() - t0
                events_in += decoders[args.decoder].last_stats.events_in
                residual_events += decoders[args.decoder].last_stats.events_residual
                bar.update(len(chunk))
        except ValueError as e:  # e.g. a .npy file's values other than 0 and 1, found as its chunks are read
            raise SystemExit(f"qec decode: {e}")
    predictions = {name: np.concatenate(parts) for name, parts in predictions.items()}
    if args.out:
        try:
            write_observables(args.out, predictions[args.decoder], format=args.out_format)
        except ValueError as e:
            raise SystemExit(f"qec decode: {e}")
    rounds = rounds_for_rate(graph, args.rounds, "qec decode")
    shots = events.num_shots
    pipeline = decoder.predecoder is not None
    rows = []
    for name in names:
        row = {"decoder": name, "circuit": args.circuit, "events": args.events, "shots": shots, "rounds": rounds,
               "detectors": graph.num_detectors, "seconds": seconds[name],
               "density_in": events_in / (shots * graph.num_detectors),
               "density_residual": (residual_events / (shots * graph.num_detectors)
                                    if name == args.decoder and pipeline else None),
               "model": decoder.predecoder.metadata.get("name", args.model) if name == args.decoder and pipeline else None,
               "out": args.out if name == args.decoder else None, "obs": args.obs, "errors": None}
        if obs is not None:
            failed = np.any(predictions[name] != obs, axis=1)
            row["errors"] = int(failed.sum())
            if name == args.decoder and len(names) == 2:
                only_this, only_reference = discordant_counts(
                    failed, np.any(predictions[reference] != obs, axis=1))
                row.update(paired_reference=reference, only_this_fails=only_this, only_reference_fails=only_reference)
            row = with_rates(row)
        else:
            row["us_per_round"] = 1e6 * seconds[name] / (shots * rounds)
        rows.append(row)
    return rows


def print_summary(rows: list[dict], *, as_json: bool) -> None:
    if as_json:
        print_rows(rows, as_json=True)  # one JSON object per line, as qec ler prints them
        return
    first = rows[0]
    print(f"{first['events']}: {first['shots']} shots of {first['detectors']} detectors, {first['rounds']} rounds "
          f"({first['circuit']})")
    for r in rows:
        density = (f"density {r['density_in']:.4f}" if r["density_residual"] is None
                   else f"density {r['density_in']:.4f} -> {r['density_residual']:.4f}")
        errors = "" if r["errors"] is None else (
            f"{r['errors']} errors, LER/shot {r['ler_shot']:.2e} [{r['ler_shot_low']:.1e}, {r['ler_shot_high']:.1e}], "
            f"LER/round {r['ler_round']:.2e}; ")
        paired = (f"; paired: only this fails {r['only_this_fails']}, only {r['paired_reference']} "
                  f"{r['only_reference_fails']} (p={r['paired_p_value']:.2g})" if "paired_reference" in r else "")
        wrote = f"; wrote {r['out']}" if r["out"] else ""
        print(f"{r['decoder']:<30} {errors}{density}, {r['us_per_round']:.1f} µs/round{paired}{wrote}")

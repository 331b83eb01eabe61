"""`qec demo`: simulate a memory experiment and decode the same shots with PyMatching alone and with the pipeline."""

from __future__ import annotations

import argparse

from qec._command._main_ler import add_experiment_arguments, print_rows, run

DEFAULTS = {"distance": 9, "rounds": 9, "basis": "x", "noise": "uniform:0.006", "shots": 10_000, "seed": 2026,
            "decoders": "pymatching,pipeline,pipeline-reweighted,pymatching-correlated,pipeline-correlated"}


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec demo", description=__doc__)
    add_experiment_arguments(parser, defaults=DEFAULTS)
    args = parser.parse_args(command_line_args)
    rows = run(args)
    print_rows(rows, as_json=args.json)
    if not args.json:
        by = {r["decoder"]: r for r in rows}
        for pipe, base in (("pipeline", "pymatching"), ("pipeline-reweighted", "pymatching"),
                           ("pipeline-correlated", "pymatching-correlated")):
            if pipe in by and base in by and by[base]["errors"]:
                print(f"{pipe}: {by[pipe]['errors'] / by[base]['errors']:.2f}x the errors of {base}, "
                      f"detection events reduced {by[pipe]['density_in'] / max(by[pipe]['density_residual'], 1e-12):.1f}x")
        devices = {r["device"] for r in rows if r.get("device")}
        if devices == {"cpu"}:
            print("The pre-decoder ran on the CPU here; on a CPU it costs far more per round than PyMatching. "
                  "Speed claims need a GPU (see BENCHMARKS.md).")
        elif devices:
            print(f"The pre-decoder ran on {', '.join(sorted(devices))}; the µs/round column times it there "
                  "(qec bench times each stage separately).")
    return 0

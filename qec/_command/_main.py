"""The `qec` command: thin argument parsing over the library; subcommands are imported lazily."""

from __future__ import annotations

import contextlib
import sys
import warnings

SUBCOMMANDS = {
    "demo": ("qec._command._main_demo", "decode a simulated experiment: PyMatching alone vs the pipeline"),
    "ler": ("qec._command._main_ler", "logical error rates of several decoders on the same shots"),
    "decode": ("qec._command._main_decode", "decode detection events from a file; write the predictions"),
    "train": ("qec._command._main_train", "train a pre-decoder (resumable)"),
    "learn-noise": ("qec._command._main_learn_noise", "learn a detector error model from detection events"),
    "bench": ("qec._command._main_bench", "time PyMatching, the pre-decoder and the pipeline on the same shots"),
    "models": ("qec._command._main_models", "the shipped pre-decoders and the threshold each takes on a circuit"),
}

USAGE = """usage: qec <command> [options]

commands:
{commands}

examples:
  qec demo
  qec ler --distance 9 --rounds 9 --basis x --noise uniform:0.006 --shots 20000 --seed 1 \\
      --decoders pymatching,pipeline --json
  qec decode --circuit circuit.stim --events dets.b8 --obs obs.b8 --out predictions.01
  qec train --steps=2000 --out_dir=runs/mine
"""


def main(*, command_line_args: list[str] | None = None) -> int:
    """Runs a subcommand; returns the exit code.

    Examples:
        >>> main(command_line_args=["frobnicate"])
        Traceback (most recent call last):
        ...
        SystemExit: unknown command 'frobnicate'; available: demo, ler, decode, train, learn-noise, bench, models
    """
    args = sys.argv[1:] if command_line_args is None else list(command_line_args)
    if not args or args[0] in ("-h", "--help", "help"):
        commands = "\n".join(f"  {name:<12} {text}" for name, (_, text) in SUBCOMMANDS.items())
        print(USAGE.format(commands=commands))
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        raise SystemExit(f"unknown command {name!r}; available: {', '.join(SUBCOMMANDS)}")
    import importlib
    module = importlib.import_module(SUBCOMMANDS[name][0])
    with warnings_as_lines(f"qec {name}"):
        return module.main(command_line_args=rest) or 0


@contextlib.contextmanager
def warnings_as_lines(prog: str):
    """Within it, a warning prints as one line that names the command (``qec decode: warning: ...``),
    not as Python's file, line and source."""
    original = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *args, **kwargs: f"{prog}: warning: {message}\n"
    try:
        yield
    finally:
        warnings.formatwarning = original


if __name__ == "__main__":
    sys.exit(main())

"""The files a command reads by name (a Stim circuit, a DEM): each refused with a ``SystemExit`` that
names the command and says what is wrong with the file."""

from __future__ import annotations

import os


def read_text_file(path: str, expected: str, prog: str) -> str:
    """The text of the file at ``path``, or a ``SystemExit`` from ``prog`` (e.g. ``"qec ler"``) when it is
    missing, not a file or not text; ``expected`` says what it should hold."""
    prefix = f"{prog}: "
    if not os.path.isfile(path):
        raise SystemExit(prefix + (f"{path} does not exist" if not os.path.exists(path) else f"{path} is not a file"))
    try:
        return open(path, encoding="utf-8").read()
    except UnicodeDecodeError:
        raise SystemExit(f"{prefix}{path} is not text; expected {expected}") from None


def load_reference(path: str, prog: str):
    """A decomposed DEM from a ``.dem`` file, or from a circuit file (``.stim``); a ``SystemExit`` from ``prog``
    when the file is neither."""
    import stim
    text = read_text_file(path, "a detector error model (.dem) or a Stim circuit (.stim) in Stim's text format", prog)
    try:
        return stim.DetectorErrorModel(text) if not path.endswith(".stim") else _circuit_dem(stim.Circuit(text))
    except ValueError:
        try:
            return _circuit_dem(stim.Circuit(text))
        except ValueError as e:
            raise SystemExit(f"{prog}: {path} is neither a detector error model nor a Stim circuit: {e}")


def _circuit_dem(circuit):
    return circuit.detector_error_model(decompose_errors=True)


def load_circuit(path: str, prog: str):
    """A Stim circuit from a text file, or a ``SystemExit`` from ``prog`` that says what is wrong with the file."""
    import stim

    text = read_text_file(path, "a Stim circuit (.stim)", prog)
    try:
        return stim.Circuit(text)
    except ValueError as e:
        raise SystemExit(f"{prog}: {path} is not a Stim circuit: {e}")


"""Shot data on disk: detection events in, observable flips in and out, as numpy ``.npy`` or in
Stim's result formats (https://github.com/quantumlib/Stim/blob/main/doc/result_formats.md)."""

from __future__ import annotations

import os

import numpy as np
import stim

STIM_FORMATS = ("01", "b8", "r8", "ptb64", "hits", "dets")
FORMATS = ("npy",) + STIM_FORMATS


def file_format(path: str | os.PathLike, format: str | None = None) -> str:
    """The format given, or the one the file's extension names; an unknown one raises ValueError.

    Examples:
        >>> file_format("shots.b8"), file_format("shots.txt", "01")
        ('b8', '01')
    """
    if format is None:
        format = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    if format not in FORMATS:
        raise ValueError(f"{os.fspath(path)}: format {format!r} is unknown; expected one of {', '.join(FORMATS)} "
                         "(name it with --format, or by the file's extension)")
    return format


def check_events(dets, num_detectors: int, *, bit_packed: bool) -> np.ndarray:
    """Detection events as ``bool (num_shots, num_detectors)``, from unpacked bool/0-1 uint8 or
    bit-packed uint8 (little bit order); a wrong shape, dtype or detector count raises ValueError.

    Examples:
        >>> check_events(np.array([[1, 0, 1]], dtype=np.uint8), 3, bit_packed=False).tolist()
        [[True, False, True]]
        >>> check_events(np.array([[5]], dtype=np.uint8), 3, bit_packed=True).tolist()
        [[True, False, True]]
    """
    dets = np.asarray(dets)
    packed_width = -(-num_detectors // 8)
    expected = (f"expected bool (num_shots, {num_detectors}) or, bit-packed, uint8 (num_shots, {packed_width}) "
                "= ceil(num_detectors / 8)")
    if dets.ndim != 2:
        raise ValueError(f"detection events have shape={dets.shape}; {expected}")
    if len(dets) == 0:
        raise ValueError("no shots: the detection events are empty")
    if bit_packed:
        if dets.dtype != np.uint8 or dets.shape[1] != packed_width:
            raise ValueError(f"bit-packed events have dtype={dets.dtype}, shape={dets.shape}; {expected}")
        return np.unpackbits(dets, axis=1, count=num_detectors, bitorder="little").astype(bool)
    if dets.shape[1] != num_detectors:
        raise ValueError(f"detection events have dtype={dets.dtype}, shape={dets.shape}; {expected} "
                         "(does the reference match the experiment?)")
    if dets.dtype not in (np.bool_, np.uint8):
        raise ValueError(f"detection events have dtype={dets.dtype}; {expected}")
    if dets.dtype == np.uint8:
        if dets.max(initial=0) > 1:
            raise ValueError("detection events are uint8 with values above 1; pass bit_packed=True for packed data")
        dets = dets.astype(bool)
    return dets


def read_events(path: str | os.PathLike, *, num_detectors: int, format: str | None = None) -> np.ndarray:
    """Reads detection events from ``.npy`` (bool/uint8, shots × detectors) or a Stim result file.

    Args:
        path: the file.
        num_detectors: detectors per shot (for Stim's formats; checked for ``npy``).
        format: ``"npy"`` or one of Stim's: ``"01"``, ``"b8"``, ``"r8"``, ``"ptb64"``, ``"hits"``,
            ``"dets"``. Defaults to None (from the file's extension).

    Returns:
        ``bool, shape=(num_shots, num_detectors)``.
    """
    return _read(path, num_detectors, format, what="events", count="num_detectors", unit="detectors")


def read_observables(path: str | os.PathLike, *, num_observables: int, format: str | None = None) -> np.ndarray:
    """Reads observable flips (``bool``, shots × observables) written as :func:`read_events` reads events.

    Examples:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "obs.01")
        >>> write_observables(path, np.array([[True], [False]]))
        >>> read_observables(path, num_observables=1).tolist()
        [[True], [False]]
    """
    return _read(path, num_observables, format, what="observables", count="num_observables", unit="observables")


def write_observables(path: str | os.PathLike, flips: np.ndarray, *, format: str | None = None) -> None:
    """Writes observable flips ``bool (num_shots, num_observables)`` as ``.npy`` or a Stim result file."""
    format = file_format(path, format)
    flips = np.asarray(flips, dtype=bool)
    if format == "npy":
        with open(path, "wb") as f:  # np.save on a path would add ".npy" to a name without it
            np.save(f, flips)
        return
    stim.write_shot_data_file(data=flips, path=os.fspath(path), format=format, num_observables=flips.shape[1])


def _read(path, width: int, format: str | None, *, what: str, count: str, unit: str) -> np.ndarray:
    path = os.fspath(path)
    format = file_format(path, format)
    if not os.path.exists(path):
        raise ValueError(f"{what} file {path} does not exist")
    if format == "npy":
        data = np.load(path)
        if what == "events":
            return check_events(data, width, bit_packed=False)
        if data.ndim != 2 or data.shape[1] != width or data.dtype not in (np.bool_, np.uint8) or data.max(initial=0) > 1:
            raise ValueError(f"{what} file {path} holds dtype={data.dtype}, shape={data.shape}; "
                             f"expected 0/1 bool or uint8 (num_shots, {width})")
        data = data.astype(bool)
    else:
        try:
            data = stim.read_shot_data_file(path=path, format=format, **{count: width})
        except ValueError as e:
            raise ValueError(f"{what} file {path} cannot be read as {format} with {width} {unit} per shot: {e}") from None
    if data.size == 0:
        raise ValueError(f"{what} file {path} holds no shots")
    return data.astype(bool)

"""Shot data on disk: detection events in, observable flips in and out, as numpy ``.npy`` or in
Stim's result formats (https://github.com/quantumlib/Stim/blob/main/doc/result_formats.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import stim

from qec._events import holds_only_bits, is_unpacked_dtype

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
                         "(give the format, or a file name that ends in it)")
    return format


class ShotFile:
    """Shots in a file (detection events or observable flips), read whole or a chunk at a time.

    A ``b8`` or ``.npy`` file is mapped, not loaded, so reading it in chunks holds one chunk in
    memory whatever the file's size; Stim's other formats are read whole (by Stim) and then cut.

    Args:
        path: the file.
        width: bits per shot: detectors, or observables.
        format: ``"npy"`` or one of Stim's: ``"01"``, ``"b8"``, ``"r8"``, ``"ptb64"``, ``"hits"``,
            ``"dets"``. Defaults to None (from the file's extension).
        kind: ``"events"`` or ``"observables"``, for the messages. Defaults to ``"events"``.

    Raises:
        ValueError: an unknown format, a missing or empty file, or one whose shots are not ``width`` wide.

    Examples:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "events.b8")
        >>> stim.write_shot_data_file(data=np.eye(5, 12, dtype=bool), path=path, format="b8", num_detectors=12)
        >>> f = ShotFile(path, width=12)
        >>> f.num_shots, [len(chunk) for chunk in f.chunks(2)]
        (5, [2, 2, 1])
        >>> bool(np.array_equal(np.concatenate(list(f.chunks(2))), f.read()))
        True
    """

    def __init__(self, path: str | os.PathLike, *, width: int, format: str | None = None, kind: str = "events"):
        self.path = os.fspath(path)
        self.width = width
        self.format = file_format(self.path, format)
        self.kind = kind
        unit = "detectors" if kind == "events" else "observables"
        if not os.path.exists(self.path):
            raise ValueError(f"{kind} file {self.path} does not exist")
        self._packed = self._array = None
        if self.format == "npy":
            self._array = np.load(self.path, mmap_mode="r")
            if self._array.ndim != 2 or self._array.shape[1] != width or not is_unpacked_dtype(self._array.dtype):
                raise ValueError(f"{kind} file {self.path} holds dtype={self._array.dtype}, shape={self._array.shape}; "
                                 f"expected bool or 0/1 integers (num_shots, {width}) "
                                 "(is it the experiment this circuit describes?)")
            self.num_shots = len(self._array)
        elif self.format == "b8":
            row = -(-width // 8)
            size = os.path.getsize(self.path)
            if size % row:
                raise ValueError(f"{kind} file {self.path} holds {size} bytes, not a whole number of {width}-bit shots "
                                 f"({row} bytes each) (is it the experiment this circuit describes?)")
            self.num_shots = size // row
            if self.num_shots:
                self._packed = np.memmap(self.path, dtype=np.uint8, mode="r", shape=(self.num_shots, row))
        else:
            try:
                count = "num_detectors" if kind == "events" else "num_observables"
                self._array = stim.read_shot_data_file(path=self.path, format=self.format, **{count: width})
            except ValueError as e:
                raise ValueError(f"{kind} file {self.path} cannot be read as {self.format} with {width} {unit} "
                                 f"per shot: {e}") from None
            self.num_shots = len(self._array)
        if self.num_shots == 0:
            raise ValueError(f"{kind} file {self.path} holds no shots")

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """``bool (≤ size, width)`` arrays, in order, covering every shot once."""
        for start in range(0, self.num_shots, size):
            yield self._rows(start, min(start + size, self.num_shots))

    def read(self) -> np.ndarray:
        """Every shot: ``bool (num_shots, width)``."""
        return self._rows(0, self.num_shots)

    def _rows(self, start: int, stop: int) -> np.ndarray:
        if self._packed is not None:
            return np.unpackbits(self._packed[start:stop], axis=1, count=self.width, bitorder="little").astype(bool)
        rows = np.asarray(self._array[start:stop])
        if not holds_only_bits(rows):
            raise ValueError(f"{self.kind} file {self.path} holds {rows.dtype} values other than 0 and 1 in shots "
                             f"{start}..{stop}; expected 0/1 (a bit-packed file is b8)")
        return rows.astype(bool)


def read_events(path: str | os.PathLike, *, num_detectors: int, format: str | None = None) -> np.ndarray:
    """Reads detection events from ``.npy`` (bool or 0/1 integers, shots × detectors) or a Stim result file.

    Args:
        path: the file.
        num_detectors: detectors per shot.
        format: ``"npy"`` or one of Stim's: ``"01"``, ``"b8"``, ``"r8"``, ``"ptb64"``, ``"hits"``,
            ``"dets"``. Defaults to None (from the file's extension).

    Returns:
        ``bool, shape=(num_shots, num_detectors)``. For a file too large to hold, :class:`ShotFile`
        reads it a chunk at a time.

    Examples:
        >>> import tempfile
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> path = os.path.join(tempfile.mkdtemp(), "dets.b8")
        >>> circuit.compile_detector_sampler(seed=1).sample_write(500, filepath=path, format="b8")
        >>> read_events(path, num_detectors=circuit.num_detectors).shape
        (500, 24)
    """
    return ShotFile(path, width=num_detectors, format=format).read()


def read_observables(path: str | os.PathLike, *, num_observables: int, format: str | None = None) -> np.ndarray:
    """Reads observable flips (``bool``, shots × observables) written as :func:`read_events` reads events.

    Examples:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "obs.01")
        >>> write_observables(path, np.array([[True], [False]]))
        >>> read_observables(path, num_observables=1).tolist()
        [[True], [False]]
    """
    return ShotFile(path, width=num_observables, format=format, kind="observables").read()


def write_observables(path: str | os.PathLike, flips: np.ndarray, *, format: str | None = None) -> None:
    """Writes observable flips ``bool (num_shots, num_observables)`` as ``.npy`` or a Stim result file.

    Examples:
        >>> import tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "predictions.b8")
        >>> write_observables(path, np.array([[True], [False], [True]]))
        >>> os.path.getsize(path)  # b8: one byte per shot here
        3
    """
    format = file_format(path, format)
    flips = np.asarray(flips, dtype=bool)
    if format == "npy":
        with open(path, "wb") as f:  # np.save on a path would add ".npy" to a name without it
            np.save(f, flips)
        return
    stim.write_shot_data_file(data=flips, path=os.fspath(path), format=format, num_observables=flips.shape[1])

"""Detection events handed in by a user: numpy, torch or cupy arrays, bit-packed or not, checked
in one place so that the decoder, the stream and noise learning refuse bad input alike."""
from __future__ import annotations
import numpy as np
import torch


def check_events(events, num_detectors: int, *, bit_packed: bool, flag: str = "bit_packed",
                 name: str = "dets", num_shots: int | None = None, num_observables: int = 0) -> np.ndarray:
    """Detection events as a CPU ``bool (num_shots, num_detectors)`` array.

    Takes unpacked bool or 0/1 integer events, or with ``bit_packed`` uint8 bytes (little bit order,
    ``ceil(num_detectors / 8)`` per shot), from numpy, torch (any device) or cupy (DLPack). A wrong
    shape, dtype, detector count or (when ``num_shots`` is given) shot count raises ValueError,
    naming the array ``name`` and the caller's bit-packing option ``flag``; given ``num_observables``,
    it says so when the observables look appended (Stim's ``sample`` without ``separate_observables``).

    Examples:
        >>> check_events(np.array([[1, 0, 1]], dtype=np.int64), 3, bit_packed=False).tolist()
        [[True, False, True]]
        >>> check_events(torch.tensor([[5]], dtype=torch.uint8), 3, bit_packed=True).tolist()
        [[True, False, True]]
        >>> check_events(np.zeros((2, 3), dtype=np.float32), 3, bit_packed=False)
        Traceback (most recent call last):
        ...
        ValueError: dets: dtype=float32, shape=(2, 3); expected bool (num_shots, 3) or, with bit_packed=True, uint8 (num_shots, 1) = ceil(num_detectors / 8)
        >>> check_events(np.zeros((2, 4), dtype=bool), 3, bit_packed=False, num_observables=1)
        Traceback (most recent call last):
        ...
        ValueError: dets: dtype=bool, shape=(2, 4); expected bool (num_shots, 3) or, with bit_packed=True, uint8 (num_shots, 1) = ceil(num_detectors / 8) (3 detectors and 1 observables: sample them apart, e.g. Stim's sample(..., separate_observables=True))
    """
    array = _to_numpy(events, name)
    packed_width = -(-num_detectors // 8)
    appended = (f" ({num_detectors} detectors and {num_observables} observables: sample them apart, e.g. Stim's "
                "sample(..., separate_observables=True))")
    shots = "num_shots" if num_shots is None else str(num_shots)
    expected = (f"expected bool ({shots}, {num_detectors}) or, with {flag}=True, uint8 ({shots}, {packed_width}) "
                "= ceil(num_detectors / 8)")
    found = f"dtype={array.dtype}, shape={array.shape}"
    if array.ndim != 2 or (num_shots is not None and len(array) != num_shots):
        raise ValueError(f"{name}: {found}; {expected}")
    if bit_packed:
        if array.dtype != np.uint8 or array.shape[1] != packed_width:
            hint = appended if num_observables and array.shape[1] == -(-(num_detectors + num_observables) // 8) else ""
            raise ValueError(f"bit-packed {name}: {found}; {expected}{hint}")
        return np.unpackbits(array, axis=1, count=num_detectors, bitorder="little").astype(bool)
    if not is_unpacked_dtype(array.dtype) or array.shape[1] != num_detectors:
        hint = (f" (it looks bit-packed: pass {flag}=True)" if array.dtype == np.uint8 and array.shape[1] == packed_width
                else appended if num_observables and array.shape[1] == num_detectors + num_observables
                else " (do the events come from this circuit?)" if is_unpacked_dtype(array.dtype) else "")
        raise ValueError(f"{name}: {found}; {expected}{hint}")
    if not holds_only_bits(array):
        packed_hint = f" (pass {flag}=True for bit-packed data)" if array.dtype == np.uint8 else ""
        raise ValueError(f"{name}: {array.dtype} values other than 0 and 1; unpacked events must be 0 or 1"
                         + packed_hint)
    return array.astype(bool, copy=False)


def is_unpacked_dtype(dtype: np.dtype) -> bool:
    """Whether unpacked events may come in ``dtype``: bool, or any integer type (holding 0 and 1).

    Examples:
        >>> is_unpacked_dtype(np.dtype(np.int16)), is_unpacked_dtype(np.dtype(np.float32))
        (True, False)
    """
    return dtype == np.bool_ or np.issubdtype(dtype, np.integer)


def holds_only_bits(array: np.ndarray) -> bool:
    """Whether every value of a bool or integer array is 0 or 1.

    Examples:
        >>> holds_only_bits(np.array([[0, 1]], dtype=np.int8)), holds_only_bits(np.array([[2]], dtype=np.uint8))
        (True, False)
    """
    return array.dtype == np.bool_ or not array.size or bool(array.min() >= 0 and array.max() <= 1)


def _to_numpy(events, name: str) -> np.ndarray:
    """numpy (no copy), torch on any device, or cupy through DLPack → a CPU numpy array."""
    if not isinstance(events, torch.Tensor) and (
            hasattr(events, "__cuda_array_interface__") or type(events).__module__.startswith("cupy")):
        events = torch.from_dlpack(events)
    if isinstance(events, torch.Tensor):
        if events.dtype.is_floating_point or events.dtype.is_complex:  # bfloat16 and others have no numpy dtype
            raise ValueError(f"{name}: dtype={str(events.dtype).removeprefix('torch.')}, "
                             f"shape={tuple(events.shape)}; expected bool or 0/1 integer detection events")
        return events.detach().cpu().numpy()
    return np.asarray(events)

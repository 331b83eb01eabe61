"""Where the network runs: a torch device from the caller's words, checked before any work starts."""

from __future__ import annotations

import functools
import warnings

import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` or ``"auto"``: CUDA when this PyTorch sees a GPU, else the CPU; any other device as given.

    A CUDA device that is not there (a CPU-only PyTorch build, no GPU, or an index past the last
    GPU) and a device string PyTorch does not know raise ``ValueError`` here, rather than a
    PyTorch error from deep inside the first forward pass.

    Examples:
        >>> resolve_device("cpu")
        device(type='cpu')
        >>> resolve_device("gpu")
        Traceback (most recent call last):
        ...
        ValueError: device='gpu' is not a PyTorch device; expected 'cpu', 'cuda', 'cuda:N' or 'auto'
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a PyTorch device; expected 'cpu', 'cuda', 'cuda:N' or 'auto'") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={str(device)!r}, but this PyTorch sees no CUDA device "
                             f"(torch.cuda.is_available() is False); use device='cpu'")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device={str(device)!r}, but this PyTorch sees {torch.cuda.device_count()} CUDA device(s)")
    return resolved


@functools.cache
def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU runs bfloat16 convolutions natively (oneDNN's own test: AVX-512 or AMX on x86).

    Without it, PyTorch falls back to a reference convolution: on the project's 2-core AVX2 machine
    (AMD EPYC) bfloat16 ran the shipped networks 22–28 times slower than float32. ``True`` when
    this PyTorch cannot say (so that nothing warns by mistake).

    Examples:
        >>> isinstance(cpu_has_fast_bfloat16(), bool)
        True
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return True


def warn_if_slow_precision(device: torch.device, precision: str) -> None:
    """A ``UserWarning`` when ``precision`` is bfloat16 on a CPU without native bfloat16 convolutions.

    The results stay correct, only slow. Float32 is the CPU's default, so the warning fires only
    when a caller asked for bfloat16 (``precision="bfloat16"``, ``--precision bfloat16``, a training
    config's ``"precision"``). Its location is this function, so Python shows it once per process.
    """
    if device.type == "cpu" and precision == "bfloat16" and not cpu_has_fast_bfloat16():
        warnings.warn("precision='bfloat16' on a CPU without native bfloat16 convolutions (oneDNN reports no "
                      "support; it needs AVX-512 or AMX): PyTorch falls back to a reference convolution, many "
                      "times slower than float32 (22-28x for the shipped networks on a 2-core AVX2 CPU). "
                      "The results are correct, only slow; use precision='float32' on this CPU.")

"""Where the network runs: a torch device from the caller's words, checked before any work starts."""

from __future__ import annotations

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

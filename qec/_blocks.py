"""Block-wise inference: split a space-time volume into equal slabs with halos, run them as one batch.

A stack of convolutions with receptive field R sees (R − 1) / 2 voxels each way, so an output
voxel at least that far from a slab's cut edges is exactly what the whole volume would give.
Slabs never reach past the volume (where the network's own zero padding applies): a slab is
shifted inward at the volume's ends and its interior grows to the edge instead.
"""

from __future__ import annotations

import torch


def axis_blocks(length: int, interior: int | None, halo: int) -> list[tuple[int, int, int, int]]:
    """``(slab_start, slab_end, keep_start, keep_end)`` per block along one axis.

    All slabs have the same size (so they batch together); kept ranges tile ``[0, length)``.

    Examples:
        >>> axis_blocks(10, 4, 1)
        [(0, 6, 0, 4), (3, 9, 4, 8), (4, 10, 8, 10)]
        >>> axis_blocks(5, None, 2)
        [(0, 5, 0, 5)]
    """
    if interior is None or interior + 2 * halo >= length:
        return [(0, length, 0, length)]
    if interior < 1:
        raise ValueError(f"block interior={interior}; expected >= 1")
    size = interior + 2 * halo
    out = []
    for keep_start in range(0, length, interior):
        keep_end = min(length, keep_start + interior)
        start = min(max(0, keep_start - halo), length - size)
        out.append((start, start + size, keep_start, keep_end))
    return out


def blockwise(net: torch.nn.Module, x: torch.Tensor, *, block: tuple, halo: int, max_batch: int = 4096) -> torch.Tensor:
    """Runs ``net`` on ``x`` block by block; equal to ``net(x)`` within float tolerance.

    Args:
        net: a fully convolutional module, same-padded, receptive field ``2 * halo + 1`` or less.
        x: ``float, shape=(B, C_in, T, H, W)``.
        block: interior size ``(t, h, w)`` of each block; None along an axis keeps it whole.
        halo: voxels of context on each side, ``(R - 1) // 2``.
        max_batch: slabs per network call (bounds memory).

    Returns:
        ``float, shape=(B, C_out, T, H, W)``.

    Examples:
        >>> net = torch.nn.Sequential(torch.nn.Conv3d(1, 2, 3, padding=1), torch.nn.GELU(), torch.nn.Conv3d(2, 1, 3, padding=1))
        >>> x = torch.randn(2, 1, 20, 6, 6)
        >>> torch.allclose(blockwise(net, x, block=(3, None, None), halo=2), net(x), atol=1e-6)
        True
    """
    B = x.shape[0]
    axes = [axis_blocks(x.shape[2 + i], block[i], halo) for i in range(3)]
    if all(len(a) == 1 for a in axes):
        return net(x)
    slabs, places = [], []
    for t in axes[0]:
        for h in axes[1]:
            for w in axes[2]:
                slabs.append(x[:, :, t[0]:t[1], h[0]:h[1], w[0]:w[1]])
                places.append((t, h, w))
    stacked = torch.cat(slabs)  # (num_blocks * B, C_in, St, Sh, Sw), block-major
    outs = torch.cat([net(stacked[i:i + max_batch]) for i in range(0, len(stacked), max_batch)])
    result = None
    for k, (t, h, w) in enumerate(places):
        piece = outs[k * B:(k + 1) * B]
        if result is None:
            result = piece.new_zeros((B, piece.shape[1]) + tuple(x.shape[2:]))
        result[:, :, t[2]:t[3], h[2]:h[3], w[2]:w[3]] = piece[:, :, t[2] - t[0]:t[3] - t[0], h[2] - h[0]:h[3] - h[0],
                                                               w[2] - w[0]:w[3] - w[0]]
    return result

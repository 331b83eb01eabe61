"""Spawned worker processes for CPU-bound matching (residual matching, teacher labels)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import typing


def spawn_pool(workers: int, initializer: typing.Callable, initargs: tuple = ()) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, each running ``initializer(*initargs)`` with one torch thread.
    It returns once ``workers`` start-up jobs have come back, so that the first real jobs do not wait
    for (or time) the processes' start.

    Processes, not threads: PyMatching holds Python's global lock while it decodes. ``spawn``, not
    ``fork``: a forked torch process can deadlock. Like any spawning code, a script that makes a pool
    must guard its entry point with ``if __name__ == "__main__":``.

    Examples:
        >>> import math
        >>> with spawn_pool(2, math.factorial, (5,)) as pool:
        ...     list(pool.map(abs, [-3, 4]))
        [3, 4]
    """
    if workers < 1:
        raise ValueError(f"workers={workers}; expected >= 1")
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(initializer, initargs))
    for started in [pool.submit(_ready) for _ in range(workers)]:
        started.result()
    return pool


def _init_worker(initializer: typing.Callable, initargs: tuple) -> None:
    import torch
    torch.set_num_threads(1)
    initializer(*initargs)


def _ready() -> bool:
    return True

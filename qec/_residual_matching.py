"""Matching the pre-decoder's residual, in this process or in a pool of worker processes."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import stim

from qec._graph import DecodingGraph
from qec._matching import Matcher
from qec._predecoder import REWEIGHTED_VARIANTS
from qec._reweighting import PosteriorMatcher
from qec._shortcut_matching import ShortcutMatcher
from qec._workers import spawn_pool


class ResidualMatching:
    """Every kind of residual matching (variant) of one circuit, each matcher built on first use.

    Variants, as in :meth:`qec.BoundPreDecoder.run`: False (PyMatching), True (correlated
    PyMatching), ``"reweighted"`` and ``"reweighted-correlated"`` (:class:`qec.PosteriorMatcher`, a
    graph per shot) and ``"reweighted-shortcut"`` (:class:`qec.ShortcutMatcher`, one prebuilt graph);
    the reweighted variants also need the network's edge logits.

    Args:
        graph: the decoding graph.
        matching_dem: build the matchers from this DEM instead of the graph's. Defaults to None.
        reweight_scale: the logit scale of ``"reweighted"`` and ``"reweighted-shortcut"``. Defaults to 0.25.
        reweight_scale_correlated: the logit scale of ``"reweighted-correlated"``. Defaults to 0.1.

    Examples:
        >>> import qec, numpy as np
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> matching = ResidualMatching(graph)
        >>> residual = np.zeros((2, graph.num_detectors), dtype=bool)
        >>> matching.match(residual, False).tolist()
        [[False], [False]]
    """

    def __init__(self, graph: DecodingGraph, *, matching_dem: stim.DetectorErrorModel | None = None,
                 reweight_scale: float = 0.25, reweight_scale_correlated: float = 0.1):
        self.graph = graph
        self.matching_dem = matching_dem
        self.scales = {False: float(reweight_scale), True: float(reweight_scale_correlated)}
        self.matcher = Matcher(graph.dem if matching_dem is None else matching_dem)
        self._reweighted: dict[str, PosteriorMatcher] = {}

    def reweighted_matcher(self, variant: str) -> PosteriorMatcher:
        """The matcher of a reweighted variant, built on first use: :class:`PosteriorMatcher` for
        ``"reweighted"`` and (two-pass) ``"reweighted-correlated"``, :class:`ShortcutMatcher` for
        ``"reweighted-shortcut"``."""
        if variant not in REWEIGHTED_VARIANTS:
            raise ValueError(f"variant {variant!r}; expected one of {REWEIGHTED_VARIANTS}")
        if variant not in self._reweighted:
            if variant == "reweighted-shortcut":
                matcher = ShortcutMatcher(self.graph, scale=self.scales[False], matching_dem=self.matching_dem)
            else:
                correlated = variant == "reweighted-correlated"
                matcher = PosteriorMatcher(self.graph, scale=self.scales[correlated], correlated=correlated,
                                           matching_dem=self.matching_dem)
            self._reweighted[variant] = matcher
        return self._reweighted[variant]

    def match(self, residual: np.ndarray, variant, logits: np.ndarray | None = None) -> np.ndarray:
        """Matching's prediction ``bool (num_shots, num_observables)`` for ``residual`` ``bool (num_shots,
        num_detectors)``; the reweighted variants also need the network's ``logits`` ``(num_shots, num_edges)``."""
        if variant in REWEIGHTED_VARIANTS:
            if logits is None:
                raise ValueError(f"variant {variant!r} reweights the graph with the network's edge logits; pass logits")
            return self.reweighted_matcher(variant).decode_batch(residual, logits)
        return self.matcher.decode_batch(residual, correlated=bool(variant))


class MatchingPool:
    """Worker processes that match residual batches in parallel, each with its own :class:`ResidualMatching`.

    Processes, not threads: PyMatching holds Python's global lock while it decodes, so threads
    neither match in parallel nor let the calling thread run the network meanwhile. Batches travel
    bit-packed. The workers start with the pool (:func:`qec._workers.spawn_pool`; each imports qec,
    a second or two); a script that makes one must guard its entry point with
    ``if __name__ == "__main__":``.

    Args:
        matching: the matching every worker reproduces (its graph, DEM and scales).
        workers: the number of processes (>= 1).

    Examples:
        >>> import qec, numpy as np
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> with MatchingPool(ResidualMatching(graph), workers=1) as pool:
        ...     pool.submit(np.zeros((2, graph.num_detectors), dtype=bool), False).result().tolist()
        [[False], [False]]
    """

    def __init__(self, matching: ResidualMatching, workers: int):
        self.workers = workers
        self._num_detectors = matching.graph.num_detectors
        dem = None if matching.matching_dem is None else str(matching.matching_dem)
        self._pool = spawn_pool(workers, _init_worker,
                                (str(matching.graph.dem), dem, matching.scales[False], matching.scales[True]))

    def submit(self, residual: np.ndarray, variant, logits: np.ndarray | None = None) -> concurrent.futures.Future:
        """Matches as :meth:`ResidualMatching.match` does, in a worker; the future holds the prediction."""
        packed = np.packbits(np.asarray(residual, dtype=bool), axis=1, bitorder="little")
        return self._pool.submit(_match_job, variant, packed, self._num_detectors, logits)

    def decode_batch(self, dets: np.ndarray, *, correlated: bool = False) -> np.ndarray:
        """PyMatching on ``bool (num_shots, num_detectors)``, the shots split evenly over the workers."""
        chunks = np.array_split(np.asarray(dets, dtype=bool), self.workers)
        return np.concatenate([f.result() for f in [self.submit(c, bool(correlated)) for c in chunks]])

    def close(self) -> None:
        self._pool.shutdown()

    def __enter__(self) -> "MatchingPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_WORKER: list[ResidualMatching] = []


def _init_worker(graph_dem: str, matching_dem: str | None, scale: float, scale_correlated: float) -> None:
    graph = DecodingGraph.from_dem(stim.DetectorErrorModel(graph_dem))
    _WORKER.append(ResidualMatching(graph, matching_dem=None if matching_dem is None else stim.DetectorErrorModel(matching_dem),
                                    reweight_scale=scale, reweight_scale_correlated=scale_correlated))


def _match_job(variant, packed: np.ndarray, num_detectors: int, logits: np.ndarray | None) -> np.ndarray:
    residual = np.unpackbits(packed, axis=1, count=num_detectors, bitorder="little").astype(bool)
    return _WORKER[0].match(residual, variant, logits)

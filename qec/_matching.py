"""PyMatching, built once per DEM, uncorrelated or correlated."""

from __future__ import annotations

import numpy as np
import pymatching
import stim


class Matcher:
    """Minimum-weight perfect matching on a DEM's graph; each variant built on first use.

    Examples:
        >>> import qec
        >>> dem = qec.generate_circuit(3, 3, noise="uniform:0.01").detector_error_model(decompose_errors=True)
        >>> m = Matcher(dem)
        >>> m.decode_batch(np.zeros((2, dem.num_detectors), dtype=bool)).tolist()
        [[False], [False]]
    """

    def __init__(self, dem: stim.DetectorErrorModel):
        self.dem = dem
        self._matchings: dict[bool, pymatching.Matching] = {}

    def matching(self, *, correlated: bool) -> pymatching.Matching:
        if correlated not in self._matchings:
            self._matchings[correlated] = pymatching.Matching.from_detector_error_model(
                self.dem, enable_correlations=correlated)
        return self._matchings[correlated]

    def decode_batch(self, dets: np.ndarray, *, correlated: bool = False) -> np.ndarray:
        """``bool (num_shots, num_detectors)`` → ``bool (num_shots, num_observables)``."""
        m = self.matching(correlated=correlated)
        out = m.decode_batch(np.ascontiguousarray(dets, dtype=np.uint8), enable_correlations=correlated)
        return out.astype(bool)

"""Matching on a graph reweighted shot by shot by the pre-decoder's edge posteriors."""

from __future__ import annotations

import numpy as np
import pymatching
import scipy.sparse
import stim

from qec._graph import DecodingGraph


class PosteriorMatcher:
    """PyMatching whose edge weights follow the network, one graph per shot.

    Matching weighs edge ``e`` by ``log((1 - p_e) / p_e)``. Here, on every edge whose detectors
    all hold an event (the edges the network was trained to judge), the weight becomes
    ``max(0, log((1 - p_e) / p_e) - scale * logit_e)``: an edge the network believes in gets
    cheaper, one it doubts gets dearer. Every other edge keeps its prior weight. Building a
    matching graph per shot costs about a millisecond at d = 9 on a CPU core, so this buys
    accuracy with matching time.

    Args:
        graph: the decoding graph whose edges the logits index.
        scale: how far the logits move the weights (0 gives plain matching).
        matching_dem: take the prior weights from this DEM (e.g. a learned one) where it has the
            edge. Defaults to None (the graph's own probabilities).

    Examples:
        >>> import qec, numpy as np
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> matcher = PosteriorMatcher(graph, scale=0.25)
        >>> dets = np.zeros((2, graph.num_detectors), dtype=bool)
        >>> logits = np.zeros((2, graph.num_edges), dtype=np.float32)
        >>> matcher.decode_batch(dets, logits).tolist()
        [[False], [False]]
    """

    def __init__(self, graph: DecodingGraph, *, scale: float, matching_dem: stim.DetectorErrorModel | None = None):
        if not scale >= 0:
            raise ValueError(f"scale={scale}; expected >= 0")
        self.graph = graph
        self.scale = float(scale)
        p = graph.edge_probabilities.copy()
        if matching_dem is not None:
            learned = DecodingGraph.from_dem(matching_dem)
            index = graph.edge_index
            for edge, prob in zip(learned.edge_detectors, learned.edge_probabilities):
                e = index.get((int(edge[0]), int(edge[1])))
                if e is not None:
                    p[e] = prob
        p = np.clip(p, 1e-12, 0.5)
        self.prior_weights = np.log((1 - p) / p)
        self._check = graph.edge_detector_matrix.T.tocsc().astype(np.uint8)
        self._faults = scipy.sparse.csc_matrix(graph.edge_observables.T.astype(np.uint8))
        ends = graph.edge_detectors.copy()
        ends[ends < 0] = graph.num_detectors
        self._ends = ends

    def weights(self, dets: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """``bool (num_detectors,)``, ``float (num_edges,)`` → the shot's edge weights ``float64 (num_edges,)``."""
        active = np.append(dets, True)
        judged = active[self._ends[:, 0]] & active[self._ends[:, 1]]
        w = self.prior_weights.copy()
        w[judged] = np.maximum(0.0, w[judged] - self.scale * logits[judged])
        return w

    def decode_batch(self, dets: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """``bool (num_shots, num_detectors)``, ``float (num_shots, num_edges)`` → ``bool (num_shots, num_observables)``."""
        dets = np.asarray(dets, dtype=bool)
        logits = np.asarray(logits, dtype=np.float64)
        if dets.shape[0] != logits.shape[0] or logits.shape[1:] != (self.graph.num_edges,):
            raise ValueError(f"logits has shape {logits.shape}; expected ({dets.shape[0]}, {self.graph.num_edges})")
        out = np.zeros((len(dets), self.graph.num_observables), dtype=bool)
        for s in range(len(dets)):
            if not dets[s].any():
                continue
            matching = pymatching.Matching.from_check_matrix(self._check, weights=self.weights(dets[s], logits[s]),
                                                             faults_matrix=self._faults)
            out[s] = matching.decode(dets[s].astype(np.uint8)).astype(bool)
        return out

"""Training labels that ask the question a decision must answer: do these events belong together?

A fired-edge label ("did this edge's error happen?") is noisy where it does not matter: two
events joined by a chain of two errors are paired just as well by the direct edge between them.
The *equivalence* label of a candidate edge (u, v) is 1 when the true errors join u and v with
the same observable parity as the edge, so applying the edge instead of the true chain changes
no logical observable. Boundary edges join their detector to the boundary node.
"""

from __future__ import annotations

import numpy as np

from qec._graph import BOUNDARY, DecodingGraph


def equivalence_labels(graph: DecodingGraph, fired: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equivalence labels of the candidate edges of each shot.

    Args:
        graph: the decoding graph.
        fired: ``bool, shape=(num_shots, num_edges)``: the true fired edges (mod 2).
        candidates: ``bool, shape=(num_shots, num_edges)``: the edges that need a label.

    Returns:
        ``(labels, known)``, both ``bool, shape=(num_shots, num_edges)``. ``known`` is False for
        candidates in a cluster whose observable parity is ambiguous (its true errors hold a
        logical loop); such labels should be left out of the loss.

    Examples:
        >>> import qec
        >>> g = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> fired = np.zeros((1, g.num_edges), dtype=bool); fired[0, 5] = True
        >>> labels, known = equivalence_labels(g, fired, fired)
        >>> bool(labels[0, 5]), bool(known[0, 5])
        (True, True)
    """
    ends = graph.edge_detectors
    obs = graph.edge_observables @ (1 << np.arange(graph.num_observables, dtype=np.int64))  # bitmask per edge
    boundary_node = graph.num_detectors
    labels = np.zeros(candidates.shape, dtype=bool)
    known = np.zeros(candidates.shape, dtype=bool)
    for shot in range(len(fired)):
        parent: dict[int, int] = {}
        parity: dict[int, int] = {}   # observable parity from a node to its parent
        broken: set[int] = set()      # roots of clusters with an inconsistent loop

        def find(x):
            path = []
            while parent.get(x, x) != x:
                path.append(x)
                x = parent[x]
            acc = 0
            for node in reversed(path):  # compress, accumulating parity to the root
                acc ^= parity[node]
                parity[node] = acc
                parent[node] = x
            return x

        for e in np.flatnonzero(fired[shot]):
            a, b = int(ends[e, 0]), int(ends[e, 1])
            b = boundary_node if b == BOUNDARY else b
            ra, rb = find(a), find(b)
            pa, pb = parity.get(a, 0) if a != ra else 0, parity.get(b, 0) if b != rb else 0
            if ra == rb:
                if pa ^ pb != obs[e]:
                    broken.add(ra)
                continue
            parent[ra] = rb
            parity[ra] = pa ^ pb ^ int(obs[e])
            if ra in broken:
                broken.add(rb)
        for e in np.flatnonzero(candidates[shot]):
            a, b = int(ends[e, 0]), int(ends[e, 1])
            b = boundary_node if b == BOUNDARY else b
            ra, rb = find(a), find(b)
            if ra in broken or rb in broken:
                continue
            known[shot, e] = True
            if ra == rb:
                pa, pb = parity.get(a, 0) if a != ra else 0, parity.get(b, 0) if b != rb else 0
                labels[shot, e] = (pa ^ pb) == obs[e]
    return labels, known


def teacher_labels(graph: DecodingGraph, matching, dets: np.ndarray, *, correlated: bool = True) -> np.ndarray:
    """The edges that (correlated) minimum-weight matching puts in its correction, per shot.

    A deterministic teacher: the label is a function of the detection events alone, so it carries
    none of the irreducible noise of the true errors.

    Args:
        graph: the decoding graph.
        matching: a ``pymatching.Matching`` built from ``graph.dem`` (with
            ``enable_correlations=True`` when ``correlated``).
        dets: ``bool, shape=(num_shots, num_detectors)``.

    Returns:
        ``bool, shape=(num_shots, num_edges)``.
    """
    index = graph.edge_index
    labels = np.zeros((len(dets), graph.num_edges), dtype=bool)
    for shot in range(len(dets)):
        if not dets[shot].any():
            continue
        for a, b in matching.decode_to_edges_array(dets[shot], enable_correlations=correlated):
            key = (int(a), int(b)) if b != BOUNDARY and (a < b or a == BOUNDARY) else (int(b), int(a))
            if key[0] == BOUNDARY:
                key = (key[1], BOUNDARY)
            e = index.get(key)
            if e is not None:
                labels[shot, e] = True
    return labels

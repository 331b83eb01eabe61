"""Decoding graph of a detector error model, laid out on a space-time grid.

Every graph-like error mechanism of a decomposed DEM is a set of *edges*; an edge joins two
detectors (or one detector and the boundary) and may flip observables. Detector coordinates
``(x, y, t)`` of Stim's rotated surface code map to grid voxels ``(t, y / 2, x / 2)``. An edge's
*class* is the offset from its first endpoint (its *anchor*) to its second, or "boundary"; the
set of classes is the same at every distance, which lets one network serve them all.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import scipy.sparse
import stim

from qec._circuits import generate_circuit

BOUNDARY = -1  # the second endpoint of a boundary edge


@dataclasses.dataclass(frozen=True, eq=False)
class DecodingGraph:
    """The edges of a decomposed DEM, their grid layout and the error→edge map.

    Build one with :meth:`from_dem`, :meth:`from_circuit` or :meth:`of`.

    Examples:
        >>> import qec
        >>> graph = DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> graph.num_edges, graph.grid_shape, graph.classes[0]
        (78, (4, 4, 4), (0, 0, 1, -1))

    Attributes:
        dem: the flattened, decomposed ``stim.DetectorErrorModel``.
        num_detectors: detectors in the DEM.
        num_observables: observables in the DEM.
        edge_detectors: ``int64, shape=(num_edges, 2)``: endpoints; the second is ``BOUNDARY`` (-1)
            for boundary edges.
        edge_observables: ``bool, shape=(num_edges, num_observables)``.
        edge_probabilities: ``float64, shape=(num_edges,)``: each edge's marginal probability
            (independent mechanisms XOR-combined).
        error_edges: ``scipy.sparse.csr_matrix, shape=(num_errors, num_edges)``: which edges each DEM
            error mechanism fires.
        detector_voxels: ``int64, shape=(num_detectors, 3)``: ``(t, row, col)`` of each detector.
        grid_shape: ``(T, H, W)``.
        basis_mask: ``bool, shape=grid_shape``: voxels holding a detector of the memory's own basis
            (the stabilizers that are already deterministic in the first round).
        edge_classes: ``int64, shape=(num_edges,)``: index of each edge's class in ``classes``.
        edge_anchors: ``int64, shape=(num_edges, 3)``: voxel of each edge's anchor.
        classes: the sorted list of distinct class tuples ``(is_boundary, dt, dy, dx)``.
    """

    dem: stim.DetectorErrorModel
    num_detectors: int
    num_observables: int
    edge_detectors: np.ndarray
    edge_observables: np.ndarray
    edge_probabilities: np.ndarray
    error_edges: scipy.sparse.csr_matrix
    detector_voxels: np.ndarray
    grid_shape: tuple
    basis_mask: np.ndarray
    edge_classes: np.ndarray
    edge_anchors: np.ndarray
    classes: list

    @property
    def num_edges(self) -> int:
        return len(self.edge_detectors)

    @staticmethod
    def of(source: "DecodingGraph | stim.Circuit | stim.DetectorErrorModel") -> "DecodingGraph":
        """``source`` itself if it is a graph, else the graph of a Stim circuit or of a decomposed DEM.

        Examples:
            >>> import qec
            >>> DecodingGraph.of(qec.generate_circuit(3, 3, noise="uniform:0.001")).num_edges
            78
            >>> DecodingGraph.of("circuit.stim")
            Traceback (most recent call last):
            ...
            TypeError: expected a qec.DecodingGraph, a stim.Circuit or a decomposed stim.DetectorErrorModel; got str (for a file: stim.Circuit(open(path).read()))
        """
        if isinstance(source, DecodingGraph):
            return source
        if isinstance(source, stim.Circuit):
            return DecodingGraph.from_circuit(source)
        if isinstance(source, stim.DetectorErrorModel):
            return DecodingGraph.from_dem(source)
        raise TypeError("expected a qec.DecodingGraph, a stim.Circuit or a decomposed stim.DetectorErrorModel; "
                        f"got {type(source).__name__} (for a file: stim.Circuit(open(path).read()))")

    @staticmethod
    def from_circuit(circuit: stim.Circuit) -> "DecodingGraph":
        """The graph of ``circuit.detector_error_model(decompose_errors=True)``.

        Examples:
            >>> import qec
            >>> graph = DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.001"))
            >>> graph
            <qec.DecodingGraph: 24 detectors, 1 observables, 78 edges, 9 classes, grid (4, 4, 4)>
        """
        if not isinstance(circuit, stim.Circuit):
            raise TypeError(f"`circuit` must be a `stim.Circuit`. Instead, got {type(circuit)}")
        try:
            dem = circuit.detector_error_model(decompose_errors=True)
        except ValueError as e:
            first_line = str(e).splitlines()[0]
            raise ValueError(
                "the circuit's errors do not decompose into matching-graph edges (Stim: "
                f"{first_line}); qec decodes surface-code memory experiments such as "
                "qec.generate_circuit's") from e
        return DecodingGraph.from_dem(dem)

    @staticmethod
    def from_dem(dem: stim.DetectorErrorModel) -> "DecodingGraph":
        """The graph of a decomposed DEM whose detectors carry ``(x, y, t)`` coordinates.

        Raises:
            TypeError: ``dem`` is not a ``stim.DetectorErrorModel``.
            ValueError: a mechanism component has more than two detectors (not decomposed), an
                edge appears with two different observable masks, or a detector lacks grid
                coordinates.
        """
        if not isinstance(dem, stim.DetectorErrorModel):
            raise TypeError(f"`dem` must be a `stim.DetectorErrorModel`. Instead, got {type(dem)}")
        dem = dem.flattened()
        edge_index: dict[tuple[int, int], int] = {}
        edge_obs: list[frozenset] = []
        edge_p: list[float] = []
        rows, cols = [], []
        num_errors = 0
        for p, components, text in _error_components(dem):
            fired: dict[int, int] = {}
            for dets, obs in components:
                if not dets:
                    continue  # an observable-only component cannot be seen by any detector
                if len(dets) > 2:
                    raise ValueError(
                        f"error mechanism {text} has a component with {len(dets)} detectors; "
                        "the DEM must be decomposed into graph-like pieces: use "
                        "circuit.detector_error_model(decompose_errors=True)")
                key = (dets[0], dets[1] if len(dets) == 2 else BOUNDARY)
                if key not in edge_index:
                    edge_index[key] = len(edge_obs)
                    edge_obs.append(obs)
                    edge_p.append(0.0)
                elif edge_obs[edge_index[key]] != obs:
                    raise ValueError(f"edge {key} appears with two observable masks; the DEM is not a matching graph")
                e = edge_index[key]
                fired[e] = fired.get(e, 0) ^ 1
            for e, parity in fired.items():
                if parity:
                    rows.append(num_errors)
                    cols.append(e)
                    edge_p[e] = edge_p[e] * (1 - p) + p * (1 - edge_p[e])
            num_errors += 1

        num_edges = len(edge_obs)
        edge_detectors = np.array(list(edge_index.keys()), dtype=np.int64).reshape(num_edges, 2)
        edge_observables = np.zeros((num_edges, dem.num_observables), dtype=bool)
        for e, obs in enumerate(edge_obs):
            edge_observables[e, list(obs)] = True
        error_edges = scipy.sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.uint8), (rows, cols)), shape=(num_errors, num_edges))

        detector_voxels, grid_shape, basis_mask = _grid_layout(dem)
        edge_class_tuples, edge_anchors = _edge_classes(edge_detectors, detector_voxels)
        classes = sorted(set(edge_class_tuples))
        class_id = {c: i for i, c in enumerate(classes)}
        return DecodingGraph(
            dem=dem, num_detectors=dem.num_detectors, num_observables=dem.num_observables,
            edge_detectors=edge_detectors, edge_observables=edge_observables,
            edge_probabilities=np.array(edge_p), error_edges=error_edges,
            detector_voxels=detector_voxels, grid_shape=grid_shape, basis_mask=basis_mask,
            edge_classes=np.array([class_id[c] for c in edge_class_tuples], dtype=np.int64),
            edge_anchors=edge_anchors, classes=classes)

    def __repr__(self) -> str:
        return (f"<qec.DecodingGraph: {self.num_detectors} detectors, {self.num_observables} observables, "
                f"{self.num_edges} edges, {len(self.classes)} classes, grid {self.grid_shape}>")

    def edge_syndromes(self, edge_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Detection events and observable flips produced by a set of edges (mod 2).

        Args:
            edge_values: ``bool, shape=(num_shots, num_edges)``.

        Returns:
            ``(dets, obs)``: ``bool`` arrays of shapes ``(num_shots, num_detectors)`` and
            ``(num_shots, num_observables)``.
        """
        edge_values = np.asarray(edge_values, dtype=np.uint8)
        dets = (edge_values @ self.edge_detector_matrix) & 1
        obs = (edge_values @ self.edge_observables.astype(np.uint8)) & 1
        return dets.astype(bool), obs.astype(bool)

    @functools.cached_property
    def edge_detector_matrix(self) -> scipy.sparse.csr_matrix:
        """``scipy.sparse.csr_matrix, uint8, shape=(num_edges, num_detectors)``: edge→detector incidence."""
        rows = np.repeat(np.arange(self.num_edges), 2)
        cols = self.edge_detectors.reshape(-1)
        keep = cols != BOUNDARY
        return scipy.sparse.csr_matrix((np.ones(keep.sum(), dtype=np.uint8), (rows[keep], cols[keep])),
                                       shape=(self.num_edges, self.num_detectors))

    @functools.cached_property
    def expected_density(self) -> float:
        """Detection events per detector that the DEM's noise produces on average.

        Each detector fires with ``(1 - prod(1 - 2 p_e)) / 2`` over the edges ``e`` that touch it
        (their marginal probabilities, taken as independent).

        Examples:
            >>> import qec
            >>> round(DecodingGraph.from_circuit(qec.generate_circuit(9, 9, noise="uniform:0.003")).expected_density, 3)
            0.049
        """
        log_keep = np.log(np.abs(1 - 2 * self.edge_probabilities))
        per_detector = self.edge_detector_matrix.T.astype(np.float64) @ log_keep
        return float(np.mean((1 - np.exp(per_detector)) / 2))

    @functools.cached_property
    def timelike_ratio(self) -> float:
        """How much the DEM's noise leans on measurements: the mean probability of its time-like
        edges (a detector and itself one round later) over that of its space-like edges (two
        detectors of one round); NaN without both kinds.

        It hardly depends on the noise strength: 1.6-2.15 under uniform circuit noise and 2.36-2.93
        under SI1000 (measurements fail at 5p) at d = 3-17 and 3-50 rounds; with one round, SI1000
        reads about 1.6 (``benchmarks/noise_statistics.py``).

        Examples:
            >>> import qec
            >>> [round(DecodingGraph.from_circuit(qec.generate_circuit(9, 9, noise=noise)).timelike_ratio, 2)
            ...  for noise in ("uniform:0.003", "uniform:0.006", "si1000:0.003")]
            [1.91, 1.9, 2.73]
        """
        kinds = np.array([(c[0] == 0 and c[1] == 1 and c[2] == 0 and c[3] == 0, c[0] == 0 and c[1] == 0)
                          for c in self.classes], dtype=bool).reshape(-1, 2)
        timelike = self.edge_probabilities[kinds[self.edge_classes, 0]]
        spacelike = self.edge_probabilities[kinds[self.edge_classes, 1]]
        if len(timelike) == 0 or len(spacelike) == 0 or spacelike.mean() == 0:
            return float("nan")
        return float(timelike.mean() / spacelike.mean())

    @functools.cached_property
    def noise_spread(self) -> float:
        """How much the noise varies from place to place: the standard deviation, over the edges, of
        each edge's log-odds less that of the same edge in the same memory experiment under uniform
        circuit noise, after each edge class's median is taken out (so a change of strength, or of
        kind that moves a whole class, as SI1000's heavier measurements do, counts little). NaN
        where the graph is not laid out as Stim's rotated-surface-code memory.

        0 under uniform noise (any strength, d = 3-17, 1-50 rounds); about 0.67 σ under per-qubit
        log-normal factors of spread σ (``qec.qubit_factors_lognormal``; at σ = 1, 0.61-0.72 over
        factor draws at d = 9-17, 0.52-0.85 at d = 5); SI1000 reads its own 0.12-0.25 with rounds = d
        or more, 0.29-0.51 with 1-3 rounds (``benchmarks/noise_statistics.py``). A DEM learned from
        10^5 shots at d = 5 reads 0.12 under uniform noise (the fit's scatter). NaN for a noiseless
        circuit (no edges).

        Examples:
            >>> import qec
            >>> circuit = qec.generate_circuit(5, 5, noise="uniform:0")
            >>> factors = qec.qubit_factors_lognormal(circuit, sigma=1.0, seed=0)
            >>> noises = ("uniform:0.004", "si1000:0.004", qec.NoiseModel("uniform", 0.004, qubit_factors=factors))
            >>> [round(DecodingGraph.from_circuit(qec.generate_circuit(5, 5, noise=n)).noise_spread, 2) for n in noises]
            [0.0, 0.25, 0.62]
        """
        uniform = _uniform_twin_probabilities(self) if self.num_edges else None
        if uniform is None:
            return float("nan")
        shift = _log_odds(self.edge_probabilities) - _log_odds(uniform)
        for c in np.unique(self.edge_classes):
            in_class = self.edge_classes == c
            shift[in_class] -= np.median(shift[in_class])
        return float(np.std(shift))

    @functools.cached_property
    def edge_index(self) -> dict:
        """``{(detector, detector or BOUNDARY): edge index}``, the smaller detector first."""
        return {(int(a), int(b)): e for e, (a, b) in enumerate(self.edge_detectors)}

    def errors_to_edges(self, errors: np.ndarray) -> np.ndarray:
        """Which edges fired (mod 2), given which DEM error mechanisms happened.

        Args:
            errors: ``bool, shape=(num_shots, num_errors)``, as from Stim's
                ``dem.compile_sampler().sample(..., return_errors=True)``.

        Returns:
            ``bool, shape=(num_shots, num_edges)``.
        """
        fired = scipy.sparse.csr_matrix(np.asarray(errors, dtype=np.uint8)) @ self.error_edges
        return (fired.toarray() & 1).astype(bool)


def check_matching_dem(matching_dem: stim.DetectorErrorModel, graph: DecodingGraph) -> None:
    """Refuses a DEM to match with (e.g. a learned one) whose detectors are not the circuit's: another
    count, or, where both carry coordinates, a detector at another place (the other basis of the
    same memory has as many detectors).

    Raises:
        ValueError: the detector counts differ, or a detector's coordinates do.

    Examples:
        >>> import qec
        >>> x, z = (qec.generate_circuit(3, 3, basis=b, noise="uniform:0.01") for b in "xz")
        >>> check_matching_dem(z.detector_error_model(decompose_errors=True), DecodingGraph.from_circuit(x))
        Traceback (most recent call last):
        ...
        ValueError: matching_dem's detector D0 is at (0.0, 4.0, 0.0); the circuit's is at (2.0, 0.0, 0.0): is it a DEM of this experiment?
    """
    if matching_dem.num_detectors != graph.num_detectors:
        raise ValueError(f"matching_dem has {matching_dem.num_detectors} detectors; the circuit has {graph.num_detectors}")
    theirs = matching_dem.get_detector_coordinates()
    ours = graph.dem.get_detector_coordinates()
    for d in range(graph.num_detectors):
        a, b = theirs.get(d), ours.get(d)
        if a and b and (len(a) != len(b) or not np.allclose(a, b)):
            raise ValueError(f"matching_dem's detector D{d} is at {tuple(a)}; the circuit's is at {tuple(b)}: "
                             "is it a DEM of this experiment?")


def _error_components(dem: stim.DetectorErrorModel):
    """``(p, [(sorted detectors, frozenset of observables), ...], text)`` per error of a flattened DEM.

    Reads the DEM's text form: far faster than one Python call per target for long experiments.
    """
    for line in str(dem).splitlines():
        if not line.startswith("error("):
            continue
        close = line.index(")")
        p = float(line[6:close])
        components, dets, obs = [], [], []
        for token in line[close + 1:].split():
            if token == "^":
                components.append((sorted(dets), frozenset(obs)))
                dets, obs = [], []
            elif token[0] == "D":
                dets.append(int(token[1:]))
            elif token[0] == "L":
                obs.append(int(token[1:]))
        components.append((sorted(dets), frozenset(obs)))
        yield p, components, line


ROTATED_ONLY = ("qec decodes rotated surface-code memory experiments (qec.generate_circuit, or Stim's "
                "surface_code:rotated_memory_x/z), whose detectors it lays out on a grid by their coordinates")


def _grid_layout(dem: stim.DetectorErrorModel) -> tuple[np.ndarray, tuple, np.ndarray]:
    if dem.num_detectors == 0:
        raise ValueError(f"the circuit has no detectors. {ROTATED_ONLY}")
    coords = dem.get_detector_coordinates()
    voxels = np.zeros((dem.num_detectors, 3), dtype=np.int64)
    for d in range(dem.num_detectors):
        c = coords.get(d)
        if c is None or len(c) < 3:
            raise ValueError(f"detector D{d} has coordinates {c}; expected (x, y, t). {ROTATED_ONLY}")
        x, y, t = c[0], c[1], c[2]
        if x % 2 or y % 2 or t != int(t):
            raise ValueError(f"detector D{d} has coordinates {tuple(c)}; expected even x, y and integer t. {ROTATED_ONLY}")
        voxels[d] = (int(t), int(y) // 2, int(x) // 2)
    voxels -= voxels.min(axis=0)
    grid_shape = tuple(int(v) for v in voxels.max(axis=0) + 1)
    if len({tuple(v) for v in voxels}) != len(voxels):
        raise ValueError(f"two detectors share a grid voxel. {ROTATED_ONLY}")
    basis_mask = np.zeros(grid_shape, dtype=bool)
    first = voxels[voxels[:, 0] == 0]
    # The memory's own basis: the stabilizers that have detectors in the first round, in every round.
    basis_cells = {(int(r), int(c)) for _, r, c in first}
    for t, r, c in voxels:
        if (int(r), int(c)) in basis_cells:
            basis_mask[t, r, c] = True
    return voxels, grid_shape, basis_mask


def _edge_classes(edge_detectors: np.ndarray, voxels: np.ndarray) -> tuple[list, np.ndarray]:
    classes, anchors = [], np.zeros((len(edge_detectors), 3), dtype=np.int64)
    for e, (a, b) in enumerate(edge_detectors):
        va = voxels[a]
        if b == BOUNDARY:
            classes.append((1, 0, 0, 0))
            anchors[e] = va
            continue
        vb = voxels[b]
        if tuple(vb) < tuple(va):
            va, vb = vb, va
        classes.append((0,) + tuple(int(x) for x in vb - va))
        anchors[e] = va
    return classes, anchors


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 0.5)
    return np.log(p / (1 - p))


def _uniform_twin_probabilities(graph: DecodingGraph, short_rounds: int = 4) -> np.ndarray | None:
    """Each edge's probability in the same rotated-surface-code memory under uniform circuit noise
    (p = 0.001), or None where the graph's layout is not one of Stim's. A long experiment is
    compared against ``short_rounds`` rounds: its middle rounds all take the short one's middle
    round, whose edges are the same as theirs (from 4 rounds on; tested)."""
    first = graph.detector_voxels[graph.detector_voxels[:, 0] == 0]
    distance = int(round(np.sqrt(2 * len(first) + 1)))
    rounds = graph.grid_shape[0] - 1
    if distance < 3 or distance * distance != 2 * len(first) + 1 or rounds < 1:
        return None
    for basis in ("x", "z"):
        layout = _grid_layout(generate_circuit(distance, min(rounds, 2), basis=basis, noise="uniform:0")
                              .detector_error_model())[0]
        if np.array_equal(layout[layout[:, 0] == 0], first):
            break
    else:
        return None
    short = min(rounds, short_rounds)
    twin = DecodingGraph.from_circuit(generate_circuit(distance, short, basis=basis, noise="uniform:0.001"))
    t = graph.edge_anchors[:, 0]
    middle = short // 2
    t_short = np.where(t < middle, t, np.where(t >= rounds - (short - middle), t - rounds + short, middle))
    # Look the edges up by (class, anchor) in a dense table of the twin's probabilities (NaN: no such edge).
    twin_class = {c: i for i, c in enumerate(twin.classes)}
    if any(c not in twin_class for c in graph.classes):
        return None
    shape = (len(twin.classes),) + tuple(twin.grid_shape)
    table = np.full(shape, np.nan)
    table[(twin.edge_classes, *twin.edge_anchors.T)] = twin.edge_probabilities
    classes = np.array([twin_class[c] for c in graph.classes])[graph.edge_classes]
    anchors = np.stack([t_short, graph.edge_anchors[:, 1], graph.edge_anchors[:, 2]], axis=1)
    if np.any(anchors >= np.array(twin.grid_shape)):
        return None
    p = table[(classes, *anchors.T)]
    return None if np.any(np.isnan(p)) else p

"""Round-by-round decoding of a syndrome stream with a bounded delay.

Rounds (time layers of the grid) arrive one at a time. The network runs layer by layer as they
arrive (:class:`qec._network.LayerByLayer`: every activation computed once), and the pre-decoder
decides the edges anchored at layer t once the layers up to t + halo + 2 have arrived: its
decisions equal whole-volume inference. Matching runs on sliding windows of
``commit_rounds + buffer_rounds`` residual layers (Skoric et al.; Tan et al.): the window's edges
to the future end at a boundary node, its correction is committed for the first
``commit_rounds`` layers, and a committed edge that reaches into the buffer flips that event
for the next window. Only a bounded number of layers is ever held.

With ``rounds=`` the stream decodes an experiment longer than the decoder's own circuit: its first
and last layers are the circuit's, and every layer in between a copy of the circuit's middle
layer (:class:`RepeatedLayers`), so nothing the stream builds or holds grows with the rounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymatching
import torch

from qec._events import check_events
from qec._graph import BOUNDARY
from qec._network import LayerByLayer
from qec._predecoder import decide_edges


class RepeatedLayers:
    """The detectors and edges of an experiment of ``num_layers`` time layers, read off a decoding
    graph of the same circuit with fewer rounds (the template).

    Layer t of the experiment is the template's layer ``template_layer(t)``: the same up to the
    template's middle layer m, then m repeated, then the template's last layers. Detector ids run
    layer by layer, so they are computed, never stored; an edge whose earlier layer is t is the
    template's edge at ``template_layer(t)`` moved by ``shift(t)`` layers. With as many layers as
    the template, it is the template.

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 8, basis="x", noise="uniform:0.003"))
        >>> layers = RepeatedLayers(graph, 1001)  # a 1,000-round experiment
        >>> [layers.template_layer(t) for t in (0, 4, 5, 500, 996, 1000)]
        [0, 4, 4, 4, 4, 8]
        >>> layers.num_detectors, layers.detectors(1000).tolist()  # 4 + 999 * 8 + 4 detectors
        (8000, [7996, 7997, 7998, 7999])
    """

    def __init__(self, graph, num_layers: int, *, weights: np.ndarray | None = None):
        T = graph.grid_shape[0]
        if num_layers < T:
            raise ValueError(f"{num_layers} layers: a stream reads a longer experiment off a shorter circuit, "
                             f"not one of {num_layers} layers off a circuit of {T}; decode that circuit instead")
        layer = graph.detector_voxels[:, 0]
        if np.any(np.diff(layer) < 0):
            raise ValueError("the circuit's detectors are not numbered layer by layer; a stream needs them so")
        self.graph, self.num_layers = graph, num_layers
        self.middle, self.extra = T // 2, num_layers - T
        self._sizes = np.bincount(layer, minlength=T)
        self._offsets = np.concatenate([[0], np.cumsum(self._sizes)])
        ends = graph.edge_detectors
        far = np.where(ends[:, 1] == BOUNDARY, ends[:, 0], ends[:, 1])
        lo = np.minimum(layer[ends[:, 0]], layer[far])
        self.edge_span = np.maximum(layer[ends[:, 0]], layer[far]) - lo  # layers an edge reaches up
        order = np.argsort(lo, kind="stable")
        bounds = np.searchsorted(lo[order], np.arange(T + 1))
        self._edges_from = [order[bounds[t]:bounds[t + 1]] for t in range(T)]  # template edges by earlier layer
        if self.extra:
            self._check_repeats(layer, graph.edge_probabilities if weights is None else weights)

    @property
    def num_detectors(self) -> int:
        return int(self.offset(self.num_layers))

    def template_layer(self, t: int) -> int:
        m, extra = self.middle, self.extra
        return t if t <= m else (m if t <= m + extra else t - extra)

    def shift(self, t: int) -> int:
        return t - self.template_layer(t)

    def offset(self, t):
        """The first detector id of layer t (vectorised; t = num_layers gives the total)."""
        t = np.asarray(t, dtype=np.int64)
        m, extra, o, n = self.middle, self.extra, self._offsets, self._sizes[self.middle]
        return np.where(t <= m, o[np.minimum(t, m)],
                        np.where(t <= m + extra, o[m] + (t - m) * n, o[np.clip(t - extra, m, len(o) - 1)] + extra * n))

    def detectors(self, t: int) -> np.ndarray:
        return np.arange(self.offset(t), self.offset(t + 1))

    def layer_of(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        m, extra, o, n = self.middle, self.extra, self._offsets, self._sizes[self.middle]
        start = np.searchsorted(o, ids, side="right") - 1
        end = np.searchsorted(o, ids - extra * n, side="right") - 1 + extra
        return np.where(ids < o[m], start, np.where(ids < o[m] + extra * n, m + (ids - o[m]) // max(n, 1), end))

    def position(self, ids) -> np.ndarray:
        """Index of each detector within its layer."""
        ids = np.asarray(ids, dtype=np.int64)
        return ids - self.offset(self.layer_of(ids))

    def edges_from(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The edges whose earlier layer is t: ``(template edge ids, their detectors here)`` (BOUNDARY kept)."""
        edges = self._edges_from[self.template_layer(t)]
        ends = self.graph.edge_detectors[edges]
        shift = self.shift(t)
        if not shift:
            return edges, ends
        layer = self.graph.detector_voxels[np.maximum(ends, 0), 0]  # in the template
        moved = self.offset(layer + shift) + ends - self._offsets[layer]
        return edges, np.where(ends == BOUNDARY, BOUNDARY, moved)

    def _check_repeats(self, layer, weights) -> None:
        """The template's middle layer must repeat: the edges from m and from m + 1 alike, shifted by one layer."""
        g, m = self.graph, self.middle
        if m + 3 > len(self._sizes) - 1:
            raise ValueError(f"a circuit of {len(self._sizes)} time layers is too short to repeat its middle "
                             "layer; build the decoder from a circuit with at least 6 rounds")

        def signature(t):
            edges = self._edges_from[t]
            ends = g.edge_detectors[edges]
            local = np.where(ends == BOUNDARY, -1, ends - self._offsets[layer[np.maximum(ends, 0)]])
            key = np.column_stack([local, self.edge_span[edges], g.edge_anchors[edges, 1:], g.edge_classes[edges],
                                   np.round(weights[edges], 9),
                                   g.edge_observables[edges].reshape(len(edges), -1)])
            return key[np.lexsort(key.T[::-1])]

        same = (self._sizes[m] == self._sizes[m + 1] == self._sizes[m + 2]
                and np.array_equal(g.detector_voxels[layer == m, 1:], g.detector_voxels[layer == m + 1, 1:])
                and np.array_equal(signature(m), signature(m + 1)))
        if not same:
            raise ValueError("the decoder's circuit does not repeat one round in its middle (its layers "
                             f"{m} and {m + 1} differ), so a longer experiment cannot be read off it")


class _LayerDetectors(Sequence):
    """``stream.layer_detectors[t]``: the detector ids of layer t, computed on demand."""

    def __init__(self, layers: RepeatedLayers):
        self._layers = layers

    def __len__(self) -> int:
        return self._layers.num_layers

    def __getitem__(self, t):
        if isinstance(t, slice):
            return [self[k] for k in range(*t.indices(len(self)))]
        if not -len(self) <= t < len(self):
            raise IndexError(f"layer {t} of {len(self)}")
        return self._layers.detectors(t % len(self))


class StreamDecoder:
    """Decodes a stream of rounds for a batch of shots; make one with :meth:`qec.Decoder.stream`.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 6, basis="z", noise="uniform:0.004")
        >>> decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
        >>> dets = circuit.compile_detector_sampler(seed=2).sample(8)
        >>> stream = decoder.stream(8, commit_rounds=2, buffer_rounds=2)
        >>> for layer in stream.layer_detectors:
        ...     stream.push(dets[:, layer])
        >>> stream.finish().shape
        (8, 1)
    """

    def __init__(self, decoder, num_shots: int, *, commit_rounds: int = 4, buffer_rounds: int = 4,
                 rounds: int | None = None):
        if commit_rounds < 1 or buffer_rounds < 1:
            raise ValueError(f"commit_rounds={commit_rounds}, buffer_rounds={buffer_rounds}; both must be >= 1")
        if num_shots < 1:
            raise ValueError(f"num_shots={num_shots}; expected >= 1")
        graph = decoder.graph
        self.graph = graph
        self.num_shots = num_shots
        self.commit_rounds, self.buffer_rounds = commit_rounds, buffer_rounds
        self._weights = _weights(decoder.matcher.dem, graph)
        T = graph.grid_shape[0]
        if rounds is not None and rounds < 1:
            raise ValueError(f"rounds={rounds}; expected >= 1")
        self.layers = RepeatedLayers(graph, T if rounds is None else rounds + 1, weights=self._weights)
        self.num_layers = self.layers.num_layers
        self.layer_detectors = _LayerDetectors(self.layers)
        self._edge_obs = graph.edge_observables
        self._bound = decoder._bound
        if self._bound is not None:
            T, H, W = self._bound.grid_shape
            self._halo = self._bound.halo
            self._edge_class = self._bound.edge_flat.cpu().numpy() // (T * H * W)  # the network's class of each edge
            self._stepper = LayerByLayer(self._bound.net)
            self._logits: dict[int, torch.Tensor] = {}  # (num_shots, classes, H, W) per time layer
        self._raw: dict[int, np.ndarray] = {}
        self._residual: dict[int, np.ndarray] = {}
        self._obs = np.zeros((num_shots, graph.num_observables), dtype=bool)
        self._received = 0       # layers pushed
        self._predecoded = 0     # residual layers below this are final
        self._committed = 0      # layers below this are committed by matching
        self._matchings: dict[bytes, pymatching.Matching] = {}

    @property
    def committed_rounds(self) -> int:
        """Layers whose correction is final."""
        return self._committed

    @property
    def layers_held(self) -> int:
        """Layers of events currently held (bounded by the window and the receptive field)."""
        return len(set(self._raw) | set(self._residual))

    def push(self, events, *, bit_packed: bool = False) -> None:
        """Adds the next layer's detection events.

        Args:
            events: ``bool, shape=(num_shots, len(layer_detectors[t]))`` for the next layer t, the
                detectors in index order (numpy, torch or cupy); or with ``bit_packed=True``,
                ``uint8, shape=(num_shots, ceil(len / 8))``, little bit order.

        Raises:
            ValueError: wrong shape or dtype, or a push after the last layer.
        """
        t = self._received
        if t >= self.num_layers:
            raise ValueError(f"all {self.num_layers} layers were pushed already; call finish()")
        events = check_events(events, len(self.layer_detectors[t]), bit_packed=bit_packed,
                              name=f"layer {t} events", num_shots=self.num_shots)
        self._received += 1
        self._raw[t] = events
        self._residual[t] = events.copy()
        if self._bound is not None:
            self._run_network(t, events)
        self._advance()

    def finish(self) -> np.ndarray:
        """Returns the observable predictions ``bool (num_shots, num_observables)`` once every layer is in."""
        if self._received < self.num_layers:
            raise ValueError(f"only {self._received} of {self.num_layers} layers were pushed")
        return self._obs.copy()

    # -- pre-decoder -------------------------------------------------------------------------

    def _advance(self) -> None:
        final = self._received == self.num_layers
        if self._bound is None:
            self._predecoded = self._received
        else:
            end = self.num_layers if final else self._received - self._halo - 2
            if end > self._predecoded:
                self._predecode(end)
        self._match_ready()

    def _run_network(self, t: int, events: np.ndarray) -> None:
        """Feeds layer t to the network; keeps the logits of the time layers it completes."""
        bound = self._bound
        _, H, W = bound.grid_shape
        S = self.num_shots
        template = self.layers.template_layer(t)
        v = self.graph.detector_voxels[self.layers.offset(template) - self.layers.offset(t) + self.layer_detectors[t]]
        grid = np.zeros((S, H * W), dtype=np.float32)
        grid[:, v[:, 1] * W + v[:, 2]] = events
        x = torch.cat([torch.as_tensor(grid, device=bound.device).view(S, 1, H, W),
                       bound._static[:, template].expand(S, -1, -1, -1)], dim=1)  # (S, 3, H, W)
        with torch.no_grad(), bound.autocast():
            ready = self._stepper.push(x)
            if t == self.num_layers - 1:
                ready += self._stepper.finish()
        self._logits.update((layer, logits.float()) for layer, logits in ready)

    def _predecode(self, end: int) -> None:
        """Decides the edges anchored in [predecoded, end) exactly as whole-volume inference would."""
        bound = self._bound
        lo, hi = max(0, self._predecoded - 1), min(self.num_layers, end + 1)  # anchors whose logits are needed
        _, H, W = bound.grid_shape
        S, L = self.num_shots, hi - lo
        out = torch.stack([self._logits[t] for t in range(lo, hi)], dim=2).reshape(S, -1)  # (S, C·L·H·W)
        parts = [self.layers.edges_from(t) for t in range(lo, hi)]  # an edge's anchor is its earlier layer
        edges = np.concatenate([e for e, _ in parts])
        ends = np.concatenate([d for _, d in parts])
        anchor = np.concatenate([np.full(len(e), t) for t, (e, _) in zip(range(lo, hi), parts)])
        rows, cols = self.graph.edge_anchors[edges, 1], self.graph.edge_anchors[edges, 2]
        flat = self._edge_class[edges] * L * H * W + (anchor - lo) * H * W + rows * W + cols
        logits = out[:, torch.as_tensor(flat, device=bound.device)]
        dets = np.unique(ends[ends != BOUNDARY])
        local = np.searchsorted(dets, ends)  # the boundary's entries are set next
        local[ends == BOUNDARY] = len(dets)
        det_layer, det_position = self.layers.layer_of(dets), self.layers.position(dets)
        active = np.ones((S, len(dets) + 1), dtype=bool)
        for k, (t, j) in enumerate(zip(det_layer, det_position)):
            active[:, k] = self._raw[int(t)][:, j]
        threshold = bound.edge_thresholds
        if isinstance(threshold, torch.Tensor):
            threshold = threshold[torch.as_tensor(edges, device=bound.device)]
        decisions = decide_edges(logits, torch.as_tensor(active, device=bound.device),
                                 torch.as_tensor(local, device=bound.device), threshold=threshold,
                                 policy=bound.predecoder.policy).cpu().numpy()
        decisions[:, (anchor < self._predecoded) | (anchor >= end)] = False
        chosen = np.flatnonzero(decisions.any(axis=0))
        committed = decisions[:, chosen].astype(np.int32)
        self._obs ^= (committed @ self._edge_obs[edges[chosen]].astype(np.int32)) % 2 == 1
        flips = np.zeros((S, len(dets) + 1), dtype=np.int32)  # the last column: the boundary
        for side in (0, 1):
            np.add.at(flips, (slice(None), local[chosen, side]), committed)
        flips = flips[:, :-1] % 2 == 1
        for t in np.unique(det_layer):
            here = det_layer == t
            self._residual[int(t)][:, det_position[here]] ^= flips[:, here]
        self._predecoded = end
        for t in [t for t in self._raw if t < self._predecoded - 1]:  # the next call's anchors start there
            del self._raw[t]
        for t in [t for t in self._logits if t < self._predecoded - 1]:
            del self._logits[t]

    # -- sliding-window matching -------------------------------------------------------------

    def _match_ready(self) -> None:
        while self._committed < self.num_layers:
            w0 = self._committed
            w1 = min(self.num_layers, w0 + self.commit_rounds + self.buffer_rounds)
            if self._predecoded < w1:
                return
            commit_end = self.num_layers if w1 == self.num_layers else w0 + self.commit_rounds
            self._match_window(w0, w1, commit_end)
            for t in range(w0, commit_end):
                self._residual.pop(t, None)
                if self._bound is None:
                    self._raw.pop(t, None)
            self._committed = commit_end

    def _match_window(self, w0: int, w1: int, commit_end: int) -> None:
        """Matches the residual of layers [w0, w1) and commits what falls in [w0, commit_end).

        An edge with an endpoint in the commit region is committed: its observables flip, and an
        endpoint in the buffer gets an artificial event for the next window. Each such edge carries
        those flips as its fault ids, so one ``decode_batch`` call commits the whole batch.
        """
        layers, num_obs = self.layers, self._edge_obs.shape[1]
        base, buffered, future = (int(layers.offset(t)) for t in (w0, commit_end, w1))
        parts = [layers.edges_from(t) for t in range(w0, w1)]
        edges = np.concatenate([e for e, _ in parts])
        ends = np.concatenate([d for _, d in parts])
        hi = np.concatenate([t + layers.edge_span[e] for t, (e, _) in zip(range(w0, w1), parts)])
        is_boundary, to_future = ends[:, 1] == BOUNDARY, hi >= w1
        commits = ~to_future & (ends.min(axis=1, where=ends != BOUNDARY, initial=future) < buffered)
        flips = np.zeros((len(edges), num_obs + future - buffered), dtype=bool)
        flips[commits, :num_obs] = self._edge_obs[edges[commits]]
        for side in (0, 1):
            later = commits & (ends[:, side] >= buffered) & (ends[:, side] != BOUNDARY)
            flips[later, num_obs + ends[later, side] - buffered] = True
        matching = self._window_matching(ends - base, is_boundary, to_future, self._weights[edges], flips,
                                         future - base)
        syndrome = np.zeros((self.num_shots, future - base + 1), dtype=np.uint8)  # the last column: the future node
        syndrome[:, :future - base] = np.concatenate([self._residual[t] for t in range(w0, w1)], axis=1)
        predicted = np.zeros((self.num_shots, flips.shape[1]), dtype=bool)
        out = matching.decode_batch(syndrome)
        predicted[:, :out.shape[1]] = out[:, :flips.shape[1]]
        self._obs ^= predicted[:, :num_obs]
        for t in range(commit_end, w1):  # artificial events in the buffer
            start = num_obs + int(layers.offset(t)) - buffered
            self._residual[t] ^= predicted[:, start:start + len(self._residual[t][0])]

    def _window_matching(self, local: np.ndarray, is_boundary: np.ndarray, to_future: np.ndarray,
                         weights: np.ndarray, flips: np.ndarray, future: int) -> pymatching.Matching:
        """The window's matching graph: internal edges, real boundary edges, edges to the future →
        node ``future``; each edge's fault ids are its ``flips``."""
        a = local[:, 0]
        b = np.where(is_boundary, -1, np.where(to_future, future, local[:, 1]))
        # Edges leave the window upward only; keep the endpoint inside the window first.
        swap = to_future & (local[:, 0] >= future)
        a, b = np.where(swap, local[:, 1], a), np.where(swap, future, b)
        key = np.stack([a, b]).tobytes() + weights.tobytes() + np.packbits(flips).tobytes() + np.int64(future).tobytes()
        if key not in self._matchings:
            m = pymatching.Matching()
            for u, v, weight, ids in zip(a.tolist(), b.tolist(), weights.tolist(), flips):
                fault_ids = set(np.flatnonzero(ids).tolist())
                if v < 0:
                    m.add_boundary_edge(u, fault_ids=fault_ids, weight=weight, merge_strategy="smallest-weight")
                else:
                    m.add_edge(u, v, fault_ids=fault_ids, weight=weight, merge_strategy="smallest-weight")
            if to_future.any():
                m.set_boundary_nodes({future})
            else:
                m.add_boundary_edge(future, weight=1.0)  # an isolated node keeps the indexing fixed
            if len(self._matchings) > 8:
                self._matchings.pop(next(iter(self._matchings)))
            self._matchings[key] = m
        return self._matchings[key]


def _weights(dem, graph) -> np.ndarray:
    """Matching weights log((1 − p) / p) of the graph's edges under ``dem`` (the matcher's own DEM)."""
    if dem is graph.dem:
        p = graph.edge_probabilities
    else:
        from qec._graph import DecodingGraph
        other = DecodingGraph.from_dem(dem)
        p = np.full(graph.num_edges, 1e-12)
        for e, (a, b) in enumerate(other.edge_detectors):
            k = graph.edge_index.get((int(a), int(b)))
            if k is not None:
                p[k] = other.edge_probabilities[e]
    p = np.clip(p, 1e-12, 0.5 - 1e-12)
    return np.log((1 - p) / p)

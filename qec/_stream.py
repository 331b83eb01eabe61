"""Round-by-round decoding of a syndrome stream with a bounded delay.

Rounds (time layers of the grid) arrive one at a time. The network runs layer by layer as they
arrive (:class:`qec._network.LayerByLayer`: every activation computed once), and the pre-decoder
decides the edges anchored at layer t once the layers up to t + halo + 2 have arrived: its
decisions equal whole-volume inference. Matching runs on sliding windows of
``commit_rounds + buffer_rounds`` residual layers (Skoric et al.; Tan et al.): the window's edges
to the future end at a boundary node, its correction is committed for the first
``commit_rounds`` layers, and a committed edge that reaches into the buffer flips that event
for the next window. Only a bounded number of layers is ever held.
"""

from __future__ import annotations

import math

import numpy as np
import pymatching
import torch

from qec._decoder import _to_tensor
from qec._graph import BOUNDARY
from qec._network import LayerByLayer
from qec._predecoder import decide_edges


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

    def __init__(self, decoder, num_shots: int, *, commit_rounds: int = 4, buffer_rounds: int = 4):
        if commit_rounds < 1 or buffer_rounds < 1:
            raise ValueError(f"commit_rounds={commit_rounds}, buffer_rounds={buffer_rounds}; both must be >= 1")
        if num_shots < 1:
            raise ValueError(f"num_shots={num_shots}; expected >= 1")
        graph = decoder.graph
        self.graph = graph
        self.num_shots = num_shots
        self.commit_rounds, self.buffer_rounds = commit_rounds, buffer_rounds
        self.num_layers = graph.grid_shape[0]
        layer = graph.detector_voxels[:, 0]
        self._layer = layer
        self.layer_detectors = [np.flatnonzero(layer == t) for t in range(self.num_layers)]
        self._position = np.zeros(graph.num_detectors, dtype=np.int64)  # index of a detector within its layer
        for ids in self.layer_detectors:
            self._position[ids] = np.arange(len(ids))
        ends = graph.edge_detectors
        far = np.where(ends[:, 1] == BOUNDARY, ends[:, 0], ends[:, 1])
        self._edge_lo = np.minimum(layer[ends[:, 0]], layer[far])
        self._edge_hi = np.maximum(layer[ends[:, 0]], layer[far])
        self._by_lo = np.argsort(self._edge_lo, kind="stable")
        self._lo_sorted = self._edge_lo[self._by_lo]
        self._edge_obs = graph.edge_observables
        self._weights = _weights(decoder.matcher.dem, graph)
        self._bound = decoder._bound
        if self._bound is not None:
            anchor_layer = graph.edge_anchors[:, 0]
            self._by_anchor = np.argsort(anchor_layer, kind="stable")
            self._anchor_sorted = anchor_layer[self._by_anchor]
            self._halo = self._bound.halo
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
        events = _to_tensor(events).cpu().numpy()  # numpy, torch or cupy (DLPack)
        n = len(self.layer_detectors[t])
        if bit_packed:
            if events.dtype != np.uint8 or events.shape != (self.num_shots, math.ceil(n / 8)):
                raise ValueError(f"layer {t}: bit-packed events have dtype={events.dtype}, shape={events.shape}; "
                                 f"expected uint8 ({self.num_shots}, {math.ceil(n / 8)})")
            events = np.unpackbits(events, axis=1, count=n, bitorder="little")
        if events.shape != (self.num_shots, n) or events.dtype not in (np.bool_, np.uint8):
            raise ValueError(f"layer {t}: events have dtype={events.dtype}, shape={events.shape}; "
                             f"expected bool ({self.num_shots}, {n})")
        events = events.astype(bool)
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
        v = self.graph.detector_voxels[self.layer_detectors[t]]
        grid = np.zeros((S, H * W), dtype=np.float32)
        grid[:, v[:, 1] * W + v[:, 2]] = events
        x = torch.cat([torch.as_tensor(grid, device=bound.device).view(S, 1, H, W),
                       bound._static[:, t].expand(S, -1, -1, -1)], dim=1)  # (S, 3, H, W)
        with torch.no_grad(), bound.autocast():
            ready = self._stepper.push(x)
            if t == self.num_layers - 1:
                ready += self._stepper.finish()
        self._logits.update((layer, logits.float()) for layer, logits in ready)

    def _predecode(self, end: int) -> None:
        """Decides the edges anchored in [predecoded, end) exactly as whole-volume inference would."""
        bound = self._bound
        lo, hi = max(0, self._predecoded - 1), min(self.num_layers, end + 1)  # anchors whose logits are needed
        T, H, W = bound.grid_shape
        S, L = self.num_shots, hi - lo
        out = torch.stack([self._logits[t] for t in range(lo, hi)], dim=2).reshape(S, -1)  # (S, C·L·H·W)
        edges = self._by_anchor[np.searchsorted(self._anchor_sorted, lo):np.searchsorted(self._anchor_sorted, hi)]
        anchors = self.graph.edge_anchors[edges]
        classes = (bound.edge_flat[edges].cpu().numpy() // (T * H * W))
        flat = classes * L * H * W + (anchors[:, 0] - lo) * H * W + anchors[:, 1] * W + anchors[:, 2]
        logits = out[:, torch.as_tensor(flat, device=bound.device)]
        ends = self.graph.edge_detectors[edges]
        dets = np.unique(ends[ends != BOUNDARY])
        local = np.searchsorted(dets, np.where(ends == BOUNDARY, dets[0], ends))
        local[ends == BOUNDARY] = len(dets)
        active = np.ones((S, len(dets) + 1), dtype=bool)
        for k, d in enumerate(dets):
            active[:, k] = self._raw[self._layer[d]][:, self._position[d]]
        decisions = decide_edges(logits, torch.as_tensor(active, device=bound.device),
                                 torch.as_tensor(local, device=bound.device), threshold=bound.threshold,
                                 policy=bound.predecoder.policy).cpu().numpy()
        keep = (anchors[:, 0] >= self._predecoded) & (anchors[:, 0] < end)
        decisions[:, ~keep] = False
        for k in np.flatnonzero(decisions.any(axis=0)):
            shots = decisions[:, k]
            for d in ends[k]:
                if d != BOUNDARY:
                    self._residual[self._layer[d]][shots, self._position[d]] ^= True
            self._obs[shots] ^= self._edge_obs[edges[k]]
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
        dets = np.concatenate(self.layer_detectors[w0:w1])
        edges = self._by_lo[np.searchsorted(self._lo_sorted, w0):np.searchsorted(self._lo_sorted, w1)]
        matching, future = self._window_matching(dets, edges, w1)
        syndrome = np.zeros((self.num_shots, len(dets) + 1), dtype=np.uint8)
        offset = 0
        for t in range(w0, w1):
            width = len(self.layer_detectors[t])
            syndrome[:, offset:offset + width] = self._residual[t]
            offset += width
        for s in range(self.num_shots):
            if not syndrome[s].any():
                continue
            for u, v in matching.decode_to_edges_array(syndrome[s]):
                if u < 0 or u == future:
                    u, v = v, u
                if u < 0 or u == future:
                    continue
                gu = int(dets[u])
                gv = BOUNDARY if (v < 0 or v == future) else int(dets[v])
                if v == future or (gv != BOUNDARY and min(self._layer[gu], self._layer[gv]) >= commit_end):
                    continue  # in the buffer (or to the future): the next window decides it
                if gv == BOUNDARY and self._layer[gu] >= commit_end:
                    continue
                key = (min(gu, gv), max(gu, gv)) if gv != BOUNDARY else (gu, BOUNDARY)
                self._obs[s] ^= self._edge_obs[self.graph.edge_index[key]]
                for g in (gu, gv):
                    if g != BOUNDARY and self._layer[g] >= commit_end:
                        self._residual[self._layer[g]][s, self._position[g]] ^= True  # an artificial event

    def _window_matching(self, dets: np.ndarray, edges: np.ndarray, w1: int) -> tuple[pymatching.Matching, int]:
        """The window's matching graph: internal edges, real boundary edges, edges to the future → node F."""
        ends = self.graph.edge_detectors[edges]
        local = np.searchsorted(dets, np.where(ends == BOUNDARY, ends[:, :1], ends))
        future = len(dets)
        to_future = self._edge_hi[edges] >= w1
        is_boundary = ends[:, 1] == BOUNDARY
        a = local[:, 0]
        b = np.where(is_boundary, -1, np.where(to_future, future, local[:, 1]))
        # Edges leave the window upward only; keep the endpoint inside the window first.
        swap = to_future & (self._layer[ends[:, 0]] >= w1)
        a, b = np.where(swap, local[:, 1], a), np.where(swap, future, b)
        w = self._weights[edges]
        key = np.stack([a, b]).tobytes() + w.tobytes() + np.int64(future).tobytes()
        if key not in self._matchings:
            m = pymatching.Matching()
            for u, v, weight in zip(a.tolist(), b.tolist(), w.tolist()):
                if v < 0:
                    m.add_boundary_edge(u, weight=weight, merge_strategy="smallest-weight")
                else:
                    m.add_edge(u, v, weight=weight, merge_strategy="smallest-weight")
            if to_future.any():
                m.set_boundary_nodes({future})
            else:
                m.add_boundary_edge(future, weight=1.0)  # an isolated node keeps the indexing fixed
            if len(self._matchings) > 8:
                self._matchings.pop(next(iter(self._matchings)))
            self._matchings[key] = m
        return self._matchings[key], future


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

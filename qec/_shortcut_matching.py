"""Reweighted matching on one prebuilt PyMatching graph: weight classes as shortcut gadgets.

PyMatching takes no per-shot weights, and building a graph per shot (:class:`qec.PosteriorMatcher`)
costs about 2 ms at d = 9, most of it PyMatching's solver construction. Here every edge
``e = (u, v)`` of prior weight ``w`` carries, once and for all, ``levels`` gadgets: two extra nodes
``a, b`` and the path ``u –x– a –m– b –x– v``, where level ``k`` lowers the weight by
``Δ = min(w, k · step)``: ``m = Δ / 2 + slack`` and ``x = (w − Δ + m) / 2``. In a shot that puts
detection events on ``a`` and ``b``, a matching either pairs them (cost ``m``) or uses the path
``u – a``, ``b – v`` (cost ``2x``): the gadget is an extra ``u – v`` edge of weight ``2x − m = w − Δ``,
carrying ``e``'s observables. Without events on ``a`` and ``b``, going through the gadget costs
``2x + m = w + 2 · slack``, dearer than ``e`` itself, so an idle gadget changes nothing. Switching a
gadget on is two more detection events, so the graph is built once and each shot is one plain decode.
"""

from __future__ import annotations

import numpy as np
import pymatching
import scipy.sparse
import stim

from qec._graph import BOUNDARY, DecodingGraph
from qec._reweighting import PosteriorMatcher


class ShortcutMatcher(PosteriorMatcher):
    """:class:`PosteriorMatcher`'s rule in whole weight steps, on one prebuilt graph instead of one per shot.

    As in :class:`PosteriorMatcher`, every edge whose detectors all hold an event moves by
    ``scale · logit``: a positive logit lowers its weight, a negative one raises it. A gadget can
    only lower, so a raise of ``e = (u, v)`` by ``R`` becomes a *lift*: every edge at ``u`` and at
    ``v`` is lowered by that event's largest raise instead. Where each event ends one matching path,
    as in nearly every matching, a lift lowers all of that event's paths alike except the raised
    edge's, so the lightest matching is the one the raised weights give. Each edge's weight is then
    ``max(0, w − m(e) − lift(u) − lift(v))`` (``m`` the move on judged edges, 0 elsewhere), rounded
    to whole steps below the prior and at most ``levels`` steps down. The predictions are those of
    :class:`PosteriorMatcher` matching with :meth:`weights` (tested). Against
    :class:`PosteriorMatcher` itself (the previous ``accurate`` network, d = 9, p = 0.006, paired
    shots) it makes from as many errors (425 vs 427 on 30,000 tuning shots in X) to 6% more (562
    vs 532 on 50,000 in Z; the rounding and the lifts share that cost), with 0.36 ms of matching per shot instead of
    2.0 ms on one core of the project's CPU, and 18× less time at p = 0.003 (BENCHMARKS.md,
    'Reweighting without a graph per shot'). The price is a larger graph, built once: at d = 21
    over 21 rounds it has 620,000 nodes and takes 6 s and about 300 MB to build.

    Args:
        graph: the decoding graph whose edges the logits index.
        scale: how far the logits move the weights (0 gives plain matching).
        matching_dem: take the prior weights from this DEM where it has the edge. Defaults to None.
        step: the weight step. Defaults to 1.0 (on tuning shots 0.75 was level with it, 1.5 worse).
        levels: the most steps an edge is lowered by. Defaults to 6, enough to take an edge of
            p = 0.006 (weight about 6) to zero; lowering by at most 2 was clearly worse.
        slack: how much dearer than the edge an idle gadget's path is. Defaults to 6.

    Examples:
        >>> import qec, numpy as np
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> matcher = ShortcutMatcher(graph, scale=0.25)
        >>> dets = np.zeros((2, graph.num_detectors), dtype=bool)
        >>> matcher.decode_batch(dets, np.zeros((2, graph.num_edges), dtype=np.float32)).tolist()
        [[False], [False]]
    """

    def __init__(self, graph: DecodingGraph, *, scale: float, matching_dem: stim.DetectorErrorModel | None = None,
                 step: float = 1.0, levels: int = 6, slack: float = 6.0):
        super().__init__(graph, scale=scale, matching_dem=matching_dem)
        if not (step > 0 and levels >= 1 and slack > 0):
            raise ValueError(f"step={step}, levels={levels}, slack={slack}; expected step > 0, levels >= 1, slack > 0")
        self.step, self.levels, self.slack = float(step), int(levels), float(slack)
        self.num_nodes = graph.num_detectors + 2 * graph.num_edges * self.levels
        self._incident = graph.edge_detector_matrix.T.tocsr()  # detector → its edges
        self._gadget_matching = self._build()

    def edge_levels(self, dets: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """``bool (num_shots, num_detectors)``, ``float (num_shots, num_edges)`` → ``int64 (num_shots, num_edges)``:
        each edge's weight class in each shot (0: its prior weight; ``k``: lowered by ``k · step``)."""
        dets = np.atleast_2d(np.asarray(dets, dtype=bool))
        levels = np.zeros((len(dets), self.graph.num_edges), dtype=np.int64)
        shot, edge, level = self._switched_on(dets, np.atleast_2d(logits))
        levels[shot, edge] = level
        return levels

    def weights(self, dets: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """``bool (num_detectors,)``, ``float (num_edges,)`` → the shot's edge weights ``float64 (num_edges,)``."""
        return np.maximum(0.0, self.prior_weights - self.step * self.edge_levels(dets, logits)[0])

    def decode_batch(self, dets: np.ndarray, logits: np.ndarray, *, chunk: int | None = None) -> np.ndarray:
        """``bool (num_shots, num_detectors)``, ``float (num_shots, num_edges)`` → ``bool (num_shots, num_observables)``;
        ``chunk`` shots at a time (default: at most 256, and at most 32 MB of syndromes over the gadget graph)."""
        dets = np.asarray(dets, dtype=bool)
        logits = np.asarray(logits)
        if dets.shape[0] != logits.shape[0] or logits.shape[1:] != (self.graph.num_edges,):
            raise ValueError(f"logits has shape {logits.shape}; expected ({dets.shape[0]}, {self.graph.num_edges})")
        num_detectors = self.graph.num_detectors
        chunk = chunk or max(1, min(256, 32_000_000 // self.num_nodes))
        out = np.zeros((len(dets), self.graph.num_observables), dtype=bool)
        for begin in range(0, len(dets), chunk):
            part = dets[begin:begin + chunk]
            shot, edge, level = self._switched_on(part, logits[begin:begin + chunk])
            first = num_detectors + 2 * (edge * self.levels + level - 1)  # node a of each switched-on gadget
            syndromes = np.zeros((len(part), self.num_nodes), dtype=np.uint8)
            syndromes[:, :num_detectors] = part
            syndromes[shot, first] = 1
            syndromes[shot, first + 1] = 1
            out[begin:begin + chunk] = self._gadget_matching.decode_batch(syndromes)
        return out

    def _switched_on(self, dets: np.ndarray, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(shot, edge, level)`` of every edge lowered by at least one step."""
        shot, edge, lowered = self.lowerings(dets, logits)
        level = np.minimum(np.rint(lowered / self.step), self.levels).astype(np.int64)
        on = level > 0
        return shot[on], edge[on], level[on]

    def lowerings(self, dets: np.ndarray, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(shot, edge, lowered)``: how far the rule lowers each edge at an event (the class docstring), before
        rounding to steps; every other edge keeps its prior weight. ``bool (num_shots, num_detectors)`` and
        ``float (num_shots, num_edges)`` in."""
        num_detectors = self.graph.num_detectors
        u, v = self._ends[:, 0], self._ends[:, 1]
        active = np.concatenate([dets, np.ones((len(dets), 1), dtype=bool)], axis=1)
        # Every edge at an event, once: from its first detector when both ends hold events.
        event_shot, event = np.nonzero(dets)
        starts, stops = self._incident.indptr[event], self._incident.indptr[event + 1]
        counts = stops - starts
        shot, origin = np.repeat(event_shot, counts), np.repeat(event, counts)
        position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)
        edge = self._incident.indices[position]
        judged = active[shot, u[edge]] & active[shot, v[edge]]
        keep = ~judged | (u[edge] == origin)
        shot, edge, judged = shot[keep], edge[keep], judged[keep]
        moved = np.where(judged, self.scale * logits[shot, edge].astype(np.float64), 0.0)  # + lowers, - raises
        # A raise becomes a lowering of every other edge at the raised edge's events (the class docstring).
        lift = np.zeros((len(dets), num_detectors + 1))
        raised = moved < 0
        np.maximum.at(lift, (shot[raised], u[edge[raised]]), -moved[raised])
        np.maximum.at(lift, (shot[raised], v[edge[raised]]), -moved[raised])
        lift[:, num_detectors] = 0.0  # the boundary
        prior = self.prior_weights[edge]
        target = np.maximum(0.0, prior - moved) - lift[shot, u[edge]] - lift[shot, v[edge]]
        return shot, edge, prior - np.maximum(target, 0.0)

    def _build(self) -> pymatching.Matching:
        """The graph's edges at their prior weights, then every edge's gadgets (see the module's docstring)."""
        graph, levels = self.graph, self.levels
        num_gadgets = graph.num_edges * levels
        edge = np.repeat(np.arange(graph.num_edges), levels)
        level = np.tile(np.arange(1, levels + 1), graph.num_edges)
        prior = self.prior_weights[edge]
        lowered = np.minimum(prior, level * self.step)
        m = lowered / 2 + self.slack
        x = (prior - lowered + m) / 2
        a = graph.num_detectors + 2 * np.arange(num_gadgets)
        u, v = graph.edge_detectors[edge, 0], graph.edge_detectors[edge, 1]
        # Columns: the edges, then u–a, a–b and b–v of every gadget (b–v is a boundary edge where v is).
        cols = np.arange(num_gadgets)
        rows = [u, a, a, a + 1, a + 1, v[v != BOUNDARY]]
        col_index = [cols, cols, num_gadgets + cols, num_gadgets + cols, 2 * num_gadgets + cols,
                     2 * num_gadgets + cols[v != BOUNDARY]]
        gadgets = scipy.sparse.csc_matrix(
            (np.ones(sum(map(len, rows)), dtype=np.uint8), (np.concatenate(rows), np.concatenate(col_index))),
            shape=(self.num_nodes, 3 * num_gadgets))
        edges = scipy.sparse.vstack([self._check, scipy.sparse.csc_matrix((2 * num_gadgets, graph.num_edges), dtype=np.uint8)])
        check = scipy.sparse.hstack([edges, gadgets]).tocsc()
        # Only u–a carries the edge's observables: a used gadget flips them once, a paired-off one not at all.
        faults = scipy.sparse.hstack([self._faults, self._faults[:, edge],
                                      scipy.sparse.csc_matrix((graph.num_observables, 2 * num_gadgets), dtype=np.uint8)])
        weights = np.concatenate([self.prior_weights, x, m, x])
        return pymatching.Matching.from_check_matrix(check, weights=weights, faults_matrix=faults.tocsc())

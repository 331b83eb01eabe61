"""Samplers of detection events, observable flips and the edge labels behind them."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from qec._device import resolve_device
from qec._graph import DecodingGraph


@dataclasses.dataclass(frozen=True)
class SyndromeBatch:
    """One batch of sampled shots.

    Attributes:
        dets: ``bool, shape=(num_shots, num_detectors)``: detection events.
        obs: ``bool, shape=(num_shots, num_observables)``: observable flips.
        edges: ``bool, shape=(num_shots, num_edges)``: which graph edges fired (mod 2); the
            training labels. Applying all of them to ``dets`` leaves no detection event and
            flips exactly ``obs``.

    Arrays are numpy for :class:`StimSampler`, torch tensors on the sampler's device for
    :class:`TorchSampler`.

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> batch = qec.StimSampler(graph, seed=1).sample(8)
        >>> batch.dets.shape, batch.obs.shape, batch.edges.shape
        ((8, 24), (8, 1), (8, 78))
    """

    dets: object
    obs: object
    edges: object


class StimSampler:
    """Samples a DEM's errors with Stim on the CPU.

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> batch = StimSampler(graph, seed=1).sample(4)
        >>> batch.dets.shape, batch.edges.shape
        ((4, 24), (4, 78))
    """

    def __init__(self, graph: DecodingGraph, *, seed: int | None = None):
        self.graph = graph
        self._sampler = graph.dem.compile_sampler(seed=seed)

    def sample(self, num_shots: int, *, seed: int | None = None) -> SyndromeBatch:
        """Samples ``num_shots``; a ``seed`` restarts the stream there (training seeds every step)."""
        sampler = self._sampler if seed is None else self.graph.dem.compile_sampler(seed=seed)
        dets, obs, errors = sampler.sample(num_shots, return_errors=True)
        return SyndromeBatch(dets=dets.astype(bool), obs=obs.astype(bool), edges=self.graph.errors_to_edges(errors))


class TorchSampler:
    """Samples a DEM's errors with torch on any device (the GPU included), so training never waits on the CPU.

    Each error mechanism fires independently with its DEM probability; detection events,
    observables and edge labels are the mod-2 sums of what fired.

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> batch = TorchSampler(graph, device="cpu", seed=1).sample(4)
        >>> tuple(batch.dets.shape), batch.dets.dtype
        ((4, 24), torch.bool)
    """

    def __init__(self, graph: DecodingGraph, *, device: str | torch.device = "cpu", seed: int | None = None):
        self.graph = graph
        self.device = resolve_device(device)
        probs = [inst.args_copy()[0] for inst in graph.dem if inst.type == "error"]
        self._probs = torch.tensor(probs, dtype=torch.float32, device=self.device)
        # Each error fires a set of edges; detectors and observables follow from the edges.
        self._error_edges = torch.tensor(graph.error_edges.toarray(), dtype=torch.float32, device=self.device)
        self._edge_dets = torch.tensor(graph.edge_detector_matrix.toarray(), dtype=torch.float32, device=self.device)
        self._edge_obs = torch.tensor(graph.edge_observables, dtype=torch.float32, device=self.device)
        self._generator = torch.Generator(device=self.device)
        self._generator.manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is not None
                                    else int(torch.seed()))

    def sample(self, num_shots: int, *, seed: int | None = None) -> SyndromeBatch:
        """Samples ``num_shots``; a ``seed`` restarts the stream there (training seeds every step)."""
        if seed is not None:
            self._generator.manual_seed(seed)
        u = torch.rand((num_shots, len(self._probs)), generator=self._generator, device=self.device)
        errors = (u < self._probs).float()
        edges = torch.remainder(errors @ self._error_edges, 2)  # (B, num_edges)
        dets = torch.remainder(edges @ self._edge_dets, 2)
        obs = torch.remainder(edges @ self._edge_obs, 2)
        return SyndromeBatch(dets=dets.bool(), obs=obs.bool(), edges=edges.bool())

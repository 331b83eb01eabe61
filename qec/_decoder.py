"""The public pipeline: pre-decoder on the detection events, PyMatching on the residual."""

from __future__ import annotations

import os
import time
import weakref
from typing import TYPE_CHECKING

import numpy as np
import stim
import torch

from qec._device import resolve_device
from qec._events import check_events
from qec._graph import DecodingGraph, check_matching_dem
from qec._matching import Matcher
from qec._predecoder import REWEIGHTED_VARIANTS, PreDecoder
from qec._reweighting import PosteriorMatcher
from qec._residual_matching import MatchingPool, ResidualMatching
from qec._stats import DecodeStats

if TYPE_CHECKING:
    from qec._stream import StreamDecoder


# The decoders by name (`qec ler`, `qec decode`, and with a "qec-" prefix sinter): their Decoder keyword arguments.
DECODER_KINDS = {
    "pymatching": dict(model=None), "pymatching-correlated": dict(model=None, correlated=True),
    "pipeline": {}, "pipeline-correlated": dict(correlated=True), "pipeline-reweighted": dict(reweight=True),
    "pipeline-reweighted-shortcut": dict(reweight=True, shortcut=True),
    "pipeline-reweighted-correlated": dict(reweight=True, correlated=True),
}


class Decoder:
    """Stim detection events → convolutional pre-decoder → PyMatching on the residual.

    The prediction is the pre-decoder's own observable flips XOR matching's prediction on the
    residual events. With ``model=None`` it is PyMatching alone.

    Args:
        graph: the decoding graph, or the Stim circuit or decomposed DEM it comes from
            (:meth:`DecodingGraph.of`).
        model: ``"default"`` (the shipped model), a checkpoint path, a :class:`PreDecoder`, or None
            (PyMatching alone). Defaults to ``"default"``.
        correlated: correlated matching on the residual. Defaults to False.
        device: where the network runs. Defaults to None (CUDA when available, else CPU); a CUDA
            device this PyTorch does not have raises ValueError.
        batch_size: shots per network batch. Defaults to 512.
        matching_dem: build the matcher from this DEM (e.g. a learned one) instead of the graph's.
            Defaults to None.
        block: block-wise inference with blocks of interior ``(rounds, rows, cols)`` (None keeps
            an axis whole); the result equals whole-volume inference. Defaults to None.
        matching_workers: worker processes that match the residual batches in parallel while the
            network computes the next batch (:class:`qec.MatchingPool`; started on the first
            call, a second or two; a script must guard its entry point with
            ``if __name__ == "__main__":``). Defaults to 0 (match after the network, in the
            calling thread). The predictions are the same either way.
        reweight: match on a graph reweighted shot by shot by the network's edge posteriors
            (:class:`qec.PosteriorMatcher`; two-pass correlated with ``correlated=True``) instead
            of the plain residual graph: more accurate, a few milliseconds of matching per shot at
            d = 9 on a CPU core. Defaults to False.
        shortcut: with ``reweight=True`` and uncorrelated matching, match on one prebuilt graph
            with shortcut gadgets (:class:`qec.ShortcutMatcher`: the same rule in whole weight
            steps, raises turned into lifts) instead of a graph per shot: 5.7× less matching time
            at d = 9, p = 0.006 and 18× at p = 0.003 on a CPU core, for 0–6% more errors than a
            graph per shot on the paired shots measured (BENCHMARKS.md). Defaults to False.
        compile: run the network through ``torch.compile`` (CUDA graphs on a GPU); same logits
            within float rounding, the first batch of each shape compiles for tens of seconds.
            Defaults to False.
        precision: the network's arithmetic, ``"float32"`` or ``"bfloat16"`` (autocast). Defaults
            to None: bfloat16 on CUDA, float32 on a CPU. On a CPU with bfloat16 instructions
            (AVX-512 BF16, AMX) bfloat16 runs the network 1.6–2.6× faster; it moves a few edges
            near the threshold and almost never a prediction (BENCHMARKS.md).
        threshold: commit the hard pipeline's edges above this logit at every noise level,
            instead of the model's threshold for the circuit's noise (:attr:`threshold`); a list
            gives one threshold per edge class, in the model's class order
            (:meth:`qec.PreDecoder.with_threshold`). The correlated and reweighted modes keep the
            model's. Defaults to None (the model's).

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.005")
        >>> decoder = Decoder.from_circuit(circuit, model="default")
        >>> dets, obs = circuit.compile_detector_sampler(seed=5).sample(100, separate_observables=True)
        >>> predictions = decoder.decode_batch(dets)
        >>> predictions.shape, predictions.dtype
        ((100, 1), dtype('bool'))
        >>> decoder.last_stats.shots
        100
    """

    def __init__(self, graph: DecodingGraph | stim.Circuit | stim.DetectorErrorModel, *,
                 model: "str | os.PathLike | PreDecoder | None" = "default", correlated: bool = False,
                 device: str | torch.device | None = None, batch_size: int = 512,
                 matching_dem: stim.DetectorErrorModel | None = None, block: tuple | None = None,
                 matching_workers: int = 0, reweight: bool = False, shortcut: bool = False,
                 compile: bool = False, precision: str | None = None, threshold: float | list[float] | None = None):
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size}; expected >= 1")
        if matching_workers < 0:
            raise ValueError(f"matching_workers={matching_workers}; expected >= 0")
        self.matching_workers = matching_workers
        self.graph = graph = DecodingGraph.of(graph)
        self.correlated = bool(correlated)
        self.device = resolve_device(device)
        self.batch_size = batch_size
        if matching_dem is not None:
            check_matching_dem(matching_dem, graph)
        self.predecoder = None if model is None else PreDecoder.load(model)
        if threshold is not None:
            if self.predecoder is None:
                raise ValueError("threshold needs a model: it is the network's decision threshold")
            self.predecoder = self.predecoder.with_threshold(threshold)
        self.reweight = bool(reweight)
        if self.reweight and self.predecoder is None:
            raise ValueError("reweight=True needs a model: the weights come from the network's logits")
        self.shortcut = bool(shortcut)
        if self.shortcut and (not self.reweight or self.correlated):
            raise ValueError("shortcut=True is a way of reweighted uncorrelated matching; "
                             "use it with reweight=True and correlated=False")
        scales = ({} if self.predecoder is None else
                  dict(reweight_scale=self.predecoder.reweight_scale,
                       reweight_scale_correlated=self.predecoder.reweight_scale_correlated))
        self._matching = ResidualMatching(graph, matching_dem=matching_dem, **scales)
        self.matcher: Matcher = self._matching.matcher
        self._pool: MatchingPool | None = None
        self._bound = (None if self.predecoder is None
                       else self.predecoder.bind(graph, device=self.device, block=block, compile=compile,
                                                 precision=precision))
        self.last_stats = DecodeStats()
        self.total_stats = DecodeStats()

    @staticmethod
    def from_circuit(circuit: stim.Circuit, **kwargs) -> "Decoder":
        """A decoder for a Stim circuit; keyword arguments as for :class:`Decoder`."""
        return Decoder(DecodingGraph.from_circuit(circuit), **kwargs)

    @staticmethod
    def from_detector_error_model(dem: stim.DetectorErrorModel, **kwargs) -> "Decoder":
        """A decoder for a decomposed DEM with ``(x, y, t)`` detector coordinates."""
        return Decoder(DecodingGraph.from_dem(dem), **kwargs)

    @property
    def num_detectors(self) -> int:
        return self.graph.num_detectors

    @property
    def threshold(self) -> float | list[float] | None:
        """The hard pipeline's threshold for this circuit (the model's for its noise, or the one
        given; a list when it is one per edge class); None without a model."""
        return None if self._bound is None else self._bound.threshold

    @property
    def precision(self) -> str | None:
        """The network's arithmetic, ``"float32"`` or ``"bfloat16"``; None without a model."""
        return None if self._bound is None else self._bound.precision

    def predecode(self, dets, *, enable_correlations: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Runs only the pre-decoder.

        Args:
            dets: ``bool, shape=(num_shots, num_detectors)`` (numpy, torch or cupy).
            enable_correlations: prepare the residual for correlated matching (commit no edge that
                would hide a correlation; see :meth:`BoundPreDecoder.correlation_safe`). Defaults
                to None (the decoder's ``correlated`` setting).

        Returns:
            ``(residual, obs_flip)``: ``bool`` numpy arrays of shapes ``(num_shots, num_detectors)`` and
            ``(num_shots, num_observables)``. Without a model the residual is the input.
        """
        variant = self._variant(enable_correlations)
        return self.predecode_variants(dets, variants=(variant,))[variant][:2]

    def predecode_variants(self, dets, *, variants: tuple = (False, True)) -> dict:
        """The pre-decoder's output for several kinds of residual matching from one network pass:
        ``{variant: (residual, obs_flip, ...)}``, variants as in :meth:`BoundPreDecoder.run`
        (False: uncorrelated, True: correlated, "reweighted": the logits come third)."""
        return self._predecode(self._check_dets(dets, bit_packed=False), variants)

    def _predecode_chunks(self, shots: torch.Tensor, variants: tuple):
        """Yields ``{variant: (residual, obs_flip, ...)}`` as numpy arrays, one network batch at a time."""
        for start in range(0, len(shots), self.batch_size):
            chunk = shots[start:start + self.batch_size]
            if self.device.type == "cuda":  # page-locked, so the copy to the GPU runs asynchronously
                chunk = chunk.pin_memory()
            chunk = chunk.to(self.device, non_blocking=True)
            yield {v: tuple(x.cpu().numpy() for x in out) for v, out in self._bound.run(chunk, variants=variants).items()}

    def _predecode(self, shots: torch.Tensor, variants: tuple) -> dict:
        if self._bound is None:
            residual = shots.cpu().numpy()
            return {v: (residual, np.zeros((len(residual), self.graph.num_observables), dtype=bool)) for v in variants}
        chunks = list(self._predecode_chunks(shots, variants))
        return {v: self._concat([c[v] for c in chunks], v) for v in variants}

    def _variant(self, enable_correlations: bool | None):
        """The pre-decoder variant (see :meth:`BoundPreDecoder.run`) that this call's matching needs."""
        correlated = self.correlated if enable_correlations is None else bool(enable_correlations)
        if self.reweight:
            if correlated:
                return "reweighted-correlated"
            return "reweighted-shortcut" if self.shortcut else "reweighted"
        return correlated

    def reweighted_matcher(self, variant: str) -> PosteriorMatcher:
        """The matcher of a reweighted variant (built on first use; see :meth:`ResidualMatching.reweighted_matcher`)."""
        if self.predecoder is None:
            raise ValueError("reweighted matching needs a model: the weights come from the network's logits")
        return self._matching.reweighted_matcher(variant)

    def match_residual(self, parts: tuple, variant) -> np.ndarray:
        """Matching's prediction for one variant's ``(residual, obs_flip, ...)`` (see
        :meth:`predecode_variants`), without the pre-decoder's flips: XOR them in for the pipeline's."""
        if variant in REWEIGHTED_VARIANTS:
            self.reweighted_matcher(variant)  # a clear error without a model
        return self._matching.match(parts[0], variant, *parts[2:3])

    def matching_pool(self) -> MatchingPool:
        """The worker processes of ``matching_workers`` (started on first use, stopped with the decoder)."""
        if self._pool is None:
            if not self.matching_workers:
                raise ValueError("this decoder has matching_workers=0")
            self._pool = MatchingPool(self._matching, self.matching_workers)
            weakref.finalize(self, self._pool.close)
        return self._pool

    def _concat(self, parts: list, variant) -> tuple:
        """Joins per-batch tuples; no batches gives empty arrays of the right widths."""
        if parts:
            return tuple(np.concatenate(column) for column in zip(*parts))
        empty = (np.zeros((0, self.num_detectors), dtype=bool), np.zeros((0, self.graph.num_observables), dtype=bool))
        logits = (np.zeros((0, self.graph.num_edges), dtype=np.float32),)
        return empty + (logits if variant in REWEIGHTED_VARIANTS else ())

    def stream(self, num_shots: int, *, commit_rounds: int = 4, buffer_rounds: int = 4,
               rounds: int | None = None) -> "StreamDecoder":
        """A :class:`StreamDecoder` for ``num_shots`` shots: push rounds one at a time, then ``finish()``.

        Args:
            num_shots: shots decoded together.
            commit_rounds: layers committed per matching window. Defaults to 4.
            buffer_rounds: layers of look-ahead per window. Defaults to 4.
            rounds: decode a memory experiment of this many rounds of the decoder's circuit (its
                grid has ``rounds + 1`` time layers), read off the decoder's shorter circuit: the
                first and last rounds are the circuit's own and every round in between repeats its
                middle one, so memory does not grow with ``rounds``. The circuit needs at least 6
                rounds, and its middle rounds must repeat (checked). Defaults to None (the
                decoder's own circuit).

        Examples:
            >>> import qec
            >>> short = qec.Decoder.from_circuit(qec.generate_circuit(3, 8, basis="x", noise="uniform:0.004"))
            >>> stream = short.stream(16, rounds=1000)  # a 1,000-round experiment, never built whole
            >>> len(stream.layer_detectors), len(stream.layer_detectors[500])
            (1001, 8)
        """
        from qec._stream import StreamDecoder
        if self.reweight or self.correlated:
            raise ValueError("the stream matches windows of the plain residual graph, uncorrelated; use a decoder "
                             "with reweight=False and correlated=False for streaming")
        return StreamDecoder(self, num_shots, commit_rounds=commit_rounds, buffer_rounds=buffer_rounds, rounds=rounds)

    def decode(self, dets) -> np.ndarray:
        """Decodes one shot: ``bool (num_detectors,)`` → ``bool (num_observables,)``."""
        dets = np.asarray(dets)
        if dets.ndim != 1:
            raise ValueError(f"decode takes one shot of shape ({self.num_detectors},); got shape {dets.shape}; "
                             "use decode_batch for many shots")
        return self.decode_batch(dets[None, :])[0]

    def decode_batch(self, dets, *, bit_packed_shots: bool = False, bit_packed_predictions: bool = False,
                     return_residual: bool = False, enable_correlations: bool | None = None,
                     progress: bool = False):
        """Decodes a batch of shots.

        Args:
            dets: ``bool`` (or 0/1 integers), ``shape=(num_shots, num_detectors)``; or with
                ``bit_packed_shots=True``, ``uint8, shape=(num_shots, ceil(num_detectors / 8))``,
                little bit order. numpy, torch and cupy arrays are accepted.
            bit_packed_shots: the input is bit-packed. Defaults to False.
            bit_packed_predictions: return ``uint8 (num_shots, ceil(num_observables / 8))``. Defaults to False.
            return_residual: also return the residual events ``bool (num_shots, num_detectors)``. Defaults to False.
            enable_correlations: correlated matching on the residual. Defaults to None (the
                decoder's ``correlated`` setting).
            progress: show a progress bar (``tqdm.auto``: a widget in a notebook), decoding
                ``8 * batch_size`` shots at a time; the predictions are the same. Defaults to False.

        Returns:
            The predictions ``bool (num_shots, num_observables)`` (or bit-packed), and the residual
            when ``return_residual`` is set. ``last_stats`` holds this call's :class:`DecodeStats`.

        Raises:
            ValueError: wrong shape, dtype or detector count.

        Examples:
            >>> import qec
            >>> circuit = qec.generate_circuit(5, 5, noise="uniform:0.005")
            >>> dets = circuit.compile_detector_sampler(seed=1).sample(3000)
            >>> decoder = qec.Decoder(circuit, device="cpu", batch_size=128)
            >>> bool((decoder.decode_batch(dets, progress=True) == decoder.decode_batch(dets)).all())
            True
        """
        variant = self._variant(enable_correlations)
        shots = self._check_dets(dets, bit_packed=bit_packed_shots)
        if progress:
            predictions, residual = self._decode_with_progress(shots, enable_correlations)
            if bit_packed_predictions:
                predictions = np.packbits(predictions, axis=1, bitorder="little")
            return (predictions, residual) if return_residual else predictions
        if self.matching_workers and self._bound is not None:
            predictions, residual, t0, t1, t2 = self._decode_overlapped(shots, variant)
        else:
            t0 = time.perf_counter()
            parts = self._predecode(shots, (variant,))[variant]
            t1 = time.perf_counter()
            residual = parts[0]
            predictions = self.match_residual(parts, variant) ^ parts[1]
            t2 = time.perf_counter()
        self.last_stats = DecodeStats(
            shots=len(residual), detectors=self.num_detectors, events_in=int(shots.sum()),
            events_residual=int(residual.sum()), seconds_predecoder=t1 - t0, seconds_matching=t2 - t1)
        self.total_stats = self.total_stats + self.last_stats
        if bit_packed_predictions:
            predictions = np.packbits(predictions, axis=1, bitorder="little")
        return (predictions, residual) if return_residual else predictions

    def _decode_with_progress(self, shots: torch.Tensor, enable_correlations: bool | None) -> tuple:
        """:meth:`decode_batch` a part at a time behind a progress bar; ``last_stats`` covers every part."""
        from tqdm.auto import tqdm
        size = 8 * self.batch_size
        predictions, residuals, stats = [], [], DecodeStats()
        with tqdm(total=len(shots), desc="decode", unit="shot") as bar:
            for start in range(0, len(shots), size):
                part, residual = self.decode_batch(shots[start:start + size], return_residual=True,
                                                   enable_correlations=enable_correlations)
                predictions.append(part)
                residuals.append(residual)
                stats = stats + self.last_stats
                bar.update(len(part))
        self.last_stats = stats
        if not predictions:  # no shots
            return self.decode_batch(shots, return_residual=True, enable_correlations=enable_correlations)
        return np.concatenate(predictions), np.concatenate(residuals)

    def _decode_overlapped(self, shots: torch.Tensor, variant):
        """Network on batch k + 1 while worker processes match batch k; the stats count the overlap once."""
        pool = self.matching_pool()
        t0 = t = time.perf_counter()
        network_seconds, chunks, futures = 0.0, [], []
        for chunk in self._predecode_chunks(shots, (variant,)):
            network_seconds += time.perf_counter() - t
            chunks.append(chunk[variant])
            batch_residual, _, *logits = chunk[variant]  # the flips stay here; matching needs the logits only to reweight
            futures.append(pool.submit(batch_residual, variant, *logits))
            t = time.perf_counter()
        matched = [f.result() for f in futures]
        t2 = time.perf_counter()
        residual, flips = self._concat(chunks, variant)[:2]
        predictions = (np.concatenate(matched) if matched else np.zeros_like(flips)) ^ flips
        return predictions, residual, t0, t0 + network_seconds, t2

    def _check_dets(self, dets, *, bit_packed: bool) -> torch.Tensor:
        """Validates and unpacks detection events into a ``bool (num_shots, num_detectors)`` CPU tensor."""
        events = check_events(dets, self.num_detectors, bit_packed=bit_packed, flag="bit_packed_shots",
                              num_observables=self.graph.num_observables)
        return torch.from_numpy(np.ascontiguousarray(events))  # torch takes no negative strides (a reversed view)

    def __repr__(self) -> str:
        T, H, W = self.graph.grid_shape
        model = "none (PyMatching alone)" if self.predecoder is None else self.predecoder.metadata.get("name", "custom")
        matching = (("reweighted (shortcut) " if self.shortcut else "reweighted " if self.reweight else "")
                    + ("correlated" if self.correlated else "uncorrelated"))
        return (f"<qec.Decoder: {self.num_detectors} detectors, grid {T}x{H}x{W}, model {model}, "
                f"{matching} matching, device {self.device}>")

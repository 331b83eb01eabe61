"""The pre-decoder: network logits → edge decisions → residual detection events + observable flips."""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib.resources
import math
import numbers
import os
from typing import Any

import numpy as np
import stim
import torch

from qec._blocks import blockwise
from qec._device import resolve_device, warn_if_slow_precision
from qec._graph import BOUNDARY, DecodingGraph
from qec._network import NetworkConfig, PreDecoderNet

POLICIES = ("mutual", "threshold")
PRECISIONS = ("float32", "bfloat16")
CHECKPOINT_FORMAT = "qec-predecoder-v1"
SHIPPED_MODELS = ("default", "fast", "accurate", "accurate-mlp")
# The variants of BoundPreDecoder.run whose output carries the logits, for reweighted matching.
REWEIGHTED_VARIANTS = ("reweighted", "reweighted-shortcut", "reweighted-correlated")


def load_checkpoint_file(path: str | os.PathLike) -> dict:
    """The dict a qec checkpoint file holds, read without running code from the file.

    ``torch.load(..., weights_only=True)``, with NumPy arrays allowed (a training checkpoint keeps
    NumPy's random state), so a model file from elsewhere cannot execute anything on load.

    Examples:
        >>> ckpt = load_checkpoint_file(importlib.resources.files("qec.models") / "default.pt")
        >>> ckpt["format"], ckpt["network"]["width"], ckpt["metadata"]["steps"]
        ('qec-predecoder-v1', 32, 9000)

    Raises:
        ValueError: ``path`` is not a file, or does not hold a qec checkpoint.
    """
    if not os.path.isfile(path):
        raise ValueError(f"{os.fspath(path)!r} is not a file; expected a qec pre-decoder checkpoint (.pt)")
    try:
        with torch.serialization.safe_globals(_numpy_globals()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(f"{os.fspath(path)} is not a qec pre-decoder checkpoint (format {CHECKPOINT_FORMAT!r}): "
                         f"torch.load(weights_only=True) failed with {type(e).__name__}: "
                         f"{str(e).splitlines()[0][:200] if str(e) else ''}") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{os.fspath(path)} is not a qec pre-decoder checkpoint (format {CHECKPOINT_FORMAT!r})")
    return ckpt


@functools.cache
def _numpy_globals() -> list:
    """What unpickling NumPy arrays and scalars of the plain numeric dtypes needs, and no more."""
    dtypes = [np.dtype(c) for c in "?bBhHiIlLqQefdgFDG"]
    return [np.zeros(1).__reduce__()[0], np.float64(0).__reduce__()[0], np.ndarray, np.dtype,
            *{type(dtype) for dtype in dtypes}]


class PreDecoder:
    """A trained network plus the rule that turns its logits into committed edges.

    Decision policies:
        - ``"mutual"`` (default): an edge is applied when its logit clears ``threshold``, every
          detector it touches holds a detection event, and it is the highest-scoring such edge
          at each of its detectors. Applied edges never share a detector, so each one removes
          exactly its endpoints' events and never creates a new one.
        - ``"threshold"``: every edge whose logit clears ``threshold`` is applied.

    ``threshold_by_density`` makes the hard threshold follow the circuit's noise: pairs
    ``(density, threshold)`` in ascending density; a circuit whose noise model produces fewer
    detection events per detector than a pair's density (:attr:`qec.DecodingGraph.expected_density`)
    takes the threshold of the first such pair, one at or above them all takes ``threshold``. The
    threshold that is best at one noise level over-commits at lower noise (BENCHMARKS.md, "A
    threshold by the circuit's noise"). ``threshold_by_timelike_ratio`` does the same for the
    noise's kind: entries ``(ratio, threshold, by_density)`` in ascending ratio; a circuit whose
    :attr:`qec.DecodingGraph.timelike_ratio` is at or above an entry's ratio takes the rule of the
    last such entry, ``threshold`` and its own ``(density, threshold)`` pairs, instead of the rule
    by density above. A network trained on uniform noise, whose rule by density was tuned there,
    over-commits under SI1000, which makes as many events at a lower strength but leans on
    measurements (BENCHMARKS.md, "A threshold by the kind of noise").
    ``threshold_floor_by_noise_spread`` raises whichever of those rules applies to at least a
    floor where the noise varies from place to place: entries ``(spread, floor)`` in ascending
    spread; a circuit whose :attr:`qec.DecodingGraph.noise_spread` is at or above an entry's spread
    commits above the larger of its rule's threshold and the last such entry's floor. A network
    trained on noise that is the same on every qubit over-commits where qubits differ
    (BENCHMARKS.md, "Per-qubit noise" and "A floor by how much the noise varies").
    ``threshold_by_class`` (set by :meth:`with_threshold`),
    one threshold per class in :attr:`classes` order, replaces them all at every noise level, for
    experiments with per-class rules (BENCHMARKS.md, "A threshold per edge class": none has yet
    beaten one threshold on enough shots to tell).

    Reweighted matching (``qec.Decoder(..., reweight=True)``) commits the edges above
    ``threshold_reweighted`` (infinite: none) and matches the rest on a graph whose judged edges
    move by ``reweight_scale`` times their logits; its two-pass correlated form commits above
    ``threshold_reweighted_correlated`` (correlation-safe commits) and moves weights by
    ``reweight_scale_correlated`` (see :class:`qec.PosteriorMatcher` and :class:`qec.ShortcutMatcher`).

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> pre = PreDecoder.untrained(classes=graph.classes, width=4, depth=1)
        >>> pre
        <qec.PreDecoder: 9 classes, width 4, depth 1, R=3, 373 parameters, policy mutual, threshold 0>
    """

    def __init__(self, net: PreDecoderNet, *, classes: list, threshold: float = 0.0, policy: str = "mutual",
                 threshold_correlated: float | None = None, reweight_scale: float = 0.25,
                 reweight_scale_correlated: float = 0.1, threshold_reweighted: float = float("inf"),
                 threshold_reweighted_correlated: float | None = None,
                 threshold_by_density: list | None = None, threshold_by_class: list | None = None,
                 threshold_by_timelike_ratio: list | None = None, threshold_floor_by_noise_spread: list | None = None,
                 metadata: dict | None = None):
        if policy not in POLICIES:
            raise ValueError(f"policy {policy!r} is unknown; expected one of {POLICIES}")
        if len(classes) != net.config.num_classes:
            raise ValueError(f"{len(classes)} classes given for a network with {net.config.num_classes} outputs")
        self.net = net
        self.classes = [tuple(int(v) for v in c) for c in classes]
        self.threshold = float(threshold)
        # The residual for correlated matching may want a more cautious threshold (fewer hidden correlations).
        self.threshold_correlated = self.threshold if threshold_correlated is None else float(threshold_correlated)
        self.reweight_scale = float(reweight_scale)
        self.reweight_scale_correlated = float(reweight_scale_correlated)
        self.threshold_reweighted = float(threshold_reweighted)
        self.threshold_reweighted_correlated = (self.threshold_reweighted if threshold_reweighted_correlated is None
                                                else float(threshold_reweighted_correlated))
        self.threshold_by_density = threshold_by_density
        self.threshold_by_timelike_ratio = threshold_by_timelike_ratio
        self.threshold_floor_by_noise_spread = threshold_floor_by_noise_spread
        self.threshold_by_class = threshold_by_class
        self.policy = policy
        self.metadata = dict(metadata or {})

    @staticmethod
    def untrained(*, classes: list, width: int = 32, depth: int = 4, kernel: int = 3, residual: bool = False,
                  mlp: int = 0, seed: int = 0) -> "PreDecoder":
        """A freshly initialised pre-decoder for the given edge classes."""
        torch.manual_seed(seed)
        net = PreDecoderNet(NetworkConfig(num_classes=len(classes), width=width, depth=depth, kernel=kernel,
                                          residual=residual, mlp=mlp))
        return PreDecoder(net, classes=classes)

    @staticmethod
    def load(model: "str | os.PathLike | PreDecoder") -> "PreDecoder":
        """A shipped model by name (``"default"``), a checkpoint path, or a ``PreDecoder`` as is.

        Raises:
            ValueError: an unknown name (the message lists the shipped ones).
        """
        if isinstance(model, PreDecoder):
            return model
        name = os.fspath(model)
        if name in SHIPPED_MODELS:
            resource = importlib.resources.files("qec.models") / f"{name}.pt"
            with importlib.resources.as_file(resource) as path:
                return PreDecoder.from_checkpoint(path)
        if not os.path.isfile(name):
            raise ValueError(f"model {name!r} is neither a shipped model {SHIPPED_MODELS} nor an existing file")
        return PreDecoder.from_checkpoint(name)

    @staticmethod
    def from_checkpoint(path: str | os.PathLike) -> "PreDecoder":
        """Rebuilds a pre-decoder from a checkpoint file alone (training or exported)."""
        return PreDecoder.from_checkpoint_dict(load_checkpoint_file(path))

    @staticmethod
    def from_checkpoint_dict(ckpt: dict) -> "PreDecoder":
        """Rebuilds a pre-decoder from a checkpoint already read (:func:`load_checkpoint_file`)."""
        net = PreDecoderNet(NetworkConfig(**ckpt["network"]))
        net.load_state_dict(ckpt["state_dict"])
        net.eval()
        metadata = dict(ckpt.get("metadata") or {})
        train_config = ckpt.get("train_config") or {}
        if train_config:  # what training_noise_kinds reads; training and export both save the config
            metadata["training_noise"] = ("dem" if train_config.get("train_dem") else ",".join(
                n for n in (train_config.get("noise"), train_config.get("curriculum_noise")) if n))
        return PreDecoder(net, classes=ckpt["classes"], threshold=ckpt["threshold"], policy=ckpt["policy"],
                          threshold_correlated=ckpt.get("threshold_correlated"),
                          reweight_scale=ckpt.get("reweight_scale", 0.25),
                          reweight_scale_correlated=ckpt.get("reweight_scale_correlated", 0.1),
                          threshold_reweighted=ckpt.get("threshold_reweighted", float("inf")),
                          threshold_reweighted_correlated=ckpt.get("threshold_reweighted_correlated"),
                          threshold_by_density=ckpt.get("threshold_by_density"),
                          threshold_by_class=ckpt.get("threshold_by_class"),
                          threshold_by_timelike_ratio=ckpt.get("threshold_by_timelike_ratio"),
                          threshold_floor_by_noise_spread=ckpt.get("threshold_floor_by_noise_spread"), metadata=metadata)

    def checkpoint(self, **extra: Any) -> dict:
        """The dict :meth:`from_checkpoint` reads; ``extra`` keys (optimizer, config, ...) ride along."""
        net = getattr(self.net, "_orig_mod", self.net)  # unwrap torch.compile
        return {"format": CHECKPOINT_FORMAT, "network": dataclasses.asdict(net.config), "classes": self.classes,
                "threshold": self.threshold, "threshold_correlated": self.threshold_correlated,
                "reweight_scale": self.reweight_scale, "reweight_scale_correlated": self.reweight_scale_correlated,
                "threshold_reweighted": self.threshold_reweighted,
                "threshold_reweighted_correlated": self.threshold_reweighted_correlated,
                "threshold_by_density": self.threshold_by_density, "threshold_by_class": self.threshold_by_class,
                "threshold_by_timelike_ratio": self.threshold_by_timelike_ratio,
                "threshold_floor_by_noise_spread": self.threshold_floor_by_noise_spread,
                "policy": self.policy, "metadata": self.metadata,
                "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()}, **extra}

    @property
    def training_noise_kinds(self) -> set[str] | None:
        """The noise-model kinds the network was trained on (``{"uniform"}``, ``{"uniform", "si1000"}``,
        ``{"dem"}`` for a learned DEM), or None where the checkpoint does not say.

        Examples:
            >>> pre = PreDecoder.untrained(classes=[(0, 0, 0, 1)], width=4, depth=1)
            >>> pre.metadata["training_noise"] = "uniform:0.004,si1000:0.002"
            >>> sorted(pre.training_noise_kinds)
            ['si1000', 'uniform']
        """
        noise = self.metadata.get("training_noise")
        if not noise:
            return None
        return {part.split(":")[0].strip().lower() for part in noise.split(",") if part.strip()}

    @property
    def threshold_by_density(self) -> list[tuple[float, float]]:
        """``(density, threshold)`` pairs, ascending in density (see the class docstring); may be empty."""
        return self._threshold_by_density

    @threshold_by_density.setter
    def threshold_by_density(self, pairs: list | None) -> None:
        self._threshold_by_density = _density_pairs(pairs)

    @property
    def threshold_by_timelike_ratio(self) -> list[tuple[float, float, list[tuple[float, float]]]]:
        """``(ratio, threshold, by_density)`` entries, ascending in ratio (see the class docstring); may be
        empty. Set it with ``(ratio, threshold)`` or ``(ratio, threshold, [(density, threshold), ...])`` entries."""
        return self._threshold_by_timelike_ratio

    @threshold_by_timelike_ratio.setter
    def threshold_by_timelike_ratio(self, entries: list | None) -> None:
        rules = []
        for entry in entries or []:
            ratio, threshold, *rest = entry
            rules.append((float(ratio), float(threshold), _density_pairs(rest[0] if rest else [])))
        ratios = [ratio for ratio, _, _ in rules]
        if ratios != sorted(set(ratios)) or any(not ratio > 0 for ratio in ratios):
            raise ValueError(f"threshold_by_timelike_ratio={entries}; expected (ratio, threshold[, by_density]) "
                             "entries with distinct positive ratios, ascending")
        self._threshold_by_timelike_ratio = rules

    @property
    def threshold_floor_by_noise_spread(self) -> list[tuple[float, float]]:
        """``(spread, floor)`` entries, ascending in spread (see the class docstring); may be empty."""
        return self._threshold_floor_by_noise_spread

    @threshold_floor_by_noise_spread.setter
    def threshold_floor_by_noise_spread(self, entries: list | None) -> None:
        floors = [(float(spread), float(floor)) for spread, floor in entries or []]
        spreads = [spread for spread, _ in floors]
        if spreads != sorted(set(spreads)) or any(not spread > 0 for spread in spreads):
            raise ValueError(f"threshold_floor_by_noise_spread={entries}; expected (spread, floor) entries "
                             "with distinct positive spreads, ascending")
        self._threshold_floor_by_noise_spread = floors

    def threshold_at(self, density: float, timelike_ratio: float = float("nan"),
                     noise_spread: float = float("nan")) -> float:
        """The hard threshold for a circuit whose noise gives ``density`` detection events per
        detector and whose DEM has this :attr:`qec.DecodingGraph.timelike_ratio` and
        :attr:`qec.DecodingGraph.noise_spread` (NaN: not known).

        Examples:
            >>> pre = PreDecoder.untrained(classes=[(0, 0, 0)], width=4, depth=1)
            >>> pre.threshold, pre.threshold_by_density = 2.0, [(0.055, 4.0), (0.075, 3.0)]
            >>> [pre.threshold_at(density) for density in (0.04, 0.06, 0.09)]
            [4.0, 3.0, 2.0]
            >>> pre.threshold_by_timelike_ratio = [(2.2, 4.0, [(0.068, 6.0)])]
            >>> [pre.threshold_at(density, timelike_ratio=2.7) for density in (0.055, 0.09)]
            [6.0, 4.0]
            >>> pre.threshold_at(0.09, timelike_ratio=1.9)
            2.0
            >>> pre.threshold_floor_by_noise_spread = [(0.3, 4.0)]
            >>> [pre.threshold_at(0.09, timelike_ratio=1.9, noise_spread=s) for s in (0.1, 0.6)]
            [2.0, 4.0]
            >>> pre.threshold_at(0.055, timelike_ratio=2.7, noise_spread=0.6)  # a floor never lowers
            6.0
        """
        threshold, pairs = self.timelike_rule(timelike_ratio) or (self.threshold, self.threshold_by_density)
        threshold = threshold_for_density(pairs, density, threshold)
        floors = [floor for spread, floor in self.threshold_floor_by_noise_spread if noise_spread >= spread]
        return max(threshold, floors[-1]) if floors else threshold

    def timelike_rule(self, timelike_ratio: float) -> tuple[float, list[tuple[float, float]]] | None:
        """``(threshold, by_density)`` of the last :attr:`threshold_by_timelike_ratio` entry at or below
        ``timelike_ratio``, or None where none is (the rule by density applies).

        Examples:
            >>> pre = PreDecoder.untrained(classes=[(0, 0, 0)], width=4, depth=1)
            >>> pre.threshold_by_timelike_ratio = [(2.25, 5.0, [(0.068, 6.0)])]
            >>> pre.timelike_rule(2.7), pre.timelike_rule(1.9)
            ((5.0, [(0.068, 6.0)]), None)
        """
        rules = [(thr, pairs) for ratio, thr, pairs in self.threshold_by_timelike_ratio if timelike_ratio >= ratio]
        return rules[-1] if rules else None

    @property
    def threshold_by_class(self) -> list[float] | None:
        """The hard threshold of each class in :attr:`classes` order, or None (one threshold for all)."""
        return self._threshold_by_class

    @threshold_by_class.setter
    def threshold_by_class(self, thresholds: list | None) -> None:
        if thresholds is not None:
            thresholds = [float(t) for t in thresholds]
            if len(thresholds) != len(self.classes) or any(math.isnan(t) for t in thresholds):
                raise ValueError(f"threshold_by_class={thresholds}; expected {len(self.classes)} numbers, one per "
                                 f"edge class in the model's order {self.classes}")
        self._threshold_by_class = thresholds

    def with_threshold(self, threshold: "float | list[float]") -> "PreDecoder":
        """A copy (sharing the network) whose hard pipeline commits above ``threshold`` at every
        noise level: one number for every edge, or one per edge class in :attr:`classes` order. The
        model's threshold by the circuit's noise is dropped; the correlated and reweighted
        thresholds stay the model's.

        Examples:
            >>> pre = PreDecoder.untrained(classes=[(0, 0, 1, 1), (0, 1, 0, 0)], width=4, depth=1)
            >>> pre.threshold, pre.threshold_by_density = 2.0, [(0.055, 4.0)]
            >>> fixed = pre.with_threshold(1)
            >>> fixed.threshold_at(0.04), pre.threshold_at(0.04), fixed.net is pre.net
            (1.0, 4.0, True)
            >>> pre.with_threshold([3, 1.5]).threshold_by_class
            [3.0, 1.5]
        """
        fixed = copy.copy(self)
        fixed.threshold_by_density = None
        fixed.threshold_by_timelike_ratio = None
        fixed.threshold_floor_by_noise_spread = None
        if isinstance(threshold, numbers.Real):
            if math.isnan(threshold):
                raise ValueError("threshold=nan; expected a number (inf commits nothing)")
            fixed.threshold, fixed.threshold_by_class = float(threshold), None
        else:
            fixed.threshold_by_class = list(threshold)
        return fixed

    def save(self, path: str | os.PathLike, **extra: Any) -> None:
        torch.save(self.checkpoint(**extra), path)

    def bind(self, graph: DecodingGraph | stim.Circuit | stim.DetectorErrorModel, *, device: str | torch.device = "cpu",
             block: tuple | None = None, compile: bool = False, precision: str | None = None) -> "BoundPreDecoder":
        """Prepares the index tables that place ``graph``'s detectors and edges on the network's grid.

        Args:
            graph: the decoding graph, or the Stim circuit or decomposed DEM it comes from
                (:meth:`DecodingGraph.of`).
            device: where the network runs. Defaults to ``"cpu"``.
            block: interior ``(rounds, rows, cols)`` of the blocks for block-wise inference (None
                along an axis keeps it whole). Defaults to None (the whole volume at once).
            compile: run the network through ``torch.compile`` (with CUDA graphs on a GPU). The
                first batch of each shape pays the compilation (tens of seconds). Defaults to False.
            precision: the network's arithmetic, ``"float32"`` or ``"bfloat16"`` (autocast; weights
                stay float32). Defaults to None: bfloat16 on CUDA, float32 on a CPU.

        Raises:
            ValueError: the graph has an edge class the model was not trained on, an unknown
                precision, or a device this PyTorch does not have.
        """
        return BoundPreDecoder(self, DecodingGraph.of(graph), resolve_device(device), block=block, compile=compile, precision=precision)

    def __repr__(self) -> str:
        cfg = self.net.config
        head = (f"<qec.PreDecoder: {len(self.classes)} classes, width {cfg.width}, depth {cfg.depth}"
                f"{' residual' if cfg.residual else ''}{f' mlp {cfg.mlp}' if cfg.mlp else ''}, "
                f"R={cfg.receptive_field}, {self.net.num_parameters} parameters, policy {self.policy}, ")
        rules = "".join(f", {thr:g} below density {rho:g}" for rho, thr in self.threshold_by_density)
        for ratio, thr, pairs in self.threshold_by_timelike_ratio:
            rules += f"; from time-like ratio {ratio:g}: {thr:g}" + "".join(
                f", {t:g} below density {rho:g}" for rho, t in pairs)
        rules += "".join(f"; at least {floor:g} from noise spread {spread:g}"
                         for spread, floor in self.threshold_floor_by_noise_spread)
        if self.threshold_by_class is not None:
            return head + f"thresholds by class {','.join(f'{t:g}' for t in self.threshold_by_class)}>"
        return head + f"threshold {self.threshold:g}{rules}>"


class BoundPreDecoder:
    """A :class:`PreDecoder` tied to one decoding graph and device; runs batches of shots.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> bound = qec.PreDecoder.load("default").bind(circuit)
        >>> dets = torch.as_tensor(circuit.compile_detector_sampler(seed=1).sample(100))
        >>> logits = bound.edge_logits(dets)  # one per shot and graph edge
        >>> residual, flips = bound.apply(bound.decide(logits, dets), dets)
        >>> tuple(logits.shape), tuple(residual.shape), tuple(flips.shape)
        ((100, 78), (100, 24), (100, 1))
        >>> bool(residual.sum() < dets.sum() / 2)  # most events explained by committed edges
        True
    """

    def __init__(self, predecoder: PreDecoder, graph: DecodingGraph, device: torch.device, block: tuple | None = None,
                 compile: bool = False, precision: str | None = None):
        if precision is None:
            precision = "bfloat16" if device.type == "cuda" else "float32"
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r}; expected one of {PRECISIONS} (or None: the device's default)")
        warn_if_slow_precision(device, precision)
        self.precision = precision
        model_class = {c: i for i, c in enumerate(predecoder.classes)}
        missing = [c for c in graph.classes if c not in model_class]
        if missing:
            raise ValueError(
                f"the circuit's decoding graph has edge classes {missing} that the model was not trained on "
                f"(model classes: {predecoder.classes}); train a model on this kind of circuit")
        self.predecoder = predecoder
        self.graph = graph
        self.device = device
        if block is not None and (len(block) != 3 or any(b is not None and b < 1 for b in block)):
            raise ValueError(f"block={block}; expected (rounds, rows, cols), each >= 1 or None")
        self.block = None if block is None or all(b is None for b in block) else tuple(block)
        self.halo = (predecoder.net.config.receptive_field - 1) // 2
        self.net = predecoder.net.to(device)
        if compile:
            # CUDA graphs ("reduce-overhead") remove the per-layer launch cost of small batches on a GPU.
            self.net = torch.compile(self.net, mode="reduce-overhead" if device.type == "cuda" else None)
        T, H, W = graph.grid_shape
        self.grid_shape = graph.grid_shape
        vox = graph.detector_voxels
        self._det_flat = torch.tensor(vox[:, 0] * H * W + vox[:, 1] * W + vox[:, 2], device=device)
        classes = np.array([model_class[graph.classes[k]] for k in graph.edge_classes], dtype=np.int64)
        self._edge_model_class = torch.tensor(classes, device=device)
        anc = graph.edge_anchors
        # Index of each edge's logit in the flattened (C, T, H, W) output.
        self.edge_flat = torch.tensor(classes * T * H * W + anc[:, 0] * H * W + anc[:, 1] * W + anc[:, 2], device=device)
        present = np.zeros(graph.grid_shape, dtype=np.float32)
        present[vox[:, 0], vox[:, 1], vox[:, 2]] = 1
        self._static = torch.tensor(np.stack([present, graph.basis_mask.astype(np.float32)]), device=device)
        endpoints = graph.edge_detectors.copy()
        endpoints[endpoints == BOUNDARY] = graph.num_detectors  # a dummy column that is never read
        self._ends = torch.tensor(endpoints, device=device)
        self._edge_obs = torch.tensor(graph.edge_observables, dtype=torch.float32, device=device)

    @property
    def threshold(self) -> float | list[float]:
        """The hard threshold for this graph: the model's, its threshold by the graph's noise, or its
        thresholds by edge class (a list in the model's class order)."""
        if self.predecoder.threshold_by_class is not None:
            return self.predecoder.threshold_by_class
        # The spread costs a second, uniform-noise DEM of the experiment: read only when a floor asks.
        spread = self.graph.noise_spread if self.predecoder.threshold_floor_by_noise_spread else float("nan")
        return self.predecoder.threshold_at(self.graph.expected_density, self.graph.timelike_ratio, spread)

    @property
    def edge_thresholds(self) -> float | torch.Tensor:
        """:attr:`threshold` as :meth:`decide` takes it: one number, or ``float (num_edges,)`` by class."""
        if self.predecoder.threshold_by_class is None:
            return self.threshold
        by_class = torch.tensor(self.predecoder.threshold_by_class, dtype=torch.float32, device=self.device)
        return by_class[self._edge_model_class]

    @property
    def num_outputs(self) -> int:
        T, H, W = self.grid_shape
        return len(self.predecoder.classes) * T * H * W

    def encode(self, dets: torch.Tensor) -> torch.Tensor:
        """``bool (B, num_detectors)`` → network input ``float (B, 3, T, H, W)``."""
        B = dets.shape[0]
        T, H, W = self.grid_shape
        events = torch.zeros((B, T * H * W), dtype=torch.float32, device=self.device)
        events[:, self._det_flat] = dets.to(torch.float32)
        events = events.view(B, 1, T, H, W)
        return torch.cat([events, self._static.expand(B, -1, -1, -1, -1)], dim=1)  # (B, 3, T, H, W)

    def edge_logits(self, dets: torch.Tensor, *, batch_size: int | None = None) -> torch.Tensor:
        """``bool (B, num_detectors)`` → ``float32 (B, num_edges)`` logits (no gradient).

        With ``batch_size``, the network sees that many shots at a time (bounded memory; the same
        logits). The input goes in channels-last 3D layout, the one GPU convolution kernels prefer
        (the same logits within float rounding; on this project's CPU it neither helps nor hurts).
        """
        if batch_size is not None and len(dets) > batch_size:
            return torch.cat([self.edge_logits(dets[i:i + batch_size]) for i in range(0, len(dets), batch_size)])
        x = self.encode(dets).contiguous(memory_format=torch.channels_last_3d)
        with torch.no_grad(), self.autocast():
            if self.block is None:
                out = self.net(x)  # (B, C, T, H, W)
            else:
                out = blockwise(self.net, x, block=self.block, halo=self.halo)
        return out.reshape(out.shape[0], -1).float()[:, self.edge_flat]

    def autocast(self):
        """The context the network runs in: bfloat16 autocast or none, by :attr:`precision`."""
        return precision_autocast(self.device, self.precision)

    def eligible(self, dets: torch.Tensor) -> torch.Tensor:
        """``bool (B, num_edges)``: edges all of whose detectors hold an event (the only ones ``"mutual"`` applies)."""
        B = dets.shape[0]
        active = torch.cat([dets, torch.ones((B, 1), dtype=torch.bool, device=dets.device)], dim=1)
        return active[:, self._ends[:, 0]] & active[:, self._ends[:, 1]]

    def decide(self, logits: torch.Tensor, dets: torch.Tensor, *, threshold: float | torch.Tensor | None = None,
               policy: str | None = None) -> torch.Tensor:
        """Edge decisions ``bool (B, num_edges)`` from logits, by the pre-decoder's policy and
        :attr:`threshold` (or the one given: a number, or ``float (num_edges,)``)."""
        threshold = self.edge_thresholds if threshold is None else threshold
        policy = self.predecoder.policy if policy is None else policy
        B = dets.shape[0]
        active = torch.cat([dets, torch.ones((B, 1), dtype=torch.bool, device=dets.device)], dim=1)
        return decide_edges(logits, active, self._ends, threshold=threshold, policy=policy)

    def apply(self, decisions: torch.Tensor, dets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Residual events ``bool (B, num_detectors)`` and observable flips ``bool (B, num_observables)``."""
        B, D = dets.shape
        flips = torch.zeros((B, D + 1), dtype=torch.int32, device=dets.device)
        dec = decisions.to(torch.int32)
        flips.index_add_(1, self._ends[:, 0], dec)
        flips.index_add_(1, self._ends[:, 1], dec)
        residual = dets ^ (flips[:, :D] & 1).bool()
        obs_flip = torch.remainder(decisions.to(torch.float32) @ self._edge_obs, 2).bool()
        return residual, obs_flip

    def correlation_safe(self, decisions: torch.Tensor, dets: torch.Tensor) -> torch.Tensor:
        """Drops the decisions that would hide a correlation from correlated matching.

        A Y-type mechanism fires two edges at once (its X and Z parts). Correlated matching uses
        one part, once matched, to make the other cheaper; if the pre-decoder removes one part and
        leaves the other in the residual, that hint is lost. An edge is kept only if each of its
        partners (the other edges of any mechanism that contains it) is committed too, or touches
        no detection event.

        Returns:
            ``bool (B, num_edges)``: a subset of ``decisions``.
        """
        B = dets.shape[0]
        active = torch.cat([dets, torch.zeros((B, 1), dtype=torch.bool, device=dets.device)], dim=1)
        touched = active[:, self._ends[:, 0]] | active[:, self._ends[:, 1]]
        unresolved = (touched & ~decisions).to(torch.float32)  # (B, E)
        unsafe = torch.sparse.mm(self._partners, unresolved.T).T > 0
        return decisions & ~unsafe

    @functools.cached_property
    def _partners(self) -> torch.Tensor:
        """``float (E, E)`` sparse: 1 where two edges are parts of one error mechanism."""
        errors = self.graph.error_edges.tocsr()
        rows, cols = [], []
        for i in range(errors.shape[0]):
            parts = errors.indices[errors.indptr[i]:errors.indptr[i + 1]]
            if len(parts) >= 2:
                for x in parts:
                    for y in parts:
                        if x != y:
                            rows.append(x)
                            cols.append(y)
        pairs = np.unique(np.array([rows, cols], dtype=np.int64).reshape(2, -1), axis=1)
        E = self.graph.num_edges
        return torch.sparse_coo_tensor(torch.as_tensor(pairs), torch.ones(pairs.shape[1]), (E, E),
                                       check_invariants=False).coalesce().to(self.device)

    def run(self, dets: torch.Tensor, *, variants: tuple = (False,)) -> dict:
        """``bool (B, num_detectors)`` → ``{variant: (residual, obs_flip, ...)}`` for each requested variant.

        The logits are computed once. ``False``: the plain decisions (for uncorrelated matching);
        ``True``: the correlated threshold and :meth:`correlation_safe` (for correlated matching);
        ``"reweighted"``: the decisions above ``threshold_reweighted``, and the logits as a third
        element (for :class:`qec.PosteriorMatcher`; ``"reweighted-shortcut"``: the same, for
        :class:`qec.ShortcutMatcher`); ``"reweighted-correlated"``: the decisions
        above ``threshold_reweighted_correlated`` made correlation-safe, and the logits.
        """
        logits = self.edge_logits(dets)
        out = {}
        for variant in variants:
            if variant in ("reweighted", "reweighted-shortcut"):
                chosen = self.decide(logits, dets, threshold=self.predecoder.threshold_reweighted)
                out[variant] = (*self.apply(chosen, dets), logits)
            elif variant == "reweighted-correlated":
                chosen = self.decide(logits, dets, threshold=self.predecoder.threshold_reweighted_correlated)
                out[variant] = (*self.apply(self.correlation_safe(chosen, dets), dets), logits)
            elif variant is True:
                chosen = self.correlation_safe(self.decide(logits, dets, threshold=self.predecoder.threshold_correlated), dets)
                out[variant] = self.apply(chosen, dets)
            elif variant is False:
                out[variant] = self.apply(self.decide(logits, dets), dets)
            else:
                raise ValueError(f"variant {variant!r}; expected False, True, 'reweighted', 'reweighted-shortcut' "
                                 "or 'reweighted-correlated'")
        return out

    def __call__(self, dets: torch.Tensor, *, correlated: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``bool (B, num_detectors)`` → ``(residual, obs_flip)``."""
        return self.run(dets, variants=(correlated,))[correlated]


def _density_pairs(pairs: list | None) -> list[tuple[float, float]]:
    """``(density, threshold)`` pairs as floats, checked: distinct densities in (0, 1), ascending."""
    pairs = [(float(rho), float(thr)) for rho, thr in pairs or []]
    densities = [rho for rho, _ in pairs]
    if densities != sorted(set(densities)) or any(not 0 < rho < 1 for rho in densities):
        raise ValueError(f"threshold_by_density={pairs}; expected (density, threshold) pairs "
                         "with distinct densities in (0, 1), ascending")
    return pairs


def threshold_for_density(pairs: list[tuple[float, float]], density: float, default: float) -> float:
    """The threshold of the first ``(density, threshold)`` pair whose density exceeds ``density``; else ``default``.

    Examples:
        >>> threshold_for_density([(0.055, 4.0), (0.075, 3.0)], 0.06, 2.0)
        3.0
    """
    return next((thr for rho, thr in pairs if density < rho), default)


def parse_threshold_pairs(text: str) -> list[tuple[float, float]]:
    """``"KEY:THRESHOLD,..."`` (as export and the tuning script take a rule by density, by time-like
    ratio or a floor by noise spread) as ``(key, threshold)`` pairs.

    Examples:
        >>> parse_threshold_pairs("0.055:4,0.0695:3")
        [(0.055, 4.0), (0.0695, 3.0)]
        >>> parse_threshold_pairs("")
        []
    """
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        fields = item.split(":")
        try:
            key, threshold = (float(value) for value in fields)
        except ValueError:
            raise ValueError(f"{item!r} in {text!r}: expected KEY:THRESHOLD (a density, a time-like ratio or a noise spread), "
                             "e.g. 0.0695:3") from None
        pairs.append((key, threshold))
    return pairs


def precision_autocast(device: torch.device, precision: str):
    """The autocast context for the network's arithmetic: bfloat16 autocast, or none for float32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def decide_edges(logits: torch.Tensor, active: torch.Tensor, ends: torch.Tensor, *,
                 threshold: float | torch.Tensor, policy: str) -> torch.Tensor:
    """The decision rule on any set of edges.

    Args:
        logits: ``float (B, E)``.
        active: ``bool (B, D + 1)``: events of the detectors the edges touch, plus a last column
            (always True) that boundary edges name as their second endpoint.
        ends: ``int64 (E, 2)``: endpoints, ``D`` for the boundary.
        threshold: logits must exceed it: one number, or ``float (E,)``, one per edge.
        policy: ``"mutual"`` or ``"threshold"`` (see :class:`PreDecoder`).

    Returns:
        ``bool (B, E)``.
    """
    above = logits > threshold
    if policy == "threshold":
        return above
    B, D1 = active.shape
    # Only the few (shot, edge) pairs above the threshold whose ends both fire take part.
    shot, edge = above.nonzero(as_tuple=True)
    a, b = ends[edge, 0], ends[edge, 1]
    eligible = active[shot, a] & active[shot, b]
    shot, edge, a, b = shot[eligible], edge[eligible], a[eligible], b[eligible]
    # A unique integer key per (logit, edge) breaks ties deterministically.
    key = torch.round(logits[shot, edge].double().clamp(-1e6, 1e6) * 2**20).long() * logits.shape[1] + edge
    at_a, at_b = shot * D1 + a, shot * D1 + b
    best = torch.full((B * D1,), torch.iinfo(torch.long).min, dtype=torch.long, device=logits.device)
    best.scatter_reduce_(0, at_a, key, reduce="amax")
    best.scatter_reduce_(0, at_b, key, reduce="amax")
    wins = (key == best[at_a]) & ((b == D1 - 1) | (key == best[at_b]))
    decisions = torch.zeros_like(above)
    decisions[shot[wins], edge[wins]] = True
    return decisions

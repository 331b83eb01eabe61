"""Training a pre-decoder: config, sampling, loss, validation against PyMatching, checkpoints, resume."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import random
import sys
import time
import typing

import numpy as np
import pymatching
import torch
from tqdm import tqdm

import qec
from qec._circuits import generate_circuit
from qec._device import resolve_device, warn_if_slow_precision
from qec._graph import DecodingGraph
from qec._labels import equivalence_labels, teacher_labels
from qec._matching import Matcher
from qec._predecoder import PRECISIONS, PreDecoder, load_checkpoint_file, precision_autocast
from qec._sampling import StimSampler, TorchSampler
from qec._workers import spawn_pool

# Keys a resumed run takes from its checkpoint whatever the command line says: the weights and the optimizer state
# cannot load otherwise. Checkpoints from before a key existed used its default.
RESUME_KEYS = ("width", "depth", "kernel", "residual", "mlp", "optimizer")


def _key(default, help: str):
    """A TrainConfig field: its default and the one line ``--help`` prints for it."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Every training setting, with its default. The resolved config is printed and checkpointed.

    Examples:
        >>> cfg = TrainConfig.from_args(["--steps=10", "--noise=uniform:0.006"])
        >>> cfg.steps, cfg.noise
        (10, 'uniform:0.006')
    """

    # I/O
    out_dir: str = _key("runs/default", "checkpoints go to out_dir/ckpt.pt (latest) and out_dir/best.pt")
    init_from: str = _key("scratch", "'scratch'; 'resume' from out_dir/ckpt.pt; or a model (a shipped name such as "
                                     "'accurate', or a checkpoint path) to fine-tune: its weights and network shape, "
                                     "a fresh optimizer and schedule")
    overwrite: bool = _key(False, "start a run in an out_dir that holds another run's checkpoint, replacing it (without "
                                  "it, that is refused: use init_from=resume to continue it)")
    seed: int = _key(0, "every step's shots follow from (seed, step): a resumed run repeats an uninterrupted one")
    # data
    distance: int = _key(7, "code distance of the training volumes")
    rounds: int = _key(7, "rounds of the training volumes")
    bases: str = _key("x,z", "memory bases to train on, comma-separated")
    noise: str = _key("uniform:0.004,uniform:0.006,uniform:0.008",
                      "noise models (as in `qec ler --noise`), comma-separated; one is drawn per batch")
    curriculum_noise: str = _key("", "noise models for the first curriculum_steps steps, in place of `noise` (a "
                                     "curriculum; '' = none)")
    curriculum_steps: int = _key(0, "steps trained on curriculum_noise before `noise` takes over")
    train_dem: str = _key("", "a DEM file (e.g. from `qec learn-noise`) to sample from instead of the circuits "
                              "above: training from hardware statistics with no noise model")
    sampler: str = _key("auto", "'stim' (CPU), 'torch' (on the training device) or 'auto'")
    # model
    width: int = _key(32, "channels of every hidden Conv3d layer")
    depth: int = _key(4, "number of Conv3d layers before the 1x1x1 head")
    kernel: int = _key(3, "Conv3d kernel size; receptive field = depth * (kernel - 1) + 1")
    residual: bool = _key(False, "skip connections: hidden layers after the first compute x + GELU(conv(x))")
    mlp: int = _key(0, "after every hidden conv, x + a per-voxel MLP of mlp * width hidden channels (0: none)")
    policy: str = _key("mutual", "decision policy stored with the model (see qec.PreDecoder)")
    loss_on: str = _key("eligible", "'eligible': only edges whose detectors all hold events (what 'mutual' can "
                                    "apply); 'all'")
    labels: str = _key("teacher", "'teacher': the edges correlated matching chooses; 'equivalence': the true "
                                  "errors join the edge's events; 'fired' (see qec._labels)")
    distill_from: str = _key("", "a trained model (shipped name or checkpoint) whose edge probabilities are mixed "
                                 "into the targets: knowledge distillation ('' = off)")
    distill_weight: float = _key(0.5, "with distill_from: the share of the model's probabilities in each target "
                                      "(the rest is the labels above)")
    # optimisation
    steps: int = _key(2000, "total optimizer steps (the cosine schedule ends here)")
    batch_size: int = _key(128, "shots per step")
    optimizer: str = _key("adamw", "'adamw' or 'lion' (sign of an interpolated momentum; usually wants a 3-10x "
                                   "lower lr and a higher weight_decay than AdamW)")
    lr: float = _key(2e-3, "peak learning rate")
    weight_decay: float = _key(1e-4, "decoupled weight decay")
    warmup_steps: int = _key(100, "linear warm-up steps")
    grad_clip: float = _key(1.0, "gradient-norm clip (0 = none)")
    ema_decay: float = _key(0.0, "exponential moving average of the weights (0 = off; e.g. 0.999): validation, "
                                 "best.pt and ckpt.pt's weights are the average, the optimizer keeps training "
                                 "the live weights (saved alongside for resume)")
    max_minutes: float = _key(0.0, "stop after this wall time (0 = no limit); the run stays resumable")
    pause_at: int = _key(0, "stop at this step (0 = never), e.g. to split a run; resume continues it")
    # validation: LER against PyMatching on fixed shots; tunes the decision threshold
    eval_every: int = _key(250, "validate every this many steps")
    eval_shots: int = _key(4000, "validation shots (fixed, sampled once)")
    eval_distance: int = _key(7, "validation distance (rounds = distance)")
    eval_noise: str = _key("uniform:0.006", "validation noise model")
    eval_thresholds: str = _key("-2,-1,0,1,2,3,4", "decision thresholds tried at each validation")
    # system
    device: str = _key("auto", "'cpu', 'cuda' or 'auto'")
    precision: str = _key("float32", "the network's forward pass: 'float32' or 'bfloat16' (autocast; weights, "
                                     "optimizer and loss stay float32): 1.5x the steps per minute on a CPU with "
                                     "AVX-512 BF16, the same loss (BENCHMARKS.md)")
    threads: int = _key(0, "torch CPU threads (0 = torch's default)")
    label_workers: int = _key(0, "processes computing teacher labels in parallel (0 = in this process); the "
                                 "labels, hence the run, are the same either way")
    progress: bool = _key(True, "show a progress bar")

    @staticmethod
    def from_args(args: list[str]) -> "TrainConfig":
        """``--config FILE.json`` first (if given), then ``--key=value`` overrides.

        Raises:
            ValueError: an unknown key, or a value of the wrong type.
        """
        values: dict[str, typing.Any] = {}
        rest = list(args)
        if "--config" in rest:  # "--config FILE" or "--config=FILE"
            i = rest.index("--config")
            if i + 1 == len(rest):
                raise ValueError("--config needs a JSON file")
            rest[i:i + 2] = [f"--config={rest[i + 1]}"]
        for arg in [a for a in rest if a.startswith("--config=")]:
            with open(arg.split("=", 1)[1]) as f:
                values.update(json.load(f))
            rest.remove(arg)
        for arg in rest:
            if not arg.startswith("--") or "=" not in arg:
                raise ValueError(f"argument {arg!r} is not of the form --key=value")
            key, value = arg[2:].split("=", 1)
            values[key.replace("-", "_")] = value
        return TrainConfig.from_dict(values)

    @staticmethod
    def from_dict(values: dict) -> "TrainConfig":
        fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
        typed = {}
        for key, value in values.items():
            if key not in fields:
                raise ValueError(f"unknown config key {key!r}; valid keys: {sorted(fields)}")
            kind = type(getattr(TrainConfig(), key))
            typed[key] = _coerce(key, value, kind)
        return TrainConfig(**typed)

    @staticmethod
    def usage() -> str:
        """The ``--help`` text: every key, its default and what it does.

        Examples:
            >>> "--steps=2000" in TrainConfig.usage()
            True
        """
        lines = ["usage: python training/train.py [--config FILE.json] [--key=value ...]",
                 "       (or: qec train ...)", "", "keys (default) and what they do:"]
        for f in dataclasses.fields(TrainConfig):
            lines.append(f"  --{f.name}={f.default}")
            lines.append(f"      {f.metadata['help']}")
        return "\n".join(lines)


def _coerce(key, value, kind):
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        try:
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                return value.lower() in ("true", "1")
            return kind(value)
        except ValueError:
            pass
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"config key {key!r} expects {kind.__name__}; got {value!r}")


class _Task:
    """One (basis, noise) training volume: its graph, sampler and grid tables."""

    def __init__(self, cfg: TrainConfig, graph: DecodingGraph, predecoder: PreDecoder, device, seed: int,
                 label_pool: "_TeacherPool | None" = None, index: int = 0):
        self.graph = graph
        self.label_pool, self.index = label_pool, index
        use_torch = cfg.sampler == "torch" or (cfg.sampler == "auto" and device.type == "cuda")
        self.sampler = (TorchSampler(self.graph, device=device, seed=seed) if use_torch
                        else StimSampler(self.graph, seed=seed))
        self.bound = predecoder.bind(self.graph, device=device)
        self.teacher = (pymatching.Matching.from_detector_error_model(self.graph.dem, enable_correlations=True)
                        if cfg.labels == "teacher" else None)

    def batch(self, size: int, *, seed: int, loss_on: str, labels: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Network input ``(B, 3, T, H, W)``, dense targets and loss mask ``(B, C*T*H*W)``."""
        sample = self.sampler.sample(size, seed=seed)
        device = self.bound.device
        dets = torch.as_tensor(sample.dets, device=device)
        edges = torch.as_tensor(sample.edges, device=device)
        if loss_on == "all":
            edge_mask = torch.ones_like(edges)
        else:
            edge_mask = self.bound.eligible(dets)
        if labels == "teacher":
            dets_np = _numpy(sample.dets)
            edges = torch.as_tensor(self.label_pool.labels(self.index, dets_np) if self.label_pool is not None
                                    else teacher_labels(self.graph, self.teacher, dets_np), device=device)
        elif labels == "equivalence":
            fired, candidates = edges.cpu().numpy(), edge_mask.cpu().numpy()
            equivalent, known = equivalence_labels(self.graph, fired, candidates)
            edges = torch.as_tensor(equivalent, device=device)
            edge_mask = torch.as_tensor(known, device=device)
        target = torch.zeros((size, self.bound.num_outputs), device=device)
        target[:, self.bound.edge_flat] = edges.float()
        mask = torch.zeros((size, self.bound.num_outputs), device=device)
        mask[:, self.bound.edge_flat] = edge_mask.float()
        return self.bound.encode(dets), target, mask


class _TeacherPool:
    """Worker processes that compute teacher labels (correlated matching, CPU-bound) for slices of a batch,
    so that a GPU is not held up by one CPU core. Each worker builds every task's matcher once."""

    def __init__(self, graphs: list[DecodingGraph], workers: int):
        self.workers = workers
        self._pool = spawn_pool(workers, _init_teacher_worker, ([str(g.dem) for g in graphs],))

    def labels(self, index: int, dets: np.ndarray) -> np.ndarray:
        """``bool (B, num_detectors)`` of task ``index`` → ``bool (B, num_edges)``, as :func:`teacher_labels`."""
        parts = np.array_split(dets, min(self.workers, max(1, len(dets))))
        return np.concatenate(list(self._pool.map(_teacher_job, [(index, part) for part in parts])))

    def close(self) -> None:
        self._pool.shutdown()


_WORKER_TEACHERS: list = []


def _init_teacher_worker(dems: list[str]) -> None:
    import stim
    for text in dems:
        graph = DecodingGraph.from_dem(stim.DetectorErrorModel(text))
        _WORKER_TEACHERS.append((graph, pymatching.Matching.from_detector_error_model(graph.dem, enable_correlations=True)))


def _teacher_job(job: tuple[int, np.ndarray]) -> np.ndarray:
    index, dets = job
    graph, matching = _WORKER_TEACHERS[index]
    return teacher_labels(graph, matching, dets)


def _model_origin(name: str, model: PreDecoder) -> dict:
    """What a fine-tuning run started from: the name it was given, and a digest of the starting weights
    (the same for the same weights whatever the file), so a card can say which weights those were."""
    digest = hashlib.sha256()
    for key, tensor in sorted(model.net.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return {"model": name, "weights_sha256": digest.hexdigest(), "steps": model.metadata.get("steps"),
            "shots_seen": model.metadata.get("shots_seen")}


def _numpy(array) -> np.ndarray:
    return array.cpu().numpy() if isinstance(array, torch.Tensor) else np.asarray(array)


def _lr_at(cfg: TrainConfig, step: int) -> float:
    # 1) linear warm-up, 2) cosine decay to a tenth of the peak
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(predecoder: PreDecoder, graph: DecodingGraph, dets: np.ndarray, obs: np.ndarray, *,
             thresholds: list[float], matcher: Matcher | None = None, device="cpu",
             baseline_errors: int | None = None, correlated: bool = False, precision: str | None = None,
             chunk_size: int = 5_000) -> dict:
    """Pipeline errors and residual density at each threshold, against PyMatching on the same shots.

    With ``correlated=True`` it also reports ``"pymatching_correlated_errors"`` and
    ``"by_threshold_correlated": {thr: (errors, density_residual)}`` for correlated matching on
    the correlation-safe residual. The shots go through the network ``chunk_size`` at a time, so
    memory is bounded by the chunk, not by the number of shots (the counts do not depend on it).

    Returns:
        ``{"pymatching_errors", "shots", "density_in", "by_threshold": {thr: (errors, density_residual)},
        "by_threshold_failures": {thr: bool (shots,)}, "best_threshold"}``: the failures are the
        shots the pipeline gets wrong; the best threshold has the fewest errors (ties: the lowest
        threshold, which removes the most events).

    Examples:
        >>> import qec
        >>> graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"))
        >>> batch = qec.StimSampler(graph, seed=1).sample(200)
        >>> pre = qec.PreDecoder.untrained(classes=graph.classes, width=4, depth=1)
        >>> sorted(evaluate(pre, graph, batch.dets, batch.obs, thresholds=[1, 2])["by_threshold"])
        [1, 2]
    """
    matcher = matcher or Matcher(graph.dem)
    if baseline_errors is None:
        baseline_errors = int(np.any(matcher.decode_batch(dets) != obs, axis=1).sum())
    bound = predecoder.bind(graph, device=device, precision=precision)
    variants = [False, True] if correlated else [False]
    failures = {(v, thr): np.zeros(len(dets), dtype=bool) for v in variants for thr in thresholds}
    residual_events = dict.fromkeys(failures, 0)
    for start in range(0, len(dets), chunk_size):
        chunk_obs = obs[start:start + chunk_size]
        dets_t = torch.as_tensor(dets[start:start + chunk_size], device=device)
        logits = bound.edge_logits(dets_t, batch_size=512)
        for variant, thr in failures:
            chosen = bound.decide(logits, dets_t, threshold=thr)
            if variant:
                chosen = bound.correlation_safe(chosen, dets_t)
            residual, flip = bound.apply(chosen, dets_t)
            residual = residual.cpu().numpy()
            pred = matcher.decode_batch(residual, correlated=variant) ^ flip.cpu().numpy()
            failures[variant, thr][start:start + len(chunk_obs)] = np.any(pred != chunk_obs, axis=1)
            residual_events[variant, thr] += int(residual.sum())

    def table(variant: bool) -> dict:
        return {thr: (int(failures[variant, thr].sum()), residual_events[variant, thr] / dets.size)
                for thr in thresholds}

    results = table(False)
    # The most aggressive threshold that does not lose to PyMatching on these shots; else the fewest errors.
    safe = [t for t in thresholds if results[t][0] <= baseline_errors]
    best = min(safe) if safe else min(thresholds, key=lambda t: (results[t][0], t))
    out = {"pymatching_errors": baseline_errors, "shots": len(dets), "density_in": float(dets.mean()),
           "by_threshold": results, "by_threshold_failures": {thr: failures[False, thr] for thr in thresholds},
           "best_threshold": best}
    if correlated:
        out["pymatching_correlated_errors"] = int(np.any(matcher.decode_batch(dets, correlated=True) != obs, axis=1).sum())
        out["by_threshold_correlated"] = table(True)
    return out


def train(cfg: TrainConfig) -> PreDecoder:
    """Trains (or resumes) a pre-decoder as ``cfg`` says; returns the best one by validation errors.

    Writes ``out_dir/ckpt.pt`` (latest, with optimizer and RNG states) and ``out_dir/best.pt``.
    Each validation appends to ``predecoder.metadata["history"]``: step, loss, PyMatching's errors
    and the pipeline's errors and residual density at each threshold, on the same fixed shots.

    Examples:
        >>> import os, tempfile
        >>> out = tempfile.mkdtemp()
        >>> cfg = TrainConfig(out_dir=out, steps=3, distance=3, rounds=3, eval_distance=3, eval_shots=200,
        ...                   batch_size=16, progress=False)
        >>> model = train(cfg)  # logs the config and each validation to stderr
        >>> sorted(os.listdir(out)), model.metadata["history"][-1]["step"]
        (['best.pt', 'ckpt.pt'], 3)
    """
    device = resolve_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    # Data parallel under torchrun: one process per device, each on its own shots, gradients averaged.
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        import torch.distributed as dist
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    main_process = rank == 0
    os.makedirs(cfg.out_dir, exist_ok=True)
    ckpt_path = os.path.join(cfg.out_dir, "ckpt.pt")
    resume, start_model = None, None
    if cfg.init_from != "resume" and os.path.exists(ckpt_path) and not cfg.overwrite:
        step_done = load_checkpoint_file(ckpt_path).get("step", "?")
        raise ValueError(f"{cfg.out_dir} holds a run's checkpoint (step {step_done}); continue it with "
                         "init_from=resume, start afresh over it with overwrite=true, or choose another out_dir")
    if cfg.init_from == "resume":
        if not os.path.exists(ckpt_path):
            raise ValueError(f"init_from='resume' but {ckpt_path} does not exist")
        resume = load_checkpoint_file(ckpt_path)
        saved = resume["train_config"]
        defaults = TrainConfig()
        cfg = dataclasses.replace(cfg, **{k: saved.get(k, getattr(defaults, k)) for k in RESUME_KEYS})
    elif cfg.init_from != "scratch":
        try:
            start_model = PreDecoder.load(cfg.init_from)
        except ValueError as error:
            raise ValueError(f"init_from={cfg.init_from!r}; expected 'scratch', 'resume' or a model to fine-tune "
                             f"({error})") from None
        shape = start_model.net.config
        cfg = dataclasses.replace(cfg, width=shape.width, depth=shape.depth, kernel=shape.kernel,
                                  residual=shape.residual, mlp=shape.mlp)
    for key in ("steps", "batch_size", "eval_every", "eval_shots"):  # the network's shape checks its own
        if getattr(cfg, key) < 1:
            raise ValueError(f"{key}={getattr(cfg, key)}; expected >= 1")
    if cfg.loss_on not in ("eligible", "all"):
        raise ValueError(f"loss_on={cfg.loss_on!r}; expected 'eligible' or 'all'")
    if cfg.labels not in ("equivalence", "fired", "teacher"):
        raise ValueError(f"labels={cfg.labels!r}; expected 'equivalence', 'fired' or 'teacher'")
    if cfg.precision not in PRECISIONS:
        raise ValueError(f"precision={cfg.precision!r}; expected one of {PRECISIONS}")
    warn_if_slow_precision(device, cfg.precision)
    if not 0 <= cfg.ema_decay < 1:
        raise ValueError(f"ema_decay={cfg.ema_decay}; expected 0 (off) or a decay in (0, 1)")
    if cfg.optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer={cfg.optimizer!r}; expected one of {tuple(_OPTIMIZERS)}")
    if bool(cfg.curriculum_noise) != (cfg.curriculum_steps > 0) or cfg.curriculum_steps < 0:
        raise ValueError(f"curriculum_noise={cfg.curriculum_noise!r}, curriculum_steps={cfg.curriculum_steps}; "
                         "a curriculum needs both (noise models, and a number of steps >= 1), or neither")
    if cfg.curriculum_noise and cfg.train_dem:
        raise ValueError("curriculum_noise names circuit noise models; train_dem trains from one DEM instead")
    if cfg.distill_from and not 0 < cfg.distill_weight <= 1:
        raise ValueError(f"distill_weight={cfg.distill_weight}; expected a share in (0, 1]")
    if main_process:
        print("config:", json.dumps(dataclasses.asdict(cfg)), f"world_size: {world}", file=sys.stderr)

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    bases = [b.strip() for b in cfg.bases.split(",") if b.strip()]
    noises = [n.strip() for n in cfg.noise.split(",") if n.strip()]
    early_noises = [n.strip() for n in cfg.curriculum_noise.split(",") if n.strip()]
    if cfg.train_dem:
        import stim
        graphs = [DecodingGraph.from_dem(stim.DetectorErrorModel.from_file(cfg.train_dem))]
        eval_graph = graphs[0]
    else:
        # The curriculum's volumes come after the main ones, so that the main tasks keep their indices.
        graphs = [DecodingGraph.from_circuit(generate_circuit(cfg.distance, cfg.rounds, basis=b, noise=n))
                  for n_list in (noises, early_noises) for b in bases for n in n_list]
        eval_graph = DecodingGraph.from_circuit(generate_circuit(cfg.eval_distance, cfg.eval_distance, basis=bases[0],
                                                                 noise=cfg.eval_noise))
    classes = sorted({c for g in graphs for c in g.classes})
    predecoder = PreDecoder.untrained(classes=classes, width=cfg.width, depth=cfg.depth, kernel=cfg.kernel,
                                      residual=cfg.residual, mlp=cfg.mlp, seed=cfg.seed)
    predecoder.policy = cfg.policy
    if start_model is not None:
        if start_model.classes != predecoder.classes:
            raise ValueError(f"init_from={cfg.init_from!r} has edge classes {start_model.classes}; the training "
                             f"volumes have {predecoder.classes}")
        predecoder.net.load_state_dict(start_model.net.state_dict())
        predecoder.metadata["fine_tuned_from"] = _model_origin(cfg.init_from, start_model)
    distill_net = None
    if cfg.distill_from:
        distilled = PreDecoder.load(cfg.distill_from)
        predecoder.metadata["distilled_from"] = _model_origin(cfg.distill_from, distilled)
        distill_net = _frozen_network(distilled, predecoder.classes, device)
    net = predecoder.net.to(device)
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device] if device.type == "cuda" else None)
    else:
        model = net
    optimizer = _OPTIMIZERS[cfg.optimizer](net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, best_metric, history = 0, math.inf, []
    if resume is not None:
        net.load_state_dict(resume.get("train_state_dict", resume["state_dict"]))
        optimizer.load_state_dict(resume["optimizer"])
        step, best_metric = resume["step"], resume["best_metric"]
        history = list(resume.get("metadata", {}).get("history", []))
        if "fine_tuned_from" in resume.get("metadata", {}):
            predecoder.metadata["fine_tuned_from"] = resume["metadata"]["fine_tuned_from"]
        predecoder.threshold = resume["threshold"]
        _set_rng_state(resume["rng"])
    average = _WeightAverage(net, cfg.ema_decay) if cfg.ema_decay else None
    if average is not None and resume is not None and "train_state_dict" in resume:
        average.load(resume["state_dict"])
    if cfg.label_workers < 0:
        raise ValueError(f"label_workers={cfg.label_workers}; expected >= 0")
    label_pool = _TeacherPool(graphs, cfg.label_workers) if cfg.label_workers and cfg.labels == "teacher" else None
    tasks = [_Task(cfg, g, predecoder, device, seed=cfg.seed, label_pool=label_pool, index=i) for i, g in enumerate(graphs)]
    main_count = len(tasks) - len(bases) * len(early_noises)
    tasks, early_tasks = tasks[:main_count], tasks[main_count:]
    eval_batch = StimSampler(eval_graph, seed=10_000 + cfg.seed).sample(cfg.eval_shots)
    eval_matcher = Matcher(eval_graph.dem)
    eval_base = int(np.any(eval_matcher.decode_batch(eval_batch.dets) != eval_batch.obs, axis=1).sum())
    thresholds = [float(t) for t in cfg.eval_thresholds.split(",")]

    def save(path, live_weights):
        extra = {} if live_weights is None else {"train_state_dict": live_weights}
        predecoder.save(path, optimizer=optimizer.state_dict(), step=step, best_metric=best_metric,
                        train_config=dataclasses.asdict(cfg), rng=_rng_state(), qec_version=qec.__version__, **extra)

    if cfg.init_from != "resume" and main_process:  # afresh, and every setting checked: drop the replaced run's files
        for stale in (ckpt_path, os.path.join(cfg.out_dir, "best.pt")):
            if os.path.exists(stale):
                os.remove(stale)
    start = time.time()
    bar = tqdm(total=cfg.steps, initial=step, disable=not (cfg.progress and main_process), desc="train", file=sys.stderr)
    loss_avg = None
    try:
        while step < cfg.steps:
            net.train()
            for group in optimizer.param_groups:
                group["lr"] = _lr_at(cfg, step)
            # Each step's task and shots follow from (seed, step, rank) alone: a resumed run repeats an uninterrupted one.
            step_seed = int(np.random.SeedSequence([cfg.seed, step] + ([rank] if rank else [])).generate_state(1)[0])
            pool = early_tasks if step < cfg.curriculum_steps else tasks
            task = pool[step_seed % len(pool)]
            x, target, mask = task.batch(cfg.batch_size, seed=step_seed, loss_on=cfg.loss_on, labels=cfg.labels)
            with precision_autocast(device, cfg.precision):
                logits = model(x).reshape(cfg.batch_size, -1)  # (B, C*T*H*W)
                if distill_net is not None:
                    with torch.no_grad():
                        soft = torch.sigmoid(distill_net(x).reshape(cfg.batch_size, -1).float())
                    target = (1 - cfg.distill_weight) * target + cfg.distill_weight * soft
            logits = logits.float()
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
                    * mask).sum() / mask.sum().clamp(min=1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            optimizer.step()
            if average is not None:
                average.update(net, step)
            step += 1
            loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
            bar.update(1)
            bar.set_postfix(loss=f"{loss_avg:.5f}")
            out_of_time = bool((cfg.max_minutes and (time.time() - start) > cfg.max_minutes * 60)
                               or (cfg.pause_at and step >= cfg.pause_at))
            if world > 1 and cfg.max_minutes:  # every process must stop at the same step
                flag = torch.tensor([float(out_of_time)], device=device)
                torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
                out_of_time = bool(flag.item())
            if main_process and (step % cfg.eval_every == 0 or step == cfg.steps or out_of_time):
                # With an average, validate and save it; the live weights ride along for resume.
                with average.swapped_into(net) if average is not None else contextlib.nullcontext() as live:
                    net.eval()
                    result = evaluate(predecoder, eval_graph, eval_batch.dets, eval_batch.obs, thresholds=thresholds,
                                      matcher=eval_matcher, device=device, baseline_errors=eval_base)
                    thr = result["best_threshold"]
                    errors, density = result["by_threshold"][thr]
                    predecoder.threshold = thr
                    # Lower is better: excess errors over PyMatching first, then the residual density.
                    metric = max(0, errors - eval_base) + density / result["density_in"]
                    table = " ".join(f"{t:g}:{e}/{d:.4f}" for t, (e, d) in result["by_threshold"].items())
                    tqdm.write(f"step {step} loss {loss_avg:.5f} | pymatching {eval_base} errors, density "
                               f"{result['density_in']:.4f} | thr:errors/density {table} | best thr {thr:g} "
                               f"({time.time() - start:.0f}s)", file=sys.stderr)
                    history.append({"step": step, "loss": loss_avg, "seconds": time.time() - start,
                                    "pymatching_errors": eval_base, "eval_shots": cfg.eval_shots,
                                    "density_in": result["density_in"], "best_threshold": thr,
                                    "by_threshold": {str(t): list(v) for t, v in result["by_threshold"].items()}})
                    predecoder.metadata.update(shots_seen=step * cfg.batch_size * world, steps=step, history=history,
                                               receptive_field=net.config.receptive_field)
                    if metric < best_metric:
                        best_metric = metric
                        save(os.path.join(cfg.out_dir, "best.pt"), live)
                    save(ckpt_path, live)
            if out_of_time and main_process:
                tqdm.write(f"paused at step {step} (max_minutes={cfg.max_minutes}, pause_at={cfg.pause_at}); "
                           "continue with --init_from=resume", file=sys.stderr)
            if out_of_time:
                break
    finally:
        if label_pool is not None:
            label_pool.close()
    bar.close()
    if world > 1:
        torch.distributed.barrier()  # the main process has written its checkpoints
        torch.distributed.destroy_process_group()
    best_path = os.path.join(cfg.out_dir, "best.pt")
    return PreDecoder.from_checkpoint(best_path if os.path.exists(best_path) else ckpt_path)


class Lion(torch.optim.Optimizer):
    """The Lion optimizer (Chen et al. 2023): each step moves every weight by ``lr`` times the sign of
    ``beta1 * momentum + (1 - beta1) * gradient``, plus decoupled weight decay; the momentum then
    becomes ``beta2 * momentum + (1 - beta2) * gradient``.

        >>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
        >>> opt = Lion([w], lr=0.1)
        >>> w.grad = torch.tensor([0.5, -2.0]); opt.step(); w.detach()
        tensor([ 0.9000, -0.9000])
    """

    def __init__(self, params, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0):
        if lr <= 0 or not all(0 <= b < 1 for b in betas) or weight_decay < 0:
            raise ValueError(f"Lion: lr={lr}, betas={betas}, weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                momentum = self.state[p].setdefault("momentum", torch.zeros_like(p))
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(momentum.lerp(p.grad, 1 - beta1)), alpha=-group["lr"])
                momentum.lerp_(p.grad, 1 - beta2)
        return loss


_OPTIMIZERS = {"adamw": torch.optim.AdamW, "lion": Lion}


class _WeightAverage:
    """An exponential moving average of a network's weights, its decay warmed up as ``min(decay, (1 + t) / (10 + t))``."""

    def __init__(self, net: torch.nn.Module, decay: float):
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}

    def load(self, state: dict) -> None:
        for k, v in state.items():
            self.state[k].copy_(v)

    @torch.no_grad()
    def update(self, net: torch.nn.Module, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for k, v in net.state_dict().items():
            if v.dtype.is_floating_point:
                self.state[k].lerp_(v, 1 - decay)
            else:
                self.state[k].copy_(v)

    @contextlib.contextmanager
    def swapped_into(self, net: torch.nn.Module):
        """Puts the average into ``net`` for the block; yields the live weights (CPU copies) and restores them."""
        live = {k: v.detach().clone() for k, v in net.state_dict().items()}
        net.load_state_dict(self.state)
        try:
            yield {k: v.cpu() for k, v in live.items()}
        finally:
            net.load_state_dict(live)


def _frozen_network(model: PreDecoder, classes: list, device: torch.device) -> torch.nn.Module:
    """``model``'s network, frozen, on ``device``: distillation mixes its edge probabilities into the targets."""
    if model.classes != classes:
        raise ValueError(f"distill_from has edge classes {model.classes}; the training volumes have {classes}")
    net = model.net.to(device).eval()
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    return net


def _rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])

"""Noise learning: matching weights from detection-event statistics alone.

For independent error mechanisms S (sets of detectors) with probabilities p_S, the parity
moments m_U = <prod_{k in U} (1 - 2 x_k)> satisfy ln m_U = sum_{S : |S ∩ U| odd} ln(1 - 2 p_S).
Möbius inversion over the subsets of a set T isolates the mechanisms that contain T:

    sum_{S ⊇ T} ln(1 - 2 p_S) = sum_{U ⊆ T} (-1)^{|T| - |U|} ln m_U / ((-1)^{|T|-1} 2^{|T|-1})

For an edge T = {i, j} this is the familiar p_ij = ½ − ½·sqrt(m_i m_j / m_ij); for a boundary
edge {i} it is p_i = ½ − ½·m_i / prod (1 − 2 p_S) over the other mechanisms at i; for a Y-type
mechanism T = {a, b, c, d} it is the four-point inversion. The reference DEM says which sets
exist; solving from the largest sets down gives every probability. Only the parity counts of
the subsets of those sets are accumulated, in chunks, so no detector × detector matrix is built.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
import stim

from qec._event_fit import warn_if_events_do_not_fit
from qec._events import check_events

_MAX_SET = 6  # mechanisms flipping more detectors than this are kept at their reference probability
CLIPPED_WARNING_FRACTION = 0.2  # warn when more of the estimates than this were clipped: too few shots


@dataclasses.dataclass(frozen=True)
class _Mechanism:
    detectors: frozenset
    targets: list  # the reference decomposition: stim.DemTarget list, separators included


def _reference_mechanisms(dem: stim.DetectorErrorModel) -> tuple[list[_Mechanism], np.ndarray]:
    """Distinct detector sets of the reference DEM's errors, with their decomposition and probability."""
    by_set: dict[frozenset, int] = {}
    mechanisms: list[_Mechanism] = []
    probs: list[float] = []
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        targets = inst.targets_copy()
        dets = frozenset()
        for t in targets:
            if t.is_relative_detector_id():
                dets = dets ^ {t.val}
        if not dets:
            continue
        p = inst.args_copy()[0]
        if dets in by_set:
            k = by_set[dets]
            probs[k] = probs[k] * (1 - p) + p * (1 - probs[k])
        else:
            by_set[dets] = len(mechanisms)
            mechanisms.append(_Mechanism(dets, targets))
            probs.append(p)
    return mechanisms, np.array(probs)


class EventStatistics:
    """Streaming parity counts of the detector subsets a reference DEM needs.

    Feed chunks of detection events with :meth:`update`; nothing grows with the number of shots.
    Counts are kept in ``blocks`` interleaved accumulators so that standard errors come from a
    jackknife over blocks. ``forgetting`` < 1 multiplies the past by that factor at every update
    (exponential forgetting, for drifting noise).

    Args:
        reference: a decomposed ``stim.DetectorErrorModel`` (or a ``stim.Circuit``) naming which
            error mechanisms exist and which observables they flip.
        blocks: jackknife blocks. Defaults to 16.
        forgetting: factor applied to past counts at each update. Defaults to 1.0 (keep all).
        device: ``"numpy"`` (default) or a torch device such as ``"cuda"`` for the counting.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> stats = EventStatistics(circuit)
        >>> stats.update(circuit.compile_detector_sampler(seed=1).sample(5000))
        >>> stats.num_shots
        5000.0
    """

    def __init__(self, reference: "stim.DetectorErrorModel | stim.Circuit", *, blocks: int = 16,
                 forgetting: float = 1.0, device: str = "numpy"):
        if isinstance(reference, stim.Circuit):
            reference = reference.detector_error_model(decompose_errors=True)
        if not isinstance(reference, stim.DetectorErrorModel):
            raise TypeError(f"`reference` must be a stim.DetectorErrorModel or stim.Circuit. Instead, got {type(reference)}")
        if not 0 < forgetting <= 1:
            raise ValueError(f"forgetting={forgetting}; expected 0 < forgetting <= 1")
        if blocks < 2:
            raise ValueError(f"blocks={blocks}; expected >= 2 (standard errors need a jackknife)")
        self.reference = reference
        self.num_detectors = reference.num_detectors
        self.mechanisms, self.reference_probabilities = _reference_mechanisms(reference)
        subsets: dict[frozenset, int] = {}
        for m in self.mechanisms:
            if len(m.detectors) > _MAX_SET:
                continue
            members = sorted(m.detectors)
            for k in range(1, len(members) + 1):
                for combo in itertools.combinations(members, k):
                    subsets.setdefault(frozenset(combo), len(subsets))
        self.subset_index = subsets
        # Subsets grouped by size, as index arrays (num_subsets_of_size_k, k).
        self._groups = []
        for k in range(1, _MAX_SET + 1):
            items = [(i, sorted(s)) for s, i in subsets.items() if len(s) == k]
            if items:
                self._groups.append((np.array([i for i, _ in items]), np.array([s for _, s in items])))
        self.blocks = blocks
        self.forgetting = forgetting
        self.device = device
        self._odd = np.zeros((blocks, len(subsets)))    # weighted count of shots with odd parity on each subset
        self._shots = np.zeros(blocks)
        self._updates = 0

    @property
    def num_shots(self) -> float:
        return float(self._shots.sum())

    def chunk_size(self, num_shots: int, *, limit: int = 50_000) -> int:
        """Shots per :meth:`update` that spread ``num_shots`` over every jackknife block (at most ``limit``).

        Examples:
            >>> import qec
            >>> stats = EventStatistics(qec.generate_circuit(3, 3, noise="uniform:0.01"))
            >>> stats.chunk_size(1000), stats.chunk_size(10**7)
            (63, 50000)
        """
        return max(1, min(limit, -(-num_shots // self.blocks)))

    def update(self, dets: np.ndarray, *, bit_packed: bool = False) -> None:
        """Adds a chunk of shots.

        Args:
            dets: ``bool, shape=(num_shots, num_detectors)`` (numpy, torch or cupy), or with ``bit_packed=True``
                ``uint8, shape=(num_shots, ceil(num_detectors / 8))`` (little bit order).

        Raises:
            ValueError: wrong shape or dtype, or an empty chunk.
        """
        self._accumulate(_check_events(dets, self.num_detectors, bit_packed=bit_packed,
                                       num_observables=self.reference.num_observables))

    def _accumulate(self, dets: np.ndarray) -> None:
        """:meth:`update` on events already checked and unpacked (``bool, shape=(num_shots, num_detectors)``)."""
        if self.forgetting < 1:
            self._odd *= self.forgetting
            self._shots *= self.forgetting
        block = self._updates % self.blocks
        self._updates += 1
        for start in range(0, len(dets), 65536):
            chunk = dets[start:start + 65536]
            self._odd[block] += self._count_odd(chunk)
            self._shots[block] += len(chunk)

    def _count_odd(self, dets: np.ndarray) -> np.ndarray:
        if self.device != "numpy":
            return self._count_odd_torch(dets)
        # Shots packed 64 to a word along axis 0: parity of a subset = XOR of its rows, counted by popcount.
        packed = np.packbits(dets.T, axis=1, bitorder="little")  # (D, ceil(n/8))
        pad = (-packed.shape[1]) % 8
        if pad:
            packed = np.pad(packed, ((0, 0), (0, pad)))
        words = np.ascontiguousarray(packed).view(np.uint64)  # (D, W)
        out = np.zeros(len(self.subset_index))
        for index, members in self._groups:
            for start in range(0, len(index), 4096):
                rows = members[start:start + 4096]
                acc = words[rows[:, 0]].copy()
                for j in range(1, rows.shape[1]):
                    acc ^= words[rows[:, j]]
                out[index[start:start + 4096]] = np.bitwise_count(acc).sum(axis=1)
        return out

    def _count_odd_torch(self, dets: np.ndarray) -> np.ndarray:
        import torch
        x = torch.as_tensor(np.ascontiguousarray(dets), device=self.device).to(torch.uint8)  # (n, D)
        out = np.zeros(len(self.subset_index))
        for index, members in self._groups:
            m = torch.as_tensor(members, device=self.device)
            for start in range(0, len(index), 4096):
                parity = x[:, m[start:start + 4096]].sum(dim=2) & 1  # (n, subsets)
                out[index[start:start + 4096]] = parity.sum(dim=0).cpu().numpy()
        return out

    def learn(self, **kwargs) -> "LearnedNoise":
        """Probabilities of every reference mechanism from the counts so far; see :func:`learn_noise`."""
        return _solve(self, **kwargs)


@dataclasses.dataclass(frozen=True)
class LearnedNoise:
    """Learned probability of every mechanism of the reference DEM.

    Attributes:
        probabilities: ``float64, shape=(num_mechanisms,)``.
        standard_errors: ``float64, shape=(num_mechanisms,)``: jackknife standard errors.
        reference_probabilities: the reference DEM's probabilities, for comparison.
        sizes: detectors flipped by each mechanism.
        num_shots: shots behind the estimate.
        clipped: how many estimates were clipped into ``[p_min, 0.5)``.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> learned = qec.learn_noise(circuit.compile_detector_sampler(seed=1).sample(20_000), circuit)
        >>> learned.num_shots, len(learned.probabilities) == len(learned.reference_probabilities)
        (20000.0, True)
    """

    probabilities: np.ndarray
    standard_errors: np.ndarray
    reference_probabilities: np.ndarray
    sizes: np.ndarray
    num_shots: float
    clipped: int
    _mechanisms: list = dataclasses.field(repr=False, default=None)
    _reference: stim.DetectorErrorModel = dataclasses.field(repr=False, default=None)

    def to_dem(self) -> stim.DetectorErrorModel:
        """A ``stim.DetectorErrorModel`` with the reference's decomposition and coordinates and the learned probabilities.

        PyMatching accepts it uncorrelated and with ``enable_correlations=True``.
        """
        out = stim.DetectorErrorModel()
        for m, p in zip(self._mechanisms, self.probabilities):
            out.append("error", float(p), m.targets)
        for inst in self._reference.flattened():
            if inst.type in ("detector", "logical_observable"):
                out.append(inst)
        return out


def _solve(stats: EventStatistics, *, p_min: float | None = None, pool: bool = False) -> LearnedNoise:
    n_total = stats.num_shots
    if n_total <= 0:
        raise ValueError("no shots yet: call update() with detection events first")
    p_min = p_min if p_min is not None else 0.1 / n_total

    def estimate(odd: np.ndarray, shots: float) -> np.ndarray:
        m = 1 - 2 * odd / shots                      # parity moment of every subset
        log_m = np.log(np.clip(m, 1e-12, None))      # a moment <= 0 means a set flips half the time or more
        return _invert(stats, log_m)

    total_odd = stats._odd.sum(axis=0)
    raw = estimate(total_odd, n_total)
    # Jackknife over blocks for standard errors.
    used = [b for b in range(stats.blocks) if stats._shots[b] > 0]
    if len(used) >= 2:
        leave_out = np.array([estimate(total_odd - stats._odd[b], n_total - stats._shots[b]) for b in used])
        k = len(used)
        errors = np.sqrt((k - 1) / k * ((leave_out - leave_out.mean(axis=0)) ** 2).sum(axis=0))
    else:
        errors = np.full_like(raw, np.nan)
    # Finite shots can push an estimate below zero (a rare mechanism) or to 0.5: clip into [p_min, 0.4999].
    probs = np.clip(raw, p_min, 0.4999)
    clipped = int(np.sum(probs != raw))
    if clipped > CLIPPED_WARNING_FRACTION * len(raw):
        warnings.warn(f"{clipped} of {len(raw)} learned probabilities ({clipped / len(raw):.0%}) fell outside "
                      f"[{p_min:.2g}, 0.5) and were clipped: {n_total:,.0f} shots are too few for this DEM's "
                      f"mechanisms; learn from more shots", stacklevel=3)
    sizes = np.array([len(m.detectors) for m in stats.mechanisms])
    if pool:
        probs, errors = _pool_equivalent(stats, probs, errors)
    return LearnedNoise(probabilities=probs, standard_errors=errors, reference_probabilities=stats.reference_probabilities,
                        sizes=sizes, num_shots=n_total, clipped=clipped, _mechanisms=stats.mechanisms,
                        _reference=stats.reference)


def _invert(stats: EventStatistics, log_m: np.ndarray) -> np.ndarray:
    """Möbius inversion per mechanism, then subtraction of the strict supersets, largest sets first.

    The result is unclipped: finite-shot noise can make it negative (or 0.5 and above); the caller clips.
    """
    mechanisms = stats.mechanisms
    total = np.zeros(len(mechanisms))  # sum over S ⊇ T of ln(1 - 2 p_S), from the moments
    for k, m in enumerate(mechanisms):
        members = sorted(m.detectors)
        size = len(members)
        if size > _MAX_SET:
            continue
        acc = 0.0
        for r in range(1, size + 1):
            sign = (-1) ** (size - r)
            for combo in itertools.combinations(members, r):
                acc += sign * log_m[stats.subset_index[frozenset(combo)]]
        total[k] = acc / ((-1) ** (size - 1) * 2 ** (size - 1))
    log_one_minus = np.zeros(len(mechanisms))  # ln(1 - 2 p_T) of each mechanism alone, unclipped
    supersets = _strict_supersets(mechanisms)
    for k in sorted(range(len(mechanisms)), key=lambda k: -len(mechanisms[k].detectors)):
        if len(mechanisms[k].detectors) > _MAX_SET:
            log_one_minus[k] = np.log(1 - 2 * stats.reference_probabilities[k])
        else:
            log_one_minus[k] = total[k] - sum(log_one_minus[s] for s in supersets[k])
    return 0.5 * (1 - np.exp(log_one_minus))


def _strict_supersets(mechanisms: list[_Mechanism]) -> list[list[int]]:
    by_detector: dict[int, list[int]] = {}
    for k, m in enumerate(mechanisms):
        for d in m.detectors:
            by_detector.setdefault(d, []).append(k)
    out = []
    for k, m in enumerate(mechanisms):
        first = next(iter(m.detectors))
        out.append([j for j in by_detector[first] if j != k and m.detectors < mechanisms[j].detectors])
    return out


def _pool_equivalent(stats: EventStatistics, probs: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Averages mechanisms that are the same up to a shift in time (bulk rounds only), weighted by 1/SE²."""
    coords = stats.reference.get_detector_coordinates()
    times = {d: c[2] for d, c in coords.items() if len(c) >= 3}
    if len(times) < stats.num_detectors:
        raise ValueError("pooling across rounds needs (x, y, t) detector coordinates in the reference")
    t_min, t_max = min(times.values()), max(times.values())
    groups: dict[tuple, list[int]] = {}
    for k, m in enumerate(stats.mechanisms):
        ts = [times[d] for d in m.detectors]
        if min(ts) < t_min + 2 or max(ts) > t_max - 2:
            continue  # the first two and last two layers differ from the bulk (half the stabilizers start/end there)
        t0 = min(ts)
        key = tuple(sorted((coords[d][0], coords[d][1], times[d] - t0) for d in m.detectors))
        groups.setdefault(key, []).append(k)
    probs, errors = probs.copy(), errors.copy()
    for members in groups.values():
        if len(members) < 2:
            continue
        w = 1 / np.maximum(errors[members], 1e-12) ** 2
        probs[members] = (w * probs[members]).sum() / w.sum()
        errors[members] = 1 / np.sqrt(w.sum())
    return probs, errors


def learn_noise(dets: np.ndarray, reference, *, bit_packed: bool = False, pool: bool = False,
                chunk_size: int = 50_000) -> LearnedNoise:
    """Learns every reference mechanism's probability from detection events.

    Args:
        dets: ``bool, shape=(num_shots, num_detectors)`` (numpy, torch or cupy; or bit-packed ``uint8`` with ``bit_packed=True``).
        reference: a decomposed ``stim.DetectorErrorModel`` or a ``stim.Circuit``: which mechanisms exist.
        bit_packed: the events are bit-packed. Defaults to False.
        pool: average mechanisms equivalent up to a shift in time over the bulk rounds. Defaults to False.
        chunk_size: shots per accumulation chunk (memory bound). Defaults to 50,000.

    Returns:
        A :class:`LearnedNoise`; ``.to_dem()`` gives the DEM for PyMatching.

    Warns:
        UserWarning: the events do not look like shots of a rotated surface-code ``reference``
            (``qec._event_fit``: e.g. shots of the other basis, which have as many detectors), or
            more than a fifth of the estimates were clipped.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> dets = circuit.compile_detector_sampler(seed=1).sample(20_000)
        >>> learned = learn_noise(dets, circuit)
        >>> learned.to_dem().num_detectors
        24
    """
    stats = EventStatistics(reference)
    dets = _check_events(dets, stats.num_detectors, bit_packed=bit_packed, num_observables=stats.reference.num_observables)
    warn_if_events_do_not_fit(stats.reference, dets[:6_000])  # e.g. shots of the other basis, as many detectors
    chunk_size = stats.chunk_size(len(dets), limit=chunk_size)
    for start in range(0, len(dets), chunk_size):
        stats._accumulate(dets[start:start + chunk_size])
    return _solve(stats, pool=pool)


def _check_events(dets, num_detectors: int, *, bit_packed: bool, num_observables: int = 0) -> np.ndarray:
    """:func:`qec._events.check_events`, and at least one shot."""
    dets = check_events(dets, num_detectors, bit_packed=bit_packed, num_observables=num_observables)
    if len(dets) == 0:
        raise ValueError("no shots: the detection events are empty")
    return dets

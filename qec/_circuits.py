"""Rotated-surface-code memory circuits and the noise models applied to them."""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

import stim

_TWO_QUBIT_GATES = {"CX", "CY", "CZ", "CNOT", "ZCX", "ZCY", "ZCZ", "XCX", "XCZ", "YCZ", "SWAP", "ISWAP",
                    "SQRT_XX", "SQRT_YY", "SQRT_ZZ"}
_ONE_QUBIT_GATES = {"H", "S", "S_DAG", "SQRT_X", "SQRT_X_DAG", "SQRT_Y", "SQRT_Y_DAG", "X", "Y", "Z", "I",
                    "H_YZ", "H_XY", "C_XYZ", "C_ZYX"}
_RESETS = {"R": "X_ERROR", "RZ": "X_ERROR", "RX": "Z_ERROR", "RY": "X_ERROR"}
_MEASUREMENTS = {"M": "X_ERROR", "MZ": "X_ERROR", "MX": "Z_ERROR", "MY": "X_ERROR"}
_MEASURE_RESETS = {"MR": "X_ERROR", "MRZ": "X_ERROR", "MRX": "Z_ERROR", "MRY": "X_ERROR"}
_NOISE_CHANNELS = {"DEPOLARIZE1", "DEPOLARIZE2", "X_ERROR", "Y_ERROR", "Z_ERROR", "PAULI_CHANNEL_1",
                   "PAULI_CHANNEL_2"}


@dataclasses.dataclass(frozen=True)
class NoiseModel:
    """A circuit noise model: a kind, a strength and optional per-qubit factors.

    Attributes:
        kind: ``"uniform"`` (Stim's generated circuit noise with all four parameters = p) or
            ``"si1000"`` (superconducting-inspired: 2q gates p, 1q gates and idling p/10,
            reset 2p, measurement 5p, idling during measurement or reset 2p).
        p: the strength.
        qubit_factors: optional ``{qubit index: factor}``; every noise channel acting on a qubit
            has its probability multiplied by that qubit's factor (two-qubit channels by the
            geometric mean of both factors). Qubits not listed keep factor 1.
        lognormal: optional ``(sigma, seed)``: per-qubit factors drawn for each circuit's qubits
            by :func:`qubit_factors_lognormal` (median 1, spread ``sigma``, draw ``seed``), so
            one model describes every distance. Text form ``"uniform:0.005+lognormal:1:3"``.

    Examples:
        >>> NoiseModel.parse("si1000:0.002")
        NoiseModel(kind='si1000', p=0.002, qubit_factors=None, lognormal=None)
        >>> str(NoiseModel.parse("uniform:0.006"))
        'uniform:0.006'
        >>> NoiseModel.parse("uniform:0.005+lognormal:0.5:3").lognormal
        (0.5, 3)
    """

    kind: str
    p: float
    qubit_factors: Mapping[int, float] | None = None
    lognormal: tuple[float, int] | None = None

    def __post_init__(self):
        if self.kind not in ("uniform", "si1000"):
            raise ValueError(f"noise kind {self.kind!r} is unknown; expected 'uniform' or 'si1000'")
        if not (0 <= self.p < 0.5 / 5 if self.kind == "si1000" else 0 <= self.p < 0.5):
            raise ValueError(f"noise strength p={self.p} is outside the valid range for {self.kind!r}")
        if self.qubit_factors is not None and any(f < 0 for f in self.qubit_factors.values()):
            raise ValueError("qubit_factors must all be >= 0")
        if self.lognormal is not None:
            sigma, seed = self.lognormal
            if not (sigma >= 0 and math.isfinite(sigma)) or not isinstance(seed, int) or seed < 0:
                raise ValueError(f"lognormal={self.lognormal!r}; expected (sigma >= 0, seed: an integer >= 0)")
            if self.qubit_factors:
                raise ValueError("give qubit_factors or lognormal, not both")

    @staticmethod
    def parse(text: str) -> "NoiseModel":
        """Parses ``"uniform:P"`` or ``"si1000:P"``, optionally followed by ``"+lognormal:SIGMA:SEED"``.

        Raises:
            ValueError: the text is not of that form.
        """
        base, plus, extra = text.partition("+")
        kind, sep, value = base.partition(":")
        try:
            p = float(value)
        except ValueError:
            p = None
        if not sep or p is None:
            raise ValueError(f"noise {text!r} is not of the form 'uniform:P' or 'si1000:P' (e.g. 'uniform:0.006'), "
                             f"optionally with '+lognormal:SIGMA:SEED'")
        lognormal = None
        if plus:
            name, _, rest = extra.partition(":")
            sigma, _, seed = rest.partition(":")
            try:
                lognormal = (float(sigma), int(seed))
            except ValueError:
                lognormal = None
            if name.strip().lower() != "lognormal" or lognormal is None:
                raise ValueError(f"noise {text!r}: after '+' expected 'lognormal:SIGMA:SEED' (per-qubit factors of "
                                 f"spread SIGMA, draw SEED; e.g. 'uniform:0.005+lognormal:1:3')")
        return NoiseModel(kind=kind.strip().lower(), p=p, lognormal=lognormal)

    def __str__(self) -> str:
        base = f"{self.kind}:{self.p:g}"
        if self.lognormal is not None:
            base += f"+lognormal:{self.lognormal[0]:g}:{self.lognormal[1]}"
        return base + ("+per-qubit" if self.qubit_factors else "")


def generate_circuit(distance: int, rounds: int, *, basis: str = "x", noise: NoiseModel | str = "uniform:0.001") -> stim.Circuit:
    """A rotated-surface-code memory experiment with circuit noise.

    Args:
        distance: code distance, >= 3.
        rounds: syndrome-extraction rounds, >= 1.
        basis: ``"x"`` or ``"z"``: the basis of the memory (and of the logical observable).
        noise: a :class:`NoiseModel` or its text form (``"uniform:0.006"``, ``"si1000:0.002"``,
            ``"uniform:0.005+lognormal:1:3"``).

    Returns:
        The noisy ``stim.Circuit`` with detectors at coordinates ``(x, y, t)`` and one observable.

    Raises:
        ValueError: distance, rounds, basis or noise are out of range.

    Examples:
        >>> circuit = generate_circuit(3, 3, basis="z", noise="si1000:0.001")
        >>> circuit.num_detectors, circuit.num_observables
        (24, 1)
    """
    _check_experiment(distance, rounds, basis)
    if isinstance(noise, str):
        noise = NoiseModel.parse(noise)
    task = f"surface_code:rotated_memory_{basis.lower()}"
    if noise.kind == "uniform":
        p = noise.p
        circuit = stim.Circuit.generated(task, distance=distance, rounds=rounds,
                                         after_clifford_depolarization=p, before_round_data_depolarization=p,
                                         before_measure_flip_probability=p, after_reset_flip_probability=p)
    else:
        circuit = _add_si1000_noise(stim.Circuit.generated(task, distance=distance, rounds=rounds), noise.p)
    if noise.qubit_factors:
        circuit = scale_noise_per_qubit(circuit, noise.qubit_factors)
    if noise.lognormal is not None:
        sigma, seed = noise.lognormal
        circuit = scale_noise_per_qubit(circuit, qubit_factors_lognormal(circuit, sigma=sigma, seed=seed))
    return circuit


def _check_experiment(distance, rounds, basis):
    if not isinstance(distance, int) or distance < 3:
        raise ValueError(f"distance={distance!r}; expected an integer >= 3")
    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds={rounds!r}; expected an integer >= 1")
    if str(basis).lower() not in ("x", "z"):
        raise ValueError(f"basis={basis!r}; expected 'x' or 'z'")


def _add_si1000_noise(circuit: stim.Circuit, p: float, all_qubits: list[int] | None = None) -> stim.Circuit:
    """Adds SI1000 noise (Gidney, Newman, McEwen 2021) to a noiseless circuit, moment by moment."""
    if all_qubits is None:
        all_qubits = sorted(circuit.get_final_qubit_coordinates().keys())
    out = stim.Circuit()
    moment: list[stim.CircuitInstruction] = []

    def flush():
        touched: set[int] = set()
        measures_or_resets = False
        before, gates, after = stim.Circuit(), stim.Circuit(), stim.Circuit()
        for inst in moment:
            name = inst.name
            targets = [t.value for t in inst.targets_copy() if t.is_qubit_target]
            gates.append(inst)
            if not targets:
                continue
            touched.update(targets)
            if name in _TWO_QUBIT_GATES:
                after.append("DEPOLARIZE2", targets, p)
            elif name in _ONE_QUBIT_GATES:
                after.append("DEPOLARIZE1", targets, p / 10)
            elif name in _RESETS:
                measures_or_resets = True
                after.append(_RESETS[name], targets, 2 * p)
            elif name in _MEASUREMENTS:
                measures_or_resets = True
                before.append(_MEASUREMENTS[name], targets, 5 * p)
            elif name in _MEASURE_RESETS:
                measures_or_resets = True
                before.append(_MEASURE_RESETS[name], targets, 5 * p)
                after.append(_MEASURE_RESETS[name], targets, 2 * p)
        idle = [q for q in all_qubits if q not in touched]
        if idle and touched:
            after.append("DEPOLARIZE1", idle, 2 * p if measures_or_resets else p / 10)
        out.__iadd__(before + gates + after)
        moment.clear()

    for inst in circuit:
        if isinstance(inst, stim.CircuitRepeatBlock):
            flush()
            out.append(stim.CircuitRepeatBlock(inst.repeat_count, _add_si1000_noise(inst.body_copy(), p, all_qubits)))
        elif inst.name == "TICK":
            flush()
            out.append(inst)
        elif inst.name in ("DETECTOR", "OBSERVABLE_INCLUDE", "SHIFT_COORDS", "QUBIT_COORDS"):
            flush_annotations = moment and any(m.name in _MEASUREMENTS or m.name in _MEASURE_RESETS for m in moment)
            if flush_annotations:
                flush()
            out.append(inst)
        else:
            moment.append(inst)
    flush()
    return out


def scale_noise_per_qubit(circuit: stim.Circuit, qubit_factors: Mapping[int, float]) -> stim.Circuit:
    """Multiplies every noise channel's probability by a per-qubit factor.

    Single-qubit channels are split per target; two-qubit channels per pair, scaled by the
    geometric mean of the two factors. Probabilities are clipped to each channel's maximum.

    Args:
        circuit: a noisy ``stim.Circuit``.
        qubit_factors: ``{qubit index: factor}``; unlisted qubits keep factor 1.

    Examples:
        >>> c = stim.Circuit("X_ERROR(0.01) 0 1")
        >>> print(scale_noise_per_qubit(c, {1: 2.0}))
        X_ERROR(0.01) 0
        X_ERROR(0.02) 1
    """
    out = stim.Circuit()
    for inst in circuit:
        if isinstance(inst, stim.CircuitRepeatBlock):
            out.append(stim.CircuitRepeatBlock(inst.repeat_count, scale_noise_per_qubit(inst.body_copy(), qubit_factors)))
            continue
        if inst.name not in _NOISE_CHANNELS:
            out.append(inst)
            continue
        targets = [t.value for t in inst.targets_copy()]
        width = 2 if inst.name.endswith("2") else 1
        args = inst.gate_args_copy()
        for k in range(0, len(targets), width):
            group = targets[k:k + width]
            factor = math.prod(qubit_factors.get(q, 1.0) for q in group) ** (1 / width)
            cap = {"DEPOLARIZE1": 0.75, "DEPOLARIZE2": 15 / 16}.get(inst.name, 0.5)
            scaled = [min(a * factor, cap) for a in args]
            if inst.name.startswith("PAULI_CHANNEL") and sum(scaled) > 1:
                scaled = [a / sum(scaled) for a in scaled]
            out.append(inst.name, group, scaled)
    return out


def qubit_factors_lognormal(circuit: stim.Circuit, *, sigma: float, seed: int) -> dict[int, float]:
    """Per-qubit log-normal noise factors with median 1, for ``NoiseModel(qubit_factors=...)``.

    Examples:
        >>> c = generate_circuit(3, 1, noise="uniform:0")
        >>> len(qubit_factors_lognormal(c, sigma=1.0, seed=0))
        17
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    qubits = sorted(circuit.get_final_qubit_coordinates().keys())
    return {q: float(f) for q, f in zip(qubits, np.exp(sigma * rng.standard_normal(len(qubits))))}

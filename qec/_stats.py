"""Counts and timings of decoding runs, and logical error rates with error bars."""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class DecodeStats:
    """What one or more ``decode_batch`` calls saw and spent.

    Attributes:
        shots: shots decoded.
        detectors: detectors per shot.
        events_in: detection events in the input, summed over shots.
        events_residual: detection events left for the matcher (equal to ``events_in`` without a pre-decoder).
        seconds_predecoder: wall time in the pre-decoder (network, decisions, residual).
        seconds_matching: wall time in PyMatching.

    Examples:
        >>> s = DecodeStats(shots=10, detectors=24, events_in=48, events_residual=12)
        >>> s.density_in, s.density_residual, s.density_reduction
        (0.2, 0.05, 4.0)
        >>> (s + s).shots
        20
    """

    shots: int = 0
    detectors: int = 0
    events_in: int = 0
    events_residual: int = 0
    seconds_predecoder: float = 0.0
    seconds_matching: float = 0.0

    @property
    def density_in(self) -> float:
        return self.events_in / max(1, self.shots * self.detectors)

    @property
    def density_residual(self) -> float:
        return self.events_residual / max(1, self.shots * self.detectors)

    @property
    def density_reduction(self) -> float:
        return self.events_in / self.events_residual if self.events_residual else math.inf

    @property
    def seconds(self) -> float:
        return self.seconds_predecoder + self.seconds_matching

    def __add__(self, other: "DecodeStats") -> "DecodeStats":
        if self.shots and other.shots and self.detectors != other.detectors:
            raise ValueError(f"cannot add stats over {self.detectors} and {other.detectors} detectors")
        return DecodeStats(shots=self.shots + other.shots, detectors=self.detectors or other.detectors,
                           events_in=self.events_in + other.events_in,
                           events_residual=self.events_residual + other.events_residual,
                           seconds_predecoder=self.seconds_predecoder + other.seconds_predecoder,
                           seconds_matching=self.seconds_matching + other.seconds_matching)


def ler_per_round(ler_shot: float, rounds: int) -> float:
    """Logical error rate per round, ε = ½(1 − (1 − 2P)^(1/r)), as sinter computes it.

    Examples:
        >>> round(ler_per_round(0.1, 5), 6)
        0.021824
    """
    if rounds < 1:
        raise ValueError(f"rounds={rounds}; expected >= 1")
    base = 1 - 2 * ler_shot
    if base <= 0:
        return 0.5
    return 0.5 * (1 - base ** (1 / rounds))


def binomial_interval(errors: int, shots: int, *, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of an error probability (95% by default).

    Examples:
        >>> lo, hi = binomial_interval(10, 1000)
        >>> round(lo, 4), round(hi, 4)
        (0.0054, 0.0183)
    """
    if shots <= 0:
        return (0.0, 1.0)
    p = errors / shots
    denom = 1 + z * z / shots
    center = (p + z * z / (2 * shots)) / denom
    half = z * math.sqrt(p * (1 - p) / shots + z * z / (4 * shots * shots)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def discordant_counts(failed_a: np.ndarray, failed_b: np.ndarray) -> tuple[int, int]:
    """Paired shots, ``bool (num_shots,)`` failures of decoders A and B → (shots only A fails, shots only B fails)."""
    return int((failed_a & ~failed_b).sum()), int((failed_b & ~failed_a).sum())


def paired_sign_test(only_a: int, only_b: int) -> float:
    """Two-sided exact p-value that two decoders fail equally often, from paired shots (McNemar's exact test).

    On the same shots only the discordant ones carry information: ``only_a`` shots where decoder A
    fails and B succeeds, ``only_b`` the reverse. Under "equally good" each discordant shot is a
    fair coin, so the p-value is the binomial tail of the smaller count, doubled. Far fewer shots
    separate two decoders this way than by comparing their two error-rate intervals.

    Examples:
        >>> round(paired_sign_test(2, 12), 4)
        0.0129
        >>> paired_sign_test(5, 5)
        1.0
    """
    if only_a < 0 or only_b < 0:
        raise ValueError(f"counts ({only_a}, {only_b}); expected >= 0")
    n, k = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)

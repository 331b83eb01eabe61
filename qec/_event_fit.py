"""Do these detection events come from this circuit? A check for shots read from files.

A Stim ``b8``, ``r8`` or ``ptb64`` file does not say how many detectors a shot has: read with
another circuit's detector count (another distance, number of rounds or basis), its bytes often
divide into whole shots all the same, and every shot is then decoded against the wrong layout,
silently. Events that do come from the circuit co-fire along its error edges: two detectors that
one error flips together are correlated, in every round, by about what the circuit's edge
probabilities say (scaled by how noisy the shots are against the circuit). Shots laid out on the
wrong detectors lose that correlation in the rounds that are misplaced.

Measured with ``python benchmarks/event_fit.py --seeds 20`` (``benchmarks/results/event_fit.jsonl``):
on 200 runs of 1,000–6,000 shots of the circuit at d = 3–13, up to 50 rounds, with noise 3x
weaker or 10x stronger than the circuit's, SI1000 against uniform, or varying across qubits,
every judged round's ratio was 0.77 or more and the check never failed; shots of another
distance, number of rounds or basis read with the circuit's detector count gave 0.46 or less in
their worst round at d = 5–13 and failed it in all 24 cases (at d = 3, one round more went
unseen at p = 0.002).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from qec._graph import BOUNDARY, DecodingGraph

FIT_RATIO = 0.5        # a round whose covariance ratio is below this does not fit
MIN_RESOLUTION = 12.0  # judge a round only where its ratio is measured to 1/12 (one standard error)


@dataclasses.dataclass(frozen=True)
class EventFit:
    """How well detection events co-fire along a circuit's error edges, round by round.

    Attributes:
        round_ratios: ``float64, shape=(rounds,)``: per round, the summed covariance of the events
            on the edges anchored in that round, over what the circuit predicts, divided by the
            events' density over the circuit's (1 where the events come from the circuit).
        round_resolution: ``float64, shape=(rounds,)``: per round, the predicted covariance over
            the standard error of its estimate from these shots (how well the ratio is measured).
        shots: the shots measured.
    """

    round_ratios: np.ndarray
    round_resolution: np.ndarray
    shots: int

    @property
    def misfit_rounds(self) -> np.ndarray:
        """The rounds, measured well enough, whose ratio is below ``FIT_RATIO``."""
        judged = self.round_resolution >= MIN_RESOLUTION
        return np.flatnonzero(judged & (self.round_ratios < FIT_RATIO))

    @property
    def fits(self) -> bool:
        return len(self.misfit_rounds) == 0


def event_fit(graph: DecodingGraph, dets: np.ndarray, *, max_shots: int = 6_000) -> EventFit:
    """Measures whether unpacked detection events ``dets`` come from ``graph``'s circuit.

    The ratio is taken over all shots and over every 2nd, 3rd and 4th shot alone (shots twice as
    long as the circuit's, read with its count, fit in every other shot only); a round's ratio is
    the worst of these that is measured well enough to judge.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(5, 5, noise="uniform:0.005")
        >>> dets = circuit.compile_detector_sampler(seed=1).sample(4000)
        >>> graph = qec.DecodingGraph.from_circuit(circuit)
        >>> event_fit(graph, dets).fits
        True
        >>> d7 = qec.DecodingGraph.from_circuit(qec.generate_circuit(7, 5, noise="uniform:0.005"))
        >>> event_fit(d7, dets.reshape(-1, d7.num_detectors)).fits   # the same bits read as d = 7 shots
        False
    """
    x = np.asarray(dets[:max_shots], dtype=bool)
    pair = graph.edge_detectors[:, 1] != BOUNDARY
    first, second = graph.edge_detectors[pair, 0], graph.edge_detectors[pair, 1]
    log_keep = np.log(np.abs(1 - 2 * graph.edge_probabilities))
    circuit_rate = (1 - np.exp(graph.edge_detector_matrix.T.astype(np.float64) @ log_keep)) / 2
    rounds = graph.detector_voxels[first, 0]
    count = int(graph.grid_shape[0])
    # Event and co-fire counts per residue of the shot index mod 12, which every group below sums.
    residue = np.arange(len(x)) % 12
    fired = np.zeros((12, graph.num_detectors))
    both = np.zeros((12, len(first)))
    step = 12 * max(1, 20_000_000 // (12 * max(1, len(first))))  # bounded memory: shots x edges at a time
    for start in range(0, len(x), step):
        part = x[start:start + step]
        cofired = part[:, first] & part[:, second]
        for k in range(12):  # start is a multiple of 12: row k of the part has residue k
            fired[k] += np.count_nonzero(part[k::12], axis=0)
            both[k] += np.count_nonzero(cofired[k::12], axis=0)
    ratios = np.full(count, np.inf)
    resolution = np.zeros(count)
    for m in (1, 2, 3, 4):
        for r in range(m):
            group = np.arange(r, 12, m)
            shots = int(np.sum(residue % m == r))
            if shots == 0:
                continue
            rate = fired[group].sum(axis=0) / shots
            observed = both[group].sum(axis=0) / shots - rate[first] * rate[second]
            # An edge of probability p between detectors that the rest of the noise flips with q1 and
            # q2 has covariance p (1 - p) (1 - 2 q1) (1 - 2 q2), where 1 - 2 q = (1 - 2 rate) / (1 - 2 p);
            # p is the circuit's, scaled by how much noisier the shots are than the circuit.
            p = np.minimum(graph.edge_probabilities[pair] * rate.mean() / max(circuit_rate.mean(), 1e-300), 0.45)
            expected = p * (1 - p) * (1 - 2 * rate[first]) * (1 - 2 * rate[second]) / (1 - 2 * p) ** 2
            sums = [np.bincount(rounds, weights=w, minlength=count)
                    for w in (observed, expected, (rate[first] * rate[second] + expected) / shots)]
            with np.errstate(divide="ignore", invalid="ignore"):
                group_ratios = sums[0] / sums[1]
                group_resolution = np.where(sums[2] > 0, sums[1] / np.sqrt(sums[2]), 0.0)
            judged = group_resolution >= MIN_RESOLUTION
            worse = judged & (group_ratios < ratios)
            ratios[worse] = group_ratios[worse]
            resolution[worse] = group_resolution[worse]
            if m == 1:  # the whole file's figures stand where no group is judged
                unjudged = ~judged
                ratios[unjudged], resolution[unjudged] = group_ratios[unjudged], group_resolution[unjudged]
    return EventFit(round_ratios=ratios, round_resolution=resolution, shots=len(x))


def warn_if_events_do_not_fit(source, dets: np.ndarray, *, what: str = "the detection events",
                              stacklevel: int = 2) -> EventFit | None:
    """Warns (``UserWarning``) when ``dets`` do not look like shots of ``source``'s circuit.

    Args:
        source: a :class:`DecodingGraph`, a ``stim.Circuit`` or a decomposed DEM; one that is not a
            rotated surface-code memory (no grid layout) is not checked.
        dets: unpacked detection events (the first 6,000 shots are measured).
        what: how the message names the events, e.g. a file's path.
        stacklevel: as ``warnings.warn``'s, counted from the caller of this function.

    Returns:
        The :class:`EventFit`, or ``None`` where ``source`` could not be checked against.
    """
    try:
        graph = DecodingGraph.of(source)
    except ValueError:
        return None
    fit = event_fit(graph, dets)
    if not fit.fits:
        rounds = fit.misfit_rounds
        shown = ", ".join(str(r) for r in rounds[:5]) + (", ..." if len(rounds) > 5 else "")
        warnings.warn(
            f"{what} do not look like shots of this circuit: in {len(rounds)} of its "
            f"{len(fit.round_ratios)} rounds ({shown}) they co-fire along the circuit's "
            f"error edges {np.min(fit.round_ratios[rounds]):.2f}x as much as the circuit's noise would make "
            f"them (about 1 for its shots; measured on {fit.shots} shots). Check that the shots come from "
            f"this circuit ({graph.num_detectors} detectors per shot: the same distance, rounds and basis)",
            UserWarning, stacklevel=stacklevel + 1)
    return fit

"""qec: Stim syndromes → convolutional pre-decoder → PyMatching on the residual, and noise learning.

Examples:
    >>> import qec
    >>> circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.005")
    >>> qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    <qec.Decoder: 24 detectors, grid 4x4x4, model default, uncorrelated matching, device cpu>
"""

__version__ = "0.1.0"

from qec._blocks import blockwise
from qec._circuits import NoiseModel, generate_circuit, qubit_factors_lognormal, scale_noise_per_qubit
from qec._decoder import Decoder
from qec._graph import DecodingGraph
from qec._matching import Matcher
from qec._network import NetworkConfig, PreDecoderNet
from qec._noise_learning import EventStatistics, LearnedNoise, learn_noise
from qec._predecoder import BoundPreDecoder, PreDecoder
from qec._residual_matching import MatchingPool, ResidualMatching
from qec._reweighting import PosteriorMatcher
from qec._sampling import StimSampler, SyndromeBatch, TorchSampler
from qec._shortcut_matching import ShortcutMatcher
from qec._shot_files import ShotFile, read_events, read_observables, write_observables
from qec._sinter import CompiledSinterDecoder, SinterDecoder, sinter_decoders
from qec._stats import DecodeStats, binomial_interval, ler_per_round, paired_sign_test
from qec._stream import StreamDecoder
from qec._training import TrainConfig, evaluate, train

__all__ = [
    "BoundPreDecoder", "CompiledSinterDecoder", "DecodeStats", "Decoder", "DecodingGraph", "EventStatistics",
    "LearnedNoise", "Matcher", "MatchingPool", "NetworkConfig", "NoiseModel", "PosteriorMatcher", "PreDecoder", "PreDecoderNet",
    "ResidualMatching", "ShortcutMatcher", "ShotFile", "SinterDecoder",
    "StimSampler", "StreamDecoder", "SyndromeBatch", "TorchSampler", "TrainConfig", "binomial_interval", "blockwise",
    "evaluate", "generate_circuit", "learn_noise", "ler_per_round", "paired_sign_test", "qubit_factors_lognormal", "read_events",
    "read_observables", "scale_noise_per_qubit", "sinter_decoders", "train", "write_observables",
]

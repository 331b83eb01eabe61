"""qec: Stim syndromes → convolutional pre-decoder → PyMatching, and noise learning."""

__version__ = "0.1.0"

from qec._circuits import NoiseModel, generate_circuit, qubit_factors_lognormal, scale_noise_per_qubit
from qec._graph import DecodingGraph
from qec._sampling import StimSampler, SyndromeBatch, TorchSampler
from qec._decoder import Decoder
from qec._matching import Matcher
from qec._network import NetworkConfig, PreDecoderNet
from qec._predecoder import PreDecoder
from qec._stats import DecodeStats, binomial_interval, ler_per_round
from qec._training import TrainConfig, evaluate, train
from qec._noise_learning import EventStatistics, LearnedNoise, learn_noise, read_events


def sinter_decoders(*, model: str = "default", device: str = "cpu"):
    """The pipeline's sinter decoders by name; see :func:`qec._sinter.sinter_decoders` (imports sinter lazily)."""
    from qec._sinter import sinter_decoders as _sinter_decoders
    return _sinter_decoders(model=model, device=device)


def __getattr__(name):
    if name in ("SinterDecoder", "CompiledSinterDecoder"):
        import qec._sinter
        return getattr(qec._sinter, name)
    raise AttributeError(f"module 'qec' has no attribute {name!r}")
from qec._stream import StreamDecoder

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

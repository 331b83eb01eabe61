"""sinter adapters: the pipeline as ``sinter.Decoder`` classes, for ``sinter.collect`` and ``sinter collect``."""

from __future__ import annotations

import os

import numpy as np
import sinter
import stim

from qec._decoder import DECODER_KINDS


class SinterDecoder(sinter.Decoder):
    """The pipeline as a sinter decoder; compiled once per DEM, picklable (it stores names, not modules).

    Args:
        model: ``"default"``, a checkpoint path, or None (PyMatching alone: the pass-through baseline).
        correlated: correlated matching on the residual. Defaults to False.
        reweight: match on the graph reweighted by the network's posteriors (see
            :class:`qec.PosteriorMatcher`). Defaults to False.
        shortcut: with ``reweight=True``, uncorrelated: one prebuilt graph with shortcut gadgets
            (:class:`qec.ShortcutMatcher`) instead of a graph per shot. Defaults to False.
        device: where the network runs inside each sinter worker. Defaults to ``"cpu"``; ``"cuda"``
            shares one GPU between the workers.
        precision: the network's arithmetic, ``"float32"`` or ``"bfloat16"``. Defaults to None
            (the device's default: float32 on a CPU; see :class:`qec.Decoder`).
        threads: torch CPU threads per worker. Defaults to 1 (sinter runs one worker per core).

    Examples:
        >>> import pickle
        >>> decoder = SinterDecoder(model="default")
        >>> pickle.loads(pickle.dumps(decoder)).model
        'default'
    """

    def __init__(self, *, model: str | os.PathLike | None = "default", correlated: bool = False,
                 reweight: bool = False, shortcut: bool = False, device: str = "cpu", precision: str | None = None,
                 threads: int = 1):
        if model is not None and not isinstance(model, (str, os.PathLike)):
            raise TypeError(f"model must be 'default', a checkpoint path or None (to pickle); got {type(model)}")
        self.model = None if model is None else os.fspath(model)
        self.correlated = correlated
        self.reweight = reweight
        self.shortcut = shortcut
        self.device = device
        self.precision = precision
        self.threads = threads

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> "CompiledSinterDecoder":
        import torch

        from qec._decoder import Decoder
        if self.device == "cpu" and self.threads:
            torch.set_num_threads(self.threads)
        decoder = Decoder.from_detector_error_model(dem, model=self.model, correlated=self.correlated,
                                                   reweight=self.reweight, shortcut=self.shortcut, device=self.device,
                                                   precision=self.precision)
        return CompiledSinterDecoder(decoder)


class CompiledSinterDecoder(sinter.CompiledDecoder):
    """One compiled pipeline for one DEM.

    Examples:
        >>> import qec
        >>> circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
        >>> compiled = SinterDecoder().compile_decoder_for_dem(dem=circuit.detector_error_model(decompose_errors=True))
        >>> packed = circuit.compile_detector_sampler(seed=1).sample(10, bit_packed=True)
        >>> compiled.decode_shots_bit_packed(bit_packed_detection_event_data=packed).shape  # one byte per shot
        (10, 1)
    """

    def __init__(self, decoder):
        self.decoder = decoder

    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        """``uint8 (num_shots, ceil(num_detectors / 8))`` → ``uint8 (num_shots, ceil(num_observables / 8))``."""
        return self.decoder.decode_batch(bit_packed_detection_event_data, bit_packed_shots=True,
                                         bit_packed_predictions=True)


def sinter_decoders(*, model: str = "default", device: str = "cpu",
                    precision: str | None = None) -> dict[str, sinter.Decoder]:
    """The built-in decoders by name, for ``sinter.collect(..., custom_decoders=qec.sinter_decoders())``.

    From the command line: ``sinter collect ... --decoders qec-pipeline
    --custom_decoders_module_function qec:sinter_decoders``.

    Examples:
        >>> sorted(sinter_decoders())
        ['qec-pipeline', 'qec-pipeline-correlated', 'qec-pipeline-reweighted', 'qec-pipeline-reweighted-correlated', 'qec-pipeline-reweighted-shortcut', 'qec-pymatching', 'qec-pymatching-correlated']
    """
    net = dict(model=model, device=device, precision=precision)
    # The pymatching ones (model=None) are the pass-through baselines.
    return {f"qec-{name}": SinterDecoder(**{**net, **options}) for name, options in DECODER_KINDS.items()}

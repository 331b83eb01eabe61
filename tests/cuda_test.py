"""CUDA correctness: skipped on machines without a GPU (CI); run on the device machine with
``python3 -m pytest tests/cuda_test.py``."""

import numpy as np
import pytest
import torch

import qec

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def experiment_d9():
    circuit = qec.generate_circuit(9, 9, basis="x", noise="uniform:0.006")
    dets, obs = circuit.compile_detector_sampler(seed=11).sample(2000, separate_observables=True)
    return circuit, dets, obs


def test_blockwise_equals_whole_volume_on_cuda():
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(7, 30, basis="z", noise="uniform:0.008"))
    pre = qec.PreDecoder.load("default")
    dets = torch.as_tensor(qec.StimSampler(graph, seed=7).sample(64).dets, device="cuda")
    whole = pre.bind(graph, device="cuda")
    blocked = pre.bind(graph, device="cuda", block=(9, 5, None))
    a, b = whole.edge_logits(dets).float(), blocked.edge_logits(dets).float()
    # bf16 autocast: the stitched and whole-volume convolutions may round differently.
    torch.testing.assert_close(b, a, rtol=0.02, atol=0.05)
    da = whole.decide(a, dets, threshold=pre.threshold)
    db = blocked.decide(b, dets, threshold=pre.threshold)
    assert (da != db).float().mean().item() < 1e-3


def test_cuda_and_cpu_predictions_agree(experiment_d9):
    circuit, dets, obs = experiment_d9
    cpu = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    gpu = qec.Decoder.from_circuit(circuit, model="default", device="cuda", batch_size=512)
    differ = np.any(cpu.decode_batch(dets) != gpu.decode_batch(dets), axis=1).sum()
    assert differ <= 0.005 * len(dets)


def test_cupy_and_torch_cuda_inputs_decode_like_numpy(experiment_d9):
    circuit, dets, _ = experiment_d9
    gpu = qec.Decoder.from_circuit(circuit, model="default", device="cuda")
    expected = gpu.decode_batch(dets)
    np.testing.assert_array_equal(gpu.decode_batch(torch.as_tensor(dets, device="cuda")), expected)
    cupy = pytest.importorskip("cupy")
    np.testing.assert_array_equal(gpu.decode_batch(cupy.asarray(dets)), expected)
    packed = cupy.asarray(np.packbits(dets, axis=1, bitorder="little"))
    np.testing.assert_array_equal(gpu.decode_batch(packed, bit_packed_shots=True), expected)


def test_overlapped_matching_on_cuda_equals_serial(experiment_d9):
    circuit, dets, _ = experiment_d9
    serial = qec.Decoder.from_circuit(circuit, model="default", device="cuda", batch_size=256)
    overlapped = qec.Decoder.from_circuit(circuit, model="default", device="cuda", batch_size=256, matching_workers=2)
    for correlated in (False, True):
        np.testing.assert_array_equal(serial.decode_batch(dets, enable_correlations=correlated),
                                      overlapped.decode_batch(dets, enable_correlations=correlated))


def test_torch_sampler_on_cuda_matches_stim_density():
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise="uniform:0.006"))
    n = 20000
    gpu = qec.TorchSampler(graph, device="cuda", seed=3).sample(n).dets
    stim_dets = qec.StimSampler(graph, seed=3).sample(n).dets
    per_detector_gpu = torch.as_tensor(gpu).float().mean(0).cpu().numpy()
    per_detector_stim = np.asarray(stim_dets, dtype=float).mean(0)
    sigma = np.sqrt(per_detector_stim * (1 - per_detector_stim) / n * 2) + 1e-9
    assert np.all(np.abs(per_detector_gpu - per_detector_stim) < 6 * sigma + 1e-3)


def test_a_stream_on_cuda_decides_like_whole_volume_decoding():
    circuit = qec.generate_circuit(5, 20, basis="z", noise="uniform:0.006")
    dets = circuit.compile_detector_sampler(seed=12).sample(1000)
    gpu = qec.Decoder.from_circuit(circuit, model="default", device="cuda")
    stream = gpu.stream(1000, commit_rounds=30, buffer_rounds=30)  # one window: only the network's rounding differs
    for layer in stream.layer_detectors:
        stream.push(torch.as_tensor(dets[:, layer], device="cuda"))
    differ = np.any(stream.finish() != gpu.decode_batch(dets), axis=1).sum()
    assert differ <= 0.005 * len(dets)  # bf16: the layer-by-layer and whole-volume convolutions round apart

import numpy as np
import pymatching
import pytest
import torch

import qec


@pytest.fixture(scope="module")
def experiment():
    circuit = qec.generate_circuit(5, 5, basis="z", noise="uniform:0.008")
    dets, obs = circuit.compile_detector_sampler(seed=9).sample(1000, separate_observables=True)
    return circuit, dets, obs


def test_without_a_model_it_is_pymatching(experiment):
    circuit, dets, obs = experiment
    ours = qec.Decoder.from_circuit(circuit, model=None).decode_batch(dets)
    ref = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True)).decode_batch(dets)
    np.testing.assert_array_equal(ours, ref.astype(bool))


def test_a_circuit_or_dem_stands_for_its_graph(experiment, tiny_predecoder):
    circuit, dets, obs = experiment
    expected = qec.Decoder.from_circuit(circuit, model=tiny_predecoder, device="cpu").decode_batch(dets)
    for source in (circuit, circuit.detector_error_model(decompose_errors=True)):
        np.testing.assert_array_equal(qec.Decoder(source, model=tiny_predecoder, device="cpu").decode_batch(dets),
                                      expected)
    with pytest.raises(TypeError, match="got str \\(for a file: stim.Circuit"):
        qec.Decoder("circuit.stim", model=None)


def test_prediction_is_flips_xor_matching_of_the_residual(experiment, tiny_predecoder):
    circuit, dets, obs = experiment
    tiny_predecoder.threshold, tiny_predecoder.policy = -10.0, "mutual"  # make it apply many edges
    decoder = qec.Decoder.from_circuit(circuit, model=tiny_predecoder, device="cpu")
    predictions, residual = decoder.decode_batch(dets, return_residual=True)
    ref_residual, flips = decoder.predecode(dets)
    np.testing.assert_array_equal(residual, ref_residual)
    assert residual.sum() < dets.sum()  # the pre-decoder removed events
    expected = decoder.matcher.decode_batch(residual) ^ flips
    np.testing.assert_array_equal(predictions, expected)
    stats = decoder.last_stats
    assert stats.shots == 1000 and stats.events_in == dets.sum() and stats.events_residual == residual.sum()


def test_bit_packed_in_and_out_agree_with_unpacked(experiment):
    circuit, dets, obs = experiment
    decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    plain = decoder.decode_batch(dets)
    packed = decoder.decode_batch(np.packbits(dets, axis=1, bitorder="little"), bit_packed_shots=True,
                                  bit_packed_predictions=True)
    assert packed.dtype == np.uint8 and packed.shape == (1000, 1)
    np.testing.assert_array_equal(np.unpackbits(packed, axis=1, count=1, bitorder="little").astype(bool), plain)
    # torch tensors and single shots give the same answers
    np.testing.assert_array_equal(decoder.decode_batch(torch.as_tensor(dets)), plain)
    np.testing.assert_array_equal(decoder.decode(dets[3]), plain[3])


def test_default_model_does_not_lose_to_matching_on_easy_shots(experiment):
    circuit, dets, obs = experiment
    base = qec.Decoder.from_circuit(circuit, model=None).decode_batch(dets)
    decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    ours = decoder.decode_batch(dets)
    base_errors = int(np.any(base != obs, axis=1).sum())
    our_errors = int(np.any(ours != obs, axis=1).sum())
    # 1000 shots at d=5, p=0.008: tens of errors; the pipeline stays within a few of matching
    # while removing at least half the detection events.
    assert our_errors <= base_errors + 3 * np.sqrt(base_errors) + 3
    assert decoder.last_stats.density_reduction >= 2.0


@pytest.mark.parametrize("bad, match", [
    (np.zeros((4, 7), dtype=bool), "dtype=bool, shape=\\(4, 7\\); expected bool \\(num_shots, 120\\)"),
    (np.zeros((4, 120), dtype=np.float32), "dtype=float32"),
    (np.zeros(120, dtype=bool), "shape"),
    (np.full((4, 120), 2, dtype=np.uint8), "values other than 0 and 1"),
    (np.zeros((4, 15), dtype=np.uint8), "looks bit-packed"),
    (np.zeros((4, 121), dtype=bool), "120 detectors and 1 observables: sample them apart"),  # obs appended
])
def test_bad_inputs_are_rejected(experiment, bad, match):
    circuit, _, _ = experiment
    decoder = qec.Decoder.from_circuit(circuit, model=None)
    with pytest.raises(ValueError, match=match):
        decoder.decode_batch(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_cuda_device_that_is_not_there_is_refused_up_front(experiment):
    circuit, _, _ = experiment
    with pytest.raises(ValueError, match="device='cuda', but this PyTorch sees no CUDA device"):
        qec.Decoder.from_circuit(circuit, device="cuda")
    with pytest.raises(ValueError, match="device='gpu' is not a PyTorch device"):
        qec.Decoder.from_circuit(circuit, device="gpu")


def test_a_reversed_view_decodes_as_its_copy(experiment):
    circuit, dets, _ = experiment
    decoder = qec.Decoder.from_circuit(circuit, model=None)
    np.testing.assert_array_equal(decoder.decode_batch(dets[::-1]), decoder.decode_batch(dets[::-1].copy()))


def test_events_with_the_observables_appended_are_explained(experiment):
    circuit, _, _ = experiment
    shots = circuit.compile_detector_sampler(seed=1).sample(4, append_observables=True)
    assert shots.shape == (4, 121)
    with pytest.raises(ValueError, match="separate_observables=True"):
        qec.learn_noise(shots, circuit)
    with pytest.raises(ValueError, match="separate_observables=True"):  # the same with Stim's bit-packing
        qec.Decoder.from_circuit(circuit, model=None).decode_batch(
            np.packbits(np.zeros((4, 121), dtype=bool), axis=1, bitorder="little"), bit_packed_shots=True)


def test_bad_bit_packed_input_is_rejected(experiment):
    circuit, _, _ = experiment
    decoder = qec.Decoder.from_circuit(circuit, model=None)
    with pytest.raises(ValueError, match="ceil\\(num_detectors / 8\\)"):
        decoder.decode_batch(np.zeros((4, 14), dtype=np.uint8), bit_packed_shots=True)


def test_decode_rejects_a_batch():
    decoder = qec.Decoder.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.01"), model=None)
    with pytest.raises(ValueError, match="use decode_batch"):
        decoder.decode(np.zeros((2, 24), dtype=bool))


def test_overlapped_matching_gives_the_same_predictions(experiment):
    circuit, dets, obs = experiment
    serial = qec.Decoder.from_circuit(circuit, model="default", device="cpu", batch_size=128)
    overlapped = qec.Decoder.from_circuit(circuit, model="default", device="cpu", batch_size=128, matching_workers=2)
    for correlated in (False, True):
        a = serial.decode_batch(dets, enable_correlations=correlated)
        b, residual = overlapped.decode_batch(dets, enable_correlations=correlated, return_residual=True)
        np.testing.assert_array_equal(a, b)
        assert residual.shape == dets.shape
    stats = overlapped.last_stats
    assert stats.shots == 1000 and stats.seconds_predecoder > 0 and stats.seconds_matching >= 0
    pool = overlapped.matching_pool()
    overlapped.decode_batch(dets[:10])
    assert overlapped.matching_pool() is pool  # the worker processes outlive a call


def test_a_noiseless_circuit_decodes_to_no_flips():
    """p = 0 gives a DEM without edges: nothing to commit or match, every decoder predicts no flip."""
    circuit = qec.generate_circuit(5, 6, noise="uniform:0")
    dets = circuit.compile_detector_sampler(seed=1).sample(20)
    for kwargs in ({}, {"reweight": True}, {"reweight": True, "shortcut": True}, {"correlated": True}):
        decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu", **kwargs)
        predictions, residual = decoder.decode_batch(dets, return_residual=True)
        assert not predictions.any() and not residual.any(), kwargs
    stream = qec.Decoder.from_circuit(circuit, model="default", device="cpu").stream(20, commit_rounds=2, buffer_rounds=2)
    for layer in stream.layer_detectors:
        stream.push(dets[:, layer])
    predictions = stream.finish()
    assert predictions.shape == (20, 1) and not predictions.any()


def test_a_progress_bar_decodes_the_same_and_counts_every_part(experiment, capsys):
    circuit, dets, _ = experiment
    decoder = qec.Decoder.from_circuit(circuit, device="cpu", batch_size=32)  # parts of 256 shots
    whole, whole_residual = decoder.decode_batch(dets, return_residual=True)
    whole_stats = decoder.last_stats
    parts, residual = decoder.decode_batch(dets, return_residual=True, progress=True)
    np.testing.assert_array_equal(parts, whole)
    np.testing.assert_array_equal(residual, whole_residual)
    assert decoder.last_stats.shots == len(dets) > 256
    assert (decoder.last_stats.events_in, decoder.last_stats.events_residual) == (
        whole_stats.events_in, whole_stats.events_residual)
    assert decoder.total_stats.shots == 2 * len(dets)
    assert f"{len(dets)}/{len(dets)}" in capsys.readouterr().err


def test_a_matching_dem_of_another_experiment_is_refused():
    x, z = (qec.generate_circuit(5, 5, basis=b, noise="uniform:0.005") for b in "xz")
    with pytest.raises(ValueError, match="matching_dem's detector D0 is at .* is it a DEM of this experiment"):
        qec.Decoder(z, model=None, matching_dem=x.detector_error_model(decompose_errors=True))  # as many detectors
    with pytest.raises(ValueError, match="matching_dem has 240 detectors; the circuit has 120"):
        qec.Decoder(z, model=None, matching_dem=qec.generate_circuit(7, 5, basis="z").detector_error_model())
    learned = qec.learn_noise(z.compile_detector_sampler(seed=1).sample(20000), z).to_dem()
    assert qec.Decoder(z, model=None, matching_dem=learned).num_detectors == 120  # a learned DEM keeps the places
